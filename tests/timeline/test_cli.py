"""`campaign timeline` end to end: real processes, the example campaigns, a real sandbox for
`--live`."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from .helpers import EXAMPLES, NOW, run_cli
from .test_render import check_gantt

AT = ["--now", NOW.isoformat()]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "campaigns")
    return tmp_path


def test_text_by_default_with_conflicts_listed(workdir: Path) -> None:
    result = run_cli(["timeline", "campaigns/", *AT], workdir, {"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("Timeline 2026-12-01 00:00 → 2026-12-08 00:00 (times in Europe/Oslo); "
                        "now 2026-12-01 22:00")
    assert "dev_lab_001" in lines and "  lab-grasping-bursts (standby)" in lines
    assert "Camera conflicts in this range (3):" in lines
    assert ("  REALSENSE_D435 844212070924: vehicle-fleet-daily#2026-12-01 (campaigns/"
            "vehicle-fleet-daily.yaml:22:5) and vehicle-survey-dec (campaigns/vehicle-survey."
            "yaml:22:5) overlap 2026-12-01 08:00–18:00") in lines
    assert max(len(line) for line in lines[:25]) <= 120
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert result.stderr == ""  # no backend touched, no notice


def test_range_zone_and_formats(workdir: Path) -> None:
    day = run_cli(["timeline", "campaigns/", "--from", "2026-12-07", "--to", "2026-12-07",
                   "--tz", "UTC", *AT], workdir)
    assert day.returncode == 0, day.stderr
    assert day.stdout.startswith("Timeline 2026-12-07 00:00 → 2026-12-08 00:00 (times in UTC); "
                                 "now 2026-12-01 21:00\n")
    assert "2026-12-07 08:00–09:00" in day.stdout  # the lab conflict, in UTC
    soon = run_cli(["timeline", "campaigns/", "--from", "now", "--to", "36h", *AT], workdir)
    assert soon.stdout.startswith("Timeline 2026-12-01 22:00 → 2026-12-03 10:00 "), soon.stderr

    svg = run_cli(["timeline", "campaigns/", "-o", "svg", *AT], workdir)
    assert svg.returncode == 0, svg.stderr
    root = ET.fromstring(svg.stdout)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.stderr == ("note: 3 camera conflicts in this range, marked in red (`-o text` "
                          "lists them)\n")

    html = run_cli(["timeline", "campaigns/", "-o", "html", *AT], workdir)
    assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>")

    mermaid = run_cli(["timeline", "campaigns/vehicle-survey.yaml", "-o", "mermaid", *AT],
                      workdir)
    assert mermaid.returncode == 0, mermaid.stderr
    tasks = check_gantt(mermaid.stdout)
    assert [t["start"] for t in tasks] == ["2026-12-01 08:00", "2026-12-01 08:00",
                                           "2026-12-01 22:00"]
    assert mermaid.stderr == ""  # one campaign: no conflict


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "yesterday"], "error: --from 'yesterday' is not an ISO 8601 date or time"),
    (["--from", "2026-12-07", "--to", "2026-12-06T12:00"],
     "error: --to (2026-12-06T12:00:00+01:00) must be after --from"),
    (["--tz", "Mars/Olympus"], "error: --tz 'Mars/Olympus' is not an IANA time zone"),
    (["--now", "2026-12-01"], "error: --now '2026-12-01' has no UTC offset"),
])
def test_bad_options_are_one_line_usage_errors(workdir: Path, args: list[str],
                                               message: str) -> None:
    result = run_cli(["timeline", "campaigns/", *args], workdir)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_bad_campaign_files_fail_like_every_command(workdir: Path) -> None:
    (workdir / "campaigns" / "broken.yaml").write_text("apiVersion: campaign/v1\nkind: Campaign\n")
    result = run_cli(["timeline", "campaigns/", *AT], workdir)
    assert result.returncode == 1 and "broken.yaml:" in result.stderr
    assert "error(s) in campaign files" in result.stderr


def test_live_shows_the_control_planes_sessions_beside_the_declared_ones(
    sandbox: Any, workdir: Path
) -> None:
    sandbox.set_clock(NOW)  # the platform must not start the Scheduled sessions meanwhile
    env = sandbox.env
    applied = run_cli(["apply", "campaigns/lab-bursts.yaml", "--auto-approve", *AT],
                      workdir, env)
    assert applied.returncode == 0, applied.stderr
    result = run_cli(["timeline", "campaigns/vehicle-survey.yaml", "campaigns/lab-bursts.yaml",
                      "--live", "--from", "2026-12-01", "--to", "7d", *AT], workdir,
                     {**env, "COLUMNS": "110"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "      live" in out
    assert "Control-plane sessions in this range (1):" in out
    assert "  lab-grasping-bursts  Standby  2026-12-07 09:00–10:00" in out
    assert ("declared, not in the control plane (run `campaign apply`): vehicle-survey-dec"
            in out)
    assert "live Started" in out  # the legend names the live states
    without = run_cli(["timeline", "campaigns/lab-bursts.yaml", *AT], workdir, env)
    assert "live" not in without.stdout  # only --live reads the control plane
    assert sandbox.stats()["graphql"]["mutations"] > 0
