"""For those who run no agent: apply, plan and status say when the applied horizon ends, and
status flags an open or missed occurrence that has no session, loudly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.reconcile.helpers import NOW
from tests.reconcile.test_commands import run

ROOT = Path(__file__).resolve().parents[2]
DAILY = str(ROOT / "campaigns" / "vehicle-fleet-daily.yaml")


def test_apply_and_plan_say_when_the_sessions_run_out(sandbox: Any, tmp_path: Path) -> None:
    now = ["--now", NOW.isoformat()]
    planned = run(["plan", DAILY, *now], tmp_path, sandbox.env)
    assert "recurring sessions will exist through 2026-12-04" in planned.stderr
    applied = run(["apply", DAILY, "--auto-approve", *now], tmp_path, sandbox.env)
    assert applied.returncode == 0, applied.stderr
    assert "recurring sessions exist through 2026-12-04" in applied.stderr
    assert "run `campaign agent`" in applied.stderr


def test_status_after_the_horizon_flags_open_and_missed_windows(sandbox: Any,
                                                                tmp_path: Path) -> None:
    assert run(["apply", DAILY, "--auto-approve", "--now", NOW.isoformat()], tmp_path,
               sandbox.env).returncode == 0
    later = (NOW + dt.timedelta(days=16, hours=-2)).isoformat()  # 2026-12-06 10:00 UTC
    text = run(["status", DAILY, "--now", later], tmp_path, sandbox.env)
    assert text.returncode == 0, text.stderr
    assert "WARNING: window open now and NO SESSION: vehicle-fleet-daily#2026-12-06" in text.stdout
    assert "WARNING: MISSED (the window passed with no session): vehicle-fleet-daily#2026-12-05" \
        in text.stdout
    data = run(["status", DAILY, "--now", later, "-o", "json"], tmp_path, sandbox.env)
    (entry,) = json.loads(data.stdout)["campaigns"]
    assert entry["open_without_session"] == ["vehicle-fleet-daily#2026-12-06"]
    assert "vehicle-fleet-daily#2026-12-05" in entry["missed"]
