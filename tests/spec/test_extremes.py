"""Extremes are one-line errors, never OverflowError or CMP199 (issue 14)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from runner.cli import main
from runner.commands._now import EARLIEST_NOW, LATEST_NOW, parse_now
from runner.errors import UsageError
from runner.spec import load_campaigns, load_sources
from runner.spec.durations import MAX_HORIZON, parse_duration, parse_horizon, parse_size
from runner.spec.model import Location, RecurringWindow
from runner.spec.windows import all_occurrences, occurrences
from tests.spec.corpus import BASE

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize(
    "now",
    [
        "9999-12-25T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "8999-12-31T23:00:00-12:00",  # 9000-01-01T11:00Z
        "1969-12-31T23:59:59Z",
    ],
)
def test_now_out_of_range_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], now: str
) -> None:
    # Before: exit 0 for 9999-12-25 (but `plan` overflowed), CMP199 OverflowError for the
    # offsets at the edges.
    code, out, err = run(capsys, "validate", str(REPO / "campaigns"), "--now", now)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: --now {now!r} is out of range") and err.count("\n") == 1


def test_now_range_edges() -> None:
    assert parse_now("1970-01-01T00:00:00Z") == EARLIEST_NOW
    assert parse_now("8999-12-31T23:59:59Z") < LATEST_NOW
    with pytest.raises(UsageError):
        parse_now("9000-01-01T00:00:00Z")


def test_horizon_has_a_documented_maximum() -> None:
    assert parse_horizon("14d") == dt.timedelta(days=14)
    assert parse_horizon("366d") == MAX_HORIZON == dt.timedelta(days=366)
    for text, words in [
        ("1000000000d", "longer than the maximum of 366d"),  # before: OverflowError
        ("367d", "longer than the maximum of 366d"),
        ("P99999999999D", "longer than the maximum of 366d"),
        ("0s", "greater than zero"),
        ("soon", "invalid duration"),
    ]:
        with pytest.raises(ValueError, match=words) as info:
            parse_horizon(text)
        assert "\n" not in str(info.value)


def test_latest_now_plus_max_horizon_expands_in_every_zone() -> None:
    now = LATEST_NOW - dt.timedelta(seconds=1)
    for tz in ("Etc/GMT+12", "Pacific/Kiritimati", "America/Adak"):
        window = RecurringWindow(
            frozenset(range(1, 8)), dt.time(22), dt.time(6), tz, dt.date(2026, 1, 1), None,
            Location("f", 1, 1),
        )  # fmt: skip
        assert len(occurrences(window, now, now + MAX_HORIZON)) in (366, 367)


def test_compile_at_the_edges_of_now_does_not_overflow() -> None:
    from runner.compile import compile_campaigns

    campaigns = load_campaigns([REPO / "campaigns"]).campaigns
    for now in (EARLIEST_NOW, LATEST_NOW - dt.timedelta(seconds=1)):
        compile_campaigns(campaigns, now, MAX_HORIZON)


def test_until_far_in_the_future_is_bounded_work() -> None:
    window = RecurringWindow(
        frozenset({1, 2, 3, 4, 5}), dt.time(8), dt.time(18), "Europe/Oslo",
        dt.date(9999, 12, 1), dt.date(9999, 12, 31), Location("f", 1, 1),
    )  # fmt: skip
    assert all_occurrences(window)[-1].key == "9999-12-31"
    forever = RecurringWindow(
        window.days, window.start_time, window.end_time, "America/Adak", dt.date(2026, 12, 1),
        dt.date(9999, 12, 31), Location("f", 1, 1),
    )  # fmt: skip
    assert len(all_occurrences(forever, limit=50)) == 50  # stops at the limit


@pytest.mark.parametrize(
    ("value", "words"),
    [("1000000000d", "too long"), ("1" * 400 + "s", "too long"), (10**30, "too long")],
)
def test_durations_too_long_are_value_errors(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["9" * 400, 10**400, 2**63])
def test_sizes_too_large_are_value_errors(value: object) -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_size(value)  # type: ignore[arg-type]


def test_extreme_values_in_files_are_diagnostics_not_internal_errors() -> None:
    text = (
        BASE.replace("2026-12-01T08:00:00", "9999-12-31T22:00:00")
        .replace("2026-12-01T18:00:00", "9999-12-31T23:00:00")
        .replace("Europe/Oslo", "America/Adak")
        + "  trigger: standby\n"
        + "  bursts: {count: 100000, record: 900000000d, pause: 5s}\n"
        + "  recordings:\n    rules:\n"
        + "      - {name: a, delete: true, when: {older_than: 1000000000d, size: {max: "
        + "9" * 400
        + "}}}\n"
    )
    result = load_sources({"f.yaml": text}, now=EARLIEST_NOW)
    got = sorted((d.code, d.location.line if d.location else 0) for d in result.diagnostics)
    assert got == [("CMP201", 13), ("CMP201", 14), ("CMP206", 20), ("CMP406", 20)], got
    # With a window it fits in, the overflowing burst total is CMP207.
    text = text.replace("9999-12-31T22:00:00", "2026-12-01T08:00:00").replace(
        "9999-12-31T23:00:00", "2026-12-01T09:00:00"
    )
    result = load_sources({"f.yaml": text}, now=LATEST_NOW - dt.timedelta(seconds=1))
    codes = sorted(d.code for d in result.diagnostics)
    assert codes == ["CMP205", "CMP206", "CMP207", "CMP406"], result.diagnostics
