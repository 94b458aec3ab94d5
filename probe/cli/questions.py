"""`probe questions`: work with question-set files."""

import argparse
from pathlib import Path
from typing import Any

from probe.questions import load_question_set


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser("questions", help="Work with question sets.")
    subcommands = parser.add_subparsers(dest="questions_command", required=True, metavar="COMMAND")
    validate = subcommands.add_parser(
        "validate", help="Check question-set files without running anything."
    )
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE")
    validate.set_defaults(handler=validate_files)


def validate_files(args: argparse.Namespace) -> int:
    for path in args.files:
        question_set = load_question_set(path)
        print(f"{path}: {len(question_set)} questions, valid (sha256 {question_set.sha256[:12]}…)")
    return 0
