"""Every error of a section in one run (issue 14): a schema error in one field never hides
the semantic errors of its siblings."""

from __future__ import annotations

import datetime as dt

from runner.spec import load_sources
from tests.spec.corpus import BASE, RECURRING

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)


def found(text: str) -> list[tuple[str, int]]:
    result = load_sources({"f.yaml": text}, now=NOW)
    assert not result.campaigns
    assert all(d.code != "CMP199" for d in result.diagnostics), result.diagnostics
    return sorted((d.code, d.location.line if d.location else 0) for d in result.errors)


def test_a_bad_weekday_does_not_hide_a_bad_time_zone_and_date() -> None:
    # Before: only CMP113 for `funday`.
    text = (
        RECURRING.replace("days: weekdays", "days: [mon, funday]")
        .replace("timezone: Europe/Oslo", "timezone: Mars/Olympus")
        .replace("start: 2026-12-01", "start: 2027-02-30")
    )
    assert found(text) == [("CMP113", 13), ("CMP201", 14), ("CMP203", 15)]


def test_a_bad_time_zone_does_not_hide_bad_timestamps() -> None:
    # Absolute window; before: only CMP203.
    text = BASE.replace("timezone: Europe/Oslo", "timezone: Mars/Olympus").replace(
        "end: 2026-12-01T18:00:00", "end: 2026-12-01T25:00:00"
    )
    assert found(text) == [("CMP201", 14), ("CMP203", 15)]


def test_an_invalid_camera_model_does_not_hide_an_unknown_profile() -> None:
    # Before: only CMP113 for the model.
    text = BASE.replace("model: REALSENSE_D435", "model: REALSENSE_D999").replace(
        "        - {type: color", "        - colour-720p\n        - {type: color"
    )
    assert found(text) == [("CMP113", 7), ("CMP301", 11)]


def test_a_bad_stream_field_does_not_hide_another_cameras_problems() -> None:
    text = BASE.replace(
        "    - model: REALSENSE_D435",
        "    - {model: REALSENSE, serial: '1', device: d, streams: [{type: color, encoder: X, "
        "width: 1, height: 1, frameRate: 1, bitrate: 1}]}\n    - model: REALSENSE_D435",
    ).replace("frameRate: 15, bitrate", "frameRate: 15, nearCut: 9, farCut: 1, bitrate")
    assert found(text) == [("CMP113", 7), ("CMP303", 12)]


def test_a_zero_burst_count_does_not_hide_a_bad_duration() -> None:
    # Before: only CMP113 for count.
    text = BASE + "  trigger: standby\n  bursts: {count: 0, record: 30x, pause: 5s}\n"
    assert found(text) == [("CMP113", 17), ("CMP206", 17)]


def test_a_broken_rule_field_does_not_hide_its_siblings_or_other_rules() -> None:
    text = BASE + (
        "  recordings:\n"
        "    rules:\n"
        "      - name: a\n"
        "        when: {status: 7, older_than: soon}\n"
        "        tags: {add: [x], remove: [x]}\n"
        "      - {name: a, delete: true, when: {size: {min: 2GB, max: 1GB}}}\n"
    )
    assert found(text) == [
        ("CMP112", 19),  # status must be a string or a list
        ("CMP206", 19),  # older_than: soon
        ("CMP401", 21),  # the name is used twice
        ("CMP403", 21),  # min > max
        ("CMP405", 20),  # x both added and removed
    ]
