"""The timeline core on the example campaigns and on small made-up ones: rows, bars at the
windows' times, ticks at the bursts' times, conflicts, the default range, live sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from runner.compile import session_id
from runner.spec import load_sources
from runner.spec.model import Campaign
from runner.timeline import (
    Booking,
    LiveSession,
    SessionRef,
    build_timeline,
    default_range,
    display_zone,
    find_conflicts,
)
from runner.timeline.axis import marks

from .helpers import NOW, OSLO, UTC, by_name, examples

WEEK_START = dt.datetime(2026, 12, 1, tzinfo=OSLO)
WEEK_END = dt.datetime(2026, 12, 8, tzinfo=OSLO)

SMALL = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: {name}}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "{serial}", device: {device},
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  window: {{start: "{start}", end: "{end}", timezone: {tz}}}
  trigger: scheduled
"""


def small(name: str, start: str, end: str, *, serial: str = "111", device: str = "dev_a",
          tz: str = "UTC") -> str:
    """A one-camera scheduled campaign with an absolute window."""
    return SMALL.format(name=name, serial=serial, device=device, start=start, end=end, tz=tz)


def load(*documents: str) -> tuple[Campaign, ...]:
    result = load_sources({f"c{i}.yaml": text for i, text in enumerate(documents)}, now=NOW)
    assert result.ok, [d.message for d in result.errors]
    return result.campaigns


def test_examples_show_in_oslo_time_over_the_week_from_today() -> None:
    campaigns = examples()
    assert display_zone(campaigns) == "Europe/Oslo"  # lab-bursts' offsets name no zone
    assert default_range(campaigns, NOW, "Europe/Oslo") == (WEEK_START, WEEK_END, "")


def test_rows_are_one_per_camera_grouped_by_device_then_campaign() -> None:
    timeline = build_timeline(examples(), WEEK_START, WEEK_END, NOW, tz="Europe/Oslo")
    groups = [(device, [(campaign, [r.camera for r in rows]) for campaign, rows in campaigns])
              for device, campaigns in timeline.groups()]
    assert groups == [
        ("dev_lab_001", [
            ("lab-grasping-bursts", ["REALSENSE 218622273574", "REALSENSE_D435 936322070512"]),
            ("warehouse-weekdays", ["REALSENSE_D435 936322070512"]),
        ]),
        ("dev_lab_002", [("warehouse-weekdays", ["V4L2CAMERA v4l2-lab-cam-01"])]),
        ("dev_vehicle_001", [
            ("depot-night-shift", ["REALSENSE 218622272031"]),
            ("vehicle-fleet-daily", ["REALSENSE_D435 844212070924"]),
            ("vehicle-survey-dec", ["REALSENSE_D435 844212070924"]),
        ]),
        ("dev_vehicle_002", [
            ("vehicle-fleet-daily", ["REALSENSE_D435 844212071131"]),
            ("vehicle-survey-dec", ["REALSENSE_D435 844212071131"]),
        ]),
    ]
    assert timeline.zone == "Europe/Oslo" and timeline.now == NOW and not timeline.live


def test_bars_sit_at_each_window_occurrence() -> None:
    timeline = build_timeline(examples(), WEEK_START, WEEK_END, NOW, tz="Europe/Oslo")
    rows = {(r.campaign, r.camera): r for r in timeline.rows}

    def spans(campaign: str, camera: str) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(b.start, b.end) for b in rows[(campaign, camera)].bars]

    def oslo(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 12, day, tzinfo=OSLO) + dt.timedelta(hours=hour)

    weekdays = [1, 2, 3, 4, 7]  # 2026-12-01 is a Tuesday
    assert spans("warehouse-weekdays", "V4L2CAMERA v4l2-lab-cam-01") == [
        (oslo(d, 8), oslo(d, 18)) for d in weekdays]
    assert spans("vehicle-fleet-daily", "REALSENSE_D435 844212070924") == [
        (oslo(d, 6), oslo(d, 22)) for d in range(1, 8)]
    # Overnight Mon/Wed/Fri 22:00-06:00 from 2026-12-01; the Monday one runs past the range.
    assert spans("depot-night-shift", "REALSENSE 218622272031") == [
        (oslo(d, 22), oslo(d + 1, 6)) for d in (2, 4, 7)]
    assert spans("vehicle-survey-dec", "REALSENSE_D435 844212071131") == [(oslo(1, 8), oslo(1, 18))]
    survey = rows[("vehicle-survey-dec", "REALSENSE_D435 844212071131")].bars[0]
    assert (survey.session, survey.state, survey.source) == ("vehicle-survey-dec", "Scheduled",
                                                             "declared")
    assert survey.session_id == session_id("vehicle-survey-dec", "")
    lab = rows[("lab-grasping-bursts", "REALSENSE 218622273574")].bars
    assert [(b.start, b.end, b.state) for b in lab] == [(oslo(7, 9), oslo(7, 10), "Standby")]
    assert all(b.start.utcoffset() == dt.timedelta(0) for b in lab)  # values in UTC


def test_ticks_are_the_planned_bursts() -> None:
    timeline = build_timeline(examples(), WEEK_START, WEEK_END, NOW, tz="Europe/Oslo")
    (row, *_) = [r for r in timeline.rows if r.campaign == "lab-grasping-bursts"]
    first = dt.datetime(2026, 12, 7, 9, 5, tzinfo=OSLO)  # window 09:00 + offset 5m
    assert len(row.ticks) == 20
    for i, tick in enumerate(row.ticks):
        assert tick.index == i and tick.session == "lab-grasping-bursts"
        assert tick.start == first + i * dt.timedelta(minutes=2, seconds=30)
        assert tick.stop - tick.start == dt.timedelta(seconds=30)
    assert all(not r.ticks for r in timeline.rows if r.trigger != "standby")


def test_example_conflicts_name_both_sessions_and_the_overlap() -> None:
    timeline = build_timeline(examples(), WEEK_START, WEEK_END, NOW, tz="Europe/Oslo")
    found = [(c.model, c.serial, c.first.name, c.second.name, c.start, c.end)
             for c in timeline.conflicts]
    dec1 = dt.datetime(2026, 12, 1, tzinfo=OSLO)
    dec7 = dt.datetime(2026, 12, 7, tzinfo=OSLO)
    hours = dt.timedelta(hours=1)
    assert found == [
        ("REALSENSE_D435", "844212070924", "vehicle-fleet-daily#2026-12-01",
         "vehicle-survey-dec", dec1 + 8 * hours, dec1 + 18 * hours),
        ("REALSENSE_D435", "844212071131", "vehicle-fleet-daily#2026-12-01",
         "vehicle-survey-dec", dec1 + 8 * hours, dec1 + 18 * hours),
        ("REALSENSE_D435", "936322070512", "warehouse-weekdays#2026-12-07",
         "lab-grasping-bursts", dec7 + 9 * hours, dec7 + 10 * hours),
    ]
    first = timeline.conflicts[0]
    assert first.first.location.endswith("vehicle-fleet-daily.yaml:22:5")
    assert first.second.location.endswith("vehicle-survey.yaml:22:5")
    rows = {(r.campaign, r.camera): r for r in timeline.rows}
    daily = rows[("vehicle-fleet-daily", "REALSENSE_D435 844212070924")]
    assert [b.conflict for b in daily.bars] == [True] + [False] * 6
    assert daily.conflicts == ((dec1 + 8 * hours, dec1 + 18 * hours),)
    # The lab's D405 is not shared: its bar is clean although its D435 conflicts.
    d405 = rows[("lab-grasping-bursts", "REALSENSE 218622273574")]
    d435 = rows[("lab-grasping-bursts", "REALSENSE_D435 936322070512")]
    assert d405.conflicts == () and [b.conflict for b in d405.bars] == [False]
    assert d435.conflicts == ((dec7 + 9 * hours, dec7 + 10 * hours),)


def test_back_to_back_windows_do_not_conflict_a_minute_of_overlap_does() -> None:
    touching = load(small("a", "2026-12-07T08:00:00", "2026-12-07T10:00:00"),
                    small("b", "2026-12-07T10:00:00", "2026-12-07T12:00:00"))
    start = dt.datetime(2026, 12, 7, tzinfo=UTC)
    assert build_timeline(touching, start, start + dt.timedelta(days=1), NOW).conflicts == ()
    overlapping = load(small("a", "2026-12-07T08:00:00", "2026-12-07T10:00:00"),
                       small("b", "2026-12-07T09:59:00", "2026-12-07T12:00:00"))
    (conflict,) = build_timeline(overlapping, start, start + dt.timedelta(days=1), NOW).conflicts
    assert (conflict.first.name, conflict.second.name) == ("a", "b")
    assert (conflict.start, conflict.end) == (start.replace(hour=9, minute=59),
                                              start.replace(hour=10))
    # Another camera at the same time is fine.
    apart = load(small("a", "2026-12-07T08:00:00", "2026-12-07T10:00:00"),
                 small("b", "2026-12-07T09:00:00", "2026-12-07T12:00:00", serial="222"))
    assert build_timeline(apart, start, start + dt.timedelta(days=1), NOW).conflicts == ()


def test_find_conflicts_on_bookings_directly() -> None:
    t = dt.datetime(2026, 12, 7, 8, tzinfo=UTC)
    hour = dt.timedelta(hours=1)

    def ref(name: str, id_: str | None = None) -> SessionRef:
        return SessionRef(name, id_ or name, None, "declared", "")

    bookings = [
        Booking("M", "1", ref("long"), t, t + 5 * hour),
        Booking("M", "1", ref("early"), t + hour, t + 2 * hour),
        Booking("M", "1", ref("late"), t + 3 * hour, t + 4 * hour),
        Booking("M", "1", ref("same", "long"), t, t + 5 * hour),  # the same session again
        Booking("M", "1", ref("empty"), t + hour, t + hour),  # zero length books nothing
        Booking("M", "2", ref("other camera"), t, t + 5 * hour),
    ]
    found = [(c.first.name, c.second.name, c.start, c.end) for c in find_conflicts(bookings)]
    assert found == [("long", "early", t + hour, t + 2 * hour),
                     ("long", "late", t + 3 * hour, t + 4 * hour)]


def test_range_clips_what_is_shown() -> None:
    campaigns = by_name(examples(), "vehicle-fleet-daily", "vehicle-survey-dec")
    start = dt.datetime(2026, 12, 2, 12, tzinfo=OSLO)
    timeline = build_timeline(campaigns, start, start + dt.timedelta(days=1), NOW,
                              tz="Europe/Oslo")
    daily = timeline.rows[0]
    assert [b.session for b in daily.bars] == ["vehicle-fleet-daily#2026-12-02",
                                               "vehicle-fleet-daily#2026-12-03"]
    assert timeline.conflicts == ()  # the survey day is out of range
    assert [r.bars for r in timeline.rows if r.campaign == "vehicle-survey-dec"] == [(), ()]
    with pytest.raises(ValueError):
        build_timeline(campaigns, start, start, NOW)


def test_default_range_falls_back_to_the_declared_windows() -> None:
    campaigns = by_name(examples(), "vehicle-survey-dec", "lab-grasping-bursts")
    later = dt.datetime(2027, 1, 15, 12, tzinfo=UTC)
    start, end, note = default_range(campaigns, later, "Europe/Oslo")
    assert (start, end) == (WEEK_START, dt.datetime(2026, 12, 8, tzinfo=OSLO))
    assert "declared windows" in note
    zones = load(small("a", "2026-12-07T08:00:00", "2026-12-07T10:00:00", tz="Europe/Oslo"),
                 small("b", "2026-12-07T08:00:00", "2026-12-07T10:00:00", tz="Asia/Tokyo"))
    assert display_zone(zones) == "UTC"  # two zones: never mixed


def test_live_sessions_sit_beside_the_declared_ones() -> None:
    campaigns = by_name(examples(), "vehicle-survey-dec", "vehicle-fleet-daily")
    day = dt.datetime(2026, 12, 1, tzinfo=OSLO)
    hour = dt.timedelta(hours=1)
    cam1 = ("REALSENSE_D435", "844212070924", "dev_vehicle_001")
    live = [
        # The declared survey session, Started by the platform.
        LiveSession(session_id("vehicle-survey-dec", ""), "vehicle-survey-dec",
                    "vehicle-survey-dec", day + 8 * hour, day + 18 * hour, "Started", (cam1,)),
        # An occurrence the daily campaign owns but no longer declares, overlapping the survey.
        LiveSession(session_id("vehicle-fleet-daily", "2026-11-30"),
                    "vehicle-fleet-daily#2026-11-30", "vehicle-fleet-daily",
                    day + 7 * hour, day + 9 * hour, "Stopped", (cam1,)),
        # A session nobody declares, on a camera no campaign names.
        LiveSession("f" * 32, "hand-made", None, day + 10 * hour, day + 11 * hour, "Standby",
                    (("V4L2CAMERA", "usb-9", "dev_other"),)),
        # Outside the range: not shown.
        LiveSession("e" * 32, "old", None, day - 48 * hour, day - 47 * hour, "Stopped",
                    (cam1,)),
    ]
    timeline = build_timeline(campaigns, day, day + 24 * hour, NOW, tz="Europe/Oslo",
                              live=live)
    assert timeline.live
    rows = {(r.device, r.campaign, r.camera): r for r in timeline.rows}
    survey = rows[("dev_vehicle_001", "vehicle-survey-dec", "REALSENSE_D435 844212070924")]
    assert [(b.session, b.state, b.source, b.conflict) for b in survey.live] == [
        ("vehicle-survey-dec", "Started", "live", False)]  # its declared bar carries the mark
    daily = rows[("dev_vehicle_001", "vehicle-fleet-daily", "REALSENSE_D435 844212070924")]
    assert [(b.session, b.conflict) for b in daily.live] == [
        ("vehicle-fleet-daily#2026-11-30", True)]
    stranger = rows[("dev_other", "", "V4L2CAMERA usb-9")]
    assert stranger.trigger == "" and stranger.bars == ()
    assert [b.session for b in stranger.live] == ["hand-made"]
    assert [d for d, _ in timeline.groups()] == ["dev_other", "dev_vehicle_001", "dev_vehicle_002"]
    pairs = {(c.first.name, c.second.name) for c in timeline.conflicts}
    assert ("vehicle-fleet-daily#2026-11-30", "vehicle-survey-dec") in pairs
    assert ("vehicle-fleet-daily#2026-12-01", "vehicle-survey-dec") in pairs
    stale = next(c for c in timeline.conflicts if c.first.name.endswith("2026-11-30"))
    assert (stale.first.source, stale.first.location) == ("live", "control plane")
    assert (stale.start, stale.end) == (day + 8 * hour, day + 9 * hour)


def test_dst_night_bars_are_as_long_as_they_really_are() -> None:
    text = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {name: night}
spec:
  cameras:
    - {model: REALSENSE_D435, serial: "111", device: dev_a,
       streams: [{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}]}
  window:
    every: {days: daily, from: "01:30", to: "03:30"}
    timezone: Europe/Oslo
    start: 2027-03-27
  trigger: scheduled
"""
    campaigns = load(text)
    start = dt.datetime(2027, 3, 27, tzinfo=OSLO)
    timeline = build_timeline(campaigns, start, start + dt.timedelta(days=2), NOW,
                              tz="Europe/Oslo")
    lengths = [b.end - b.start for b in timeline.rows[0].bars]
    assert lengths == [dt.timedelta(hours=2), dt.timedelta(hours=1)]  # spring forward
    # The axis steps real hours: 02:00 does not exist that night, so it is not labelled.
    night = dt.datetime(2027, 3, 28, tzinfo=OSLO)
    labels = [m.label for m in marks(night, night + dt.timedelta(hours=5), "Europe/Oslo", 5)]
    assert labels == ["Sun 28", "01:00", "03:00", "04:00", "05:00"]
