"""`probe questions`: convert, check and count question-set files."""

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from probe.converters import FORMATS, MAPPABLE_FIELDS, ConvertOptions, convert_file, write_questions
from probe.errors import QuestionSetError
from probe.questions import ANSWER_TYPES, MAX_REPORTED_PROBLEMS, QuestionSet, load_question_set

logger = logging.getLogger(__name__)

# Tags listed by `probe questions stats`; the rest are counted together.
MAX_TAGS_SHOWN = 15


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser("questions", help="Convert, check and count question sets.")
    subcommands = parser.add_subparsers(dest="questions_command", required=True, metavar="COMMAND")

    validate = subcommands.add_parser(
        "validate", help="Check question-set files without running anything."
    )
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE")
    validate.set_defaults(handler=validate_files)

    stats = subcommands.add_parser(
        "stats", help="Count a question set's questions by answer type, language and tag."
    )
    stats.add_argument("files", type=Path, nargs="+", metavar="FILE")
    stats.set_defaults(handler=show_stats)

    _add_convert_parser(subcommands)


def _add_convert_parser(subcommands: "argparse._SubParsersAction[Any]") -> None:
    convert = subcommands.add_parser(
        "convert",
        help="Convert a standard question set, or any CSV or JSONL file, to probe's JSONL.",
        description="Convert a question file you downloaded to probe's JSONL format. probe "
        "never downloads a set; docs/grading.md says where the public sets are published.",
    )
    convert.add_argument("source", type=Path, metavar="FILE", help="The file to convert.")
    convert.add_argument(
        "--from",
        dest="format",
        required=True,
        choices=FORMATS,
        help="The file's format: simpleqa (the SimpleQA CSV), chinese-simpleqa (its JSONL), "
        "mmlu (question, options, answer letter), or csv and jsonl with --map.",
    )
    convert.add_argument(
        "-o", "--output", type=Path, required=True, help="The probe JSONL file to write."
    )
    convert.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="For csv and jsonl: which column fills a field, e.g. --map question=problem "
        f"--map answers=answer --map options=A,B,C,D. Fields: {', '.join(MAPPABLE_FIELDS)}.",
    )
    convert.add_argument(
        "--language", help="BCP 47 tag for rows without one, e.g. en or zh-Hans (default: en)."
    )
    convert.add_argument(
        "--answer-type",
        choices=ANSWER_TYPES,
        help="Answer type for rows without one (default: inferred from the gold answers).",
    )
    convert.add_argument(
        "--alias-separator",
        metavar="TEXT",
        help='Split a gold-answer cell into aliases at TEXT, e.g. "|".',
    )
    convert.add_argument(
        "--skip-invalid",
        action="store_true",
        help="Write the rows that convert and list the others, instead of writing nothing.",
    )
    convert.set_defaults(handler=convert_questions)


def validate_files(args: argparse.Namespace) -> int:
    for path in args.files:
        question_set = load_question_set(path)
        print(f"{path}: {len(question_set)} questions, valid (sha256 {question_set.sha256[:12]}…)")
    return 0


def show_stats(args: argparse.Namespace) -> int:
    for path in args.files:
        print(format_stats(load_question_set(path)))
    return 0


def format_stats(question_set: QuestionSet) -> str:
    """Return the counts of a question set by answer type, language and tag, as text."""
    questions = question_set.questions
    lines = [f"{question_set.path}: {len(questions)} questions"]
    unanswerable = sum(1 for question in questions if question.unanswerable)
    lines.append(f"  unanswerable: {unanswerable}")
    lines += _counts("answer type", Counter(question.answer_type for question in questions))
    lines += _counts("language", Counter(question.language for question in questions))

    tags = Counter(tag for question in questions for tag in question.tags)
    shown = Counter(dict(tags.most_common(MAX_TAGS_SHOWN)))
    lines += _counts("tag", shown)
    if len(tags) > len(shown):
        rest = sum(tags.values()) - sum(shown.values())
        lines.append(f"    … {len(tags) - len(shown)} more tags on {rest} question(s)")
    return "\n".join(lines)


def _counts(title: str, counts: Counter[str]) -> list[str]:
    if not counts:
        return [f"  {title}: none"]
    width = max(len(name) for name in counts)
    rows = [f"    {name:<{width}}  {count}" for name, count in counts.most_common()]
    return [f"  by {title}:", *rows]


def convert_questions(args: argparse.Namespace) -> int:
    options = ConvertOptions(
        format=args.format,
        mapping=_parse_mapping(args.map),
        language=args.language,
        answer_type=args.answer_type,
        alias_separator=args.alias_separator,
    )
    conversion = convert_file(args.source, options)
    if conversion.problems and not args.skip_invalid:
        raise QuestionSetError(_problem_summary(args.source, conversion.problems, written=False))
    if not conversion.questions:
        raise QuestionSetError(f"{args.source}: no question could be converted.")

    write_questions(conversion.questions, args.output)
    if conversion.problems:
        logger.warning(_problem_summary(args.source, conversion.problems, written=True))
    print(f"{args.output}: wrote {len(conversion.questions)} questions from {args.source}")
    print(format_stats(load_question_set(args.output)))
    return 0


def _parse_mapping(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        name, separator, column = item.partition("=")
        if not separator or not name.strip() or not column.strip():
            raise QuestionSetError(
                f"invalid --map {item!r}: write FIELD=COLUMN, e.g. --map question=problem."
            )
        mapping[name.strip()] = column.strip()
    return mapping


def _problem_summary(source: Path, problems: tuple[str, ...], *, written: bool) -> str:
    shown = problems[:MAX_REPORTED_PROBLEMS]
    action = "skipped" if written else "could not be converted"
    hint = "" if written else " Fix them, or pass --skip-invalid to write the other rows."
    lines = [f"{source}: {len(problems)} row(s) {action}.{hint}", *(f"  {p}" for p in shown)]
    if len(problems) > len(shown):
        lines.append(f"  … and {len(problems) - len(shown)} more.")
    return "\n".join(lines)
