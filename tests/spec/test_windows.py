"""Window occurrences: keys, overlap with a range, overnight windows and the DST rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from runner.spec.model import AbsoluteWindow, Location, RecurringWindow
from runner.spec.windows import (
    all_occurrences,
    dst_changed_occurrences,
    occurrence_length,
    occurrences,
    resolve_local,
    wall_time_issue,
)

HERE = Location("w.yaml", 1, 1)
OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.timezone.utc


def recurring(
    days: set[int],
    start: str,
    end: str,
    first: dt.date,
    until: dt.date | None,
    tz: str = "Europe/Oslo",
) -> RecurringWindow:
    return RecurringWindow(
        frozenset(days),
        dt.time.fromisoformat(start),
        dt.time.fromisoformat(end),
        tz,
        first,
        until,
        HERE,
    )


def test_absolute_window_has_one_occurrence_with_empty_key() -> None:
    start = dt.datetime(2026, 12, 1, 8, tzinfo=OSLO)
    window = AbsoluteWindow(start, start + dt.timedelta(hours=10), "Europe/Oslo", HERE)
    [occ] = occurrences(window, start - dt.timedelta(days=1), start + dt.timedelta(days=1))
    assert (occ.key, occ.start, occ.end) == ("", window.start, window.end)
    # [start, end) is half-open on both sides.
    assert occurrences(window, window.end, window.end + dt.timedelta(hours=1)) == []
    assert occurrences(window, start - dt.timedelta(hours=1), start) == []


def test_weekday_occurrences_are_keyed_by_local_date() -> None:
    window = recurring({1, 2, 3, 4, 5}, "08:00", "18:00", dt.date(2026, 11, 30), None)
    found = occurrences(
        window, dt.datetime(2026, 11, 30, tzinfo=UTC), dt.datetime(2026, 12, 7, tzinfo=UTC)
    )
    assert [o.key for o in found] == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
    ]
    assert found[0].start == dt.datetime(2026, 11, 30, 7, tzinfo=UTC)
    assert found[0].end == dt.datetime(2026, 11, 30, 17, tzinfo=UTC)


def test_start_and_until_bound_occurrences() -> None:
    window = recurring(
        {1, 2, 3, 4, 5, 6, 7}, "08:00", "09:00", dt.date(2026, 12, 2), dt.date(2026, 12, 4)
    )
    found = occurrences(
        window, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert [o.key for o in found] == ["2026-12-02", "2026-12-03", "2026-12-04"]
    assert all_occurrences(window) == found


def test_overnight_occurrence_overlapping_range_start_is_included() -> None:
    window = recurring({1}, "22:00", "06:00", dt.date(2026, 11, 30), None)  # Mondays
    tuesday_3am = dt.datetime(2026, 12, 1, 3, tzinfo=OSLO)
    [occ] = occurrences(window, tuesday_3am, tuesday_3am + dt.timedelta(hours=1))
    assert occ.key == "2026-11-30"
    assert occ.end - occ.start == dt.timedelta(hours=8)
    assert occurrence_length(window) == dt.timedelta(hours=8)


def test_spring_forward_gap_moves_start_forward_by_the_gap() -> None:
    # 2026-03-29 02:00 -> 03:00 in Oslo: 02:30 does not exist.
    assert wall_time_issue(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Oslo") == "gap"
    window = recurring({7}, "02:30", "04:00", dt.date(2026, 3, 1), None)
    [occ] = occurrences(
        window, dt.datetime(2026, 3, 29, tzinfo=UTC), dt.datetime(2026, 3, 30, tzinfo=UTC)
    )
    assert occ.start == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert occ.start.astimezone(OSLO).time() == dt.time(3, 30)
    assert occ.start.utcoffset() == dt.timedelta(hours=2)
    assert occ.end - occ.start == dt.timedelta(minutes=30)


def test_fall_back_overlap_takes_the_first_instant() -> None:
    # 2026-10-25 03:00 -> 02:00 in Oslo: 02:30 happens twice; fold=0 is the CEST one.
    assert wall_time_issue(dt.date(2026, 10, 25), dt.time(2, 30), "Europe/Oslo") == "ambiguous"
    instant = resolve_local(dt.date(2026, 10, 25), dt.time(2, 30), "Europe/Oslo")
    assert instant == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_window_across_dst_change_keeps_wall_times() -> None:
    window = recurring(
        {1, 2, 3, 4, 5, 6, 7}, "08:00", "18:00", dt.date(2026, 10, 24), dt.date(2026, 10, 26)
    )
    found = all_occurrences(window)
    assert [o.start.astimezone(OSLO).hour for o in found] == [8, 8, 8]
    assert [o.start.utcoffset() for o in found] == [
        dt.timedelta(hours=2),
        dt.timedelta(hours=1),
        dt.timedelta(hours=1),
    ]


def test_no_issue_for_ordinary_times_and_utc() -> None:
    assert wall_time_issue(dt.date(2026, 6, 1), dt.time(2, 30), "Europe/Oslo") is None
    assert wall_time_issue(dt.date(2026, 3, 29), dt.time(2, 30), "UTC") is None


def test_naive_range_is_refused() -> None:
    window = recurring({1}, "08:00", "09:00", dt.date(2026, 1, 1), None)
    with pytest.raises(ValueError):
        occurrences(window, dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1))


def test_occurrences_are_deterministic() -> None:
    window = recurring({1, 3, 5}, "22:00", "06:00", dt.date(2026, 1, 1), None, "America/New_York")
    rng = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 31, tzinfo=UTC))
    assert occurrences(window, *rng) == occurrences(window, *rng)
    # Mon/Wed/Fri from Fri 2 Jan to Mon 28 Dec (Wed 30 Dec starts after the range end).
    assert len(occurrences(window, *rng)) == 155


def _dst_changes_day_by_day(
    window: RecurringWindow, first_day: dt.date | None = None
) -> list[tuple[dt.date, dt.timedelta]]:
    """The DST check as it was first written: every day resolved against its midnights."""
    info = ZoneInfo(window.timezone)
    day = max(window.start, first_day or window.start)
    last = day + dt.timedelta(days=366)
    if window.until is not None:
        last = min(last, window.until)
    nominal = occurrence_length(window)
    overnight = window.end_time <= window.start_time
    found = []
    offset = dt.datetime.combine(day, dt.time(0), info).utcoffset()
    while day <= last:
        after = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0), info).utcoffset()
        if after != offset and day.isoweekday() in window.days:
            start = resolve_local(day, window.start_time, window.timezone)
            end_day = day + dt.timedelta(days=1) if overnight else day
            end = resolve_local(end_day, window.end_time, window.timezone)
            length = max(end - start, dt.timedelta(0))
            if length != nominal:
                found.append((day, length))
        offset = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), info).utcoffset()
        day += dt.timedelta(days=1)
    return found


@pytest.mark.parametrize(
    "tz",
    ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
     "Antarctica/Troll", "Pacific/Apia", "Africa/Casablanca", "UTC"],
)
def test_dst_changed_occurrences_equal_the_day_by_day_scan(tz: str) -> None:
    # Zones with 30-minute, 2-hour, southern-hemisphere, Ramadan and date-line changes; start
    # dates on and around New Year (the cached offsets are per year) and DST nights.
    starts = [dt.date(2011, 12, 28), dt.date(2026, 12, 31), dt.date(2027, 1, 1),
              dt.date(2027, 3, 27), dt.date(2027, 10, 30), dt.date(2026, 4, 4)]
    times = [("02:30", "03:30"), ("22:00", "06:00"), ("00:00", "00:00"), ("03:10", "02:30"),
             ("01:00", "23:59"), ("10:00", "18:00")]
    for first in starts:
        for begin, end in times:
            for until in (None, first + dt.timedelta(days=40), first + dt.timedelta(days=400)):
                window = recurring({1, 3, 5, 6, 7}, begin, end, first, until, tz)
                for today in (None, first + dt.timedelta(days=100)):
                    assert dst_changed_occurrences(window, today) == _dst_changes_day_by_day(
                        window, today
                    ), (first, begin, end, until, today)
