"""`probe run`: probe a model and write a results folder with a calibration report."""

import argparse
from pathlib import Path
from typing import Any

from probe.cli.options import add_model_flags, config_overrides
from probe.config import EndpointConfig, RunConfig, load_config
from probe.report import console_summary
from probe.resume import resume_config
from probe.run import RunResult, run_in_foreground


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "run",
        help="Probe a model and write a results folder with a calibration report.",
        description="Probe a model. With no --base-url, probe the embedded SmolLM2 model.",
    )
    parser.add_argument("--config", type=Path, help="YAML config; flags override its fields.")
    add_model_flags(parser, RunConfig, prefix="", skip={"endpoint", "grading"})
    add_model_flags(parser, EndpointConfig, prefix="endpoint.", skip=set())
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
    parser.add_argument(
        "--resume",
        metavar="RUN",
        help="Resume a run folder (e.g. results/<run-id>) or run id: send only its pending "
        "and failed samples, with its stored config under any flags given.",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="Resume even though the settings changed, and report consistency for an "
        "endpoint whose canary samples came back identical.",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    overrides = config_overrides(args)
    if args.resume:
        config = resume_config(args.resume, args.config, overrides)
    else:
        config = load_config(args.config, overrides)
    result = run_in_foreground(config, force=args.force, show_progress=not args.no_progress)
    if result.already_complete:
        print(_already_complete(result.store.run_dir))
    print(console_summary(result.summary, result.store))
    if result.summary.best_guess_rates_from is not None and not result.already_complete:
        print(_adaptive_savings(result))
    return 0


def _adaptive_savings(result: RunResult) -> str:
    summary = result.summary
    planned = summary.questions * summary.samples_per_condition
    skipped = result.collection.skipped
    return (
        f"Adaptive sampling skipped {skipped:,} of {planned:,} best-guess samples in this "
        f"invocation. The rates at t = 0 rest on each question's first "
        f"{summary.best_guess_rates_from}, which every question got."
    )


def _already_complete(run_dir: Path) -> str:
    return (
        f"Run {run_dir} was already complete: every sample is stored, so no request was sent.\n"
        "The summary below is recomputed from the stored samples. To probe again, start a new "
        "run with another --run-id, or leave --run-id out for a new dated one.\n"
    )
