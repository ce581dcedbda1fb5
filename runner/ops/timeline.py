"""Timeline: the control plane's sessions beside the declared ones (`campaign timeline --live`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from runner.compile import compile_campaigns
from runner.ops.backends import Backends
from runner.plan.apply import read_actual
from runner.spec.model import Campaign
from runner.timeline import LiveSession


async def live_sessions(
    backends: Backends, campaigns: Sequence[Campaign], start: dt.datetime, end: dt.datetime
) -> tuple[LiveSession, ...]:
    """The sessions these campaigns own in the control plane, as timeline values."""
    desired = compile_campaigns(campaigns, start, end - start)  # scopes the read: names, cameras
    async with backends.control_plane() as cp:
        actual = await read_actual(cp, desired)
    devices = {key: camera.device_id for key, camera in actual.cameras.items()}
    return tuple(
        LiveSession(s.id, s.name, s.campaign, s.start, s.end, s.state,
                    tuple((r.model, r.serial, devices.get((r.model, r.serial), ""))
                          for r in s.records))
        for s in actual.sessions
    )
