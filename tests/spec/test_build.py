"""Valid files become the model every layer uses: values, defaults, profiles, positions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from runner.spec import load_campaigns, load_sources
from runner.spec.model import AbsoluteWindow, Location, RecurringWindow, Trigger

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

FILE = """\
apiVersion: campaign/v1
kind: Campaign
metadata:
  name: full
  labels: {team: perception, site: lab-1}
  description: Everything.
spec:
  profiles:
    depth: &depth {type: depth, alignTo: color, encoder: Classic, width: 848, height: 480,
                   frameRate: 30, bitrate: 5000000, nearCut: 300, farCut: 3000}
  cameras:
    - model: REALSENSE_D435
      serial: "844212070924"
      device: dev_vehicle_001
      streams:
        - {type: color, encoder: HEVC, width: 848, height: 480, frameRate: 30, bitrate: 1000000}
        - {profile: depth, farCut: 2500}
  session: {mode: Streaming, maxSizeMegabytes: 100, maxTimeSeconds: 60}
  window: {start: "2026-12-01T08:00:00Z", end: "2026-12-01T10:00:00+01:00"}
  trigger: standby
  bursts: {count: 3, record: 10s, pause: PT5S, offset: 1m}
  recordings:
    select: {devices: [dev_vehicle_001], status: completed, tags: {any: [a, b]},
             withinWindows: false}
    rules:
      - name: archive
        when: {status: [completed], tags: {all: [x], none: [keep]}, older_than: 90d,
               newer_than: 365d, duration: {min: 10s, max: 1h}, size: {max: 2GiB},
               topic: /camera/color}
        tags: {add: [archived], remove: [fresh]}
        status: archived
      - name: drop
        delete: true
"""


def test_full_file_builds_every_field() -> None:
    result = load_sources({"full.yaml": FILE}, now=NOW)
    assert result.ok, result.diagnostics
    [c] = result.campaigns
    assert c.name == "full" and c.description == "Everything."
    assert c.labels == (("site", "lab-1"), ("team", "perception"))
    [cam] = c.cameras
    assert (cam.model, cam.serial, cam.device) == (
        "REALSENSE_D435",
        "844212070924",
        "dev_vehicle_001",
    )
    color, depth = cam.streams
    assert (color.type, color.align_to, color.near_cut, color.far_cut, color.profile) == (
        "color",
        "color",
        0,
        65535,
        None,
    )
    assert (depth.profile, depth.far_cut, depth.near_cut, depth.align_to) == (
        "depth",
        2500,
        300,
        "color",
    )
    assert depth.location.line == 17
    assert (c.session.mode, c.session.max_size_megabytes, c.session.max_time_seconds) == (
        "Streaming",
        100,
        60,
    )
    assert isinstance(c.window, AbsoluteWindow)
    assert c.window.start == dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc)
    assert c.trigger is Trigger.STANDBY
    assert c.bursts is not None
    assert (c.bursts.count, c.bursts.record, c.bursts.pause, c.bursts.offset) == (
        3,
        dt.timedelta(seconds=10),
        dt.timedelta(seconds=5),
        dt.timedelta(minutes=1),
    )
    assert c.recordings is not None
    sel = c.recordings.selector
    assert (sel.devices, sel.status, sel.tags_all, sel.tags_any, sel.within_windows) == (
        ("dev_vehicle_001",),
        ("completed",),
        (),
        ("a", "b"),
        False,
    )
    archive, drop = c.recordings.rules
    w = archive.when
    assert w.status == ("completed",) and w.tags_all == ("x",) and w.tags_none == ("keep",)
    assert w.older_than == dt.timedelta(days=90) and w.newer_than == dt.timedelta(days=365)
    assert (w.duration_seconds.min, w.duration_seconds.max) == (10, 3600)  # type: ignore[union-attr]
    assert w.size_bytes.max == 2 * 1024**3  # type: ignore[union-attr]
    assert w.topic == "/camera/color"
    assert (archive.add_tags, archive.remove_tags, archive.set_status, archive.delete) == (
        ("archived",),
        ("fresh",),
        "archived",
        False,
    )
    assert drop.delete and drop.when.status == ()
    assert c.locations["spec.cameras[0].serial"].line == 13
    assert c.location.line == 1


def test_bursts_must_fit_window_exactly_at_the_limit() -> None:
    # 3 x 10s + 2 x 5s + 1m = 100s; a 100 s window fits, 99 s does not.
    for end, ok in (("08:01:40", True), ("08:01:39", False)):
        text = FILE.replace('"2026-12-01T10:00:00+01:00"', f'"2026-12-01T{end}Z"')
        result = load_sources({"f.yaml": text}, now=NOW)
        assert result.ok is ok, result.diagnostics


def test_defaults_for_session_trigger_and_recurring_window() -> None:
    text = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {name: minimal}
spec:
  cameras:
    - {model: V4L2CAMERA, serial: v4l2-lab-cam-01, device: dev_lab_002,
       streams: [{type: color, encoder: H264, width: 1024, height: 576, frameRate: 25, bitrate: 1}]}
  window:
    every: {days: [mon, fri], from: "22:00", to: "24:00"}
    timezone: America/New_York
    start: 2026-12-01
"""
    result = load_sources({"m.yaml": text}, now=NOW)
    assert result.ok, result.diagnostics
    [c] = result.campaigns
    assert c.trigger is Trigger.SCHEDULED and c.bursts is None and c.recordings is None
    assert (c.session.mode, c.session.max_size_megabytes) == ("Storage", 0)
    assert isinstance(c.window, RecurringWindow)
    assert c.window.days == frozenset({1, 5}) and c.window.until is None
    assert (c.window.start_time, c.window.end_time) == (dt.time(22), dt.time(0))


def test_directories_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.yml").write_text(FILE.replace("name: full", "name: two"))
    (tmp_path / "a.yaml").write_text(FILE.replace("name: full", "name: one"))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("broken: [")
    result = load_campaigns([tmp_path], now=NOW)
    assert result.ok
    assert [Path(f).name for f in result.files] == ["a.yaml", "two.yml"]
    assert [c.name for c in result.campaigns] == ["one", "two"]


def test_missing_path_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    # Before (issue 14): UsageError (exit 2, no JSON document for tools).
    result = load_campaigns([tmp_path / "nope.yaml"])
    [d] = result.diagnostics
    assert (d.code, d.severity, d.location) == (
        "CMP109",
        "error",
        Location(str(tmp_path / "nope.yaml"), 1, 1),
    )
    assert "No such file" in d.message


def test_past_window_warning_needs_now() -> None:
    text = FILE.replace("2026-12-01", "2020-12-01")
    assert not load_sources({"f.yaml": text}).warnings
    result = load_sources({"f.yaml": text}, now=NOW)
    assert result.ok and [d.code for d in result.warnings] == ["CMP205"]


@pytest.mark.parametrize("start", ["2026-12-01+05:00", "2026-12-01Z", "2026-12-01-0300"])
def test_a_date_with_an_offset_but_no_time_is_refused_not_dropped(start: str) -> None:
    # Python reads such a date as naive midnight; the written offset must never be lost.
    text = FILE.replace('start: "2026-12-01T08:00:00Z"', f'start: "{start}"')
    result = load_sources({"f.yaml": text}, now=NOW)
    [d] = [d for d in result.errors if d.code == "CMP201"]
    assert start in d.message and "time of day" in d.message
    assert d.hint and "T00:00:00" in d.hint
    assert not result.campaigns
