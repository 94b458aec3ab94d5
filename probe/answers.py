"""Extract the answer text from a model response, or the outcome that needs no grading.

Reasoning is removed before anything else looks at the text, both the separate reasoning
field and `<think>` blocks in the content, so that a model thinking "I don't know... it
opened for the 1889 fair" before it answers is not taken for an abstention.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from probe.abstentions import has_abstention_phrase, is_abstention, is_refusal
from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse

AnswerSource = Literal["content", "reasoning_content", "reasoning"]

__all__ = [
    "AnswerSource",
    "Extraction",
    "extract_answer",
    "has_abstention_phrase",
    "is_abstention",
    "is_refusal",
    "strip_reasoning",
]


@dataclass(frozen=True)
class Extraction:
    """The answer text of one response, or the outcome that makes grading unnecessary."""

    # TRUNCATED, REFUSED, EMPTY or ABSTAINED, or None when there is an answer to grade.
    outcome: Outcome | None
    # The text after reasoning removal. It is kept for ABSTAINED and for a refusal written in
    # the content, and is None when no text could be taken.
    answer: str | None
    # The response field that supplied the text, also for EMPTY and TRUNCATED.
    source: AnswerSource | None
    reason: str


# --- Reasoning removal ---

_THINK_TAG = re.compile(r"<\s*(/?)\s*think\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class _ReasoningSplit:
    answer: str
    reasoning: str | None
    unclosed: bool


def strip_reasoning(text: str) -> tuple[str, str | None]:
    """Remove `<think>` blocks from text and return (answer text, removed reasoning).

    Everything before a closing `</think>` that has no opening tag is reasoning too: chat
    templates that put the opening tag into the prompt leave only the closing one in the
    output. An opening tag that never closes makes the whole text reasoning, with an empty
    answer. The reasoning is None when the text contains no think tag at all.
    """
    split = _split_reasoning(text)
    return split.answer, split.reasoning


def _split_reasoning(text: str) -> _ReasoningSplit:
    if _THINK_TAG.search(text) is None:
        return _ReasoningSplit(answer=text.strip(), reasoning=None, unclosed=False)

    answer_parts, reasoning_parts, inside = _sort_segments(text)
    if inside:
        # split() interleaves the text segments with the captured "/" of each tag.
        segments = _THINK_TAG.split(text)[::2]
        return _ReasoningSplit(answer="", reasoning=_join(segments), unclosed=True)
    return _ReasoningSplit(_join(answer_parts), _join(reasoning_parts), unclosed=False)


def _sort_segments(text: str) -> tuple[list[str], list[str], bool]:
    # Returns the answer segments, the reasoning segments and whether a block is still open.
    answer_parts: list[str] = []
    reasoning_parts: list[str] = []
    inside = False
    position = 0

    for tag in _THINK_TAG.finditer(text):
        (reasoning_parts if inside else answer_parts).append(text[position : tag.start()])
        position = tag.end()
        closing = tag.group(1) == "/"
        if closing and not inside:
            # A lone closing tag: all text so far was reasoning.
            reasoning_parts.extend(answer_parts)
            answer_parts.clear()
        inside = not closing

    (reasoning_parts if inside else answer_parts).append(text[position:])
    return answer_parts, reasoning_parts, inside


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


# --- Extraction ---


def extract_answer(
    response: ModelResponse,
    *,
    answer_from_reasoning: bool = False,
    question: Question | None = None,
    abstention_phrases: Sequence[str] = (),
) -> Extraction:
    """Find the answer text of a response, or the outcome that needs no grading.

    The checks run in this order: the refusal field, an unclosed `<think>` block, a length
    stop with no answer text, the content filter, missing text, then abstention and a refusal
    written in the answer. When the content is empty but the reasoning field has text, the
    result is EMPTY unless `answer_from_reasoning` is set, which makes that text the answer.
    `question` lets the abstention check recognise a hedged answer by its value, and
    `abstention_phrases` adds phrases to the built-in abstention lexicon.
    """
    phrases = tuple(abstention_phrases)
    if (response.refusal or "").strip():
        return Extraction(Outcome.REFUSED, None, None, "the refusal field is set")

    split = _split_reasoning(response.content or "")
    stop = _classify_stop(response, split)
    if stop is not None:
        return stop

    if split.answer:
        return _classify_text(split.answer, "content", question, phrases)
    return _classify_reasoning_only(response, split, answer_from_reasoning, question, phrases)


def _classify_stop(response: ModelResponse, split: _ReasoningSplit) -> Extraction | None:
    reasoning_source = _reasoning_source(response, split)
    if split.unclosed:
        return Extraction(Outcome.TRUNCATED, None, "content", "reasoning never closed")

    if response.finish_reason == "length" and not split.answer:
        return Extraction(
            Outcome.TRUNCATED, None, reasoning_source, "stopped for length before an answer"
        )

    if response.finish_reason == "content_filter":
        source: AnswerSource | None = "content" if split.answer else reasoning_source
        return Extraction(
            Outcome.REFUSED, split.answer or None, source, "stopped by the content filter"
        )
    return None


def _reasoning_source(response: ModelResponse, split: _ReasoningSplit) -> AnswerSource | None:
    # The separate field wins over a <think> block because servers that fill it have already
    # moved the reasoning out of the content.
    if (response.reasoning or "").strip():
        return response.reasoning_field or "reasoning"
    if split.reasoning:
        return "content"
    return None


def _reasoning_text(response: ModelResponse, split: _ReasoningSplit) -> str:
    field_text = (response.reasoning or "").strip()
    return field_text or split.reasoning or ""


def _classify_reasoning_only(
    response: ModelResponse,
    split: _ReasoningSplit,
    answer_from_reasoning: bool,
    question: Question | None,
    phrases: tuple[str, ...],
) -> Extraction:
    source = _reasoning_source(response, split)
    text = _reasoning_text(response, split)
    if source is None or not text:
        return Extraction(Outcome.EMPTY, None, None, "no text in the content or reasoning")

    # Any finish reason other than length and content_filter (handled earlier) counts as a
    # normal stop here, including a missing one.
    if not answer_from_reasoning:
        where = "a <think> block" if source == "content" else f"the {source} field"
        return Extraction(Outcome.EMPTY, None, source, f"the text was only in {where}")
    return _classify_text(text, source, question, phrases)


def _classify_text(
    text: str, source: AnswerSource, question: Question | None, phrases: tuple[str, ...]
) -> Extraction:
    if is_abstention(text, question, phrases):
        return Extraction(Outcome.ABSTAINED, text, source, "an abstention with no committed answer")

    if is_refusal(text):
        return Extraction(Outcome.REFUSED, text, source, "a refusal written in the answer")
    return Extraction(None, text, source, f"answer text from {source}")
