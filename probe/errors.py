"""The exceptions probe raises for problems a user can fix.

The CLI prints the message of a `ProbeError` without a traceback (``--debug`` shows it) and
exits with the error's `exit_code`.
"""


class ProbeError(Exception):
    """A problem with probe's input or environment that the user can fix."""

    exit_code = 2


class QuestionSetError(ProbeError):
    """A question set that cannot be loaded: the message names the file, line and fix."""


class ConfigError(ProbeError):
    """A config file or command-line value that is invalid: the message names the field."""


class LocalModelError(ProbeError):
    """The embedded model could not be installed, started or reached."""


class RunStopped(ProbeError):
    """A run that stopped before its plan was complete; the samples written so far are kept."""

    exit_code = 3


class EndpointFatalError(RunStopped):
    """An endpoint reply that no retry can fix, such as a bad key or an exhausted quota."""


class CircuitOpen(RunStopped):
    """Too many requests failed in a row, so the endpoint looks down; the run can be resumed."""


class LimitReached(RunStopped):
    """The run reached its --max-requests or --max-cost limit; the run can be resumed."""


class RunInterrupted(RunStopped):
    """The run was cancelled by Ctrl-C or SIGTERM; the samples received are kept."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
