"""-l/--selector on the commands that take PATHS: only the matching campaigns are planned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.reconcile.helpers import NOW
from tests.reconcile.test_commands import run

ROOT = Path(__file__).resolve().parents[2]


def test_plan_takes_only_the_selected_campaigns(sandbox: Any, tmp_path: Path) -> None:
    now = ["--now", NOW.isoformat()]
    result = run(["plan", str(ROOT / "campaigns"), "-o", "json", "-l", "team=logistics", *now],
                 tmp_path, sandbox.env)
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)["campaigns"]) == ["depot-night-shift",
                                                              "warehouse-weekdays"]
    others = run(["plan", str(ROOT / "campaigns"), "-o", "json", "-l",
                  "team notin (logistics,manipulation),site!=fleet", *now], tmp_path,
                 sandbox.env)
    assert sorted(json.loads(others.stdout)["campaigns"]) == ["vehicle-survey-dec"]


def test_a_bad_selector_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["status", str(ROOT / "campaigns"), "-l", "site in lab-1"], tmp_path)
    assert result.returncode == 2
    assert "expected '(' after 'in'" in result.stderr and "Traceback" not in result.stderr


def test_no_campaign_matching_is_an_error(sandbox: Any, tmp_path: Path) -> None:
    result = run(["plan", str(ROOT / "campaigns"), "-l", "site=mars"], tmp_path, sandbox.env)
    assert result.returncode == 1 and "matches -l site=mars" in result.stderr
