"""Grade one answer text by its question's answer type, and assess one model response."""

from collections.abc import Sequence
from dataclasses import dataclass

from probe.answers import AnswerSource, extract_answer
from probe.consistency import ABSTAINED_KEY
from probe.grading.choice import grade_choice
from probe.grading.dates import grade_date
from probe.grading.grade import Grade
from probe.grading.normalize import normalize_text, text_key
from probe.grading.numbers import grade_number
from probe.grading.text import grade_text
from probe.outcomes import Outcome
from probe.questions import Question
from probe.responses import ModelResponse


@dataclass(frozen=True)
class Assessment:
    """The outcome of one sampled response, with the answer and key the runner records."""

    outcome: Outcome
    answer: str | None
    # None unless there is an answer. Abstentions get ABSTAINED_KEY.
    answer_key: str | None
    source: AnswerSource | None
    reason: str


def assess_response(
    question: Question,
    response: ModelResponse,
    *,
    answer_from_reasoning: bool = False,
    abstention_phrases: Sequence[str] = (),
) -> Assessment:
    """Extract the answer of one response and grade it against the question.

    Outcomes that need no grading (abstained, refused, truncated, empty) come from
    extraction, with `abstention_phrases` added to the abstention lexicon. Any answer to an
    unanswerable question is INCORRECT.
    """
    extraction = extract_answer(
        response,
        answer_from_reasoning=answer_from_reasoning,
        question=question,
        abstention_phrases=abstention_phrases,
    )
    if extraction.outcome is not None:
        key = ABSTAINED_KEY if extraction.outcome is Outcome.ABSTAINED else None
        return Assessment(
            extraction.outcome, extraction.answer, key, extraction.source, extraction.reason
        )

    # An extraction without an outcome always carries the answer text.
    answer = extraction.answer or ""
    grade = grade_answer(question, answer)
    return Assessment(grade.outcome, answer, grade.answer_key, extraction.source, grade.reason)


def grade_answer(question: Question, answer: str) -> Grade:
    """Grade an answer text by the question's answer type.

    Years and numbers compare parsed values, dates their parsed parts, choices the option
    letter, and person, place and text answers normalised words. A year, number or date
    question whose gold answers hold no such value is graded as text. Any answer to an
    unanswerable question is INCORRECT, with the key its type would give.
    """
    grade: Grade | None = None
    if question.answer_type == "choice":
        grade = grade_choice(question, answer)
    elif question.answer_type in ("year", "number"):
        grade = grade_number(question, answer)
    elif question.answer_type == "date":
        grade = grade_date(question, answer)
    if grade is None:
        grade = grade_text(question, answer)

    if question.unanswerable:
        return Grade(Outcome.INCORRECT, "answered an unanswerable question", grade.answer_key)
    return grade


def canonical_key(question: Question) -> str:
    """Return the answer key that correct answers to the question get."""
    if not question.answers:
        return ""
    grade = grade_answer(question, question.answers[0])
    if grade.outcome is Outcome.CORRECT:
        return grade.answer_key
    return text_key(normalize_text(question.answers[0]))
