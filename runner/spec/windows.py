"""Window occurrences: which concrete [start, end) intervals a campaign's window covers.

Returned datetimes carry a fixed UTC offset (see `fixed_offset`).

DST rule (deterministic, documented in docs/campaign-files.md): a wall-clock time is
resolved in the window's IANA zone with `fold=0`. So

- a wall time inside a DST gap (e.g. 02:30 on the spring-forward night) moves forward by
  the length of the gap (02:30 -> 03:30 local, same UTC instant as "02:30 before the jump");
- an ambiguous wall time (e.g. 02:30 on the fall-back night) takes the first instant
  (the earlier offset, fold=0).

Occurrence keys: "" for an absolute window, the local start date "YYYY-MM-DD" for a
recurring one; the reconciler names sessions `<campaign>` and `<campaign>#<key>`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from runner.spec.model import AbsoluteWindow, Location, Occurrence, RecurringWindow, Window

_UTC = dt.timezone.utc
_NOWHERE = Location("", 0, 0)  # the cached DST computation needs no position


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached; raises ZoneInfoNotFoundError/ValueError)."""
    return ZoneInfo(name)


def resolve_local(day: dt.date, wall: dt.time, tz: str) -> dt.datetime:
    """The aware instant for wall time `wall` on `day` in zone `tz`, by the module's DST rule."""
    naive = dt.datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    return fixed_offset(naive.replace(tzinfo=zone(tz)))


def fixed_offset(value: dt.datetime) -> dt.datetime:
    """The same instant with a fixed-offset tzinfo (the zone's offset at that instant).

    A time in a gap comes back normalised (02:30 -> 03:30+02:00). Fixed offsets matter because
    PEP 495 makes a zoneinfo datetime inside a DST overlap unequal to every datetime in any
    other zone, which would break comparisons between occurrences and session dates.
    """
    instant = value.astimezone(_UTC)
    local = instant.astimezone(value.tzinfo)
    return instant.astimezone(dt.timezone(local.utcoffset() or dt.timedelta(0)))


def wall_time_issue(day: dt.date, wall: dt.time, tz: str) -> str | None:
    """Return "gap" (wall time does not exist that day), "ambiguous" (exists twice) or None."""
    info = zone(tz)
    naive = dt.datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=info)
    second = naive.replace(tzinfo=info, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # In a gap the round trip lands on a different wall time; when ambiguous it does not.
    back = first.astimezone(_UTC).astimezone(info).replace(tzinfo=None)
    return "gap" if back != naive else "ambiguous"


def occurrences(window: Window, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Every occurrence of `window` overlapping [start, end) (aware datetimes), in start order."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("occurrences() needs timezone-aware datetimes")
    if isinstance(window, AbsoluteWindow):
        if window.start < end and window.end > start:
            return [Occurrence("", window.start, window.end)]
        return []
    return _recurring(window, start, end)


def all_occurrences(window: Window, limit: int = 10_000) -> list[Occurrence]:
    """All occurrences of a bounded window (absolute, or recurring with `until`), <= `limit`."""
    if isinstance(window, AbsoluteWindow):
        return [Occurrence("", window.start, window.end)]
    if window.until is None:
        raise ValueError("a recurring window without `until` has no last occurrence")
    first = resolve_local(window.start, dt.time(0), window.timezone)
    # Two days past `until` covers its overnight occurrence; `until: 9999-12-31` ends at the
    # last instant datetime has.
    try:
        last = resolve_local(window.until + dt.timedelta(days=2), dt.time(0), window.timezone)
    except OverflowError:
        last = dt.datetime.max.replace(tzinfo=_UTC)
    return _recurring(window, first, last, limit)


def occurrence_length(window: RecurringWindow) -> dt.timedelta:
    """Nominal wall-clock length of one recurring occurrence (DST days may differ by the shift)."""
    begin = dt.datetime.combine(dt.date(2000, 1, 1), window.start_time)
    finish = dt.datetime.combine(dt.date(2000, 1, 1), window.end_time)
    if finish <= begin:
        finish += dt.timedelta(days=1)
    return finish - begin


def _recurring(
    window: RecurringWindow, start: dt.datetime, end: dt.datetime, limit: int | None = None
) -> list[Occurrence]:
    info = zone(window.timezone)
    # An overnight occurrence that began the day before `start` can still overlap it.
    first_day = max(window.start, _local_day(start, info, dt.date.min + dt.timedelta(days=1)))
    first_day = max(window.start, first_day - dt.timedelta(days=1))
    last_day = _local_day(end, info, dt.date.max)
    if window.until is not None:
        last_day = min(last_day, window.until)
    overnight = window.end_time <= window.start_time
    found: list[Occurrence] = []
    day = first_day
    while day <= last_day and (limit is None or len(found) < limit):
        if day.isoweekday() in window.days:
            try:
                occ_start = resolve_local(day, window.start_time, window.timezone)
                end_day = day + dt.timedelta(days=1) if overnight else day
                occ_end = resolve_local(end_day, window.end_time, window.timezone)
            except OverflowError:  # the last days of year 9999: past datetime's range
                break
            if occ_start < end and occ_end > start and occ_end > occ_start:
                found.append(Occurrence(day.isoformat(), occ_start, occ_end))
        if day == dt.date.max:
            break
        day += dt.timedelta(days=1)
    return found


def _local_day(value: dt.datetime, info: ZoneInfo, edge: dt.date) -> dt.date:
    """`value`'s date in `info`; `edge` when that lies past datetime's range (years 1/9999)."""
    try:
        return value.astimezone(info).date()
    except OverflowError:
        return edge


# How far the DST checks look: a year shows each yearly change once.
DST_LOOKAHEAD = dt.timedelta(days=366)


def dst_changed_occurrences(
    window: RecurringWindow, first_day: dt.date | None = None
) -> list[tuple[dt.date, dt.timedelta]]:
    """The occurrences DST removes (length 0) or makes shorter or longer than the nominal
    `occurrence_length`: (local start date, real length), within a year from `first_day`
    (default the window's start; never before it) and not after `until`."""
    # Many campaigns share a window (weekdays 08:00-18:00 in one zone): once per window.
    return list(_dst_changed(window.timezone, window.days, window.start_time, window.end_time,
                             window.start, window.until, first_day))


@lru_cache(maxsize=4096)
def _dst_changed(
    tz: str, days: frozenset[int], start_time: dt.time, end_time: dt.time, start: dt.date,
    until: dt.date | None, first_day: dt.date | None,
) -> tuple[tuple[dt.date, dt.timedelta], ...]:
    window = RecurringWindow(days, start_time, end_time, tz, start, until, _NOWHERE)
    return tuple(_dst_changed_occurrences(window, first_day))


def _dst_changed_occurrences(
    window: RecurringWindow, first_day: dt.date | None
) -> list[tuple[dt.date, dt.timedelta]]:
    info = zone(window.timezone)
    day = max(window.start, first_day or window.start)
    last = day + DST_LOOKAHEAD
    if window.until is not None:
        last = min(last, window.until)
    nominal = occurrence_length(window)
    overnight = window.end_time <= window.start_time
    found: list[tuple[dt.date, dt.timedelta]] = []
    if day.year > 1 and last.year < 9998:  # away from datetime's edges: cached offsets
        for candidate in _offset_change_days(window.timezone, day, last):
            if candidate.isoweekday() in window.days:
                length = _length_on(window, candidate, overnight)
                if length != nominal:
                    found.append((candidate, length))
        return found
    try:
        offset = dt.datetime.combine(day, dt.time(0), info).utcoffset()
        while day <= last:
            after = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0), info).utcoffset()
            # Only days whose occurrence can touch a change (this day or the next) are resolved.
            if after != offset and day.isoweekday() in window.days:
                length = _length_on(window, day, overnight)
                if length != nominal:
                    found.append((day, length))
            offset = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0),
                                         info).utcoffset()
            day += dt.timedelta(days=1)
    except OverflowError:  # the last days of year 9999
        pass
    return found


def _length_on(window: RecurringWindow, day: dt.date, overnight: bool) -> dt.timedelta:
    """How long the occurrence starting on `day` lasts on the wall clock's real time."""
    start = resolve_local(day, window.start_time, window.timezone)
    end = resolve_local(day + dt.timedelta(days=1) if overnight else day, window.end_time,
                        window.timezone)
    return max(end - start, dt.timedelta(0))


def _offset_change_days(tz: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Days d in [first, last] whose midnight offset differs from that of d + 2 days: the
    only days whose occurrence (this day or overnight into the next) DST can touch."""
    candidates: set[dt.date] = set()
    for year in range(first.year, last.year + 2):  # a change on 1 January names 31 December
        for change in _midnight_changes(tz, year):  # offset(change + 1) != offset(change)
            candidates.update((change - dt.timedelta(days=1), change))
    return sorted(
        d for d in candidates
        if first <= d <= last and _midnight_offset(tz, d + dt.timedelta(days=2))
        != _midnight_offset(tz, d)
    )


def _midnight_offset(tz: str, day: dt.date) -> dt.timedelta | None:
    return _midnight_offsets(tz, day.year)[day.timetuple().tm_yday - 1]


@lru_cache(maxsize=1024)
def _midnight_offsets(tz: str, year: int) -> tuple[dt.timedelta | None, ...]:
    """The zone's UTC offset at local midnight of every day of `year` (as the DST checks
    compute it: fold=0); once per zone and year instead of twice per day and window."""
    info = zone(tz)
    day = dt.date(year, 1, 1)
    offsets = []
    while day.year == year:
        offsets.append(dt.datetime.combine(day, dt.time(0), info).utcoffset())
        day += dt.timedelta(days=1)
    return tuple(offsets)


@lru_cache(maxsize=1024)
def _midnight_changes(tz: str, year: int) -> tuple[dt.date, ...]:
    """Days of `year` whose next midnight has another offset (the first of Jan included)."""
    offsets = _midnight_offsets(tz, year)
    following = (*offsets[1:], _midnight_offsets(tz, year + 1)[0])
    jan1 = dt.date(year, 1, 1).toordinal()
    changed = (a != b for a, b in zip(offsets, following, strict=True))
    return tuple(dt.date.fromordinal(jan1 + i) for i, change in enumerate(changed) if change)


def wall_text(moment: dt.datetime, tz: str) -> str:
    """`moment` as a wall time in `tz` with its offset, e.g. 2027-03-28T03:30:00+02:00."""
    return moment.astimezone(zone(tz)).isoformat()
