"""Shared helpers for the camera tests: software-only contexts and the emulated serials."""

from __future__ import annotations

import json
from typing import Any

D435_SERIAL = "844212070924"
D405_SERIAL = "218622272031"


def software_only_context() -> Any:
    """A context that never enumerates USB hardware (device mask: software devices only)."""
    import pyrealsense2 as rs

    return rs.context(json.dumps({"device-mask": int(rs.product_line.sw_only)}))
