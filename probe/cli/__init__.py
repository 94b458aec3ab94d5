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
from typing import Any

from tqdm.contrib.logging import logging_redirect_tqdm

from probe import __version__
from probe.cli import check, endpoint, grade, questions, report, run, simulate
from probe.errors import ProbeError
from probe.input_errors import closest, suggest

logger = logging.getLogger("probe")

COMMAND_MODULES = (run, endpoint, report, check, questions, grade, simulate)

# Loggers whose INFO lines are shown without -v, without a level prefix: the start and stop of
# the embedded model, which takes seconds and would otherwise leave the terminal silent.
STATUS_LOGGERS = ("probe.local_model",)


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
    suggestion too, and so does a misspelt flag such as `probe run --question_set`. Prefix
    matching is off: `--sample 3` is an error, not `--samples 3`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            # A subcommand's parser reports its own unknown flags, with its own usage; the
            # top-level parser would print only `probe`'s usage.
            self.error(self._unrecognized(extras))
        return parsed, extras

    def _unrecognized(self, extras: list[str]) -> str:
        flags = [option for action in self._actions for option in action.option_strings]
        long_flags = [flag for flag in flags if flag.startswith("--")]
        hints = []
        for extra in extras:
            name = extra.split("=", 1)[0]
            if not name.startswith("--"):
                continue
            close = closest_flag(name, long_flags)
            if close is not None:
                hints.append(f"\n  {name}: did you mean {close}?")
        return f"unrecognized arguments: {' '.join(extras)}" + "".join(hints)

    def _check_value(self, action: argparse.Action, value: object) -> None:
        choices = action.choices
        if choices is None or value in choices or not isinstance(value, str):
            super()._check_value(action, value)
            return

        names = [str(choice) for choice in choices]
        hint = suggest(value, names)
        message = f"invalid choice {value!r}" + (f"; {hint}" if hint else "")
        raise argparse.ArgumentError(action, f"{message} (choose from {', '.join(names)})")


def closest_flag(name: str, flags: Sequence[str]) -> str | None:
    """Return the flag closest to a misspelt `name`, reading "_" as "-" (--question_set)."""
    dashed = name.replace("_", "-")
    if dashed in flags:
        return dashed
    return closest(dashed, flags)


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


class StatusFormatter(logging.Formatter):
    """Formats INFO lines of STATUS_LOGGERS as the bare message, and other lines as usual."""

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno == logging.INFO and record.name in STATUS_LOGGERS:
            return record.getMessage()
        return super().format(record)


def _configure_logging(verbose: bool, debug: bool) -> None:
    level = logging.WARNING
    if verbose:
        level = logging.INFO
    if debug:
        level = logging.DEBUG
    console = logging.StreamHandler()
    console.setFormatter(StatusFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[console])
    for name in STATUS_LOGGERS:
        logging.getLogger(name).setLevel(min(level, logging.INFO))
    if not debug:
        # The HTTP libraries log every request at INFO; probe's own lines are enough.
        for noisy in ("httpx", "openai", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
