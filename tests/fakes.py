"""Test doubles of time (never of HTTP or the backends): a monotonic clock that moves only
when the code under test sleeps."""

from __future__ import annotations


class FakeTime:
    """A monotonic clock that only moves when someone sleeps; `sleeps` records each wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now
