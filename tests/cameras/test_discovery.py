"""Discovery through the real pyrealsense2, against software devices emulating a D435 and a D405."""

from __future__ import annotations

from typing import Any

import pytest

from runner.cameras.discovery import DiscoveredCamera, discover, model_for_product
from runner.cameras.emulation import EmulatedCamera, EmulatedCameras, emulate, parse_emulated
from runner.errors import UsageError

from .helpers import D405_SERIAL, D435_SERIAL, software_only_context


def by_serial(cameras: list[DiscoveredCamera]) -> dict[str, DiscoveredCamera]:
    return {camera.serial: camera for camera in cameras}


def modes(camera: DiscoveredCamera, stream: str) -> dict[tuple[int, int], set[int]]:
    result: dict[tuple[int, int], set[int]] = {}
    for p in camera.profiles:
        if p.stream == stream:
            result.setdefault((p.width, p.height), set()).add(p.fps)
    return result


def test_discovers_both_emulated_cameras_with_their_camera_info(emulated: EmulatedCameras) -> None:
    cameras = discover(emulated.context)

    assert [c.serial for c in cameras] == sorted([D435_SERIAL, D405_SERIAL])
    d435, d405 = by_serial(cameras)[D435_SERIAL], by_serial(cameras)[D405_SERIAL]
    assert (d435.name, d435.product) == ("Intel RealSense D435", "D435")
    assert (d405.name, d405.product) == ("Intel RealSense D405", "D405")
    assert (d435.model, d405.model) == ("REALSENSE_D435", "REALSENSE")
    assert d435.firmware == "5.16.0.1"
    assert d435.usb_type == "3.2" and not d435.is_usb2
    assert d435.error is None and d405.error is None


def test_d435_profiles_are_the_datasheet_lists(emulated: EmulatedCameras) -> None:
    d435 = by_serial(discover(emulated.context))[D435_SERIAL]

    depth = modes(d435, "depth")
    assert depth[(1280, 720)] == {6, 15, 30}
    assert depth[(848, 480)] == {6, 15, 30, 60, 90}
    assert depth[(640, 480)] == {6, 15, 30, 60, 90}
    assert (480, 270) in depth and (424, 240) in depth
    assert (1920, 1080) not in depth
    assert modes(d435, "infra") == depth
    color = modes(d435, "color")
    assert color[(1920, 1080)] == {6, 15, 30}
    assert color[(1280, 720)] == {6, 15, 30}
    assert color[(640, 480)] == {6, 15, 30, 60}
    # Two sensors: depth and infrared on the stereo module, colour on its own RGB sensor.
    assert {p.sensor for p in d435.profiles if p.stream == "color"} == {"RGB Camera"}
    assert {p.sensor for p in d435.profiles if p.stream != "color"} == {"Stereo Module"}
    assert {p.format for p in d435.profiles if p.stream == "depth"} == {"z16"}
    infra = {(p.format, p.index) for p in d435.profiles if p.stream == "infra"}
    assert infra == {("y8", 1), ("y8", 2)}


def test_d405_streams_everything_from_one_sensor(emulated: EmulatedCameras) -> None:
    d405 = by_serial(discover(emulated.context))[D405_SERIAL]

    assert {p.sensor for p in d405.profiles} == {"Stereo Module"}
    assert modes(d405, "color")[(1280, 720)] == {5, 15, 30}
    assert modes(d405, "depth")[(848, 480)] == {5, 15, 30, 60, 90}
    assert modes(d405, "color") == modes(d405, "depth") == modes(d405, "infra")


def test_usb2_connection_is_reported() -> None:
    cameras = emulate([EmulatedCamera("D405", "1234", usb_type="2.1")], software_only_context())
    (camera,) = discover(cameras.context)
    assert camera.usb_type == "2.1" and camera.is_usb2


def test_no_device_is_an_empty_list(empty_context: Any) -> None:
    assert discover(empty_context) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Intel RealSense D435", ("D435", "REALSENSE_D435")),
        ("Intel RealSense D435I", ("D435I", "REALSENSE_D435")),
        ("Intel RealSense D405", ("D405", "REALSENSE")),
        ("Intel RealSense D455", ("D455", None)),
        ("Platform Camera", ("PLATFORM CAMERA", None)),
    ],
)
def test_product_names_map_to_control_plane_models(
    name: str, expected: tuple[str, str | None]
) -> None:
    assert model_for_product(name) == expected


def test_parse_emulated_accepts_model_serial_usb() -> None:
    assert parse_emulated("d405:42:2.1") == EmulatedCamera("D405", "42", usb_type="2.1")
    assert parse_emulated("D435") == EmulatedCamera("D435", D435_SERIAL)
    with pytest.raises(UsageError, match="MODEL one of D435, D405"):
        parse_emulated("D455")
