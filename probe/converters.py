"""Convert standard question sets, and CSV or JSONL files with a field mapping, to probe JSONL.

probe never downloads a set: the user brings the file. Formats:

- simpleqa: the SimpleQA CSV (columns metadata, problem, answer). The metadata column is
  a Python dict literal with the topic and the answer type (Person, Number, Date, Place,
  Other).
- chinese-simpleqa: the Chinese SimpleQA JSONL (id, question, answer, primary_category,
  secondary_category).
- mmlu: MMLU-style CSV rows of a question, two or more options and the answer letter, with
  or without a header row.
- csv, jsonl: any file, given `mapping` from probe's fields to the file's columns. A csv
  file whose header line has more tabs than commas is read as TSV.

A question without an answer type gets one inferred from its gold answers.
"""

import ast
import csv
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ValidationError

from probe.errors import QuestionSetError
from probe.grading.answer_types import infer_answer_type
from probe.questions import OPTION_LETTERS, Question, describe_question_error, guess_column

Format = Literal["simpleqa", "chinese-simpleqa", "mmlu", "csv", "jsonl"]
FORMATS: tuple[str, ...] = get_args(Format)
# probe's fields that a mapping may fill. options and tags take several columns, joined by
# commas in the mapping ("options=A,B,C,D").
MAPPABLE_FIELDS = (
    "id",
    "question",
    "answers",
    "answer_type",
    "language",
    "tags",
    "options",
    "format_instruction",
    "unanswerable",
)
_SIMPLEQA_TYPES = {
    "person": "person",
    "place": "place",
    "number": "number",
    "date": "date",
    "other": "text",
}


@dataclass(frozen=True)
class ConvertOptions:
    """How to read a file: its format, and for csv and jsonl which column fills which field."""

    format: Format
    mapping: Mapping[str, str] = field(default_factory=dict)
    # Used where the file gives none: a BCP 47 tag, and an answer type (else inferred).
    language: str | None = None
    answer_type: str | None = None
    # Splits one gold-answer cell into aliases, e.g. "|" for "Paris|Paris, France".
    alias_separator: str | None = None


@dataclass(frozen=True)
class Conversion:
    """The questions read from a file, and a message for every row that could not be read."""

    questions: tuple[Question, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, Any]


def convert_file(path: Path, options: ConvertOptions) -> Conversion:
    """Read a question file in the given format; each problem names its file and line.

    Raises QuestionSetError when the file cannot be read at all or a mapping is invalid.
    """
    _check_mapping(options)
    questions: list[Question] = []
    problems: list[str] = []
    seen: dict[str, int] = {}

    for row in _rows(path, options.format):
        if not seen and not problems:
            _check_columns(path, row, options.format)
        where = f"{path}:{row.line}"
        try:
            question = _question(path, row, options)
        except (QuestionSetError, ValidationError) as error:
            problems.append(f"{where}: {_message(error)}")
            continue
        if question.id in seen:
            problems.append(
                f"{where}: duplicate id {question.id!r}, first on line {seen[question.id]}. "
                "Map a column with unique values to id."
            )
            continue
        seen[question.id] = row.line
        questions.append(question)
    return Conversion(tuple(questions), tuple(problems))


def write_questions(questions: tuple[Question, ...], path: Path) -> None:
    """Write questions as probe JSONL, leaving out fields that have their default value."""
    lines = [
        json.dumps(question.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
        for question in questions
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check_mapping(options: ConvertOptions) -> None:
    unknown = sorted(set(options.mapping) - set(MAPPABLE_FIELDS))
    if unknown:
        raise QuestionSetError(
            f"unknown field(s) in the mapping: {', '.join(unknown)}. Map any of: "
            f"{', '.join(MAPPABLE_FIELDS)}."
        )
    if options.format in ("csv", "jsonl"):
        missing = [name for name in ("question", "answers") if name not in options.mapping]
        if missing:
            raise QuestionSetError(
                f"the {options.format} format needs a mapping for {' and '.join(missing)}, "
                "e.g. --map question=problem --map answers=answer."
            )


# The columns or fields each fixed format reads from every row.
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "simpleqa": ("problem", "answer"),
    "chinese-simpleqa": ("question", "answer"),
}


def _check_columns(path: Path, row: _Row, format: Format) -> None:
    """Raise once, naming the columns found, when the first row lacks a column `format` reads.

    Without this, a file with other column names gets one "missing column" error per row.
    """
    required = _REQUIRED_COLUMNS.get(format, ())
    found = [str(name) for name in row.values]
    missing = [name for name in required if name not in found]
    if not missing:
        return

    kind = "jsonl" if format == "chinese-simpleqa" else "csv"
    noun = "field" if kind == "jsonl" else "column"
    line = row.line if kind == "jsonl" else 1  # a CSV file names its columns on line 1
    raise QuestionSetError(
        f"{path}:{line}: the {format} format reads the {noun}s {' and '.join(required)}, "
        f"but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing. "
        f"The {noun}s found are: {', '.join(found) or 'none'}. To read other {noun}s, "
        f"use --from {kind} and map them to probe's fields, e.g. --from {kind} "
        f"--map question={guess_column(found, 'question')} "
        f"--map answers={guess_column(found, 'answers')}."
    )


def _message(error: QuestionSetError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return describe_question_error(error)
    return str(error)


# --- Reading rows ---


def _rows(path: Path, format: Format) -> Iterator[_Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise QuestionSetError(f"{path}: cannot read the file ({reason}).") from None

    if format in ("chinese-simpleqa", "jsonl"):
        yield from _jsonl_rows(path, text)
    elif format == "mmlu":
        yield from _mmlu_rows(text)
    else:
        yield from _csv_rows(text)


def _jsonl_rows(path: Path, text: str) -> Iterator[_Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionSetError(
                f"{path}:{number}: invalid JSON ({error.msg} at column {error.colno}). Each "
                "line must be one JSON object."
            ) from None
        if isinstance(record, dict):
            yield _Row(number, record)
        else:
            raise QuestionSetError(f"{path}:{number}: expected a JSON object on each line.")


def _csv_rows(text: str) -> Iterator[_Row]:
    lines = text.splitlines()
    first = lines[0] if lines else ""
    # A TSV file reads the same way, split at tabs.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    for record in reader:
        yield _Row(reader.line_num, {key.strip(): value for key, value in record.items() if key})


def _mmlu_rows(text: str) -> Iterator[_Row]:
    # Hendrycks' MMLU files have no header: question, options…, answer letter. A header row
    # names its columns question, A, B, …, answer.
    reader = csv.reader(text.splitlines())
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if reader.line_num == 1 and _is_mmlu_header(cells):
            continue
        yield _Row(reader.line_num, {"cells": cells})


def _is_mmlu_header(cells: list[str]) -> bool:
    names = [cell.strip().casefold() for cell in cells]
    return names[0] == "question" and names[-1] == "answer"


# --- One row to one question ---


def _question(path: Path, row: _Row, options: ConvertOptions) -> Question:
    if options.format == "simpleqa":
        record = _simpleqa_record(row)
    elif options.format == "chinese-simpleqa":
        record = _chinese_simpleqa_record(row)
    elif options.format == "mmlu":
        record = _mmlu_record(path, row)
    else:
        record = _mapped_record(row, options)

    record.setdefault("language", options.language or "en")
    if options.answer_type and "answer_type" not in record:
        record["answer_type"] = options.answer_type
    if "answer_type" not in record:
        record["answer_type"] = infer_answer_type(
            str(record.get("question", "")), record["answers"]
        )
    return Question.model_validate(record)


def _simpleqa_record(row: _Row) -> dict[str, Any]:
    values = row.values
    metadata = _python_dict(values.get("metadata", ""))
    answer = _required(values, "answer")
    question = _required(values, "problem")
    record: dict[str, Any] = {
        "id": f"simpleqa-{row.line - 1:04d}",
        "question": question,
        "answers": [answer],
        "language": "en",
        "tags": [metadata["topic"]] if metadata.get("topic") else [],
        "metadata": {key: value for key, value in metadata.items() if key != "topic"},
    }
    kind = _SIMPLEQA_TYPES.get(str(metadata.get("answer_type", "")).casefold())
    inferred = infer_answer_type(question, [answer])
    # SimpleQA's Date covers years; its Number also covers ranks such as "15th place".
    if kind == "date" and inferred == "year":
        kind = "year"
    if kind in ("date", "number") and inferred != kind:
        kind = "text"
    if kind is not None:
        record["answer_type"] = kind
    return record


def _python_dict(text: str) -> dict[str, Any]:
    # The metadata cell is a Python literal ("{'topic': 'Art', ...}"), not JSON.
    try:
        value = ast.literal_eval(text) if text.strip() else {}
    except (ValueError, SyntaxError):
        raise QuestionSetError(
            f"the metadata column is not a Python dict literal: {text[:60]!r}"
        ) from None
    if not isinstance(value, dict):
        raise QuestionSetError(f"the metadata column is not a dict: {text[:60]!r}")
    return value


def _chinese_simpleqa_record(row: _Row) -> dict[str, Any]:
    values = row.values
    categories = [
        str(values[name]) for name in ("primary_category", "secondary_category") if values.get(name)
    ]
    record: dict[str, Any] = {
        "id": str(values.get("id") or f"chinese-simpleqa-{row.line:04d}"),
        "question": _required(values, "question"),
        "answers": [_required(values, "answer")],
        "language": "zh-Hans",
        "tags": categories,
    }
    if values.get("urls"):
        record["metadata"] = {"urls": values["urls"]}
    return record


def _mmlu_record(path: Path, row: _Row) -> dict[str, Any]:
    cells = [cell.strip() for cell in row.values["cells"]]
    if len(cells) < 4:
        raise QuestionSetError(
            f"expected a question, at least two options and an answer letter, found "
            f"{len(cells)} column(s)"
        )
    question, options, letter = cells[0], cells[1:-1], cells[-1].upper()
    if letter not in OPTION_LETTERS[: len(options)]:
        raise QuestionSetError(
            f"the last column must be the answer letter A–{OPTION_LETTERS[len(options) - 1]}, "
            f"found {cells[-1]!r}"
        )
    subject = re.sub(r"_(?:test|dev|val|validation|train)$", "", path.stem)
    return {
        "id": f"{subject}-{row.line:04d}",
        "question": question,
        "answers": [letter],
        "answer_type": "choice",
        "options": options,
        "tags": [subject],
    }


def _mapped_record(row: _Row, options: ConvertOptions) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, column in options.mapping.items():
        if name in ("options", "tags") and "," in column:
            record[name] = [_cell(row.values, part.strip()) for part in column.split(",")]
        else:
            record[name] = _cell(row.values, column)

    record["answers"] = _aliases(record["answers"], options.alias_separator)
    record.setdefault("id", f"row-{row.line:05d}")
    record["id"] = str(record["id"])
    for name in ("tags", "options"):
        if isinstance(record.get(name), str):
            record[name] = [record[name]] if record[name] else []
    if isinstance(record.get("unanswerable"), str):
        record["unanswerable"] = record["unanswerable"].strip().casefold() in ("1", "true", "yes")
    return record


def _cell(values: Mapping[str, Any], column: str) -> Any:
    if column not in values:
        raise QuestionSetError(
            f"column {column!r} not found; the row has: {', '.join(map(str, values))}"
        )
    return values[column]


def _aliases(value: Any, separator: str | None) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    text = str(value)
    parts = text.split(separator) if separator else [text]
    return [part.strip() for part in parts if part.strip()]


def _required(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None or not str(value).strip():
        raise QuestionSetError(f'missing or empty column "{name}"')
    return str(value).strip()
