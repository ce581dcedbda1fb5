"""`campaign doctor` against the vendor-named sandbox and an unreachable endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.reconcile.test_commands import run


def test_doctor_is_ready_against_the_sandbox(sandbox: Any, tmp_path: Path) -> None:
    result = run(["doctor"], tmp_path, sandbox.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ready: everything the tool needs is there" in result.stdout
    assert "select sessions: as recordingSessions" in result.stdout
    assert "enum camera_model: REALSENSE_D435, REALSENSE, V4L2CAMERA" in result.stdout
    assert "paging: cursor pages" in result.stdout
    assert sandbox.admin_secret not in result.stdout and sandbox.api_key not in result.stdout


def test_doctor_reports_an_unreachable_endpoint_in_one_line(tmp_path: Path) -> None:
    env = {"HASURA_GRAPHQL_ENDPOINT": "http://127.0.0.1:9/v1/graphql",
           "HASURA_GRAPHQL_ADMIN_SECRET": "not-shown-anywhere"}
    result = run(["doctor", "-o", "json", "--timeout", "1"], tmp_path, env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (reach,) = [f for f in report["findings"] if f["check"] == "reachable"]
    assert reach["status"] == "fail" and "ConnectError" in reach["detail"]
    assert "not-shown-anywhere" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
