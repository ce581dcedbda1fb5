"""What the cross-campaign checks read of one campaign before expanding any into sessions.

Kept apart from `conflicts` (which imports the compiler): worker processes of `campaign
validate` make these for every campaign and import nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runner.spec.model import Campaign, Window

# Bytes per pixel on the USB wire: depth Z16, infrared Y8, colour YUYV (RGB is made on the
# host); the same estimate `validate --probe` makes for one camera (runner/cameras/probe.py).
WIRE_BYTES_PER_PIXEL = {"depth": 2, "infra": 1, "color": 2}


@dataclass(frozen=True, slots=True)
class CampaignUse:
    """One campaign's window, and each camera as (model, serial, fleet device, raw USB
    payload of its streams in bytes per second): enough to choose the campaigns the
    cross-campaign checks expand, and a fraction of a whole campaign to send between
    processes."""

    window: Window
    cameras: tuple[tuple[str, str, str, int], ...]


def campaign_use(campaign: Campaign) -> CampaignUse:
    """The campaign's window and cameras, as the cross-campaign checks read them."""
    return CampaignUse(campaign.window, tuple(
        (cam.model, cam.serial, cam.device, wire_rate(cam.streams)) for cam in campaign.cameras
    ))


def wire_rate(streams: Iterable[Any]) -> int:
    """Raw USB payload of `streams` in bytes per second."""
    return sum(st.width * st.height * st.frame_rate * WIRE_BYTES_PER_PIXEL.get(st.type, 2)
               for st in streams)
