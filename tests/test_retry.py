"""The shared retry policy (runner.retry): Retry-After, full jitter, budgets and deadline.

Every test injects sleep, rng and clocks: nothing waits, and seeded draws repeat exactly.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from collections.abc import Callable

import pytest
from tenacity import retry_if_exception_type

from runner.retry import RateLimited, Retrying, RetryPolicy, full_jitter, retry_after_seconds
from tests.fakes import FakeTime

EPOCH = 1_800_000_000.0  # "now" for HTTP-dates (a whole second: dates have no fractions)


class Flaky(Exception):
    """A transient failure of the scripted operation."""


class Script:
    """An operation that raises the given exceptions in turn, then answers "done"."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)

    async def __call__(self) -> str:
        if self.failures:
            raise self.failures.pop(0)
        return "done"


def retrying(policy: RetryPolicy, time: FakeTime, *, seed: int = 1,
             clock: Callable[[], float] = lambda: EPOCH) -> Retrying:
    return policy.retrying(retry_if_exception_type((Flaky, RateLimited)), sleep=time.sleep,
                           rng=random.Random(seed), monotonic=time.monotonic, clock=clock)


def http_date(epoch: float, zone: str = "GMT") -> str:
    return email.utils.formatdate(epoch, usegmt=True).replace("GMT", zone)


def test_retry_after_is_delta_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("3", now=EPOCH) == 3.0
    assert retry_after_seconds("0.5", now=EPOCH) == 0.5
    assert retry_after_seconds(http_date(EPOCH + 30), now=EPOCH) == 30.0
    assert retry_after_seconds(http_date(EPOCH + 30, "-0000"), now=EPOCH) == 30.0  # still UTC
    # Never negative: a date in the past, or a negative delta, means "now".
    assert retry_after_seconds(http_date(EPOCH - 30), now=EPOCH) == 0.0
    assert retry_after_seconds("-4", now=EPOCH) == 0.0
    for unusable in (None, "", "soon", "Tuesday"):
        assert retry_after_seconds(unusable, now=EPOCH) is None


def test_rate_limited_waits_what_the_server_asks_up_to_the_cap() -> None:
    time = FakeTime()
    loop = retrying(RetryPolicy(retry_after_max=60.0), time)
    script = Script(RateLimited("3"), RateLimited(http_date(EPOCH + 30)), RateLimited("500"))
    assert asyncio.run(loop(script)) == "done"
    assert time.sleeps == [3.0, 30.0, 60.0]
    assert (loop.tries, loop.rate_limited, loop.failures) == (4, 3, 0)


def test_without_a_usable_retry_after_the_wait_is_full_jitter() -> None:
    time = FakeTime()
    loop = retrying(RetryPolicy(backoff_base=0.1, backoff_max=10.0), time)
    asyncio.run(loop(Script(RateLimited(), RateLimited("soon"), RateLimited())))
    # The exponent counts rate-limited answers: ceilings 0.1, 0.2, 0.4.
    assert all(0 <= w <= cap for w, cap in zip(time.sleeps, (0.1, 0.2, 0.4), strict=True))


def test_backoff_is_full_jitter_under_a_growing_cap() -> None:
    rng = random.Random(7)
    for attempt, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        waits = [full_jitter(attempt, base=0.1, cap=1.0, rng=rng) for _ in range(200)]
        assert all(0 <= w <= cap for w in waits)
        assert max(waits) > cap * 0.8 and min(waits) < cap * 0.2  # spread over the whole range
    assert 0 <= full_jitter(5000, base=0.1, cap=2.0, rng=rng) <= 2.0  # no float overflow


def test_a_seeded_rng_gives_the_same_waits_and_failures_and_429s_count_apart() -> None:
    def waits(seed: int) -> list[float]:
        time = FakeTime()
        loop = retrying(RetryPolicy(backoff_base=1.0, backoff_max=4.0), time, seed=seed)
        asyncio.run(loop(Script(Flaky(), RateLimited(), Flaky(), Flaky(), Flaky())))
        return time.sleeps

    first = waits(11)
    assert first == waits(11) and first != waits(12)
    # Ceilings: failures 1, 2, 3 and 4 double from 1.0 (capped at 4.0); the 429 is its first.
    assert all(0 <= w <= cap for w, cap in zip(first, (1.0, 1.0, 2.0, 4.0, 4.0), strict=True))


def test_transient_failures_stop_at_the_attempt_budget_and_429s_have_their_own() -> None:
    time = FakeTime()
    loop = retrying(RetryPolicy(attempts=3, rate_limited=2), time)
    script = Script(Flaky("1"), RateLimited(), Flaky("2"), RateLimited(), Flaky("3"), Flaky())
    with pytest.raises(Flaky, match="3"):  # the last failure itself, not a RetryError
        asyncio.run(loop(script))
    assert (loop.tries, loop.failures, loop.rate_limited, len(time.sleeps)) == (5, 3, 2, 4)

    time = FakeTime()
    loop = retrying(RetryPolicy(attempts=1, rate_limited=2), time)
    with pytest.raises(RateLimited):
        asyncio.run(loop(Script(*[RateLimited("1")] * 4)))
    assert (loop.tries, loop.rate_limited, time.sleeps) == (3, 3, [1.0, 1.0])


def test_no_try_starts_after_the_deadline() -> None:
    time = FakeTime()
    loop = retrying(RetryPolicy(attempts=None, deadline=1.0, backoff_base=0.3,
                                backoff_max=0.3), time)
    with pytest.raises(Flaky):
        asyncio.run(loop(Script(*[Flaky()] * 1000)))
    assert time.now >= 1.0 and sum(time.sleeps[:-1]) < 1.0  # the last wait crossed it
    assert loop.tries == len(time.sleeps) + 1


def test_what_the_caller_does_not_retry_is_raised_at_once() -> None:
    time = FakeTime()
    loop = retrying(RetryPolicy(), time)
    with pytest.raises(ValueError):
        asyncio.run(loop(Script(ValueError("final"))))
    assert (loop.tries, time.sleeps) == (1, [])
