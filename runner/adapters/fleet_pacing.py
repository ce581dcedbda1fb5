"""How fast the fleet client may go: an adaptive window of requests in flight.

    RateLimitHeaders.parse(headers)   X-RateLimit-Limit / -Remaining / -Reset (+ Date)
    Window                            acquire() before a request, release(...) after it:
        AIMD        +1 per window of answered requests, halved on a 429 (once per pause)
        Retry-After a 429 holds every new request (not just the one that got it) until then
        Remaining   at 0 (counting what is still in flight), new requests wait for Reset

A rate limit is the API key's, not one request's: one 429 means every request sent now
would get one too, so the whole client pauses. The vendor docs name no rate-limit headers;
the official `avala` SDK reads `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset`, and those are what is parsed here (Reset as epoch seconds when it looks
like one, else as seconds from now: APIs send either).
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
EPOCH_THRESHOLD = 1e9  # a Reset above this is a Unix time (2001+), below it a delta
SKEW_TOLERANCE = 2.0  # seconds of Date-vs-local difference taken as clock skew


@dataclass(frozen=True)
class RateLimitHeaders:
    """What a response says about the key's rate limit; None = not sent (or unreadable)."""

    limit: int | None
    remaining: int | None
    reset_in: float | None  # seconds from now until the window resets
    reset_key: str | None  # the raw Reset value: equal values name the same window

    @classmethod
    def parse(cls, headers: Mapping[str, str], *, now: float) -> RateLimitHeaders | None:
        """The `X-RateLimit-*` headers of a response (None if it has none); `now` is epoch."""
        limit = _int(headers.get("x-ratelimit-limit"))
        remaining = _int(headers.get("x-ratelimit-remaining"))
        raw_reset = headers.get("x-ratelimit-reset")
        if limit is None and remaining is None and raw_reset is None:
            return None
        reset_in = None
        try:
            reset = float(raw_reset) if raw_reset is not None else None
        except ValueError:
            reset = None
        if reset is not None and reset >= EPOCH_THRESHOLD:
            # An epoch time is measured on the server's clock: read it against the server's
            # Date when the two clocks disagree by more than Date's one-second resolution.
            server_now = _http_date(headers.get("date"))
            if server_now is not None and abs(server_now - now) > SKEW_TOLERANCE:
                now = server_now
            reset_in = max(0.0, reset - now)
        elif reset is not None and reset >= 0:
            reset_in = reset
        return cls(limit, remaining, reset_in, raw_reset)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class Window:
    """The requests a client may have in flight, adapted to what the server says.

    Starts at `initial` (a client that has seen no limit goes wide), grows by one per
    window's worth of answers up to `maximum`, halves (not below `minimum`) on a 429 and
    pauses everyone for its Retry-After (capped at `pause_max`); with `X-RateLimit-Remaining`
    used up it holds new requests until `X-RateLimit-Reset`. One event loop: no locks.
    """

    def __init__(self, *, initial: int, maximum: int, minimum: int = 1,
                 pause_max: float = 120.0, monotonic: Clock = time.monotonic,
                 clock: Clock = time.time) -> None:
        self.maximum = max(1, maximum)
        self.minimum = max(1, min(minimum, self.maximum))
        self.size = float(min(max(initial, self.minimum), self.maximum))
        self.pause_max = pause_max
        self.in_flight = 0
        self.paused_until = 0.0  # monotonic time before which nothing new is sent
        self.budget: int | None = None  # requests left in the server's current window
        self.limit: int | None = None  # the advertised X-RateLimit-Limit
        self.pauses = 0  # how often Retry-After or an empty budget held the client
        self._budget_key: str | None = None
        self._budget_until = 0.0
        self._monotonic = monotonic
        self._clock = clock
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        """Wait until one more request may be sent, and count it as in flight."""
        while True:
            now = self._monotonic()
            if self.paused_until > now:
                await asyncio.sleep(self.paused_until - now)
                continue
            if self.budget is not None and now >= self._budget_until:
                # The server's window has rolled over: as many as it allows per window, until
                # an answer from the new window says how many are left and for how long.
                self.budget = None if self.limit is None else self.limit - self.in_flight
                self._budget_key = None
                self._budget_until = math.inf
            if self.budget is not None and self.budget <= 0:
                if self._budget_until == math.inf:
                    if self.in_flight == 0:  # no answer is coming to say more: probe
                        self.budget = None
                        continue
                    await self._released()
                else:
                    self._pause(self._budget_until - now)
                continue
            if self.in_flight >= int(self.size):
                await self._released()
                continue
            self.in_flight += 1
            if self.budget is not None:
                self.budget -= 1
            return

    async def _released(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if not waiter.done():  # cancelled while waiting
                waiter.cancel()

    def release(self, status: int | None, headers: Mapping[str, str] | None = None,
                retry_after: float | None = None) -> None:
        """A request ended: `status` None for a transport error; a 429's `retry_after`
        in seconds (None: absent)."""
        self.in_flight -= 1
        now = self._monotonic()
        info = RateLimitHeaders.parse(headers, now=self._clock()) if headers else None
        if info is not None:
            self._note_limits(info, now)
        if status == 429:
            if self.paused_until <= now:  # one decrease per pause, not one per 429 in flight
                self.size = max(float(self.minimum), self.size / 2)
            wait = retry_after
            if wait is None and info is not None and info.reset_in is not None:
                wait = info.reset_in
            self._pause(1.0 if wait is None else wait)
        elif status is not None:
            self.size = min(float(self.maximum), self.size + 1 / self.size)
        self._wake()

    def _note_limits(self, info: RateLimitHeaders, now: float) -> None:
        if info.limit is not None:
            self.limit = info.limit
        if info.remaining is None or info.reset_in is None:
            return
        # Requests still in flight may not have been counted by the server yet: count them.
        left = info.remaining - self.in_flight
        if info.reset_key == self._budget_key and self.budget is not None:
            self.budget = min(self.budget, left)  # answers arrive out of order: keep the lowest
        else:  # a new window (or the first answer that says so)
            self.budget, self._budget_key = left, info.reset_key
        self._budget_until = now + min(info.reset_in, self.pause_max)

    def _pause(self, seconds: float) -> None:
        until = self._monotonic() + max(0.0, min(seconds, self.pause_max))
        if until > self.paused_until:
            self.paused_until = until
            self.pauses += 1

    def _wake(self) -> None:
        free = int(self.size) - self.in_flight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1
