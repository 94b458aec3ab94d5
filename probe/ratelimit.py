"""When a request may be sent: adaptive concurrency, pauses after 429s and per-minute limits.

One `Throttle` is shared by every worker of a run, so a rate limit slows the whole pool
rather than the one task that met it. Concurrency follows additive increase and
multiplicative decrease: a 429 halves the number of requests allowed in flight, and each
run of successes raises it by one, up to `max_concurrency`.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

logger = logging.getLogger(__name__)

# Concurrency grows by one after this many successes in a row, or after `limit` of them
# when that is larger, so a wide pool does not grow after a handful of replies.
RAISE_AFTER_SUCCESSES = 10

# A per-minute limit may be spent in bursts of up to one second's worth, never a whole
# minute's worth at once: providers also enforce their limits over short windows.
BURST_SECONDS = 1.0


class DispatchStopped(Exception):
    """The run stopped sending requests; the sample that met this stays pending."""


class TokenBucket:
    """A per-minute allowance that refills continuously and may go into debt.

    A request larger than the burst may still go once the bucket is full. The debt then
    delays the next requests, so the average rate stays at the limit.
    """

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * BURST_SECONDS)
        self._level = self.capacity
        self._clock = clock
        self._updated = clock()

    def delay_for(self, amount: float) -> float:
        """Seconds until `amount` may be taken (0 when it may be taken now)."""
        self._refill()
        needed = min(amount, self.capacity)
        return max(0.0, (needed - self._level) / self.rate)

    def take(self, amount: float) -> None:
        self._refill()
        self._level -= amount

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
        self._updated = now


class Throttle:
    """Admits requests one slot at a time: within the concurrency limit, outside a pause,
    and within the per-minute request and token limits."""

    def __init__(
        self,
        max_concurrency: int,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.limit = max_concurrency
        self.in_flight = 0
        self._successes = 0
        self._paused_until = 0.0
        self._changed = asyncio.Condition()
        self._closed = asyncio.Event()
        self._buckets_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self._tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @contextlib.asynccontextmanager
    async def slot(self, estimated_tokens: int) -> AsyncIterator["Slot"]:
        """Hold one concurrency slot for one request; it is released however the block ends."""
        await self._take_slot()
        try:
            await self._wait_while_paused()
            await self._wait_for_buckets(estimated_tokens)
            yield Slot(self, estimated_tokens)
        finally:
            await self._release_slot()

    def rate_limited(self, wait_s: float) -> None:
        """Pause every worker for `wait_s` and halve the concurrency limit, once per pause."""
        now = time.monotonic()
        if now >= self._paused_until:
            old = self.limit
            self.limit = max(1, self.limit // 2)
            if self.limit != old:
                logger.info("rate limited: requests in flight lowered to %d of %d", self.limit, old)
        self._paused_until = max(self._paused_until, now + wait_s)
        self._successes = 0

    def succeeded(self) -> None:
        """Count a success; after a run of them, allow one more request in flight."""
        self._successes += 1
        if self.limit >= self.max_concurrency:
            return
        if self._successes >= max(RAISE_AFTER_SUCCESSES, self.limit):
            self.limit += 1
            self._successes = 0
            logger.debug("requests in flight raised to %d", self.limit)
            self._notify()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but raise DispatchStopped at once if the run stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout=seconds)
        if self.closed:
            raise DispatchStopped

    def close(self) -> None:
        """Stop admitting requests; every waiting worker raises DispatchStopped."""
        self._closed.set()
        self._notify()

    async def _take_slot(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.closed or self.in_flight < self.limit)
            if self.closed:
                raise DispatchStopped
            self.in_flight += 1

    async def _release_slot(self) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    async def _wait_while_paused(self) -> None:
        # A pause can be extended while it runs, so check again after each sleep.
        while (remaining := self._paused_until - time.monotonic()) > 0:
            await self.sleep(remaining)

    async def _wait_for_buckets(self, tokens: int) -> None:
        # One waiter at a time, so requests leave in arrival order and no waiter starves.
        async with self._buckets_lock:
            for bucket, amount in ((self._requests, 1.0), (self._tokens, float(tokens))):
                if bucket is None:
                    continue
                while (delay := bucket.delay_for(amount)) > 0:
                    await self.sleep(delay)
                bucket.take(amount)

    def settle_tokens(self, difference: int) -> None:
        """Charge (or refund, when negative) the difference between used and estimated tokens."""
        if self._tokens is not None:
            self._tokens.take(float(difference))

    def _notify(self) -> None:
        # Called from synchronous code; waking the waiters needs the condition's lock.
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        try:
            task = asyncio.get_running_loop().create_task(notify())
        except RuntimeError:  # no running loop, so nobody is waiting
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)


class Slot:
    """One admitted request; `settle` corrects the token estimate once usage is known."""

    def __init__(self, throttle: Throttle, estimated_tokens: int) -> None:
        self._throttle = throttle
        self._estimated = estimated_tokens

    def settle(self, actual_tokens: int | None) -> None:
        if actual_tokens is not None:
            self._throttle.settle_tokens(actual_tokens - self._estimated)
