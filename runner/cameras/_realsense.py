"""The one place that imports pyrealsense2, lazily, and turns import failures into one line.

pyrealsense2 is a compiled extension linked against libusb-1.0; importing it costs tens of
milliseconds and fails on machines without libusb, so only camera commands pay for it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from runner.errors import CameraError

DEBIAN_LIBUSB_PACKAGE = "libusb-1.0-0"
INSTALL_HINT = "pip install 'campaign-runner[realsense]'"


def import_realsense() -> ModuleType:
    """Import and return pyrealsense2; raise CameraError with what to install if that fails."""
    try:
        return importlib.import_module("pyrealsense2")
    except ImportError as exc:
        raise import_error_to_camera_error(exc) from exc


def import_error_to_camera_error(exc: ImportError) -> CameraError:
    """Map an ImportError from `import pyrealsense2` to a one-line CameraError naming the fix."""
    text = str(exc)
    if "libusb" in text:
        # e.g. "libusb-1.0.so.0: cannot open shared object file: No such file or directory"
        return CameraError(
            "pyrealsense2 cannot load libusb-1.0 (RealSense USB access); install the Debian "
            f"package {DEBIAN_LIBUSB_PACKAGE}: sudo apt-get install {DEBIAN_LIBUSB_PACKAGE}"
        )
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == "pyrealsense2":
        return CameraError(
            f"pyrealsense2 is not installed; install the RealSense extra: {INSTALL_HINT}"
        )
    first_line = text.splitlines()[0] if text else type(exc).__name__
    return CameraError(
        f"pyrealsense2 failed to import ({first_line}); reinstall it with {INSTALL_HINT}"
    )
