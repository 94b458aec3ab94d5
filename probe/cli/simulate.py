"""`probe simulate`: simulated models with known behaviour, for demos and for checking probe.

    probe simulate questions sim.jsonl --count 100
    probe simulate serve --questions sim.jsonl --policy calibrated --port 0

`serve` prints the base URL and the `probe run` command that probes the simulated model, and
serves until interrupted.
"""

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import Any

from probe.errors import ProbeError
from probe.questions import load_question_set
from probe.simulated import POLICIES, PolicySettings, SimulatedQuestion, simulated_questions
from probe.simulated_server import SimulatedModel, SimulatedServer

# `probe simulate serve` prints a line per REPORT_EVERY requests, checked this often.
REPORT_EVERY = 100
REPORT_INTERVAL_S = 1.0


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    parser = commands.add_parser(
        "simulate", help="Generate questions for, and serve, simulated models with known truth."
    )
    subcommands = parser.add_subparsers(dest="simulate_command", required=True, metavar="COMMAND")

    questions = subcommands.add_parser(
        "questions", help="Write a question set whose p_q (chance the model knows) is known."
    )
    questions.add_argument("output", type=Path, metavar="FILE", help="The JSONL file to write.")
    questions.add_argument("--count", type=int, default=100, help="Questions (default: 100).")
    questions.add_argument("--seed", type=int, default=0, help="Generator seed (default: 0).")
    questions.set_defaults(handler=write_questions)

    serve = subcommands.add_parser(
        "serve", help="Serve a simulated model on 127.0.0.1 until interrupted."
    )
    serve.add_argument(
        "--questions",
        type=Path,
        required=True,
        metavar="FILE",
        help="A set written by `probe simulate questions`.",
    )
    serve.add_argument(
        "--policy",
        choices=POLICIES,
        default="calibrated",
        help="How it abstains.",
    )
    serve.add_argument(
        "--port", type=int, default=0, help="Port on 127.0.0.1; 0 picks a free one (default)."
    )
    serve.add_argument(
        "--seed", type=int, default=0, help="Seed of the simulated replies (default: 0)."
    )
    serve.add_argument(
        "--format-error-rate",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="Share of verbalised-confidence replies that break the format (default: 0).",
    )
    serve.set_defaults(handler=serve_model)


def write_questions(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ProbeError(f"--count must be at least 1, got {args.count}.")
    questions = simulated_questions(args.count, seed=args.seed)
    # Simulated questions are number questions, where "options" has no meaning.
    records = [q.to_question().model_dump(mode="json", exclude={"options"}) for q in questions]
    lines = [json.dumps(record) + "\n" for record in records]
    args.output.write_text("".join(lines), encoding="utf-8")
    print(f"Wrote {len(questions)} simulated questions to {args.output}.")
    return 0


def serve_model(args: argparse.Namespace) -> int:
    questions = _load(args.questions)
    if not 0 <= args.format_error_rate <= 1:
        raise ProbeError(
            f"--format-error-rate must be between 0 and 1, got {args.format_error_rate}."
        )
    model = SimulatedModel(
        questions,
        args.policy,
        seed=args.seed,
        settings=PolicySettings(),
        format_error_rate=args.format_error_rate,
    )
    server = SimulatedServer(model, port=args.port)
    try:
        asyncio.run(_serve(server, args.questions))
    except KeyboardInterrupt:
        return 130  # the stop line is printed already; no samples are involved
    except asyncio.CancelledError:
        return 0  # stopped by SIGTERM, as a service manager stops a server
    return 0


async def _serve(server: SimulatedServer, questions: Path) -> None:
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await server.start()
    print(f"Serving {server.model.name} at {server.base_url}", flush=True)
    print(
        f"Probe it with: probe run --base-url {server.base_url} --model {server.model.name} "
        f"--question-set {questions}",
        flush=True,
    )
    reporter = asyncio.create_task(_report_requests(server))
    try:
        await server.serve_forever()
    finally:
        reporter.cancel()
        await server.stop()
        print(
            f"Stopped {server.model.name} at {server.base_url} after {server.requests} "
            "request(s).",
            flush=True,
        )


async def _report_requests(server: SimulatedServer) -> None:
    """Print a line each time another REPORT_EVERY requests have been served."""
    reported = 0
    while True:
        await asyncio.sleep(REPORT_INTERVAL_S)
        count = server.requests // REPORT_EVERY * REPORT_EVERY
        if count > reported:
            print(f"Served {count} requests.", flush=True)
            reported = count


def _load(path: Path) -> list[SimulatedQuestion]:
    question_set = load_question_set(path)
    try:
        return [SimulatedQuestion.from_question(question) for question in question_set]
    except ValueError as error:
        raise ProbeError(f"{path}: {error}") from None
