"""The time axis shared by every renderer: where a moment falls, and the marks to label.

Positions are linear in real time (UTC), so a DST night is an hour shorter or longer on the
chart, as it is for the cameras; labels are wall times in the timeline's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from runner.spec.windows import resolve_local, zone

MINUTE_STEPS = (1, 5, 10, 15, 30, 60, 120, 180, 360, 720)


@dataclass(frozen=True)
class Mark:
    """A labelled moment on the axis; `major` marks start a day (or a larger unit)."""

    at: dt.datetime
    label: str
    major: bool


def fraction(start: dt.datetime, end: dt.datetime, moment: dt.datetime) -> float:
    """Where `moment` falls in [start, end) as 0..1 (not clipped)."""
    return (moment - start) / (end - start)


def local(moment: dt.datetime, tz: str) -> dt.datetime:
    """`moment` as wall time in zone `tz`."""
    return moment.astimezone(zone(tz))


def wall(moment: dt.datetime, tz: str, *, date: bool = True) -> str:
    """`2026-12-01 08:00` (or `08:00`) in zone `tz`; seconds only when there are some."""
    value = local(moment, tz)
    time = value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return f"{value:%Y-%m-%d} {time}" if date else time


def wall_interval(start: dt.datetime, end: dt.datetime, tz: str) -> str:
    """`2026-12-01 08:00–18:00`, or with both dates when they differ."""
    same_day = local(start, tz).date() == local(end, tz).date()
    return f"{wall(start, tz)}–{wall(end, tz, date=not same_day)}"


def marks(start: dt.datetime, end: dt.datetime, tz: str, slots: int) -> list[Mark]:
    """Axis marks for [start, end) with room for about `slots` labels: hours for short ranges,
    then days, weeks (Mondays) or months, at local wall-clock boundaries."""
    minutes = (end - start).total_seconds() / 60
    slots = max(slots, 1)
    step = next((m for m in MINUTE_STEPS if minutes / m <= slots), None)
    if step is not None:
        return _minute_marks(start, end, tz, step)
    days = minutes / 1440
    if days <= slots:
        return _day_marks(start, end, tz, lambda d: True, "%a %d")
    if days / 7 <= slots:
        return _day_marks(start, end, tz, lambda d: d.isoweekday() == 1, "%b %d")
    return _day_marks(start, end, tz, lambda d: d.day == 1, "%b %Y")


def _minute_marks(start: dt.datetime, end: dt.datetime, tz: str, step: int) -> list[Mark]:
    """Every wall time whose minute of the day is a multiple of `step` (stepping real
    minutes, so DST nights get the wall times they really have)."""
    found: list[Mark] = []
    moment = start.astimezone(dt.timezone.utc).replace(second=0, microsecond=0)
    if moment < start:
        moment += dt.timedelta(minutes=1)
    while moment < end:
        wall_time = local(moment, tz)
        if (wall_time.hour * 60 + wall_time.minute) % step == 0:
            major = wall_time.hour == 0 and wall_time.minute == 0
            label = wall_time.strftime("%a %d" if major else "%H:%M")
            found.append(Mark(moment, label, major))
            moment += dt.timedelta(minutes=step)  # the next multiple (or a DST-shifted one)
            continue
        moment += dt.timedelta(minutes=1)
    return found


def _day_marks(start: dt.datetime, end: dt.datetime, tz: str,
               keep: Callable[[dt.date], bool], label: str) -> list[Mark]:
    found: list[Mark] = []
    day = local(start, tz).date()
    while True:
        moment = resolve_local(day, dt.time(0), tz)
        if moment >= end:
            return found
        if moment >= start and keep(day):
            found.append(Mark(moment, local(moment, tz).strftime(label), True))
        day += dt.timedelta(days=1)
