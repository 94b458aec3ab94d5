"""`probe grade` and `probe regrade`: grade answers made elsewhere, or regrade a finished run."""

import argparse
import asyncio
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from probe.agreement import (
    Pair,
    describe_abstentions,
    describe_agreement,
    measure,
    measure_abstentions,
)
from probe.config import load_judge_config
from probe.grade_file import GradedLine, grade_file, write_graded
from probe.grading_pass import GradingOptions
from probe.judge import Judge
from probe.regrade import regrade_run
from probe.report import console_summary
from probe.store import RunStore


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    grade = commands.add_parser(
        "grade",
        help="Grade answers produced outside probe, one JSONL line each.",
        description="Grade a JSONL file whose lines hold question, answers (the gold answers), "
        "response and optionally answer_type, options, reasoning, id and reference (a grade "
        "to measure against: correct, incorrect, not_attempted, or A, B, C). Writes one "
        "graded line per input line.",
    )
    grade.add_argument("source", type=Path, metavar="IN", help="The JSONL file of answers.")
    grade.add_argument(
        "-o",
        "--output",
        type=Path,
        help="The graded JSONL file to write (default: IN with .graded.jsonl).",
    )
    _add_judge_flags(grade)
    _add_progress_flag(grade)
    grade.add_argument(
        "--answer-from-reasoning",
        action="store_true",
        help="Read the answer from the reasoning field when the response text is empty.",
    )
    grade.add_argument(
        "--abstention-phrase",
        action="append",
        default=[],
        metavar="TEXT",
        help="A phrase that marks an abstention, added to the built-in lexicon; repeatable.",
    )
    grade.set_defaults(handler=handle_grade)

    regrade = commands.add_parser(
        "regrade",
        help="Regrade a finished run from its stored responses, without querying the model.",
        description="Regrade a run folder with the current grader and, when configured, the "
        "LLM judge; then recompute summary.json and the reports. The first regrade keeps "
        "the original samples in samples.original.jsonl.",
    )
    regrade.add_argument(
        "run_dir", type=Path, metavar="RUN", help="A run folder, e.g. results/<run-id>."
    )
    _add_judge_flags(regrade)
    _add_progress_flag(regrade)
    regrade.add_argument(
        "--no-judge",
        action="store_true",
        help="Grade without a judge, even when the run's config has one.",
    )
    regrade.set_defaults(handler=handle_regrade)


def _add_judge_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--judge",
        type=Path,
        metavar="CONFIG",
        help="YAML config of an LLM judge (its endpoint and mode), or a run config with a "
        "grading.judge section; see docs/grading.md.",
    )


def _add_progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-progress", action="store_true", help="Hide the progress bar of the judge."
    )


def handle_grade(args: argparse.Namespace) -> int:
    options = GradingOptions(
        answer_from_reasoning=args.answer_from_reasoning,
        abstention_phrases=tuple(args.abstention_phrase),
    )
    output = args.output or args.source.with_suffix(".graded.jsonl")
    lines = asyncio.run(_grade(args.source, options, args.judge, not args.no_progress))
    write_graded(lines, output)
    print(grade_summary(lines))
    print(f"Graded answers: {output}")
    return 0


async def _grade(
    source: Path, options: GradingOptions, judge_path: Path | None, show_progress: bool
) -> list[GradedLine]:
    judge = Judge.connect(load_judge_config(judge_path)) if judge_path else None
    try:
        return await grade_file(source, options, judge, show_progress=show_progress)
    finally:
        if judge is not None:
            await judge.aclose()


def grade_summary(lines: list[GradedLine]) -> str:
    """Return the outcome counts and, for lines with a reference, the agreement figures."""
    outcomes = Counter(line.graded.assessment.outcome.value for line in lines)
    text = [
        f"{len(lines)} answers: "
        + ", ".join(f"{count} {outcome}" for outcome, count in outcomes.most_common())
    ]
    judged = [line for line in lines if line.graded.judgement is not None]
    if judged:
        disagree = sum(1 for line in judged if line.graded.disagrees)
        text.append(f"judged {len(judged)}; the grader and the judge disagree on {disagree}")

    referenced = [line for line in lines if line.item.reference is not None]
    if referenced:
        text += ["", "Against the reference grades:", *_agreement_lines(referenced)]
    return "\n".join(text)


def _agreement_lines(lines: list[GradedLine]) -> list[str]:
    # The deterministic grader is measured, not the judge: the judge's grades are the
    # reference in the usual use.
    pairs = [
        Pair(line.graded.grader.outcome, line.item.reference)
        for line in lines
        if line.item.reference
    ]
    text = describe_agreement(measure(pairs))
    by_type: dict[str, list[Pair]] = defaultdict(list)
    for line, pair in zip(lines, pairs, strict=True):
        by_type[line.question.answer_type].append(pair)

    text.append("")
    for answer_type, type_pairs in sorted(by_type.items()):
        text.append(f"{answer_type}: {describe_agreement(measure(type_pairs))[0]}")
    return [*text, "", *describe_abstentions(measure_abstentions(pairs))]


def handle_regrade(args: argparse.Namespace) -> int:
    judge_config = load_judge_config(args.judge) if args.judge else None
    result, summary = asyncio.run(
        regrade_run(
            args.run_dir,
            judge_config=judge_config,
            use_judge=not args.no_judge,
            show_progress=not args.no_progress,
        )
    )
    print(
        f"Regraded {result.samples} samples: {result.changed} changed outcome or answer key; "
        f"judged {result.judged}, of which the judge decided {result.judge_decided}."
    )
    if result.both_decided:
        print(
            f"Grader audit: {result.disagreements} of {result.both_decided} samples decided by "
            "both the grader and the judge disagree."
        )
    print(console_summary(summary, RunStore(args.run_dir)))
    return 0
