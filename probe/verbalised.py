"""Verbalised confidence: an extra best-guess condition that asks for the answer and a 0–100
confidence, and the strict parser of its replies.

The reply must be exactly two lines, "Answer: …" and "Confidence: N" with N from 0 to 100
(a decimal part or a trailing % is accepted). Anything else is a parse failure: it is
recorded with its reason and the sample gets no confidence. It never gets a default one.

A question's verbalised confidence is the mean stated confidence, over 100, of the samples
in the modal cluster of its verbalised samples. It forecasts whether that modal answer is
right, which can differ from the best-guess modal answer m_q because the prompt differs.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from probe.answers import strip_reasoning
from probe.consistency import question_consistency
from probe.outcomes import Outcome
from probe.prompts import ABSTENTION_PHRASES, template_language
from probe.questions import Question
from probe.samples import SampleKey, SampleRecord

logger = logging.getLogger(__name__)

# The file of a run folder that contains the verbalised samples, one SampleRecord per line.
VERBALISED_JSONL = "verbalised.jsonl"

# The threshold recorded on verbalised samples: the prompt is a best-guess prompt.
VERBALISED_THRESHOLD = 0.0

VERBALISED_INSTRUCTIONS = (
    "Answer the question with your best guess, even if you are unsure, and state how "
    "confident you are that your answer is correct, as a whole number from 0 to 100. "
    'If you cannot give an answer, write "{abstention}" as the answer. Reply in exactly this '
    "form and nothing else:\nAnswer: <your answer>\nConfidence: <0 to 100>"
)

_REPLY = re.compile(
    r"\A\s*answer\s*[:：]\s*(?P<answer>[^\n]*?)\s*\n\s*confidence\s*[:：]\s*"
    r"(?P<confidence>[^\n]*?)\s*\Z",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\A(?P<value>\d{1,3}(?:\.\d+)?)\s*%?\Z")


@dataclass(frozen=True)
class VerbalisedReply:
    """A parsed reply: the answer text and the confidence in [0, 1], or the parse error."""

    answer: str | None
    confidence: float | None
    error: str | None


def build_verbalised_messages(question: Question) -> list[dict[str, str]]:
    """Build the chat messages of the verbalised-confidence condition for one question."""
    abstention = ABSTENTION_PHRASES[template_language(question.language)]
    user_text = question.question
    if question.format_instruction:
        user_text = f"{user_text}\n{question.format_instruction}"
    return [
        {"role": "system", "content": VERBALISED_INSTRUCTIONS.format(abstention=abstention)},
        {"role": "user", "content": user_text},
    ]


def parse_verbalised(content: str | None) -> VerbalisedReply:
    """Parse "Answer: …" and "Confidence: N" strictly; reasoning blocks are removed first."""
    if content is None or not content.strip():
        return VerbalisedReply(None, None, "empty reply")
    text, _ = strip_reasoning(content)

    match = _REPLY.match(text)
    if match is None:
        return VerbalisedReply(
            None, None, "reply is not the two lines 'Answer: …' and 'Confidence: N'"
        )
    answer = match.group("answer") or None
    number = _NUMBER.match(match.group("confidence"))
    if number is None:
        return VerbalisedReply(
            answer, None, f"confidence {match.group('confidence')!r} is not a number"
        )
    value = float(number.group("value"))
    if value > 100:
        return VerbalisedReply(answer, None, f"confidence {value:g} is above 100")
    if answer is None:
        return VerbalisedReply(None, value / 100, "the answer line is empty")
    return VerbalisedReply(answer, value / 100, None)


@dataclass(frozen=True)
class VerbalisedQuestion:
    """One question's verbalised forecast: the confidence in its modal answer and its grade."""

    # Mean stated confidence of the modal cluster; None without a modal answer, or when no
    # sample of the modal cluster stated a confidence that parsed.
    confidence: float | None
    # Whether the modal answer of the verbalised samples is correct; None without one.
    modal_correct: bool | None


def verbalised_question(
    question_id: str,
    samples: Sequence[tuple[Outcome, str | None, str | None, float | None]],
) -> VerbalisedQuestion:
    """Cluster one question's verbalised samples and average the modal cluster's confidence.

    Each sample is (outcome, answer key, answer text, stated confidence or None), in sample
    order.
    """
    consistency = question_consistency(
        question_id, [(outcome, key, text) for outcome, key, text, _ in samples]
    )
    if consistency.modal_key is None:
        return VerbalisedQuestion(confidence=None, modal_correct=None)

    stated = [
        confidence
        for outcome, key, _, confidence in samples
        if key == consistency.modal_key and outcome != Outcome.ABSTAINED and confidence is not None
    ]
    return VerbalisedQuestion(
        confidence=sum(stated) / len(stated) if stated else None,
        modal_correct=consistency.modal_correct,
    )


def read_verbalised(run_dir: Path) -> list[SampleRecord]:
    """Read verbalised.jsonl, skipping unreadable lines, with one record per key.

    A key's record is its first one that is not an error, or its last error when it has
    only errors: the rule samples.jsonl follows.
    """
    path = run_dir / VERBALISED_JSONL
    if not path.exists():
        return []
    by_key: dict[SampleKey, SampleRecord] = {}
    skipped = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = SampleRecord.model_validate_json(line)
        except ValidationError:
            skipped += 1
            continue
        kept = by_key.get(record.key)
        if kept is None or kept.outcome == Outcome.ERROR:
            by_key[record.key] = record
    if skipped:
        logger.warning("%s: skipped %d unreadable line(s)", path, skipped)
    return list(by_key.values())
