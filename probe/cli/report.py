"""`probe report`: recompute a run's summary.json and report.md from its samples."""

import argparse
from pathlib import Path
from typing import Any

from probe.report import console_summary, write_report
from probe.store import RunStore
from probe.summary import summarise_run


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "report", help="Recompute summary.json and report.md of a run from its samples."
    )
    parser.add_argument(
        "run_dir", type=Path, metavar="RUN", help="A run folder, e.g. results/<run-id>."
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    store = RunStore(args.run_dir)
    config = store.read_run_info().get("config", {})
    summary = summarise_run(
        store, draws=int(config.get("bootstrap_draws", 1000)), seed=int(config.get("seed", 0))
    )
    write_report(store, summary)
    print(console_summary(summary, store))
    return 0
