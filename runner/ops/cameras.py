"""Cameras: the ones the control plane knows, and the RealSense cameras connected here."""

from __future__ import annotations

from collections.abc import Sequence

from runner.cameras.discovery import DiscoveredCamera
from runner.errors import UsageError
from runner.ops.backends import Backends
from runner.plan.model import ActualCamera


async def known_cameras(
    backends: Backends, *, model: str | None = None, device: str | None = None
) -> list[ActualCamera]:
    """Every camera of the control plane (optionally one model / one device)."""
    async with backends.control_plane() as cp:
        return await cp.known_cameras(model=model, device=device)


def discover_cameras(emulated: Sequence[str], *, no_hardware: bool) -> list[DiscoveredCamera]:
    """Connected RealSense cameras plus software-emulated ones (`MODEL[:SERIAL[:USB]]`)."""
    from runner.cameras.discovery import discover
    from runner.cameras.emulation import emulate, parse_emulated, software_only_context

    specs = [parse_emulated(spec) for spec in emulated]
    serials = [spec.serial for spec in specs]
    if len(set(serials)) != len(serials):
        twice = sorted({s for s in serials if serials.count(s) > 1})
        raise UsageError(f"--emulate: serial {', '.join(twice)} given twice; add :SERIAL to "
                         "tell the cameras apart, e.g. --emulate D435:844212071131")
    context = software_only_context() if no_hardware else None  # None: a new (USB) context
    emulation = emulate(specs, context) if specs or no_hardware else None
    # `emulation` holds the software devices: it must stay referenced until discovery is done.
    found = discover(emulation.context if emulation else None)
    del emulation
    return found
