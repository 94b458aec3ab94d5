"""The `probe` command: a thin layer that parses arguments and calls the library.

Each command group lives in its own module with an `add_parser(commands)` function that
registers its subcommands and their handlers.

Exit codes: 0 success, 1 a check failed, 2 a usage or input error, 3 a run stopped before
its plan was complete (its samples are kept), 130 interrupted.
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from tqdm.contrib.logging import logging_redirect_tqdm

from probe import __version__
from probe.cli import check, endpoint, grade, questions, report, run, simulate
from probe.errors import ProbeError
from probe.input_errors import suggest

logger = logging.getLogger("probe")

COMMAND_MODULES = (run, endpoint, report, check, questions, grade, simulate)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, args.debug)

    try:
        with logging_redirect_tqdm():
            code: int = args.handler(args)
        return code
    except ProbeError as error:
        if args.debug:
            logger.exception("stopped by an error")
        print(f"probe: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("probe: interrupted; the samples written so far are kept.", file=sys.stderr)
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse's parser, which also suggests the closest command or choice to a typo.

    Parsers of subcommands are built from the same class, so `probe endpoint chek` gets the
    suggestion too.
    """

    def _check_value(self, action: argparse.Action, value: object) -> None:
        choices = action.choices
        if choices is None or value in choices or not isinstance(value, str):
            super()._check_value(action, value)
            return

        names = [str(choice) for choice in choices]
        hint = suggest(value, names)
        message = f"invalid choice {value!r}" + (f"; {hint}" if hint else "")
        raise argparse.ArgumentError(action, f"{message} (choose from {', '.join(names)})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="probe", description="Measure whether a language model abstains when it should."
    )
    parser.add_argument("--version", action="version", version=f"probe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parser(commands)
    _add_logging_flags(parser)
    return parser


def _add_logging_flags(parser: argparse.ArgumentParser, *, top: bool = True) -> None:
    # Accepted before or after the command name, so `probe run --debug` works too.
    default = False if top else argparse.SUPPRESS
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="Log each run step."
    )
    parser.add_argument(
        "--debug", action="store_true", default=default, help="Log everything; show tracebacks."
    )
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _add_logging_flags(subparser, top=False)


def _configure_logging(verbose: bool, debug: bool) -> None:
    level = logging.WARNING
    if verbose:
        level = logging.INFO
    if debug:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not debug:
        # The HTTP libraries log every request at INFO; probe's own lines are enough.
        for noisy in ("httpx", "openai", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
