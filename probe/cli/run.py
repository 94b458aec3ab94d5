"""`probe run`: probe a model and write a results folder with a calibration report."""

import argparse
import asyncio
from pathlib import Path
from typing import Any

from probe.cli.options import add_model_flags, config_overrides
from probe.config import EndpointConfig, RunConfig, load_config
from probe.report import console_summary
from probe.run import run_probe


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "run",
        help="Probe a model and write a results folder with a calibration report.",
        description="Probe a model. With no --base-url, probe the embedded SmolLM2 model.",
    )
    parser.add_argument("--config", type=Path, help="YAML config; flags override its fields.")
    add_model_flags(parser, RunConfig, prefix="", skip={"endpoint"})
    add_model_flags(parser, EndpointConfig, prefix="endpoint.", skip=set())
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    config = load_config(args.config, config_overrides(args))
    result = asyncio.run(run_probe(config, show_progress=not args.no_progress))
    print(console_summary(result.summary, result.store))
    return 0
