"""Compare-and-set inside the vendor schema: one version row per campaign (its wire form).

The control plane has no lock table and we cannot add one to a real backend, so each
campaign gets a *version row*: a `Stopped` RecordingSession named `<campaign>#version` with a
uuid5 id (`runner.compile.version_id`) whose `maxSizeMegabytes` holds a random version token.

Every write transaction starts with

    deleteRecordingSessions(where: id = version row AND maxSizeMegabytes = token we read)
    insertRecordingSessions(objects: [version row with a NEW token])   # no on_conflict

If another apply committed since our read, its token differs: the delete matches nothing,
the insert hits RecordingSession_pkey, the server answers `constraint-violation` and rolls
the WHOLE transaction back. Nothing half-applied, nothing interleaved. The loser re-reads,
re-plans (usually to "No changes.") and tries again until `--lock-timeout` runs out.
A no-op apply writes nothing, so it takes no lock and sends zero mutations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from runner.adapters.controlplane.dialect import Dialect
from runner.adapters.controlplane.wire import to_wire
from runner.compile import VERSION_KEY, session_name, version_id
from runner.states import SessionState


def version_row(d: Dialect, campaign: str, token: int, now: dt.datetime) -> dict[str, Any]:
    """The insert object of a campaign's version row; its dates record the last write.
    No storage row: version rows stay as inert as the schema allows."""
    stamp = to_wire(now)
    return {
        "id": version_id(campaign), "name": session_name(campaign, VERSION_KEY),
        "startDate": stamp, "endDate": stamp,
        "mode": d.enum_out("session_mode", "Storage"),
        "state": d.enum_out("session_state", SessionState.STOPPED.value),
        "maxTimeSeconds": 0, "maxSizeMegabytes": token,
    }


def expected_versions(d: Dialect, read: Mapping[str, int]) -> dict[str, Any]:
    """The where clause matching exactly the version rows as we read them."""
    if not read:
        return {"id": {d.op("_is_null"): True}}
    eq = d.op("_eq")
    return {d.op("_or"): [
        {"id": {eq: version_id(campaign)}, "maxSizeMegabytes": {eq: token}}
        for campaign, token in sorted(read.items())
    ]}
