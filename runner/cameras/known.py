"""The cameras the recording control plane knows (model, serial, fleet device): one query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from runner.errors import ControlPlaneError

KNOWN_CAMERAS = """
query KnownCameras($where: Camera_bool_exp!) {
  cameras(where: $where, order_by: [{model: asc}, {serial: asc}]) {
    id model serial deviceId
  }
}
"""


class GraphQLExecutor(Protocol):
    """What this module needs from a control-plane client (runner.backends.controlplane)."""

    async def execute(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation and return its `data`."""
        ...


@dataclass(frozen=True, order=True)
class KnownCamera:
    """A camera row of the control plane."""

    model: str  # camera_model_enum
    serial: str
    device: str  # deviceId: the fleet device the camera belongs to
    id: str


def camera_where(model: str | None = None, device: str | None = None) -> dict[str, Any]:
    """A Camera_bool_exp for the optional filters ({} = every camera)."""
    where: dict[str, Any] = {}
    if model:
        where["model"] = {"_eq": model}
    if device:
        where["deviceId"] = {"_eq": device}
    return where


async def known_cameras(
    client: GraphQLExecutor, *, model: str | None = None, device: str | None = None
) -> list[KnownCamera]:
    """Every camera of the control plane (optionally one model / one device), by model, serial."""
    data = await client.execute(KNOWN_CAMERAS, {"where": camera_where(model, device)})
    try:
        rows = data["cameras"]
        return [
            KnownCamera(model=str(r["model"]), serial=str(r["serial"]),
                        device=str(r["deviceId"]), id=str(r["id"]))
            for r in rows
        ]
    except (KeyError, TypeError) as exc:
        raise ControlPlaneError(
            f"control plane answered `cameras` without the expected fields ({exc}); is the "
            "endpoint a campaign control plane?"
        ) from None
