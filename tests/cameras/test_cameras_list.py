"""`campaign cameras list` against the sandbox: real HTTP through the real gql/httpx client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
from runner.plan.model import ActualCamera

REPO = Path(__file__).resolve().parents[2]
# The demo seed (fixed by the control-plane contract), sorted by model then serial.
DEMO = [
    ("REALSENSE", "218622272031", "dev_vehicle_001"),
    ("REALSENSE", "218622273574", "dev_lab_001"),
    ("REALSENSE_D435", "844212070924", "dev_vehicle_001"),
    ("REALSENSE_D435", "844212071131", "dev_vehicle_002"),
    ("REALSENSE_D435", "936322070512", "dev_lab_001"),
    ("V4L2CAMERA", "v4l2-lab-cam-01", "dev_lab_002"),
]


def rows(cameras: list[ActualCamera]) -> list[tuple[str, str, str]]:
    return [(c.model, c.serial, c.device_id) for c in cameras]


async def read(sandbox: Any, **filters: str) -> list[ActualCamera]:
    config = ControlPlaneConfig(endpoint=sandbox.graphql_url, admin_secret=sandbox.admin_secret)
    async with ControlPlane(config) as client:
        return await client.known_cameras(**filters)


async def test_lists_the_seeded_cameras_in_order(sandbox: Any) -> None:
    assert rows(await read(sandbox)) == DEMO


async def test_filters_by_model_and_device(sandbox: Any) -> None:
    assert rows(await read(sandbox, model="REALSENSE")) == DEMO[:2]
    assert rows(await read(sandbox, device="dev_lab_001")) == [DEMO[1], DEMO[4]]
    assert rows(await read(sandbox, model="V4L2CAMERA", device="dev_lab_001")) == []


async def test_a_camera_added_to_the_control_plane_shows_up(sandbox: Any) -> None:
    mutation = (
        'mutation { insertCamera(object: {model: REALSENSE_D435, serial: "111111111111", '
        'deviceId: "dev_warehouse_001"}) { id } }'
    )
    response = httpx.post(sandbox.graphql_url, json={"query": mutation},
                          headers={"x-hasura-admin-secret": sandbox.admin_secret})
    assert "errors" not in response.json(), response.text
    found = rows(await read(sandbox, device="dev_warehouse_001"))
    assert found == [("REALSENSE_D435", "111111111111", "dev_warehouse_001")]


def campaign(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("HASURA_", "AVALA_")) and k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "runner", *args], capture_output=True, text=True, check=False,
        cwd=cwd, env={**clean, "PYTHONPATH": str(REPO), **env},
    )


def test_command_uses_the_configured_control_plane(sandbox: Any, tmp_path: Path) -> None:
    result = campaign("cameras", "list", "-o", "json", env=sandbox.env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = [(c["model"], c["serial"], c["device"]) for c in json.loads(result.stdout)]
    assert listed == DEMO
    assert result.stderr == ""  # no sandbox note: this is the configured endpoint
    # No embedded sandbox (the state dir holds only the introspected schema cache).
    assert not (tmp_path / ".campaign" / "sandbox.sqlite3").exists()


def test_command_text_table(sandbox: Any, tmp_path: Path) -> None:
    result = campaign("cameras", "list", "--device", "dev_lab_001", env=sandbox.env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "MODEL           SERIAL        DEVICE",
        "REALSENSE       218622273574  dev_lab_001",
        "REALSENSE_D435  936322070512  dev_lab_001",
    ]


def test_wrong_secret_is_one_line_without_the_secret(sandbox: Any, tmp_path: Path) -> None:
    env = {**sandbox.env, "HASURA_GRAPHQL_ADMIN_SECRET": "not-the-secret-x9"}
    result = campaign("cameras", "list", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: control plane rejected the request")
    assert result.stderr.count("\n") == 1
    assert "not-the-secret-x9" not in result.stderr + result.stdout
    assert sandbox.admin_secret not in result.stderr + result.stdout


def test_unreachable_control_plane_is_one_line(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    env = {"HASURA_GRAPHQL_ENDPOINT": "http://127.0.0.1:9/v1/graphql",
           "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret-value"}
    result = campaign("cameras", "list", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "unreachable" in result.stderr and result.stderr.count("\n") == 1
    assert "s3cret-value" not in result.stderr


def test_without_configuration_the_embedded_sandbox_answers(tmp_path: Path) -> None:
    result = campaign("cameras", "list", "-o", "json", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [(c["model"], c["serial"], c["device"]) for c in json.loads(result.stdout)] == DEMO
    assert "embedded sandbox" in result.stderr
    assert (tmp_path / ".campaign" / "sandbox.sqlite3").exists()


@pytest.mark.parametrize("flag", [["--model", "D435"], ["-o", "yaml"]])
def test_bad_flags_are_usage_errors(flag: list[str], tmp_path: Path) -> None:
    result = campaign("cameras", "list", *flag, env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
