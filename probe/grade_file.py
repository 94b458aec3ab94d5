"""Grade answers produced outside probe: one JSONL line per answer in, one graded line out.

Each input line holds a question, its gold answers, an optional answer type (inferred from
the gold answers when missing) and the response text. A line may also carry a reference
grade from a judge or a person (correct, incorrect, not_attempted, or the SimpleQA letters
A, B, C); probe's grades are then measured against it (probe.agreement).
"""

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from probe.agreement import Reference
from probe.errors import QuestionSetError
from probe.grading import infer_answer_type
from probe.grading.normalize import has_cjk
from probe.grading_pass import GradedResponse, GradingOptions, grade_responses
from probe.judge import Judge
from probe.questions import AnswerType, Question, describe_question_error
from probe.responses import ModelResponse

_LETTER_REFERENCES: dict[str, Reference] = {
    "a": "correct",
    "b": "incorrect",
    "c": "not_attempted",
    "not attempted": "not_attempted",
}


class GradeInput(BaseModel):
    """One answer to grade, as one line of the input JSONL file."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="Copied to the output line.")
    question: str = Field(min_length=1)
    answers: tuple[str, ...] = Field(description="The gold answers; a string is one answer.")
    answer_type: AnswerType | None = Field(
        default=None, description="How the answer is compared; inferred when missing."
    )
    response: str = Field(description="The response text; <think> blocks are removed.")
    reasoning: str | None = Field(
        default=None, description="A separate reasoning field of the response, if any."
    )
    language: str | None = Field(default=None, description="BCP 47 tag; guessed when missing.")
    options: tuple[str, ...] = Field(default=(), description="The options of a choice question.")
    unanswerable: bool = False
    reference: Reference | None = Field(
        default=None, description="A grade from elsewhere to measure probe's grades against."
    )
    metadata: dict[str, Any] = Field(default_factory=dict, description="Copied to the output.")

    @field_validator("answers", mode="before")
    @classmethod
    def _one_answer(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("reference", mode="before")
    @classmethod
    def _letter_reference(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _LETTER_REFERENCES.get(value.strip().casefold(), value.strip().casefold())
        return value

    def to_question(self, line: int) -> Question:
        answer_type = self.answer_type
        if answer_type is None:
            answer_type = (
                "choice" if self.options else infer_answer_type(self.question, self.answers)
            )
        return Question(
            id=self.id or f"line-{line}",
            question=self.question,
            answers=self.answers,
            answer_type=answer_type,
            language=self.language or ("zh" if has_cjk(self.question) else "en"),
            unanswerable=self.unanswerable,
            options=self.options,
        )


@dataclass(frozen=True)
class GradedLine:
    """One input line with its question and grades."""

    line: int
    item: GradeInput
    question: Question
    graded: GradedResponse


def read_inputs(path: Path) -> list[tuple[int, GradeInput, Question]]:
    """Read and check the input file; every bad line is reported at once.

    Raises QuestionSetError naming the file, each bad line and the fix.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise QuestionSetError(f"{path}: cannot read the answers to grade ({reason}).") from None

    inputs: list[tuple[int, GradeInput, Question]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = GradeInput.model_validate(json.loads(line))
            inputs.append((number, item, item.to_question(number)))
        except json.JSONDecodeError as error:
            problems.append(f"{path}:{number}: invalid JSON ({error.msg} at column {error.colno}).")
        except ValidationError as error:
            model = GradeInput if error.title == GradeInput.__name__ else Question
            problems.append(f"{path}:{number}: {describe_question_error(error, model)}")
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems[:20])
        raise QuestionSetError(f"{path}: {len(problems)} invalid line(s):\n{listed}")
    if not inputs:
        raise QuestionSetError(f"{path}: no answers to grade. Give one JSON object per line.")
    return inputs


async def grade_file(
    path: Path, options: GradingOptions, judge: Judge | None = None, *, show_progress: bool = False
) -> list[GradedLine]:
    """Grade every line of a JSONL file of answers with the same pass that grades runs.

    `show_progress` draws a progress bar of the answers sent to the judge.
    """
    inputs = read_inputs(path)
    pairs = [
        (question, ModelResponse(content=item.response, reasoning=item.reasoning))
        for _, item, question in inputs
    ]
    graded = await grade_responses(pairs, options, judge, show_progress=show_progress)
    return [
        GradedLine(line, item, question, result)
        for (line, item, question), result in zip(inputs, graded, strict=True)
    ]


def write_graded(lines: list[GradedLine], path: Path) -> None:
    """Write one JSON line per graded answer: the outcome, its reason and the answer key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(_output_record(line), ensure_ascii=False) + "\n")


def _output_record(line: GradedLine) -> dict[str, Any]:
    assessment = line.graded.assessment
    record: dict[str, Any] = {
        "line": line.line,
        "id": line.item.id,
        "answer_type": line.question.answer_type,
        "outcome": assessment.outcome.value,
        "reason": assessment.reason,
        "answer": assessment.answer,
        "answer_key": assessment.answer_key,
    }
    judgement = line.graded.judgement
    if judgement is not None:
        record["grader_outcome"] = line.graded.grader.outcome.value
        record["judge"] = {
            "verdict": judgement.verdict.value if judgement.verdict else None,
            "reason": judgement.reason,
            "reply": unicodedata.normalize("NFC", judgement.reply),
            "attempts": judgement.attempts,
        }
    if line.item.reference is not None:
        record["reference"] = line.item.reference
    if line.item.metadata:
        record["metadata"] = line.item.metadata
    return record
