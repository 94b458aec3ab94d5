"""Question records and the loader for question-set JSONL files.

The format is documented in docs/formats.md. Loading collects every problem in the file
before raising, so that one pass over the errors fixes the whole file.
"""

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from probe.errors import QuestionSetError
from probe.input_errors import closest, describe

AnswerType = Literal["date", "year", "number", "person", "place", "text", "choice"]
ANSWER_TYPES: tuple[str, ...] = get_args(AnswerType)

# Choice options are lettered A to Z.
OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# A file with more problems than this is reported in part; the rest follow once these are fixed.
MAX_REPORTED_PROBLEMS = 20


class Question(BaseModel):
    """One question of a question set, as stored in one JSONL line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Unique id within the set.")
    question: str = Field(min_length=1, description="The question text sent to the model.")
    answers: tuple[str, ...] = Field(
        description="Every acceptable gold answer; the first is the canonical form in reports."
    )
    answer_type: AnswerType = Field(description="How answers are parsed and compared.")
    format_instruction: str | None = Field(
        default=None, description='Added to the prompt, for example "Answer in DD-MM format."'
    )
    language: str = Field(min_length=2, description="BCP 47 tag such as en, zh-Hant or zh-Hans.")
    unanswerable: bool = Field(
        default=False, description="True when abstaining is the only right response."
    )
    tags: tuple[str, ...] = Field(default=(), description="Free labels for filtering reports.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Anything else to keep.")
    options: tuple[str, ...] = Field(
        default=(),
        description="The options of a choice question, in letter order A, B, C, …; its "
        "answers are letters.",
    )

    @model_validator(mode="after")
    def _check_answers(self) -> "Question":
        if not self.unanswerable and not self.answers:
            raise ValueError(
                "answers is empty on an answerable question: give at least one gold answer, "
                'or set "unanswerable": true'
            )
        return self

    @model_validator(mode="after")
    def _check_options(self) -> "Question":
        if self.answer_type != "choice":
            if self.options:
                raise ValueError(
                    f'options are set but answer_type is "{self.answer_type}": set answer_type '
                    'to "choice" or remove options'
                )
            return self

        if not 2 <= len(self.options) <= len(OPTION_LETTERS):
            raise ValueError(
                f"a choice question needs 2 to {len(OPTION_LETTERS)} options, found "
                f"{len(self.options)}"
            )
        letters = OPTION_LETTERS[: len(self.options)]
        wrong = [answer for answer in self.answers if answer not in letters]
        if wrong:
            raise ValueError(
                f"the answers of a choice question are option letters {letters[0]}–{letters[-1]}, "
                f'found {wrong}: write the letter of the right option, e.g. "B"'
            )
        return self

    def lettered_options(self) -> list[tuple[str, str]]:
        """Return (letter, option text) pairs: ("A", first option), ("B", second), …."""
        return list(zip(OPTION_LETTERS, self.options, strict=False))


@dataclass(frozen=True)
class QuestionSet:
    """A loaded question set with the SHA-256 of its file, which identifies it in results."""

    path: Path
    questions: tuple[Question, ...]
    sha256: str

    @property
    def name(self) -> str:
        return self.path.stem

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)


def load_question_set(path: str | Path) -> QuestionSet:
    """Load and validate a question-set JSONL file.

    Raises QuestionSetError naming the file, each bad line and how to fix it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise QuestionSetError(
            f"{path}: cannot read the question set ({error.strerror})."
        ) from None

    questions, problems = _parse_lines(path, data)
    if problems:
        _raise_if_tabular(path, data)
    if not questions and not problems:
        problems.append(f"{path}: the file has no questions. Add one JSON object per line.")
    if problems:
        raise QuestionSetError(_summarise_problems(path, problems))

    return QuestionSet(
        path=path, questions=tuple(questions), sha256=hashlib.sha256(data).hexdigest()
    )


def _raise_if_tabular(path: Path, data: bytes) -> None:
    """Raise one QuestionSetError naming the fix when a file that failed as JSONL is a table.

    A CSV or TSV file would otherwise get one "invalid JSON" message per line.
    """
    text = data.decode("utf-8-sig", errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return
    suffix = path.suffix.lower()
    delimiter = "\t" if suffix == ".tsv" or ("\t" in first and "," not in first) else ","
    if suffix not in (".csv", ".tsv") and delimiter not in first:
        return

    kind = "TSV" if delimiter == "\t" else "CSV"
    columns = [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter))]
    raise QuestionSetError(
        f"{path}: this looks like a {kind} file (first line: {', '.join(columns)}), but a "
        "question set is JSONL, one JSON object per line. Convert it first:\n"
        f"  {_convert_command(path, columns, kind)}\n"
        "Run probe questions convert --help for the formats; docs/formats.md describes "
        "the fields."
    )


def _convert_command(path: Path, columns: list[str], kind: str) -> str:
    output = path.with_suffix(".jsonl")
    names = {column.casefold() for column in columns}
    if {"metadata", "problem", "answer"} <= names:
        return f"probe questions convert {path} --from simpleqa -o {output}"
    if names.isdisjoint(_USUAL_COLUMNS["question"]) and kind == "CSV":
        # A row of question, options and an answer letter, without a header, as MMLU ships.
        last = columns[-1].strip()
        if len(columns) >= 3 and len(last) == 1 and last.upper() in OPTION_LETTERS:
            return f"probe questions convert {path} --from mmlu -o {output}"
    question = guess_column(columns, "question")
    answer = guess_column(columns, "answers")
    return (
        f"probe questions convert {path} --from csv --map question={question} "
        f"--map answers={answer} -o {output}"
    )


# Column names that usually hold a field, by field, for the --map example in a message.
_USUAL_COLUMNS = {
    "question": ("question", "problem", "prompt", "query", "input"),
    "answers": ("answer", "answers", "gold", "target", "label", "output"),
}


def guess_column(columns: list[str], field: str) -> str:
    """Return the column that most likely holds `field`, or a placeholder such as ANSWERS_COLUMN."""
    for name in _USUAL_COLUMNS.get(field, (field,)):
        for column in columns:
            if column.casefold() == name:
                return column
    return f"{field.upper()}_COLUMN"


def _parse_lines(path: Path, data: bytes) -> tuple[list[Question], list[str]]:
    questions: list[Question] = []
    problems: list[str] = []
    first_line_of_id: dict[str, int] = {}

    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            question = _parse_record(where, line)
        except QuestionSetError as error:
            problems.append(str(error))
            continue

        if question.id in first_line_of_id:
            problems.append(
                f"{where}: duplicate id {question.id!r}, first used on line "
                f"{first_line_of_id[question.id]}. Give every question a unique id."
            )
            continue
        first_line_of_id[question.id] = number
        questions.append(question)

    return questions, problems


def _parse_record(where: str, line: str) -> Question:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise QuestionSetError(
            f"{where}: invalid JSON ({error.msg} at column {error.colno}). "
            "Each line must be one complete JSON object."
        ) from None
    if not isinstance(record, dict):
        raise QuestionSetError(
            f"{where}: expected a JSON object, found {type(record).__name__}. "
            "Each line must be one JSON object."
        )

    try:
        return Question.model_validate(record)
    except ValidationError as error:
        raise QuestionSetError(f"{where}: {_describe_validation_error(error, Question)}") from None


def describe_question_error(
    error: ValidationError, model: type[BaseModel] | None = None
) -> str:
    """Describe why a record is invalid: each field, the problem and the fix.

    `model` is the model the record was validated as, Question unless given.
    """
    return _describe_validation_error(error, model or Question)


def _describe_validation_error(error: ValidationError, model: type[BaseModel]) -> str:
    messages = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        kind = item["type"]
        if kind == "missing":
            messages.append(f'missing field "{field}". Add it (see docs/formats.md).')
        elif kind == "literal_error" and field == "answer_type":
            close = closest(str(item["input"]), ANSWER_TYPES)
            messages.append(
                f"unknown {field} {item['input']!r}. "
                + (f'Did you mean "{close}"? ' if close else "")
                + f"Use one of: {', '.join(ANSWER_TYPES)}."
            )
        elif kind == "extra_forbidden":
            close = closest(field, list(model.model_fields))
            keep = ', or move it into "metadata"' if "metadata" in model.model_fields else ""
            messages.append(
                f'unknown field "{field}". '
                + (f'Did you mean "{close}"? ' if close else "")
                + f"Check its spelling{keep}."
            )
        elif not field:
            # A check of the whole record, whose message names the fields and the fix.
            messages.append(f"{describe(item, model)}.")
        else:
            messages.append(f'field "{field}": {describe(item, model)}.')
    return " ".join(messages)


def _summarise_problems(path: Path, problems: list[str]) -> str:
    shown = problems[:MAX_REPORTED_PROBLEMS]
    header = f"{path}: {len(problems)} problem(s) in the question set:"
    lines = [header, *(f"  {problem}" for problem in shown)]
    if len(problems) > len(shown):
        lines.append(f"  ... and {len(problems) - len(shown)} more.")
    return "\n".join(lines)
