"""What the use cases need from the backends: protocols the wiring's `Backends` satisfies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from runner.findings import Diagnosis
from runner.plan.apply import StateStore
from runner.plan.conflicts import NeighbourReader
from runner.plan.model import ActualCamera
from runner.recordings.apply import FleetWriter
from runner.recordings.plan import FleetReader
from runner.run.driver import StateSwitch
from runner.run.lease import LeaseStore


class ControlPlaneAPI(StateStore, NeighbourReader, Protocol):
    """The control plane as the use cases see it."""

    async def offered_enums(self) -> Mapping[str, tuple[str, ...]]:
        """Each enum's values (camera_model, session_mode, stream_type, ...) the server offers."""
        ...

    async def known_cameras(
        self, *, model: str | None = None, device: str | None = None
    ) -> list[ActualCamera]:
        """Every camera (optionally of one model / on one device), by model and serial."""
        ...


class FleetAPI(FleetReader, FleetWriter, Protocol):
    """The fleet recordings API as the use cases see it (use with `async with`)."""

    async def __aenter__(self) -> FleetAPI: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


class Backends(Protocol):
    """The backends of one command run or one agent pass."""

    @property
    def label(self) -> str:
        """Where the control plane is, safe to print (and to save in a plan)."""
        ...

    @property
    def state_dir(self) -> Path:
        """The tool's local state directory (`.campaign`)."""
        ...

    @property
    def timeout(self) -> float:
        """Per-request timeout of one-off control-plane requests."""
        ...

    @property
    def fleet_label(self) -> str | None:
        """Where the fleet API is, safe to print; None when none is configured."""
        ...

    @property
    def in_process(self) -> bool:
        """The backends run inside this process (the embedded sandbox): every call to them
        stays on one event loop."""
        ...

    def control_plane(self) -> AbstractAsyncContextManager[ControlPlaneAPI]:
        """An open control-plane connection."""
        ...

    def fleet(self) -> FleetAPI | None:
        """A fleet API client, or None when none is configured."""
        ...

    def session_states(self) -> AbstractAsyncContextManager[StateSwitch]:
        """The burst hot path: fast session state reads and switches."""
        ...

    async def diagnose(self, now: dt.datetime) -> Diagnosis:
        """Reachability, auth, operations, enums, paging, clock skew (`campaign doctor`)."""
        ...

    def leases(self) -> AbstractAsyncContextManager[LeaseStore]:
        """Where the campaigns' leases are kept (the control plane), on its own connection."""
        ...
