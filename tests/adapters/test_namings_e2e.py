"""plan / apply / run / trigger / doctor end to end against sandboxes served under Hasura's
other naming conventions, with no configuration: the adapter introspects and adapts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SandboxHandle, start_sandbox
from tests.reconcile.helpers import NOW
from tests.reconcile.test_commands import run
from tests.run.helpers import burst_campaign

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


@pytest.fixture(params=["hasura-default", "graphql-default"])
def named(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path / "sandbox.db", naming=request.param)
    try:
        yield handle
    finally:
        handle.close()


def test_apply_then_plan_is_empty(named: SandboxHandle, tmp_path: Path) -> None:
    named.set_clock(NOW)
    now = ["--now", NOW.isoformat()]
    applied = run(["apply", str(ROOT / "campaigns"), "--auto-approve", *now], tmp_path,
                  named.env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete!" in applied.stdout
    again = run(["plan", str(ROOT / "campaigns"), "--detailed-exitcode", *now], tmp_path,
                named.env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    destroyed = run(["destroy", str(ROOT / "campaigns"), "--auto-approve", "--force", *now],
                    tmp_path, named.env)
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Destroy complete!" in destroyed.stdout


def test_doctor_finds_every_operation(named: SandboxHandle, tmp_path: Path) -> None:
    result = run(["doctor", "-o", "json"], tmp_path, named.env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    fails = [f for f in report["findings"] if f["status"] == "fail"]
    assert fails == []
    found = {f["check"]: f["detail"] for f in report["findings"]}
    assert found["update by pk sessions"].startswith("as update")
    assert named.admin_secret not in result.stdout and named.api_key not in result.stdout


def test_run_and_trigger_switch_states(named: SandboxHandle, tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    named.set_clock(now)
    path = burst_campaign(tmp_path / "b.yaml", "named-bursts", count=2, record="300ms",
                          pause="300ms", now=now)
    ran = run(["run", str(path), "-o", "json"], tmp_path, named.env)
    assert ran.returncode == 0, ran.stderr
    (session,) = json.loads(ran.stdout)["sessions"]
    assert session["started"] == [0, 1] and session["final_state"] == "Standby"
    started = run(["trigger", "start", "named-bursts", str(path), "-o", "json"], tmp_path,
                  named.env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["after"] == "Started"
    stopped = run(["trigger", "stop", "named-bursts", str(path), "-o", "json"], tmp_path,
                  named.env)
    assert json.loads(stopped.stdout)["after"] == "Standby"


def test_a_wrong_secret_is_one_line_in_doctor(named: SandboxHandle, tmp_path: Path) -> None:
    env: dict[str, Any] = {**named.env, "HASURA_GRAPHQL_ADMIN_SECRET": "wrong-secret-value"}
    result = run(["doctor"], tmp_path, env)
    assert result.returncode == 1
    assert "admin secret was refused" in result.stdout
    assert "wrong-secret-value" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert httpx.get(named.url + "/v1/graphql").status_code in (200, 400, 401, 405)
