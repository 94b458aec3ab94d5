"""`probe endpoint check`: find out what an OpenAI-compatible endpoint supports."""

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from probe.capabilities import EndpointCheck, check_endpoint, describe_check
from probe.cli.options import add_model_flags, config_overrides
from probe.client import ChatClient
from probe.config import EndpointConfig, RunConfig, load_config
from probe.run import open_endpoint


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser("endpoint", help="Check an OpenAI-compatible endpoint.")
    subcommands = parser.add_subparsers(dest="endpoint_command", required=True, metavar="COMMAND")
    check = subcommands.add_parser(
        "check",
        help="Report what an endpoint supports.",
        description="Send the requests every `probe run` starts with and report reachability, "
        "the model list, n, logprobs, the token-limit parameter, temperature, where "
        "reasoning arrives, whether samples are independent, and latency. With no "
        "--base-url, check the embedded SmolLM2 model. Exit code 1 when no completion came "
        "back.",
    )
    check.add_argument("--config", type=Path, help="YAML config; flags override its fields.")
    add_model_flags(check, EndpointConfig, prefix="endpoint.", skip=set())
    check.add_argument(
        "--samples",
        metavar="K",
        help="Samples per question the run will ask for; the check tries n = K in one "
        "request (default: 5).",
    )
    check.add_argument("--json", action="store_true", help="Print the result as JSON.")
    check.set_defaults(handler=handle_check)


def handle_check(args: argparse.Namespace) -> int:
    config = load_config(args.config, config_overrides(args))
    result = asyncio.run(check_configured_endpoint(config))
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(describe_check(result))
    return 0 if result.reachable else 1


async def check_configured_endpoint(config: RunConfig) -> EndpointCheck:
    """Check the endpoint a config names, starting the embedded model when it names none."""
    api_key = config.endpoint.api_key()
    with (
        tempfile.TemporaryDirectory(prefix="probe-check-") as folder,
        open_endpoint(config, Path(folder) / "local-model.log") as endpoint,
    ):
        client = ChatClient(
            config.endpoint, base_url=endpoint.base_url, model=endpoint.model, api_key=api_key
        )
        try:
            return await check_endpoint(
                client, config.endpoint, base_url=endpoint.base_url, samples=config.samples
            )
        finally:
            await client.aclose()
