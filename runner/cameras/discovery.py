"""Discover connected RealSense cameras and every stream profile they offer, via pyrealsense2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.cameras._realsense import import_realsense
from runner.errors import CameraError

# Product names (camera_info.name without "Intel RealSense ") -> camera_model_enum.
PRODUCT_MODELS: dict[str, str] = {
    "D435": "REALSENSE_D435",
    "D435I": "REALSENSE_D435",
    "D405": "REALSENSE",
}
_NAME_PREFIX = "INTEL REALSENSE "
# librealsense stream names -> the control plane's stream_type_enum.
_STREAM_TYPES = {"depth": "depth", "infrared": "infra", "color": "color"}


@dataclass(frozen=True, order=True)
class StreamProfile:
    """One mode a sensor can stream; `stream` uses the control plane's words where they exist."""

    stream: str  # color | depth | infra, else the librealsense name (e.g. "fisheye")
    width: int
    height: int
    fps: int
    format: str  # librealsense format name: z16, y8, rgb8, yuyv, ...
    index: int = 0  # librealsense stream index (infrared 1 = left, 2 = right)
    sensor: str = ""


@dataclass(frozen=True)
class DiscoveredCamera:
    """A connected RealSense device as pyrealsense2 reports it."""

    name: str  # e.g. "Intel RealSense D435"
    product: str  # e.g. "D435": the name without the vendor prefix, kept for unknown models
    model: str | None  # camera_model_enum, None when the control plane has no enum for it
    serial: str
    firmware: str | None
    usb_type: str | None  # usb_type_descriptor, e.g. "3.2" or "2.1"
    profiles: tuple[StreamProfile, ...]
    error: str | None = None  # why the sensors could not be read (busy, recovery mode)

    @property
    def is_usb2(self) -> bool:
        """True when the camera is connected over USB 2 (the descriptor starts with "2")."""
        return bool(self.usb_type) and str(self.usb_type).startswith("2")


def model_for_product(name: str) -> tuple[str, str | None]:
    """Split a device name into (product, camera_model_enum or None)."""
    upper = name.strip().upper()
    product = upper[len(_NAME_PREFIX):] if upper.startswith(_NAME_PREFIX) else upper
    return product, PRODUCT_MODELS.get(product)


def discover(context: Any = None) -> list[DiscoveredCamera]:
    """List connected RealSense devices (sorted by serial); `context` defaults to rs.context()."""
    rs = import_realsense()
    try:
        ctx = rs.context() if context is None else context
        devices = ctx.query_devices()
        cameras = [_open_and_describe(rs, devices, i) for i in range(len(devices))]
    except RuntimeError as exc:  # librealsense reports backend failures as RuntimeError
        raise CameraError(
            f"RealSense device query failed: {exc}; check the USB connection and permissions "
            "(udev rules from librealsense)"
        ) from exc
    return sorted(cameras, key=lambda camera: (camera.serial, camera.name))


def _open_and_describe(rs: Any, devices: Any, index: int) -> DiscoveredCamera:
    """One device of the list; a device that cannot even be opened (recovery mode, firmware
    update in progress) is still reported, with the reason, rather than failing discovery."""
    try:
        device = devices[index]
    except RuntimeError as exc:
        return DiscoveredCamera(name="unknown device", product="", model=None, serial="",
                                firmware=None, usb_type=None, profiles=(), error=str(exc))
    return _describe(rs, device)


def _describe(rs: Any, device: Any) -> DiscoveredCamera:
    def info(key: Any) -> str | None:
        return str(device.get_info(key)) if device.supports(key) else None

    name = info(rs.camera_info.name) or "unknown device"
    product, model = model_for_product(name)
    profiles: list[StreamProfile] = []
    error = None
    try:
        for sensor in device.query_sensors():
            sensor_name = (
                str(sensor.get_info(rs.camera_info.name))
                if sensor.supports(rs.camera_info.name)
                else ""
            )
            profiles.extend(_video_profiles(sensor, sensor_name))
    except RuntimeError as exc:  # e.g. opened by another process, or in recovery mode
        error = str(exc)
    return DiscoveredCamera(
        name=name,
        product=product,
        model=model,
        serial=info(rs.camera_info.serial_number) or "",
        firmware=info(rs.camera_info.firmware_version),
        usb_type=info(rs.camera_info.usb_type_descriptor),
        profiles=tuple(sorted(set(profiles), key=_profile_order)),
        error=error,
    )


def _video_profiles(sensor: Any, sensor_name: str) -> list[StreamProfile]:
    """Video profiles only: motion (IMU) profiles have no resolution and no campaign stream."""
    result = []
    for profile in sensor.get_stream_profiles():
        if not profile.is_video_stream_profile():
            continue
        video = profile.as_video_stream_profile()
        rs_name = profile.stream_type().name
        result.append(
            StreamProfile(
                stream=_STREAM_TYPES.get(rs_name, rs_name),
                width=int(video.width()),
                height=int(video.height()),
                fps=int(profile.fps()),
                format=profile.format().name,
                index=int(profile.stream_index()),
                sensor=sensor_name,
            )
        )
    return result


def _profile_order(p: StreamProfile) -> tuple[str, int, str, int, int, int]:
    # Stream, then index, format, largest resolution first, then frame rate ascending.
    return (p.stream, p.index, p.format, -p.width * p.height, -p.width, p.fps)
