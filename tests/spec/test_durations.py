"""Durations and sizes as written in campaign files."""

from __future__ import annotations

import datetime as dt

import pytest

from runner.spec.durations import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("5m", 300),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("90d", 90 * 86400),
        ("2w", 14 * 86400),
        ("250ms", 0.25),
        ("1d2h3m4s", 93784),
        ("PT10S", 10),
        ("pt1h30m", 5400),
        ("P90D", 90 * 86400),
        ("P1DT12H", 129600),
        ("45", 45),
        (30, 30),
        (1.5, 1.5),
    ],
)
def test_parse_duration_accepts(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text",
    ["", "10 sec", "5 minutes", "1h 30m", "-5s", "P1M", "P1Y", "abc", "10x", "1:30", True, -3],
)
def test_parse_duration_rejects_with_a_message(text: str | int | bool) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500MB", 500_000_000),
        ("2GiB", 2 * 1024**3),
        ("10 kb", 10_000),
        ("1.5kib", 1536),
        ("123", 123),
        (42, 42),
        ("7b", 7),
    ],
)
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["5 bananas", "MB", "-1", -1, False, "1..2MB"])
def test_parse_size_rejects(text: str | int | bool) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 3600, 5400, 86400 + 61])
def test_format_duration_round_trips(seconds: int) -> None:
    value = dt.timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value
