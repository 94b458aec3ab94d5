"""Whether a run may go on sending requests: its circuit breaker and its request and cost limits.

The first reason to stop wins and is kept; stopping closes the shared throttle, so every
worker leaves the samples it has not sent pending for a resume, while requests already in
flight finish and are written.
"""

import logging
from dataclasses import dataclass

from probe.errors import CircuitOpen, LimitReached, RunStopped
from probe.pricing import ModelPrice, request_cost
from probe.ratelimit import DispatchStopped, Throttle
from probe.retries import Classified, FailureKind
from probe.samples import Usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """The limits of one invocation of a run; None means no limit."""

    max_consecutive_failures: int
    max_requests: int | None = None
    max_cost: float | None = None
    price: ModelPrice | None = None


class RunGuard:
    """Counts requests, cost and failures in a row across all workers, and stops the run."""

    def __init__(self, throttle: Throttle, limits: Limits) -> None:
        self.requests_sent = 0
        self.cost = 0.0
        self.stopped: RunStopped | None = None
        self.throttle = throttle
        self._limits = limits
        self._failures_in_a_row = 0
        self._last_failure = ""

    def before_request(self) -> None:
        """Count a request about to be sent, or raise DispatchStopped when none may be."""
        if self.stopped is not None:
            raise DispatchStopped
        limit = self._limits.max_requests
        if limit is not None and self.requests_sent >= limit:
            self.stop(LimitReached(f"Sent {limit} requests, the --max-requests limit."))
            raise DispatchStopped
        self.requests_sent += 1

    def succeeded(self, usage: Usage | None) -> None:
        self._failures_in_a_row = 0
        if self._limits.price is None:
            return
        cost = request_cost(usage, self._limits.price)
        if cost is not None:
            self.cost += cost
        maximum = self._limits.max_cost
        if maximum is not None and self.cost >= maximum:
            self.stop(
                LimitReached(
                    f"The estimated cost reached ${self.cost:.4f}, the --max-cost limit of "
                    f"${maximum:g}."
                )
            )

    def failed(self, classified: Classified) -> None:
        """Count a failed attempt; transient failures in a row open the circuit breaker."""
        if classified.kind is not FailureKind.TRANSIENT:
            return
        self._failures_in_a_row += 1
        self._last_failure = classified.reason
        if self._failures_in_a_row >= self._limits.max_consecutive_failures:
            self.stop(
                CircuitOpen(
                    f"{self._failures_in_a_row} requests in a row failed (last: "
                    f"{self._last_failure}), so the endpoint looks down and sending stopped "
                    "(endpoint.max_consecutive_failures). Check that the server is up."
                )
            )

    def stop(self, reason: RunStopped) -> None:
        """Stop sending requests; the first reason is the one reported."""
        if self.stopped is None:
            self.stopped = reason
            logger.warning("stopping the run: %s", reason)
        self.throttle.close()
