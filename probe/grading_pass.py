"""The grading pass: the deterministic grader, then the LLM judge for what it leaves.

`probe grade` (answers produced elsewhere) and `probe regrade` (a finished run) both call
`grade_responses`. With a judge in mode ungraded-only, only ungraded answers are judged;
in mode all, every answer is, and where the grader decided, its grade stands and the
judge's verdict is kept for the audit. A judge that gives no verdict changes nothing.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tqdm import tqdm

from probe.agreement import decided_grade
from probe.consistency import ABSTAINED_KEY
from probe.grading import Assessment, assess_response, canonical_key
from probe.judge import Judge, Judgement, Verdict
from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse

# The grader's outcomes that the judge also grades in mode "all".
_AUDITED = frozenset({Outcome.CORRECT, Outcome.INCORRECT, Outcome.ABSTAINED, Outcome.UNGRADED})


@dataclass(frozen=True)
class GradingOptions:
    """How answers are extracted before grading."""

    answer_from_reasoning: bool = False
    abstention_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradedResponse:
    """One response's final assessment, the grader's own, and the judge's verdict if asked."""

    assessment: Assessment
    grader: Assessment
    judgement: Judgement | None

    @property
    def judge_decided(self) -> bool:
        """True when the judge's verdict set the outcome of an ungraded answer."""
        return (
            self.grader.outcome is Outcome.UNGRADED
            and self.assessment.outcome is not Outcome.UNGRADED
        )

    @property
    def disagrees(self) -> bool:
        """True when the grader and the judge both decided this answer, differently."""
        if self.judgement is None or self.judgement.verdict is None:
            return False
        grade = decided_grade(self.grader.outcome)
        return grade is not None and grade != self.judgement.verdict.value


async def grade_responses(
    items: Sequence[tuple[Question, ModelResponse]],
    options: GradingOptions,
    judge: Judge | None = None,
    *,
    show_progress: bool = False,
) -> list[GradedResponse]:
    """Grade each (question, response) pair, asking the judge where its mode requires it.

    `show_progress` draws a progress bar of the answers sent to the judge.
    """
    graders = [
        assess_response(
            question,
            response,
            answer_from_reasoning=options.answer_from_reasoning,
            abstention_phrases=options.abstention_phrases,
        )
        for question, response in items
    ]
    if judge is None:
        return [GradedResponse(grader, grader, None) for grader in graders]

    needed = sum(
        _needs_judge(judge, question, grader)
        for (question, _), grader in zip(items, graders, strict=True)
    )
    with tqdm(
        total=needed, unit="answer", desc="judge", disable=not show_progress, dynamic_ncols=True
    ) as bar:
        judgements = await asyncio.gather(
            *(
                _judge_if_needed(judge, question, grader, bar)
                for (question, _), grader in zip(items, graders, strict=True)
            )
        )
    return [
        GradedResponse(_apply(question, grader, judgement), grader, judgement)
        for (question, _), grader, judgement in zip(items, graders, judgements, strict=True)
    ]


def _needs_judge(judge: Judge, question: Question, grader: Assessment) -> bool:
    # Unanswerable questions are decided by rule: every answer to them is incorrect.
    if question.unanswerable or grader.answer is None:
        return False
    wanted = {Outcome.UNGRADED} if judge.config.mode == "ungraded-only" else _AUDITED
    return grader.outcome in wanted


async def _judge_if_needed(
    judge: Judge, question: Question, grader: Assessment, bar: "tqdm[Any]"
) -> Judgement | None:
    if grader.answer is None or not _needs_judge(judge, question, grader):
        return None
    judgement = await judge.judge(question, grader.answer)
    bar.update(1)
    return judgement


def _apply(question: Question, grader: Assessment, judgement: Judgement | None) -> Assessment:
    if grader.outcome is not Outcome.UNGRADED or judgement is None:
        return grader
    if judgement.verdict is None:
        return replace(grader, reason=f"{grader.reason}; {judgement.reason}")

    reason = f"judge: {judgement.verdict.value} (the grader: {grader.reason})"
    if judgement.verdict is Verdict.CORRECT:
        return replace(
            grader, outcome=Outcome.CORRECT, answer_key=canonical_key(question), reason=reason
        )
    if judgement.verdict is Verdict.INCORRECT:
        return replace(grader, outcome=Outcome.INCORRECT, reason=reason)
    return replace(grader, outcome=Outcome.ABSTAINED, answer_key=ABSTAINED_KEY, reason=reason)
