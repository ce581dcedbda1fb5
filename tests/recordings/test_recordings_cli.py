"""`campaign plan` / `campaign apply` with `spec.recordings`, as users and CI scripts run them.

A real campaign file, the real CLI in a subprocess, the sandbox over loopback HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .helpers import UTC, iso, seed_recordings
from .test_recordings_sandbox import NOW, patch_count, rec, remote

CAMPAIGN = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {name: harbour-nov}
spec:
  cameras:
    - model: REALSENSE_D435
      serial: "844212070924"
      device: dev_vehicle_001
      streams:
        - {type: color, alignTo: color, encoder: HEVC, width: 1280, height: 720,
           frameRate: 15, bitrate: 1000000}
  window: {start: 2026-11-01T00:00:00Z, end: 2026-11-30T00:00:00Z}
  trigger: scheduled
  recordings:
    rules:
      - name: tag-campaign
        tags: {add: ["campaign:harbour-nov"]}
      - name: drop-short
        when: {duration: {max: 5s}}
        delete: true
"""


def campaign_cli(sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **sandbox.env}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True,
                          text=True, env=env, check=False)


def test_plan_and_apply_recordings_through_the_cli(sandbox: Any, tmp_path: Path) -> None:
    import datetime as dt

    day = dt.datetime(2026, 11, 10, 9, tzinfo=UTC)
    seed_recordings(sandbox.db_path, [
        rec("keep-me", started=day, duration=600, tags=("raw",)),
        rec("too-short", started=day + dt.timedelta(hours=1), duration=2),
        rec("december", started=dt.datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ])
    path = tmp_path / "harbour.yaml"
    path.write_text(CAMPAIGN)
    now = iso(NOW)

    plan = campaign_cli(sandbox, "plan", str(path), "--now", now)
    assert plan.returncode == 0, plan.stderr
    assert "Recordings of campaign harbour-nov: 1 to update, 1 to delete" in plan.stdout
    assert "delete too-short" in plan.stdout

    data = campaign_cli(sandbox, "plan", str(path), "--now", now, "-o", "json")
    assert data.returncode == 0, data.stderr
    body = json.loads(data.stdout)
    changes = {c["uid"]: c for section in _recording_sections(body) for c in section["changes"]}
    assert changes["keep-me"]["after"] == {"status": "completed",
                                           "tags": ["raw", "campaign:harbour-nov"]}
    assert changes["too-short"]["action"] == "delete"

    refused = campaign_cli(sandbox, "apply", str(path), "--now", now, "--auto-approve")
    assert refused.returncode == 1
    assert "--allow-delete" in refused.stderr and "Traceback" not in refused.stderr
    assert patch_count(sandbox) == 0 and remote(sandbox, "keep-me")[1] == ["raw"]

    done = campaign_cli(sandbox, "apply", str(path), "--now", now, "--auto-approve",
                        "--allow-delete")
    assert done.returncode == 0, done.stderr
    assert "Recordings: 1 updated, 1 deleted" in done.stdout
    assert remote(sandbox, "keep-me")[1] == ["raw", "campaign:harbour-nov"]

    before = patch_count(sandbox)
    again = campaign_cli(sandbox, "plan", str(path), "--now", now, "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 to update, 0 to delete, 1 unchanged of 1 scanned" in again.stdout
    assert patch_count(sandbox) == before


def _recording_sections(body: Any) -> list[dict[str, Any]]:
    # The plan JSON carries the recordings section under "recordings".
    sections = body.get("recordings") if isinstance(body, dict) else None
    assert isinstance(sections, list), f"no recordings section in {list(body)}"
    return sections
