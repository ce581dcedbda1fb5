"""Camera conflicts and USB bandwidth across campaign files: `validate` (CMP610, CMP612)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from runner.spec import load_sources
from runner.spec.checks.conflicts import check_campaign_set
from tests.timeline.helpers import EXAMPLES, ROOT, run_cli

NOW = dt.datetime(2026, 12, 1, 4, tzinfo=dt.timezone.utc)


def campaign(name: str, window: str, serial: str = "844212070924", *,
             streams: str = "[color-720p]", device: str = "dev_vehicle_001",
             more_cameras: str = "") -> str:
    return f"""apiVersion: campaign/v1
kind: Campaign
metadata: {{name: {name}}}
spec:
  profiles:
    color-720p: {{type: color, alignTo: color, encoder: HEVC, width: 1280, height: 720,
                 frameRate: 15, bitrate: 1000000, nearCut: 300, farCut: 1000}}
    depth-848: {{type: depth, alignTo: depth, encoder: Classic, width: 848, height: 480,
                frameRate: 90, bitrate: 5000000, nearCut: 300, farCut: 1000}}
    infra-848: {{type: infra, alignTo: depth, encoder: Classic, width: 848, height: 480,
                frameRate: 90, bitrate: 5000000, nearCut: 300, farCut: 1000}}
  cameras:
    - {{model: REALSENSE_D435, serial: "{serial}", device: {device}, streams: {streams}}}
{more_cameras}  window: {window}
  trigger: scheduled
"""


DAY = "{start: 2026-12-01T08:00:00, end: 2026-12-01T18:00:00, timezone: Europe/Oslo}"


def codes(sources: dict[str, str]) -> list[tuple[str, str, str]]:
    result = load_sources(sources, now=NOW)
    assert result.ok, result.diagnostics  # each file alone is fine: the conflict is between
    return [(d.code, str(d.location), d.message)
            for d in check_campaign_set(result.campaigns, NOW)]


def test_two_files_booking_one_camera_at_once_is_an_error_naming_both_and_the_overlap() -> None:
    found = codes({
        "a.yaml": campaign("survey-a", DAY),
        "b.yaml": campaign("survey-b", "{start: 2026-12-01T17:00:00+01:00, "
                                       "end: 2026-12-01T20:00:00+01:00}"),
    })
    assert found == [(
        "CMP610", "b.yaml:13:7",
        "camera REALSENSE_D435 844212070924 is booked by survey-b (b.yaml:13:7) and by "
        "survey-a (a.yaml:13:7) over 2026-12-01T16:00:00–2026-12-01T17:00:00 UTC",
    )]


def test_back_to_back_windows_and_other_cameras_are_fine() -> None:
    assert codes({
        "a.yaml": campaign("survey-a", DAY),
        "b.yaml": campaign("survey-b", "{start: 2026-12-01T18:00:00+01:00, "
                                       "end: 2026-12-01T20:00:00+01:00}"),
        "c.yaml": campaign("survey-c", DAY, serial="844212071131"),
    }) == []


def test_recurring_overlaps_are_one_diagnostic_per_pair_with_a_count() -> None:
    daily = "{every: {days: daily, from: '06:00', to: '22:00'}, timezone: Europe/Oslo, " \
            "start: 2026-12-01}"
    weekdays = "{every: {days: weekdays, from: '21:00', to: '23:00'}, timezone: Europe/Oslo, " \
               "start: 2026-12-01, until: 2026-12-11}"
    (found,) = codes({"a.yaml": campaign("fleet", daily), "b.yaml": campaign("night", weekdays)})
    assert found[0] == "CMP610"
    assert "night#2026-12-01" in found[2] and "fleet#2026-12-01" in found[2]
    assert found[2].endswith("over 2026-12-01T20:00:00–2026-12-01T21:00:00 UTC "
                             "(and 8 more overlapping occurrences)")


def test_one_devices_cameras_streaming_past_the_usb_limit_is_a_warning() -> None:
    heavy = "[depth-848, infra-848, color-720p]"  # 73 + 37 + 28 MB/s raw
    others = "".join(
        f'    - {{model: REALSENSE_D435, serial: "84421207{n:04d}", device: dev_vehicle_001, '
        f"streams: {heavy}}}\n" for n in range(2))
    found = codes({"a.yaml": campaign("heavy", DAY, streams=heavy, more_cameras=others)})
    assert [(c, where) for c, where, _ in found] == [("CMP612", "a.yaml:14:7")]
    assert found[0][2].startswith("device dev_vehicle_001 streams about 413 MB/s from 3 "
                                  "cameras at once (from 2026-12-01T07:00:00 UTC")
    assert "more than the 400 MB/s USB limit of its cameras" in found[0][2]
    # Two of them fit.
    one_less = others.split("\n")[0] + "\n"
    assert codes({"a.yaml": campaign("heavy", DAY, streams=heavy, more_cameras=one_less)}) == []


def test_validate_fails_on_the_old_examples_in_every_format(tmp_path: Path) -> None:
    now = ["--now", NOW.isoformat()]
    text = run_cli(["validate", str(EXAMPLES), *now], ROOT)
    assert text.returncode == 1
    assert text.stdout.count("error CMP610") == 3
    assert ("vehicle-survey.yaml:16:7: error CMP610: camera REALSENSE_D435 844212070924 is "
            "booked by vehicle-survey-dec (" in text.stdout)
    github = run_cli(["validate", "-o", "github", str(EXAMPLES), *now], ROOT)
    assert github.stdout.count("::error file=") == 3 and "title=CMP610" in github.stdout
    as_json = json.loads(run_cli(["validate", "-o", "json", str(EXAMPLES), *now], ROOT).stdout)
    assert not as_json["valid"]
    assert [d["code"] for d in as_json["diagnostics"]] == ["CMP610"] * 3


def test_the_shipped_examples_do_not_conflict() -> None:
    result = run_cli(["validate", "campaigns/", "--now", NOW.isoformat()], ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 errors, 0 warnings" in result.stdout


def test_timeline_still_loads_conflicting_campaigns() -> None:
    result = run_cli(["timeline", str(EXAMPLES), "--now", "2026-12-01T21:00:00Z"], ROOT,
                     {"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "Camera conflicts in this range (3):" in result.stdout
