"""The fleet client's window: rate-limit headers read right, AIMD, pauses (no HTTP here;
the sandbox tests drive it over real HTTP)."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from runner.adapters.fleet_pacing import RateLimitHeaders, Window

NOW = 1_790_000_000.0  # an epoch second in 2026


def parse(**headers: str) -> RateLimitHeaders | None:
    return RateLimitHeaders.parse({k.replace("_", "-"): v for k, v in headers.items()}, now=NOW)


def test_no_headers_is_none_and_junk_is_unknown_not_an_error() -> None:
    assert parse() is None
    info = parse(x_ratelimit_limit="many", x_ratelimit_remaining="", x_ratelimit_reset="soon")
    assert info == RateLimitHeaders(None, None, None, "soon")


def test_reset_as_epoch_seconds_or_as_seconds_from_now() -> None:
    epoch = parse(x_ratelimit_limit="50", x_ratelimit_remaining="7",
                  x_ratelimit_reset=str(int(NOW) + 3))
    assert epoch == RateLimitHeaders(50, 7, 3.0, str(int(NOW) + 3))
    delta = parse(x_ratelimit_limit="50", x_ratelimit_remaining="0", x_ratelimit_reset="0.5")
    assert delta is not None and delta.reset_in == 0.5
    past = parse(x_ratelimit_reset=str(int(NOW) - 10))  # never negative
    assert past is not None and past.reset_in == 0.0


def test_an_epoch_reset_is_read_against_the_servers_date_when_the_clocks_disagree() -> None:
    server_now = NOW + 60  # the server's clock is a minute ahead of ours
    date = email.utils.formatdate(server_now, usegmt=True)
    info = parse(x_ratelimit_reset=str(int(server_now) + 2), date=date)
    assert info is not None and info.reset_in == pytest.approx(2.0, abs=1.0)
    # Within Date's one-second resolution our own clock is the better one.
    close = parse(x_ratelimit_reset=str(int(NOW) + 2),
                  date=email.utils.formatdate(NOW + 1, usegmt=True))
    assert close is not None and close.reset_in == 2.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def window(initial: int = 8, maximum: int = 8) -> tuple[Window, Clock]:
    clock = Clock()
    return Window(initial=initial, maximum=maximum, monotonic=clock, clock=lambda: NOW), clock


def test_aimd_halves_once_per_pause_and_grows_back_by_one_per_window() -> None:
    win, clock = window(initial=8, maximum=16)

    async def go() -> None:
        for _ in range(4):
            await win.acquire()
        for _ in range(4):  # four 429s of one burst: one decrease, one pause
            win.release(429, retry_after=2.0)
        assert win.size == 4 and win.paused_until == clock.now + 2 and win.pauses == 1
        clock.now += 3  # the pause is over
        for _ in range(4):
            await win.acquire()
            win.release(200)
        assert win.size == pytest.approx(5.0, abs=0.1)  # +1 after a window's worth

    asyncio.run(go())


def test_the_window_caps_requests_in_flight() -> None:
    win, _ = window(initial=2, maximum=2)

    async def go() -> None:
        await win.acquire()
        await win.acquire()
        third = asyncio.ensure_future(win.acquire())
        await asyncio.sleep(0)
        assert not third.done() and win.in_flight == 2
        win.release(200)
        await asyncio.sleep(0)
        assert third.done() and win.in_flight == 2

    asyncio.run(go())


def test_an_empty_remaining_holds_new_requests_until_the_reset() -> None:
    win, clock = window()

    async def go() -> None:
        await win.acquire()
        await win.acquire()
        # The server's answer to the first: 1 left this window (the other is still in
        # flight and may not be counted yet), the window resets in 0.05 s.
        win.release(200, {"x-ratelimit-limit": "2", "x-ratelimit-remaining": "1",
                          "x-ratelimit-reset": str(int(NOW) + 1)})
        assert win.budget == 0 and win.limit == 2
        win.release(200)
        held = asyncio.ensure_future(win.acquire())
        await asyncio.sleep(0)
        assert not held.done() and win.pauses == 1  # paused until the reset
        clock.now += 1.01  # reset passed: as many as the limit allows, until an answer
        await asyncio.wait_for(held, 2)
        assert win.in_flight == 1 and win.budget == 1

    asyncio.run(go())
