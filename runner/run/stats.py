"""Lateness of transitions: what the runner records per transition and the per-session summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.states import SessionState


@dataclass(frozen=True)
class TransitionRecord:
    """One transition as it happened. Lateness is seconds after the deadline (negative = early).

    `sent` is when the request was handed to the connection, `ack` when the backend's answer
    arrived; both are None when the transition failed for good.
    """

    session: str
    burst: int
    state: str  # the state set: Started | Standby | Stopped
    deadline_offset: float  # seconds from the run's start to the deadline (for timelines)
    sent: float | None
    ack: float | None
    attempts: int
    error: str | None = None
    recovery: bool = False  # undoing a crash's leftovers; not part of the lateness figures


@dataclass(frozen=True)
class Lateness:
    """p50/p99/max of a set of lateness samples, in seconds (nearest-rank percentiles)."""

    count: int
    p50: float
    p99: float
    max: float

    def as_dict(self) -> dict[str, Any]:
        """Milliseconds, rounded to microseconds: the JSON and state-file form."""
        return {
            "count": self.count,
            "p50_ms": round(self.p50 * 1000, 3),
            "p99_ms": round(self.p99 * 1000, 3),
            "max_ms": round(self.max * 1000, 3),
        }


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of non-empty `samples`: always an observed value."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Sequence[float]) -> Lateness | None:
    """p50/p99/max of `samples`, or None when there are none."""
    if not samples:
        return None
    return Lateness(len(samples), percentile(samples, 50), percentile(samples, 99), max(samples))


@dataclass(frozen=True)
class SessionLateness:
    """Per-session figures: all timed transitions, and `Started` acknowledgements alone."""

    sent: Lateness | None
    ack: Lateness | None
    start_ack: Lateness | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (milliseconds)."""
        return {
            "sent": self.sent.as_dict() if self.sent else None,
            "ack": self.ack.as_dict() if self.ack else None,
            "start_ack": self.start_ack.as_dict() if self.start_ack else None,
        }


def session_lateness(records: Sequence[TransitionRecord]) -> SessionLateness:
    """Summarise the successful, on-schedule transitions of one session."""
    timed = [r for r in records if not r.recovery and r.sent is not None and r.ack is not None]
    return SessionLateness(
        sent=summarize([r.sent for r in timed if r.sent is not None]),
        ack=summarize([r.ack for r in timed if r.ack is not None]),
        start_ack=summarize([r.ack for r in timed
                             if r.ack is not None and r.state == SessionState.STARTED]),
    )
