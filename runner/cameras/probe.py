"""Live capability checks: campaign cameras that are connected, against what they really offer.

`campaign validate --probe` calls `probe_diagnostics`. Cameras that are not connected are left
to the static capability check that `validate` always runs. Codes (stable):

- CMP601 error    the connected camera with that serial is another model
- CMP602 error    a requested stream (type, width, height, frameRate) is not a live profile
- CMP603 warning  streams of one sensor requested with different resolution or frame rate
                  (a RealSense sensor streams all its outputs in one mode: the D435 stereo
                  module for depth+infra, the D405's single module for depth+infra+color)
- CMP604 warning  USB 2 connection cannot carry the requested streams together
- CMP605 warning  the camera is connected but its sensors could not be read (busy, recovery)

USB 2 estimate: sum over requested streams of width x height x frameRate x bytes per pixel on
the wire (depth Z16 = 2, infra Y8 = 1, color YUYV = 2), against USB2_PRACTICAL_BYTES_PER_SECOND.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runner.cameras.discovery import DiscoveredCamera, StreamProfile, discover
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Camera, Campaign, Stream

# USB 2.0 high speed carries at most 53.2 MB/s of bulk payload (13 x 512-byte packets per
# 125 us microframe); about 75% of that is what a camera sustains next to other traffic.
# 640x480 @ 30 depth + color (36.9 MB/s) fits, which Intel supports on USB 2; 1280x720 @ 30
# depth alone (55.3 MB/s) does not.
USB2_PRACTICAL_BYTES_PER_SECOND = 40_000_000
# Bytes per pixel on the USB wire: depth Z16, infrared Y8, colour YUYV (RGB is made on the host).
WIRE_BYTES_PER_PIXEL: dict[str, int] = {"depth": 2, "infra": 1, "color": 2}


def probe_diagnostics(campaigns: Iterable[Campaign], context: Any = None) -> list[Diagnostic]:
    """Check each campaign camera that is connected (matched by serial) against its live profiles.

    `context` is a pyrealsense2 context (default: a new one, i.e. the real USB devices).
    """
    connected = {camera.serial: camera for camera in discover(context)}
    diagnostics: list[Diagnostic] = []
    for campaign in campaigns:
        for camera in campaign.cameras:
            live = connected.get(camera.serial)
            if live is not None:
                diagnostics.extend(check_camera(camera, live))
    return diagnostics


def check_camera(camera: Camera, live: DiscoveredCamera) -> list[Diagnostic]:
    """Diagnostics for one campaign camera against the connected device with its serial."""
    where = f"camera {camera.model} {camera.serial}"
    if live.model != camera.model:
        found = live.model or f"{live.product} (no control-plane model)"
        return [
            Diagnostic(
                camera.location, "error", "CMP601",
                f"{where}: the connected camera with this serial is a {found}",
                f"set model: {live.model}" if live.model else "use a supported camera",
            )
        ]
    if live.error:
        return [
            Diagnostic(
                camera.location, "warning", "CMP605",
                f"{where}: connected, but its stream profiles could not be read: {live.error}",
                "close other programs using the camera and probe again",
            )
        ]
    diagnostics = [d for s in camera.streams if (d := _check_stream(where, s, live)) is not None]
    diagnostics.extend(_check_shared_sensors(where, camera, live))
    usb2 = _check_usb2(where, camera, live)
    if usb2 is not None:
        diagnostics.append(usb2)
    return diagnostics


def _check_stream(where: str, stream: Stream, live: DiscoveredCamera) -> Diagnostic | None:
    of_type = [p for p in live.profiles if p.stream == stream.type]
    if any(
        (p.width, p.height, p.fps) == (stream.width, stream.height, stream.frame_rate)
        for p in of_type
    ):
        return None
    same_size = sorted({p.fps for p in of_type if (p.width, p.height) == (stream.width,
                                                                            stream.height)})
    if same_size:
        hint = (f"{stream.type} at {stream.width}x{stream.height} runs at "
                f"{', '.join(map(str, same_size))} fps")
    elif of_type:
        sizes = sorted({(p.width, p.height) for p in of_type}, key=lambda s: -s[0] * s[1])
        hint = f"{stream.type} resolutions: " + ", ".join(f"{w}x{h}" for w, h in sizes)
    else:
        hint = f"this camera has no {stream.type} stream"
    if live.is_usb2:
        # librealsense offers only the modes USB 2 can carry, so USB 3 may well have it.
        hint += f"; on USB {live.usb_type} the camera offers fewer modes: use a USB 3 port"
    return Diagnostic(
        stream.location, "error", "CMP602",
        f"{where}: {stream.type} {stream.width}x{stream.height} @ {stream.frame_rate} fps is "
        f"not offered by the connected {live.product} (serial {live.serial})",
        hint,
    )


def _sensor_of(stream_type: str, profiles: tuple[StreamProfile, ...]) -> str | None:
    sensors = {p.sensor for p in profiles if p.stream == stream_type}
    return sensors.pop() if len(sensors) == 1 else None


def _check_shared_sensors(
    where: str, camera: Camera, live: DiscoveredCamera
) -> list[Diagnostic]:
    by_sensor: dict[str, list[Stream]] = {}
    for stream in camera.streams:
        sensor = _sensor_of(stream.type, live.profiles)
        if sensor:
            by_sensor.setdefault(sensor, []).append(stream)
    diagnostics = []
    for sensor, streams in sorted(by_sensor.items()):
        modes = {(s.width, s.height, s.frame_rate) for s in streams}
        if len(modes) > 1:
            listed = ", ".join(f"{s.type} {s.width}x{s.height}@{s.frame_rate}" for s in streams)
            diagnostics.append(
                Diagnostic(
                    streams[1].location, "warning", "CMP603",
                    f"{where}: {listed} come from one sensor ({sensor}) that streams all its "
                    "outputs in one resolution and frame rate",
                    "use the same width, height and frameRate for these streams",
                )
            )
    return diagnostics


def bytes_per_second(stream_type: str, width: int, height: int, fps: int) -> int:
    """Estimated USB payload of one stream: width x height x fps x wire bytes per pixel."""
    return width * height * fps * WIRE_BYTES_PER_PIXEL.get(stream_type, 2)


def stream_bytes_per_second(stream: Stream) -> int:
    """`bytes_per_second` of a campaign stream."""
    return bytes_per_second(stream.type, stream.width, stream.height, stream.frame_rate)


def _check_usb2(where: str, camera: Camera, live: DiscoveredCamera) -> Diagnostic | None:
    if not live.is_usb2 or not camera.streams:
        return None
    total = sum(stream_bytes_per_second(s) for s in camera.streams)
    if total <= USB2_PRACTICAL_BYTES_PER_SECOND:
        return None
    return Diagnostic(
        camera.location, "warning", "CMP604",
        f"{where}: connected over USB {live.usb_type}, which carries about "
        f"{USB2_PRACTICAL_BYTES_PER_SECOND / 1e6:.0f} MB/s; the requested streams need "
        f"{total / 1e6:.1f} MB/s",
        "connect the camera to a USB 3 port (and a USB 3 cable), or lower resolution/frameRate",
    )
