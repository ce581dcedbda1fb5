"""The one retry mechanism: tenacity, with the policy every backend client and apply share.

    RetryPolicy (a value: budgets, deadline, backoff)
      .retrying(retry=...)  ->  Retrying: one operation's tenacity loop, with
          wait_retry_after  the server's `Retry-After` after a `RateLimited` attempt (delta-
                            seconds or HTTP-date, capped), else exponential full jitter
          stop_after        N transient failures, M rate-limited waits, and/or a deadline
          Tally             the failed tries by kind, which both of them count

What is worth another try is the caller's `retry` predicate; an attempt that wants the
server's pacing raises `RateLimited`. Sleep, rng and clocks are injectable so that tests run
fast and deterministically. Imports nothing of the product.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class RateLimited(Exception):
    """The server asked to slow down (HTTP 429); `retry_after` is its `Retry-After` value."""

    def __init__(self, retry_after: str | None = None) -> None:
        super().__init__(f"rate limited (Retry-After: {retry_after})" if retry_after
                         else "rate limited")
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Seconds a `Retry-After` value asks for (delta-seconds or HTTP-date, never negative);
    None when absent or unreadable. `now` is the epoch time an HTTP-date is measured from."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": still UTC (HTTP dates are always GMT)
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now)


def full_jitter(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """A wait drawn from [0, min(cap, base * 2**(attempt-1))]: "full jitter" (AWS
    architecture blog), which spreads the retries of concurrent clients apart."""
    exponent = min(max(1, attempt), 64) - 1  # past 2**63 any cap is reached; floats overflow
    return rng.uniform(0, min(cap, base * 2**exponent))


@dataclass
class Tally:
    """One operation's failed tries by kind (tenacity's `after` hook keeps it)."""

    failures: int = 0  # transient failures: errors, timeouts, 5xx, lost races
    rate_limited: int = 0  # `RateLimited` answers, on their own budget

    def __call__(self, state: RetryCallState) -> None:
        if isinstance(_exception(state), RateLimited):
            self.rate_limited += 1
        else:
            self.failures += 1


class wait_retry_after(wait_base):
    """The server's `Retry-After` (capped) after `RateLimited`; else full jitter, whose
    exponent counts failures of the same kind."""

    def __init__(self, tally: Tally, *, base: float, cap: float, retry_after_max: float,
                 rng: random.Random, clock: Clock = time.time) -> None:
        self.tally = tally
        self.base = base
        self.cap = cap
        self.retry_after_max = retry_after_max
        self.rng = rng
        self.clock = clock

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = _exception(retry_state)
        if isinstance(exc, RateLimited):
            asked = retry_after_seconds(exc.retry_after, now=self.clock())
            if asked is None:
                asked = full_jitter(self.tally.rate_limited, base=self.base, cap=self.cap,
                                    rng=self.rng)
            return min(asked, self.retry_after_max)
        return full_jitter(self.tally.failures, base=self.base, cap=self.cap, rng=self.rng)


class stop_after(stop_base):
    """Stop after `attempts` transient failures (None: no limit), after more than
    `rate_limited` rate-limited waits, or once `deadline` seconds have passed since `started`
    (default: when it was made; None: no deadline)."""

    def __init__(self, tally: Tally, *, attempts: int | None, rate_limited: int,
                 deadline: float | None, monotonic: Clock = time.monotonic,
                 started: float | None = None) -> None:
        self.tally = tally
        self.attempts = attempts
        self.rate_limited = rate_limited
        self.monotonic = monotonic
        start = monotonic() if started is None else started
        self.deadline_at = None if deadline is None else start + deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        if self.attempts is not None and self.tally.failures >= self.attempts:
            return True
        if self.tally.rate_limited > self.rate_limited:
            return True
        return self.deadline_at is not None and self.monotonic() >= self.deadline_at


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry: budgets, deadline and backoff (a value; one per client)."""

    attempts: int | None = 6  # tries in all against transient failures; None: no limit
    rate_limited: int = 30  # `Retry-After` waits allowed besides (a 429 is not a failure)
    deadline: float | None = None  # seconds after which no further try starts
    backoff_base: float = 0.1  # full-jitter ceiling of the first wait, doubling up to...
    backoff_max: float = 10.0
    retry_after_max: float = 120.0  # cap on what a server's `Retry-After` can make us wait

    def retrying(self, retry: retry_base, *, sleep: Sleep = asyncio.sleep,
                 rng: random.Random | None = None, monotonic: Clock = time.monotonic,
                 clock: Clock = time.time) -> Retrying:
        """A fresh loop for one operation; the deadline starts now."""
        return Retrying(self, retry, sleep=sleep, rng=rng, monotonic=monotonic, clock=clock)


class Retrying:
    """One operation under a `RetryPolicy`: `await retrying(fn)` calls `fn` until it returns,
    raises what `retry` declines, or the policy stops (then its last exception is re-raised).
    `tries`, `failures` and `rate_limited` count what happened, for the caller's messages."""

    def __init__(self, policy: RetryPolicy, retry: retry_base, *, sleep: Sleep,
                 rng: random.Random | None, monotonic: Clock, clock: Clock) -> None:
        self._policy = policy
        self._retry = retry
        self.tries = 0  # calls of `fn`, the first included
        self.tally = Tally()
        self._sleep = sleep
        self._rng = rng
        self._monotonic = monotonic
        self._clock = clock
        self._started = monotonic()

    @property
    def failures(self) -> int:
        """Transient failures so far."""
        return self.tally.failures

    @property
    def rate_limited(self) -> int:
        """`RateLimited` answers so far."""
        return self.tally.rate_limited

    async def __call__(self, fn: Callable[[], Awaitable[T]]) -> T:
        # The first try runs bare: tenacity's bookkeeping (some 40 us a call, a tenth of a
        # fleet request's CPU) is only paid once something failed, which most calls never do.
        self.tries += 1
        try:
            return await fn()
        except Exception as exc:
            seen: Exception | None = exc

        async def again() -> T:
            nonlocal seen
            if seen is not None:  # tenacity's first attempt: the failure already seen
                failure, seen = seen, None
                raise failure
            self.tries += 1
            return await fn()

        return await self._loop()(again)

    def _loop(self) -> AsyncRetrying:
        policy = self._policy
        return AsyncRetrying(
            sleep=self._sleep,
            retry=self._retry,
            after=self.tally,
            stop=stop_after(self.tally, attempts=policy.attempts,
                            rate_limited=policy.rate_limited, deadline=policy.deadline,
                            monotonic=self._monotonic, started=self._started),
            wait=wait_retry_after(self.tally, base=policy.backoff_base, cap=policy.backoff_max,
                                  retry_after_max=policy.retry_after_max,
                                  rng=self._rng or random.Random(), clock=self._clock),
            reraise=True,
        )


def _exception(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None
