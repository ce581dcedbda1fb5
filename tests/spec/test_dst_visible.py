"""DST you can see: windows and occurrences that a DST gap or overlap moves, shrinks or removes
say so with both wall times and their dates (CMP204, CMP211, CMP216, CMP217, CMP218)."""

from __future__ import annotations

import datetime as dt

from runner.spec import load_sources

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)


def doc(window: str, extra: str = "", trigger: str = "scheduled") -> str:
    return f"""apiVersion: campaign/v1
kind: Campaign
metadata: {{name: dst}}
spec:
  profiles:
    c: {{type: color, alignTo: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
        bitrate: 1000000, nearCut: 300, farCut: 1000}}
  cameras:
    - {{model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001, streams: [c]}}
  window: {window}
  trigger: {trigger}
{extra}"""


def found(text: str) -> list[tuple[str, str, str]]:
    result = load_sources({"dst.yaml": text}, now=NOW)
    return [(d.code, d.severity, d.message) for d in result.diagnostics]


def test_a_window_inside_the_spring_gap_names_both_wall_times() -> None:
    codes = found(doc("{start: 2027-03-28T02:30:00, end: 2027-03-28T03:10:00, "
                      "timezone: Europe/Oslo}"))
    assert ("CMP211", "warning", "2027-03-28T02:30:00 does not exist in Europe/Oslo (DST gap); "
            "it is moved forward by the gap to 2027-03-28T03:30:00+02:00") in codes
    assert ("CMP204", "error", "window end 2027-03-28T03:10:00 is not after start "
            "2027-03-28T02:30:00 once DST is applied (2027-03-28T02:30:00 does not exist in "
            "Europe/Oslo (DST gap) and becomes 2027-03-28T03:30:00+02:00)") in codes


def test_a_window_over_the_change_that_shrinks_is_a_warning() -> None:
    codes = found(doc("{start: 2027-03-28T01:30:00, end: 2027-03-28T03:30:00, "
                      "timezone: Europe/Oslo}"))
    assert codes == [("CMP216", "warning", "the window 2027-03-28T01:30:00–2027-03-28T03:30:00 "
                      "is 1h long, not 2h: Europe/Oslo changes to or from DST in it (it runs "
                      "2027-03-28T01:30:00+01:00–2027-03-28T03:30:00+02:00)")]


def test_recurring_occurrences_dst_removes_or_changes_are_listed_by_date() -> None:
    codes = found(doc("{every: {days: daily, from: '02:00', to: '03:00'}, "
                      "timezone: Europe/Oslo, start: 2027-01-01}"))
    assert ("CMP217", "warning", "DST removes the 02:00–03:00 occurrence in Europe/Oslo on "
            "2027-03-28: that wall time does not exist then, so there is no session") in codes
    assert ("CMP216", "warning", "DST changes the 02:00–03:00 occurrence (1h) in Europe/Oslo: "
            "2027-10-31 is 2h") in codes


def test_a_recurring_window_away_from_the_change_says_nothing() -> None:
    assert found(doc("{every: {days: daily, from: '08:00', to: '18:00'}, "
                     "timezone: Europe/Oslo, start: 2027-01-01}")) == []


def test_bursts_are_checked_against_each_occurrences_real_length() -> None:
    bursts = "  bursts: {count: 17, record: 4m, pause: 1m, offset: 1m}\n"  # 85 minutes
    codes = found(doc("{every: {days: daily, from: '01:30', to: '03:30'}, "
                      "timezone: Europe/Oslo, start: 2027-01-01}", bursts, "standby"))
    assert ("CMP218", "warning", "bursts take 1h25m but DST shortens the occurrence on "
            "2027-03-28 (1h): its last bursts are not recorded") in codes
    assert not any(c == "CMP207" for c, _, _ in codes)  # the nominal 2h holds them
