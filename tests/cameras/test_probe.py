"""Live capability checks (`validate --probe`) against emulated cameras, via the real library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from runner.cameras.discovery import DiscoveredCamera
from runner.cameras.emulation import EmulatedCamera, EmulatedCameras, emulate
from runner.cameras.probe import (
    USB2_PRACTICAL_BYTES_PER_SECOND,
    check_camera,
    probe_diagnostics,
)
from runner.spec.diagnostics import Diagnostic
from runner.spec.loader import load_campaigns
from runner.spec.model import (
    AbsoluteWindow,
    Camera,
    Campaign,
    Location,
    SessionSettings,
    Stream,
    Trigger,
)

from .helpers import D405_SERIAL, D435_SERIAL, software_only_context

UTC = dt.timezone.utc


def stream(type_: str, width: int, height: int, fps: int, line: int = 10) -> Stream:
    return Stream(
        type=type_, align_to=type_, encoder="HEVC", width=width, height=height, frame_rate=fps,
        bitrate=1_000_000, near_cut=0, far_cut=65535, location=Location("c.yaml", line, 9),
    )


def camera(model: str, serial: str, *streams: Stream, line: int = 5) -> Camera:
    return Camera(model=model, serial=serial, device="dev_lab_001", streams=streams,
                  location=Location("c.yaml", line, 7))


def campaign(*cameras: Camera) -> Campaign:
    start = dt.datetime(2026, 12, 1, 8, tzinfo=UTC)
    return Campaign(
        name="probe-test", labels=(), description=None, cameras=cameras,
        session=SessionSettings(),
        window=AbsoluteWindow(start, start + dt.timedelta(hours=1), None, Location("c.yaml", 2, 3)),
        trigger=Trigger.SCHEDULED, bursts=None, recordings=None, location=Location("c.yaml", 1, 1),
    )


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def test_supported_streams_give_no_diagnostics(emulated: EmulatedCameras) -> None:
    campaigns = [campaign(
        camera("REALSENSE_D435", D435_SERIAL, stream("color", 1920, 1080, 30),
               stream("depth", 848, 480, 90)),
        camera("REALSENSE", D405_SERIAL, stream("color", 848, 480, 60),
               stream("depth", 848, 480, 60), stream("infra", 848, 480, 60)),
    )]
    assert probe_diagnostics(campaigns, emulated.context) == []


def test_unsupported_frame_rate_is_an_error_naming_the_supported_rates(
    emulated: EmulatedCameras,
) -> None:
    cam = camera("REALSENSE_D435", D435_SERIAL, stream("depth", 1280, 720, 60, line=12))
    (diagnostic,) = probe_diagnostics([campaign(cam)], emulated.context)
    assert diagnostic.code == "CMP602" and diagnostic.severity == "error"
    assert diagnostic.location == Location("c.yaml", 12, 9)
    assert "depth 1280x720 @ 60 fps is not offered by the connected D435" in diagnostic.message
    assert diagnostic.hint == "depth at 1280x720 runs at 6, 15, 30 fps"


def test_unsupported_resolution_lists_the_resolutions(emulated: EmulatedCameras) -> None:
    cam = camera("REALSENSE", D405_SERIAL, stream("color", 1920, 1080, 30))
    (diagnostic,) = probe_diagnostics([campaign(cam)], emulated.context)
    assert diagnostic.code == "CMP602"
    assert diagnostic.hint == (
        "color resolutions: 1280x720, 848x480, 640x480, 640x360, 480x270, 424x240"
    )


def test_serial_of_another_model_is_an_error(emulated: EmulatedCameras) -> None:
    cam = camera("REALSENSE", D435_SERIAL, stream("color", 1280, 720, 30))
    (diagnostic,) = probe_diagnostics([campaign(cam)], emulated.context)
    assert diagnostic.code == "CMP601" and diagnostic.severity == "error"
    assert "is a REALSENSE_D435" in diagnostic.message
    assert diagnostic.hint == "set model: REALSENSE_D435"


def test_one_sensor_in_two_modes_is_a_warning_on_the_d405_only(emulated: EmulatedCameras) -> None:
    mixed = (stream("color", 1280, 720, 30), stream("depth", 848, 480, 30))
    d405 = probe_diagnostics([campaign(camera("REALSENSE", D405_SERIAL, *mixed))], emulated.context)
    d435 = probe_diagnostics(
        [campaign(camera("REALSENSE_D435", D435_SERIAL, *mixed))], emulated.context
    )
    assert codes(d405) == ["CMP603"] and d405[0].severity == "warning"
    assert "one sensor (Stereo Module)" in d405[0].message
    assert d435 == []  # colour has its own RGB sensor on the D435


def test_depth_and_infra_share_the_d435_stereo_module(emulated: EmulatedCameras) -> None:
    cam = camera("REALSENSE_D435", D435_SERIAL, stream("depth", 848, 480, 30),
                 stream("infra", 640, 480, 30))
    assert codes(probe_diagnostics([campaign(cam)], emulated.context)) == ["CMP603"]


def usb2_context() -> Any:
    return emulate([EmulatedCamera("D405", D405_SERIAL, usb_type="2.1")], software_only_context())


def test_usb2_warns_when_the_streams_exceed_the_link() -> None:
    cameras = usb2_context()
    heavy = camera("REALSENSE", D405_SERIAL, stream("color", 1280, 720, 30),
                   stream("depth", 1280, 720, 30))
    (diagnostic,) = probe_diagnostics([campaign(heavy)], cameras.context)
    assert diagnostic.code == "CMP604" and diagnostic.severity == "warning"
    # 1280 x 720 x 30 x 2 bytes, twice
    assert "need 110.6 MB/s" in diagnostic.message and "USB 2.1" in diagnostic.message


def test_usb2_accepts_what_fits() -> None:
    cameras = usb2_context()
    light = camera("REALSENSE", D405_SERIAL, stream("color", 640, 480, 30),
                   stream("depth", 640, 480, 30))
    assert USB2_PRACTICAL_BYTES_PER_SECOND >= 2 * 640 * 480 * 30 * 2
    assert probe_diagnostics([campaign(light)], cameras.context) == []


def test_missing_mode_on_usb2_suggests_a_usb3_port() -> None:
    cameras = usb2_context()
    cam = camera("REALSENSE", D405_SERIAL, stream("depth", 1280, 720, 90))
    diagnostic, too_much = probe_diagnostics([campaign(cam)], cameras.context)
    assert (diagnostic.code, too_much.code) == ("CMP602", "CMP604")
    assert diagnostic.hint == (
        "depth at 1280x720 runs at 5, 15, 30 fps; on USB 2.1 the camera offers fewer modes: "
        "use a USB 3 port"
    )


def test_cameras_not_connected_are_left_to_the_static_check(emulated: EmulatedCameras) -> None:
    absent = [
        camera("REALSENSE_D435", "936322070512", stream("depth", 1280, 720, 60)),
        camera("V4L2CAMERA", "v4l2-lab-cam-01", stream("color", 4000, 3000, 1)),
    ]
    assert probe_diagnostics([campaign(*absent)], emulated.context) == []


def test_no_camera_connected_gives_no_diagnostics(empty_context: Any) -> None:
    cam = camera("REALSENSE_D435", D435_SERIAL, stream("depth", 1280, 720, 60))
    assert probe_diagnostics([campaign(cam)], empty_context) == []


# --- campaigns as the loader builds them (what `validate --probe` passes in) ------------------

REPO = Path(__file__).resolve().parents[2]
DEMO_CAMERAS = [
    EmulatedCamera("D435", "844212070924"), EmulatedCamera("D435", "844212071131"),
    EmulatedCamera("D435", "936322070512"), EmulatedCamera("D405", "218622272031"),
    EmulatedCamera("D405", "218622273574"),
]


def test_example_campaigns_pass_against_their_cameras_connected() -> None:
    result = load_campaigns([REPO / "campaigns"])
    assert result.ok and result.campaigns
    cameras = emulate(DEMO_CAMERAS, software_only_context())
    assert probe_diagnostics(result.campaigns, cameras.context) == []


def test_mismatching_campaign_file_points_at_the_stream(tmp_path: Path) -> None:
    path = tmp_path / "too-fast.yaml"
    path.write_text(
        "apiVersion: campaign/v1\nkind: Campaign\nmetadata: {name: too-fast}\nspec:\n"
        "  cameras:\n"
        "    - model: REALSENSE\n"
        "      serial: \"218622273574\"\n"
        "      device: dev_lab_001\n"
        "      streams:\n"
        "        - {type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 30,\n"
        "           bitrate: 4000000}\n"
        "        - {type: depth, encoder: Classic, width: 1280, height: 720, frameRate: 30,\n"
        "           bitrate: 8000000}\n"
        "  window: {start: 2026-12-01T08:00:00Z, end: 2026-12-01T09:00:00Z}\n"
        "  trigger: scheduled\n"
    )
    result = load_campaigns([path])
    assert result.ok, result.diagnostics  # the static table allows it ...
    cameras = emulate([EmulatedCamera("D435", "218622273574")], software_only_context())
    (wrong_model,) = probe_diagnostics(result.campaigns, cameras.context)
    assert wrong_model.code == "CMP601"  # ... but the camera on that serial is a D435
    assert wrong_model.location is not None and wrong_model.location.line == 6

    usb2 = emulate([EmulatedCamera("D405", "218622273574", usb_type="2.0")],
                   software_only_context())
    (slow_link,) = probe_diagnostics(result.campaigns, usb2.context)
    assert slow_link.code == "CMP604"  # ... or it is a D405 on a USB 2 port
    assert str(slow_link.location).startswith(f"{path}:6:")


def test_unreadable_camera_is_a_warning_not_a_crash() -> None:
    # A device another process holds open (or in recovery mode) reports an error instead of
    # profiles; software devices cannot fail that way, so this one is built by hand.
    busy = DiscoveredCamera(name="Intel RealSense D435", product="D435", model="REALSENSE_D435",
                            serial=D435_SERIAL, firmware=None, usb_type="3.2", profiles=(),
                            error="failed to set power state")
    cam = camera("REALSENSE_D435", D435_SERIAL, stream("depth", 1280, 720, 30))
    (diagnostic,) = check_camera(cam, busy)
    assert (diagnostic.code, diagnostic.severity) == ("CMP605", "warning")
    assert diagnostic.message.endswith("could not be read: failed to set power state")


def test_serial_of_a_product_without_a_model_is_an_error() -> None:
    d455 = DiscoveredCamera(name="Intel RealSense D455", product="D455", model=None,
                            serial="123", firmware=None, usb_type="3.2", profiles=())
    (diagnostic,) = check_camera(camera("REALSENSE_D435", "123"), d455)
    assert diagnostic.code == "CMP601"
    assert "is a D455 (no control-plane model)" in diagnostic.message
