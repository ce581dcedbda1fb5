"""spec.window: time zones, timestamps and dates, absolute and recurring windows.

Codes CMP201-CMP217 (see docs/campaign-files.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from runner.spec.checks._context import Context
from runner.spec.durations import format_duration
from runner.spec.model import AbsoluteWindow, RecurringWindow, Window
from runner.spec.windows import (
    dst_changed_occurrences,
    fixed_offset,
    occurrence_length,
    wall_text,
    wall_time_issue,
    zone,
)
from runner.spec.yamlsafe import Path

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_DAY_SETS = {"weekdays": {1, 2, 3, 4, 5}, "weekends": {6, 7}, "daily": {1, 2, 3, 4, 5, 6, 7}}
# A date with an offset but no time: Python parses it as naive midnight, dropping the offset.
_DATE_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}\s*(Z|[+-]\d{2}(:?\d{2})?)", re.IGNORECASE)
_UNKNOWN_ZONE = "\x00unknown"  # the window's time zone is invalid (already reported)


def check_window(ctx: Context, raw: dict[str, Any]) -> Window | None:
    """spec.window, built (None when it has errors); every sound field is checked."""
    path: Path = ("spec", "window")
    if "every" in raw:
        return _recurring(ctx, raw, path)
    tz = raw.get("timezone")
    tz_ok = tz is None or (
        ctx.sound((*path, "timezone")) and _timezone(ctx, tz, (*path, "timezone"))
    )
    # With a bad time zone, timestamps are still checked for their form.
    zone_name = tz if tz_ok else _UNKNOWN_ZONE
    start = end = None
    if ctx.sound((*path, "start")):
        start = _timestamp(ctx, raw["start"], (*path, "start"), zone_name)
    if ctx.sound((*path, "end")):
        end = _timestamp(ctx, raw["end"], (*path, "end"), zone_name)
    if start is None or end is None or not tz_ok:
        return None
    notes = [n for n in (_dst_note(raw["start"], start, tz), _dst_note(raw["end"], end, tz)) if n]
    if end <= start:
        dst = f" once DST is applied ({'; '.join(notes)})" if notes else ""
        ctx.report(
            (*path, "end"),
            "CMP204",
            f"window end {raw['end']} is not after start {raw['start']}{dst}",
            "make end later than start" + (", outside the DST change" if notes else ""),
        )
        return None
    if tz is not None and _wall(raw["start"]) is not None and _wall(raw["end"]) is not None:
        _shifted_window(ctx, path, raw, start, end, tz)
    if ctx.now is not None and end <= ctx.now:
        ctx.report(
            (*path, "end"),
            "CMP205",
            f"window ended in the past ({raw['end']})",
            "move the window into the future or delete the campaign",
            "warning",
        )
    return AbsoluteWindow(start, end, tz, ctx.at(path))


def _timezone(ctx: Context, name: str, path: Path) -> bool:
    try:
        zone(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
        ctx.report(
            path,
            "CMP203",
            f"unknown time zone {name!r}",
            "use an IANA name such as Europe/Oslo, America/New_York or UTC",
        )
        return False
    return True


def _timestamp(ctx: Context, text: str, path: Path, tz: str | None) -> dt.datetime | None:
    try:
        return _parse_timestamp(ctx, text, path, tz)
    except OverflowError:  # e.g. 9999-12-31T23:00:00 in a zone behind UTC
        ctx.report(
            path,
            "CMP201",
            f"timestamp {text.strip()!r} is out of range",
            "write a time between the years 1 and 9999 in UTC",
        )
        return None


def _parse_timestamp(ctx: Context, text: str, path: Path, tz: str | None) -> dt.datetime | None:
    raw = text.strip()
    try:
        value = dt.datetime.fromisoformat(
            raw.replace("z", "Z").replace("Z", "+00:00").replace(" ", "T", 1)
        )
    except ValueError:
        ctx.report(
            path,
            "CMP201",
            f"invalid timestamp {raw!r}",
            "write ISO 8601 such as 2026-12-01T08:00:00 (with timezone) or "
            "2026-12-01T08:00:00+01:00",
        )
        return None
    if value.tzinfo is None and _DATE_WITH_OFFSET.fullmatch(raw):
        ctx.report(
            path,
            "CMP201",
            f"invalid timestamp {raw!r}: a date with a UTC offset needs a time of day",
            f"write e.g. {raw[:10]}T00:00:00{raw[10:].strip()}",
        )
        return None
    if tz == _UNKNOWN_ZONE:
        return None  # the time zone is reported; nothing to resolve the time in
    if value.tzinfo is not None:
        if tz is not None:
            expected = value.astimezone(zone(tz)).utcoffset()
            if expected != value.utcoffset():
                ctx.report(
                    path,
                    "CMP213",
                    f"{raw} has offset {_offset(value.utcoffset())} but {tz} is at "
                    f"{_offset(expected)} then; the written offset is used",
                    "drop the offset to use the time zone, or fix the offset",
                    "warning",
                )
        return value
    if tz is None:
        ctx.report(
            path,
            "CMP202",
            f"timestamp {raw!r} has no UTC offset and the window has no timezone",
            "add `timezone: Europe/Oslo` (an IANA name) to the window, or an offset "
            "such as +01:00 or Z",
        )
        return None
    issue = wall_time_issue(value.date(), value.time(), tz)
    if issue == "gap":
        ctx.report(
            path,
            "CMP211",
            f"{raw} does not exist in {tz} (DST gap); it is moved forward by the gap to "
            f"{wall_text(fixed_offset(value.replace(tzinfo=zone(tz))), tz)}",
            "pick a time outside the DST change",
            "warning",
        )
    elif issue == "ambiguous":
        ctx.report(
            path,
            "CMP212",
            f"{raw} happens twice in {tz} (DST overlap); the first one is used "
            f"({wall_text(fixed_offset(value.replace(tzinfo=zone(tz))), tz)})",
            "add an explicit offset to choose",
            "warning",
        )
    # fold=0 resolution, normalised: the documented DST rule (runner/spec/windows.py).
    return fixed_offset(value.replace(tzinfo=zone(tz)))


def _date(ctx: Context, text: str, path: Path) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        ctx.report(path, "CMP201", f"invalid date {text!r}", "write YYYY-MM-DD, e.g. 2026-12-01")
        return None


def _recurring(ctx: Context, raw: dict[str, Any], path: Path) -> RecurringWindow | None:
    epath: Path = (*path, "every")
    every: dict[str, Any] = raw["every"] if ctx.intact(epath) else {}
    days: set[int] | None = None
    if "days" in every and ctx.sound((*epath, "days")):
        days_raw = every["days"]
        days = (
            set(_DAY_SETS[days_raw]) if isinstance(days_raw, str) else {_DAYS[d] for d in days_raw}
        )
    tz: str = raw.get("timezone", "")
    ok = ctx.sound((*path, "timezone")) and _timezone(ctx, tz, (*path, "timezone"))
    start_time = end_time = None
    if "from" in every and ctx.sound((*epath, "from")):
        start_time = dt.time.fromisoformat(every["from"])
    if "to" in every and ctx.sound((*epath, "to")):
        end_time = dt.time(0) if every["to"] == "24:00" else dt.time.fromisoformat(every["to"])
    if start_time is not None and start_time == end_time and every["to"] != "24:00":
        ctx.report(
            (*epath, "to"),
            "CMP214",
            f"from and to are both {every['from']}: zero or 24 hours?",
            'for whole days write from: "00:00", to: "24:00"',
        )
        ok = False
    start = _date(ctx, raw["start"], (*path, "start")) if ctx.sound((*path, "start")) else None
    until = None
    if raw.get("until") is not None:
        until = _date(ctx, raw["until"], (*path, "until")) if ctx.sound((*path, "until")) else None
        ok = ok and until is not None
    if start is None or days is None or start_time is None or end_time is None or not ok:
        return None
    if until is not None and until < start:
        ctx.report(
            (*path, "until"),
            "CMP209",
            f"until {until} is before start {start}",
            "make until the same as or later than start",
        )
        return None
    if until is not None and not any(
        (start + dt.timedelta(days=n)).isoweekday() in days
        for n in range(min(7, (until - start).days + 1))
    ):
        ctx.report(
            path,
            "CMP215",
            "the window has no occurrence between start and until",
            "widen start/until or change days",
            "warning",
        )
    if ctx.now is not None and until is not None and until < _local_date(ctx.now, tz):
        ctx.report(
            (*path, "until"),
            "CMP205",
            f"window ended in the past (until {until})",
            "move the window into the future or delete the campaign",
            "warning",
        )
    window = RecurringWindow(frozenset(days), start_time, end_time, tz, start, until,
                             ctx.at(path))
    _dst_occurrences(ctx, path, window)
    return window


def _wall(text: str) -> dt.datetime | None:
    """The naive wall time written, or None when it has an offset (or does not parse)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return value if value.tzinfo is None else None


def _dst_note(text: str, resolved: dt.datetime, tz: str | None) -> str | None:
    """How DST changed a written wall time, e.g. "02:30 does not exist ... it is 03:30+02:00"."""
    wall = _wall(text)
    if tz is None or wall is None:
        return None
    issue = wall_time_issue(wall.date(), wall.time(), tz)
    if issue == "gap":
        return (f"{wall.isoformat()} does not exist in {tz} (DST gap) and becomes "
                f"{wall_text(resolved, tz)}")
    if issue == "ambiguous":
        return (f"{wall.isoformat()} happens twice in {tz} (DST overlap); the first, "
                f"{wall_text(resolved, tz)}, is used")
    return None


def _shifted_window(ctx: Context, path: Path, raw: dict[str, Any], start: dt.datetime,
                    end: dt.datetime, tz: str) -> None:
    """CMP216 when DST makes an absolute window shorter or longer than its wall times say."""
    begin, finish = _wall(raw["start"]), _wall(raw["end"])
    assert begin is not None and finish is not None
    written, real = finish - begin, end - start
    if written != real:
        ctx.report(
            (*path, "end"),
            "CMP216",
            f"the window {begin.isoformat()}–{finish.isoformat()} is {format_duration(real)} "
            f"long, not {format_duration(written)}: {tz} changes to or from DST in it "
            f"(it runs {wall_text(start, tz)}–{wall_text(end, tz)})",
            "fine if intended; else move the window off the DST night",
            "warning",
        )


_SHOWN_DATES = 5


def _dst_occurrences(ctx: Context, path: Path, window: RecurringWindow) -> None:
    """CMP217 for occurrences DST removes, CMP216 for those it shortens or lengthens (with
    their dates, within a year from today or the window's start)."""
    first = _local_date(ctx.now, window.timezone) if ctx.now is not None else None
    changed = dst_changed_occurrences(window, first)
    nominal = format_duration(occurrence_length(window))
    span = f"{window.start_time:%H:%M}–{window.end_time:%H:%M}"
    removed = [day for day, length in changed if length <= dt.timedelta(0)]
    other = [(day, length) for day, length in changed if length > dt.timedelta(0)]
    if removed:
        ctx.report(
            path,
            "CMP217",
            f"DST removes the {span} occurrence in {window.timezone} on "
            f"{_dates([d.isoformat() for d in removed])}: that wall time does not exist "
            "then, so there is no session",
            "move from/to out of the DST change (02:00–03:00 in most of Europe) if the "
            "session is needed",
            "warning",
        )
    if other:
        ctx.report(
            path,
            "CMP216",
            f"DST changes the {span} occurrence ({nominal}) in {window.timezone}: "
            + _dates([f"{d.isoformat()} is {format_duration(n)}" for d, n in other]),
            "fine if intended; sessions on those dates are shorter or longer",
            "warning",
        )


def _dates(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN_DATES} more" if len(items) > _SHOWN_DATES else ""
    return ", ".join(items[:_SHOWN_DATES]) + more


def _local_date(now: dt.datetime, tz: str) -> dt.date:
    try:
        return now.astimezone(zone(tz)).date()
    except OverflowError:  # `now` at the very edge of datetime's range
        return now.date()


def _offset(value: dt.timedelta | None) -> str:
    minutes = int((value or dt.timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
