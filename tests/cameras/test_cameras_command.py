"""`campaign cameras discover` end to end: the real library, emulated cameras, every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from runner.cameras.discovery import DiscoveredCamera, StreamProfile
from runner.cli import cli
from runner.commands.cameras import cameras_yaml
from runner.spec.loader import load_campaigns

from .helpers import D405_SERIAL, D435_SERIAL

EMULATE = ["--no-hardware", "--emulate", "D435", "--emulate", f"D405:{D405_SERIAL}:2.1"]


def discover(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["cameras", "discover", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_json_lists_cameras_and_every_profile() -> None:
    code, out, _ = discover("-o", "json", *EMULATE)
    assert code == 0
    cameras = json.loads(out)
    assert [c["serial"] for c in cameras] == [D405_SERIAL, D435_SERIAL]
    d405, d435 = cameras
    assert d405 | {"profiles": None} == {
        "name": "Intel RealSense D405", "product": "D405", "model": "REALSENSE",
        "serial": D405_SERIAL, "firmware": "5.16.0.1", "usbType": "2.1", "error": None,
        "profiles": None,
    }
    assert len(d405["profiles"]) == 168  # 28 modes x (depth, infra 1+2, color rgb8/bgr8/yuyv)
    assert len(d435["profiles"]) == 180  # 28 stereo modes x 3 + 32 colour modes x 3
    assert {
        "stream": "color", "index": 0, "format": "rgb8", "width": 1920, "height": 1080,
        "fps": 30, "sensor": "RGB Camera",
    } in d435["profiles"]


def test_text_is_a_table_per_camera() -> None:
    code, out, _ = discover(*EMULATE)
    assert code == 0
    assert (
        f"Intel RealSense D435  serial {D435_SERIAL}  model REALSENSE_D435  firmware 5.16.0.1  "
        "USB 3.2\n" in out
    )
    assert "USB 2.1 (USB 2: fewer modes and less bandwidth; use a USB 3 port)" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["RGB", "Camera", "color", "1920x1080", "6/15/30", "bgr8,rgb8,yuyv"] in rows
    assert ["Stereo", "Module", "depth", "848x480", "6/15/30/60/90", "z16"] in rows
    assert ["Stereo", "Module", "depth", "848x480", "5/15/30/60/90", "z16"] in rows  # the D405


def test_yaml_block_pastes_into_a_campaign_that_loads(tmp_path: Path) -> None:
    code, out, _ = discover("-o", "yaml", *EMULATE)
    assert code == 0
    block = yaml.safe_load(out)
    assert [c["serial"] for c in block["cameras"]] == [D405_SERIAL, D435_SERIAL]
    # Paste it under `spec:` of an otherwise complete campaign.
    campaign = tmp_path / "pasted.yaml"

    def paste(block: str) -> None:
        campaign.write_text(
            "apiVersion: campaign/v1\nkind: Campaign\nmetadata:\n  name: pasted\nspec:\n"
            + textwrap.indent(block, "  ")
            + "  window: {start: 2026-12-01T08:00:00Z, end: 2026-12-01T09:00:00Z}\n"
            "  trigger: scheduled\n"
        )

    # Unedited, the device placeholder is the one thing validation stops at, per camera.
    paste(out)
    unedited = load_campaigns([campaign])
    assert [(d.code, d.location.line if d.location else 0) for d in unedited.errors] == [
        ("CMP113", 10), ("CMP113", 17)]
    assert all("device" in d.message for d in unedited.errors)
    # With the device filled in, it loads clean.
    paste(out.replace('"<fleet-device-id>"', "dev_lab_001"))
    result = load_campaigns([campaign])
    assert result.errors == (), result.errors
    (loaded,) = result.campaigns
    by_serial = {c.serial: c for c in loaded.cameras}
    assert by_serial[D435_SERIAL].model == "REALSENSE_D435"
    # USB 3: the largest colour+depth mode at 30 fps; USB 2: one that fits the link.
    assert {(s.type, s.width, s.height, s.frame_rate) for s in by_serial[D435_SERIAL].streams} == {
        ("color", 1280, 720, 30), ("depth", 1280, 720, 30)}
    assert {(s.width, s.height) for s in by_serial[D405_SERIAL].streams} == {(640, 480)}


def test_yaml_placeholder_device_is_left_for_the_user() -> None:
    _, out, _ = discover("-o", "yaml", "--no-hardware", "--emulate", "D435")
    assert 'device: "<fleet-device-id>"  # replace with the fleet device id (campaign cameras' \
        " list)" in out


def test_no_camera_is_a_clear_message_and_exit_zero() -> None:
    code, out, _ = discover("--no-hardware")
    assert code == 0
    assert out.startswith("No RealSense camera found.")


def test_no_camera_in_json_is_an_empty_list() -> None:
    code, out, err = discover("-o", "json", "--no-hardware")
    assert (code, json.loads(out)) == (0, [])
    assert err.startswith("No RealSense camera found.")


def test_no_camera_in_yaml_is_an_empty_block() -> None:
    code, out, _ = discover("-o", "yaml", "--no-hardware")
    assert code == 0 and yaml.safe_load(out) == {"cameras": []}


def test_bad_emulate_value_is_a_usage_error_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runner", "cameras", "discover", "--emulate", "D455"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: --emulate 'D455': expected MODEL[:SERIAL[:USB]] with MODEL one of D435, D405, "
        "e.g. D435:844212070924:3.2\n"
    )


def test_validate_probe_runs_the_live_check_on_this_machine() -> None:
    # Real USB enumeration: with no camera attached every campaign camera is "not connected",
    # so only the static checks speak; with one attached, the live check might add findings.
    from runner.cameras.discovery import discover as discover_cameras

    if discover_cameras():
        pytest.skip("a RealSense camera is attached; its live findings would vary")
    result = subprocess.run(
        [sys.executable, "-m", "runner", "validate", "--probe", "campaigns/"],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def d455(serial: str) -> DiscoveredCamera:
    profiles = tuple(
        StreamProfile(stream, 1280, 720, 30, fmt, 0, "Stereo Module")
        for stream, fmt in (("depth", "z16"), ("color", "rgb8"))
    )
    return DiscoveredCamera(name="Intel RealSense D455", product="D455", model=None,
                            serial=serial, firmware="5.16.0.1", usb_type="3.2", profiles=profiles)


def test_yaml_keeps_cameras_without_a_control_plane_model_as_comments() -> None:
    # The D455 has no camera_model_enum: listed for the user, but not as a usable entry.
    only_unknown = cameras_yaml([d455("123")])
    assert yaml.safe_load(only_unknown) == {"cameras": []}
    assert "# D455 has no control-plane camera model; not usable yet:" in only_unknown
    assert '#   serial: "123"' in only_unknown


def test_list_with_filters_matching_nothing_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runner", "cameras", "list", "--sandbox", "--device", "nope"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The control plane knows no cameras matching the filters.\n"


def test_two_emulated_cameras_need_two_serials() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runner", "cameras", "discover", "--no-hardware",
         "--emulate", "D435", "--emulate", "D435"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --emulate: serial 844212070924 given twice;")
