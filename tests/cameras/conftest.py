"""Emulated RealSense cameras: librealsense software devices, seen through the real library."""

from __future__ import annotations

import platform
from collections.abc import Iterator
from typing import Any

import pytest

if platform.machine() not in ("x86_64", "AMD64"):
    # pyrealsense2 publishes wheels for x86_64 only; elsewhere these tests cannot run.
    pytest.importorskip("pyrealsense2", reason="pyrealsense2 has no wheel for this platform")

from runner.cameras.emulation import EmulatedCamera, EmulatedCameras, emulate

from .helpers import D405_SERIAL, D435_SERIAL, software_only_context


@pytest.fixture
def emulated() -> Iterator[EmulatedCameras]:
    """A D435 and a D405 (both USB 3.2) as software devices in a software-only context."""
    yield emulate(
        [EmulatedCamera("D435", D435_SERIAL), EmulatedCamera("D405", D405_SERIAL)],
        software_only_context(),
    )


@pytest.fixture
def empty_context() -> Any:
    """A context with no cameras at all (hardware excluded by the device mask)."""
    return software_only_context()
