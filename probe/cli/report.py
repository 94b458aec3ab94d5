"""`probe report`: a run's reports, a comparison of runs, or the index of a results folder."""

import argparse
from pathlib import Path
from typing import Any

from probe.compare import COMPARISON_HTML, write_comparison
from probe.errors import ProbeError
from probe.report import console_summary, write_reports
from probe.results_index import write_index
from probe.run_data import load_run


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "report",
        help="Write a run's reports from its samples, compare runs, or index a results folder.",
        description="With one RUN, recompute its summary.json, report.md and report.html from "
        "samples.jsonl, for example after regrading. With several, write one page that "
        "compares them, the first being the reference. With --index RESULTS, write "
        "RESULTS/index.html listing every run.",
    )
    parser.add_argument(
        "runs",
        type=Path,
        nargs="*",
        metavar="RUN",
        help="Run folders, e.g. results/<run-id>.",
    )
    parser.add_argument(
        "--index",
        type=Path,
        metavar="RESULTS",
        help="Write RESULTS/index.html, listing every run in that folder with links to its report.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"With several runs: where to write the comparison (default: {COMPARISON_HTML} "
        "beside the first run's folder).",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.index is not None:
        if args.runs:
            raise ProbeError("give either --index RESULTS or run folders, not both.")
        print(f"Index: {write_index(args.index)}")
        return 0
    if not args.runs:
        raise ProbeError(
            "give a run folder, several to compare, or --index RESULTS. "
            "Example: probe report results/<run-id>"
        )

    if len(args.runs) == 1:
        run = load_run(args.runs[0], recompute=True)
        write_reports(run)
        print(console_summary(run.summary, run.store))
        return 0

    runs = [load_run(path) for path in args.runs]
    output = args.output or args.runs[0].parent / COMPARISON_HTML
    print(f"Comparison: {write_comparison(runs, output)}")
    return 0
