"""`probe check`: gate a candidate run against a baseline, or draw the trend of many runs."""

import argparse
from pathlib import Path
from typing import Any

from probe import check_output
from probe.check import check_runs, shared_thresholds
from probe.errors import ProbeError
from probe.gates import GateFile, default_gates, load_gates
from probe.history import HISTORY_HTML, write_history
from probe.run_data import load_run

CHECK_JSON = "check.json"
CHECK_JUNIT = "check-junit.xml"


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "check",
        help="Fail (exit 1) when a candidate run is worse than a baseline beyond noise.",
        description="Compare CANDIDATE with BASELINE, paired by question and sample key, and "
        "fail when a gate's limit is exceeded by more than noise explains. Exit codes: 0 all "
        "gates passed, 1 a gate failed, 2 a usage or input error. With --history, draw the "
        "trend of the key figures over the runs in a results folder instead.",
    )
    parser.add_argument("runs", type=Path, nargs="*", metavar="RUN", help="BASELINE CANDIDATE")
    parser.add_argument(
        "--gates",
        type=Path,
        help="YAML file of gates (docs/scheduled-checks.md). Default: at each t > 0 both runs "
        "share, error must not rise by more than 2 points; at each t, score must not fall.",
    )
    parser.add_argument(
        "--significance",
        type=float,
        help="Chance of failing on noise alone, over all gates; overrides the file (default 0.05).",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help=f"Where to write the JSON result (default: CANDIDATE/{CHECK_JSON}).",
    )
    parser.add_argument(
        "--junit",
        type=Path,
        help=f"Where to write the JUnit XML result (default: CANDIDATE/{CHECK_JUNIT}).",
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="RESULTS",
        help="Draw the trend of error, precision and coverage at each t over the runs in this "
        f"results folder, one section per model, into RESULTS/{HISTORY_HTML}.",
    )
    parser.add_argument("--model", help="With --history: only the runs of this reported model.")
    parser.add_argument("--output", type=Path, help="With --history: where to write the page.")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.history is not None:
        if args.runs:
            raise ProbeError("give either --history RESULTS or BASELINE CANDIDATE, not both.")
        path = write_history(args.history, model=args.model, output=args.output)
        print(f"History: {path}")
        return 0
    if len(args.runs) != 2:
        raise ProbeError(
            f"expected two run folders, BASELINE and CANDIDATE, got {len(args.runs)}. "
            "Example: probe check results/baseline results/<run-id>"
        )

    baseline, candidate = (load_run(path) for path in args.runs)
    settings = _settings(args, shared_thresholds(baseline, candidate))
    result = check_runs(baseline, candidate, settings)

    json_path = args.json or candidate.store.run_dir / CHECK_JSON
    junit_path = args.junit or candidate.store.run_dir / CHECK_JUNIT
    check_output.write_json(result, json_path)
    check_output.write_junit(result, junit_path)
    print(check_output.text_summary(result))
    print(f"JSON: {json_path}\nJUnit XML: {junit_path}")
    return 0 if result.passed else 1


def _settings(args: argparse.Namespace, thresholds: list[float]) -> GateFile:
    settings = load_gates(args.gates) if args.gates else default_gates(thresholds)
    if args.significance is None:
        return settings
    if not 0 < args.significance < 1:
        raise ProbeError(f"--significance must be between 0 and 1, got {args.significance}.")
    return settings.model_copy(update={"significance": args.significance})
