"""`campaign status` for standby campaigns: next burst and last run, in text and JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T12:00:00+00:00"
EXAMPLE = ROOT / "campaigns" / "lab-bursts.yaml"


def campaign(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HASURA_", "AVALA_")) and k != "CI"}
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd, text=True,
                          capture_output=True, env={**base, **env}, timeout=120, check=False)


def test_status_shows_the_next_burst_of_a_standby_campaign(sandbox: Any, tmp_path: Path) -> None:
    applied = campaign("apply", str(EXAMPLE), "--auto-approve", "--now", NOW,
                       cwd=tmp_path, env=sandbox.env)
    assert applied.returncode == 0, applied.stderr

    as_json = campaign("status", str(EXAMPLE), "-o", "json", "--now", NOW,
                       cwd=tmp_path, env=sandbox.env)
    assert as_json.returncode == 0, as_json.stderr
    (entry,) = json.loads(as_json.stdout)["campaigns"]
    bursts = entry["bursts"]
    # Window opens 09:00 Europe/Oslo (+01:00) on 2026-12-07; the pattern's offset is 5m.
    assert dt.datetime.fromisoformat(bursts["next_burst"]) == dt.datetime(
        2026, 12, 7, 8, 5, tzinfo=dt.timezone.utc
    )
    assert bursts["next_session"] == "lab-grasping-bursts"
    assert bursts["last_run"] is None
    assert entry["sessions"][0]["state"] == "Standby"

    as_text = campaign("status", str(EXAMPLE), "--now", NOW, cwd=tmp_path, env=sandbox.env)
    assert as_text.returncode == 0, as_text.stderr
    assert f"bursts: {bursts['summary']}" in as_text.stdout
    assert "lab-grasping-bursts  Standby" in as_text.stdout
