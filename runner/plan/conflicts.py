"""The one camera-conflict rule: two sessions booking the same camera over overlapping time.

A camera (model + serial) can record one session at a time. Two different sessions conflict
when they book it over overlapping `[start, end)`; back-to-back sessions (one ends when the
next starts) do not. `campaign validate`, `campaign plan` and `campaign timeline` all use
`find_conflicts`, so they agree on what a conflict is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from runner.compile import DesiredSession

Source = Literal["declared", "live"]


@dataclass(frozen=True, slots=True)
class SessionRef:
    """Which session a conflict involves, and where it comes from (file:line:col, or id)."""

    name: str
    id: str
    campaign: str | None
    source: Source
    location: str  # file:line:col in a campaign file, or "control plane"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two sessions booking the same camera over the overlapping interval [start, end)."""

    model: str
    serial: str
    first: SessionRef
    second: SessionRef
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class Booking:
    """A session's claim on one camera over [start, end)."""

    model: str
    serial: str
    session: SessionRef
    start: dt.datetime
    end: dt.datetime


def find_conflicts(bookings: Iterable[Booking]) -> tuple[Conflict, ...]:
    """Every pair of different sessions booking the same camera over overlapping [start, end).

    Back-to-back sessions (one ends when the next starts) do not conflict. Sorted by the
    overlap's start, then camera.
    """
    by_camera: dict[tuple[str, str], dict[str, Booking]] = {}
    for booking in bookings:
        if booking.end > booking.start:  # a session booked twice counts once
            by_camera.setdefault((booking.model, booking.serial), {}).setdefault(
                booking.session.id, booking)
    found: list[Conflict] = []
    for (model, serial), unique in by_camera.items():
        items = sorted(unique.values(), key=lambda b: (b.start, b.end, b.session.name))
        for i, first in enumerate(items):
            for j in range(i + 1, len(items)):  # not items[i + 1:]: a copy per booking
                second = items[j]
                if second.start >= first.end:
                    break  # sorted by start: nothing later overlaps `first`
                found.append(Conflict(model, serial, first.session, second.session,
                                      second.start, min(first.end, second.end)))
    found.sort(key=lambda c: (c.start, c.model, c.serial, c.first.name, c.second.name))
    return tuple(found)


def declared_bookings(sessions: Sequence[DesiredSession]) -> list[Booking]:
    """One booking per camera of each declared session, located at the camera's entry."""
    return [
        Booking(r.model, r.serial,
                SessionRef(s.name, s.id, s.campaign, "declared", r.location), s.start, s.end)
        for s in sessions for r in s.records
    ]


def first_per_pair(conflicts: Sequence[Conflict]) -> list[tuple[Conflict, int]]:
    """The earliest conflict of each (camera, campaign pair) and how many there are in all.

    Two recurring windows that overlap do so on every occurrence: one diagnostic per pair of
    campaigns and camera says it, with the count, instead of one per day.
    """
    groups: dict[tuple[str, str, str, str], list[Conflict]] = {}
    for c in conflicts:
        pair = sorted((_group(c.first), _group(c.second)))
        groups.setdefault((c.model, c.serial, pair[0], pair[1]), []).append(c)
    out = [(items[0], len(items)) for items in groups.values()]
    out.sort(key=lambda item: (item[0].start, item[0].model, item[0].serial))
    return out


def _group(ref: SessionRef) -> str:
    # Declared sessions group by campaign; a control-plane session stands for itself.
    return f"campaign:{ref.campaign}" if ref.source == "declared" else f"session:{ref.id}"


@dataclass(frozen=True, slots=True)
class ControlPlaneSession:
    """A session as the control plane has it, whoever made it: for conflicts and orphans.

    `cameras` holds (model, serial) of its records (empty when read by name only).
    """

    id: str
    name: str
    start: dt.datetime
    end: dt.datetime
    state: str
    cameras: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Neighbours:
    """What `plan` checks the campaigns against: sessions booking their cameras in the plan's
    span (`booked`), and every session by name and id (`named`, for orphans and strangers)."""

    booked: tuple[ControlPlaneSession, ...]
    named: tuple[ControlPlaneSession, ...]


class NeighbourReader(Protocol):
    """The read behind `plan`'s cross checks (`runner.adapters.controlplane` implements it)."""

    async def read_neighbours(
        self, cameras: tuple[tuple[str, str], ...], start: dt.datetime, end: dt.datetime
    ) -> Neighbours:
        """Sessions whose records use one of `cameras` and that overlap [start, end), and
        every session's id, name, dates and state; one query."""
        ...


@runtime_checkable
class SkippingNeighbourReader(NeighbourReader, Protocol):
    """A NeighbourReader that can leave out sessions the caller already knows (by id)."""

    async def read_neighbours_except(
        self, cameras: tuple[tuple[str, str], ...], start: dt.datetime, end: dt.datetime,
        known: Collection[str],
    ) -> Neighbours:
        """`read_neighbours` without the sessions whose id is in `known` (the server may
        still return some of them: callers filter as before)."""
        ...
