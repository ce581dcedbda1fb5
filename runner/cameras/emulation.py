"""RealSense cameras emulated with librealsense's own `software_device` (no hardware needed).

A software device is registered with camera_info (name, serial, firmware, USB type) and the
stream profiles of the capability table (schemas/capabilities.yaml, the one source of the
datasheet modes), then `add_to(context)`: the real library's `query_devices()` and
`sensor.get_stream_profiles()` return it like a plugged-in camera, so discovery and probing
run unchanged. Used by the tests and by `campaign cameras discover --emulate`.

Why the devices-changed callback: in librealsense 2.59 `context::add_software_device` keeps
the device only through a weak reference; the one strong reference lives in the "device
added" notification. Without holding that notification the device is gone from
`query_devices()` as soon as `add_to` returns (verified: 0 devices without it, 1 with it).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from runner.cameras._realsense import import_realsense
from runner.errors import UsageError
from runner.spec.capabilities import ModelCapabilities, default_capabilities

# Products that can be emulated -> their camera_model_enum key in the capability table.
PRODUCTS = {"D435": "REALSENSE_D435", "D405": "REALSENSE"}
# Serials of the demo seed cameras, so an emulated camera matches the example campaigns.
DEFAULT_SERIALS = {"D435": "844212070924", "D405": "218622272031"}
DEFAULT_FIRMWARE = "5.16.0.1"
# Formats each stream type is offered in, with librealsense stream indexes (infrared 1 = left
# imager, 2 = right). Colour: YUYV on the wire, RGB/BGR converted by librealsense.
STREAM_FORMATS: dict[str, tuple[tuple[str, int], ...]] = {
    "depth": (("z16", 0),),
    "infra": (("y8", 1), ("y8", 2)),
    "color": (("rgb8", 0), ("bgr8", 0), ("yuyv", 0)),
}
_RS_STREAMS = {"depth": "depth", "infra": "infrared", "color": "color"}
_BYTES_PER_PIXEL = {"z16": 2, "y8": 1, "yuyv": 2, "rgb8": 3, "bgr8": 3}


@dataclass(frozen=True)
class EmulatedCamera:
    """What to emulate: a product (D435 | D405), with the serial and USB type it reports."""

    product: str
    serial: str
    usb_type: str = "3.2"
    firmware: str = DEFAULT_FIRMWARE


def parse_emulated(spec: str) -> EmulatedCamera:
    """Parse `MODEL[:SERIAL[:USB]]` (e.g. `D435`, `D405:218622273574:2.1`) for --emulate."""
    product, *rest = spec.split(":")
    product = product.strip().upper()
    if product not in PRODUCTS or len(rest) > 2:
        raise UsageError(
            f"--emulate {spec!r}: expected MODEL[:SERIAL[:USB]] with MODEL one of "
            f"{', '.join(PRODUCTS)}, e.g. D435:844212070924:3.2"
        )
    serial = rest[0] if rest and rest[0] else DEFAULT_SERIALS[product]
    usb = rest[1] if len(rest) > 1 and rest[1] else "3.2"
    return EmulatedCamera(product=product, serial=serial, usb_type=usb)


def sensor_layout(caps: ModelCapabilities) -> list[tuple[str, list[str]]]:
    """Sensors of a RealSense model as (sensor name, stream types).

    Depth and infrared always come from the stereo module (every D400); colour joins it when
    the table lists it in `shared_sensor` (the D405), else it has its own "RGB Camera".
    """
    stereo = [t for t in caps.streams if t in ("depth", "infra") or t in caps.shared_sensor]
    layout = [("Stereo Module", stereo)] if stereo else []
    layout += [("RGB Camera", [t]) for t in caps.streams if t not in stereo]
    return layout


def software_only_context() -> Any:
    """A librealsense context that never enumerates USB hardware (device mask: software only)."""
    rs = import_realsense()
    return rs.context(json.dumps({"device-mask": int(rs.product_line.sw_only)}))


class EmulatedCameras:
    """A librealsense context holding software devices; keep this object alive while in use."""

    def __init__(self, context: Any = None) -> None:
        self._rs = import_realsense()
        self.context = self._rs.context() if context is None else context
        self._devices: list[Any] = []
        self._notifications: list[Any] = []  # the strong references, see module docstring
        self.context.set_devices_changed_callback(self._notifications.append)
        self._uids = itertools.count(1)

    def add(self, camera: EmulatedCamera) -> None:
        """Create the software device for `camera` and add it to the context."""
        rs = self._rs
        caps = default_capabilities()[PRODUCTS[camera.product]]
        device = rs.software_device()
        device.register_info(rs.camera_info.name, caps.name)
        device.register_info(rs.camera_info.serial_number, camera.serial)
        device.register_info(rs.camera_info.firmware_version, camera.firmware)
        device.register_info(rs.camera_info.usb_type_descriptor, camera.usb_type)
        device.register_info(rs.camera_info.product_line, "D400")
        for sensor_name, types in sensor_layout(caps):
            sensor = device.add_sensor(sensor_name)
            first = True
            for stream_type in types:
                modes = caps.streams[stream_type]
                if modes is None:  # "any": nothing concrete to emulate
                    continue
                for fmt, index in STREAM_FORMATS[stream_type]:
                    for (width, height), rates in modes.items():
                        for fps in rates:
                            stream = self._video_stream(stream_type, index, fmt, width, height, fps)
                            sensor.add_video_stream(stream, first)
                            first = False
        device.add_to(self.context)
        self._devices.append(device)

    def _video_stream(
        self, stream: str, index: int, fmt: str, width: int, height: int, fps: int
    ) -> Any:
        rs = self._rs
        vs = rs.video_stream()
        vs.type = getattr(rs.stream, _RS_STREAMS[stream])
        vs.index = index
        vs.uid = next(self._uids)
        vs.width, vs.height, vs.fps = width, height, fps
        vs.bpp = _BYTES_PER_PIXEL[fmt]
        vs.fmt = getattr(rs.format, fmt)
        intrinsics = rs.intrinsics()
        intrinsics.width, intrinsics.height = width, height
        vs.intrinsics = intrinsics
        return vs


def emulate(cameras: list[EmulatedCamera], context: Any = None) -> EmulatedCameras:
    """A context (new unless given) with a software device per camera."""
    emulated = EmulatedCameras(context)
    for camera in cameras:
        emulated.add(camera)
    return emulated
