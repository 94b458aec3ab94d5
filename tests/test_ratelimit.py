"""The shared throttle: pauses, adaptive concurrency, per-minute limits and closing."""

import asyncio
import time

import pytest

from probe.ratelimit import RAISE_AFTER_SUCCESSES, DispatchStopped, Throttle, TokenBucket


def test_rate_limit_halves_concurrency_once_per_pause() -> None:
    async def scenario() -> list[int]:
        throttle = Throttle(8)
        throttle.rate_limited(0.01)
        first = throttle.limit
        throttle.rate_limited(0.01)  # a second 429 of the same burst
        second = throttle.limit
        await asyncio.sleep(0.02)
        throttle.rate_limited(0.01)  # a new pause
        return [first, second, throttle.limit]

    assert asyncio.run(scenario()) == [4, 4, 2]


def test_successes_raise_concurrency_back() -> None:
    async def scenario() -> list[int]:
        throttle = Throttle(4)
        throttle.rate_limited(0.0)
        limits = [throttle.limit]
        for _ in range(RAISE_AFTER_SUCCESSES):
            throttle.succeeded()
        limits.append(throttle.limit)
        for _ in range(10 * RAISE_AFTER_SUCCESSES):
            throttle.succeeded()
        limits.append(throttle.limit)
        return limits

    assert asyncio.run(scenario()) == [2, 3, 4]


def test_in_flight_never_exceeds_the_limit() -> None:
    async def scenario() -> int:
        throttle = Throttle(3)
        maximum = 0

        async def request() -> None:
            nonlocal maximum
            async with throttle.slot(1):
                maximum = max(maximum, throttle.in_flight)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(request() for _ in range(20)))
        return maximum

    assert asyncio.run(scenario()) == 3


def test_slot_is_released_when_the_request_fails() -> None:
    async def scenario() -> int:
        throttle = Throttle(1)
        with pytest.raises(TimeoutError):
            async with throttle.slot(1):
                raise TimeoutError
        async with throttle.slot(1):
            return throttle.in_flight

    assert asyncio.run(scenario()) == 1


def test_pause_holds_back_every_worker() -> None:
    async def scenario() -> list[float]:
        throttle = Throttle(4)
        started = time.monotonic()
        throttle.rate_limited(0.3)
        waits: list[float] = []

        async def request() -> None:
            async with throttle.slot(1):
                waits.append(time.monotonic() - started)

        await asyncio.gather(*(request() for _ in range(3)))
        return waits

    assert all(wait >= 0.29 for wait in asyncio.run(scenario()))


def test_requests_per_minute_spaces_requests() -> None:
    async def scenario() -> float:
        # 600 per minute is 10 per second, with a burst of one second's worth.
        throttle = Throttle(50, requests_per_minute=600)
        started = time.monotonic()
        for _ in range(15):
            async with throttle.slot(1):
                pass
        return time.monotonic() - started

    assert asyncio.run(scenario()) == pytest.approx(0.5, abs=0.15)


def test_tokens_per_minute_spaces_requests() -> None:
    async def scenario() -> float:
        # 60,000 tokens per minute is 1,000 per second with a burst of 1,000; five requests
        # of 300 tokens need 1,500, so the 500 beyond the burst take half a second.
        throttle = Throttle(50, tokens_per_minute=60_000)
        started = time.monotonic()
        for _ in range(5):
            async with throttle.slot(300) as slot:
                slot.settle(300)
        return time.monotonic() - started

    assert asyncio.run(scenario()) == pytest.approx(0.5, abs=0.15)


def test_token_bucket_settles_to_actual_usage() -> None:
    now = [0.0]
    bucket = TokenBucket(60.0, clock=lambda: now[0])  # 1 token per second, capacity 1
    bucket.take(1)
    assert bucket.delay_for(1) == pytest.approx(1.0)
    bucket.take(-1)  # the request used a token less than estimated
    assert bucket.delay_for(1) == 0.0


def test_close_wakes_waiters() -> None:
    async def scenario() -> list[str]:
        throttle = Throttle(1)
        outcomes: list[str] = []

        async def blocked() -> None:
            try:
                async with throttle.slot(1):
                    outcomes.append("sent")
            except DispatchStopped:
                outcomes.append("stopped")

        async with throttle.slot(1):
            waiter = asyncio.create_task(blocked())
            sleeper = asyncio.create_task(throttle.sleep(30))
            await asyncio.sleep(0.01)
            throttle.close()
            await waiter
            with pytest.raises(DispatchStopped):
                await sleeper
        return outcomes

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=5)) == ["stopped"]
