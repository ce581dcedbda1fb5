"""Parse the control plane's answers into the core's values (`runner.plan.model`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.adapters.controlplane.wire import STREAM_COLUMNS, from_wire
from runner.compile import VERSION_KEY, owner_of
from runner.plan.model import Actual, ActualCamera, ActualRecord, ActualSession, ActualStream


def parse_state(data: Mapping[str, Any], campaigns: tuple[str, ...]) -> Actual:
    """Turn the READ_STATE answer into an Actual (version rows become `versions`)."""
    sessions: list[ActualSession] = []
    versions: dict[str, int] = {}
    wanted = set(campaigns)
    for row in data.get("sessions") or []:
        owner = owner_of(row["name"], row["id"])
        if owner is None or owner[0] not in wanted:
            continue  # a prefix match the tool did not create: never ours to touch
        campaign, key = owner
        if key == VERSION_KEY:
            versions[campaign] = int(row["maxSizeMegabytes"])
            continue
        records = tuple(
            ActualRecord(
                id=r["id"], camera_id=r["cameraId"],
                model=(r.get("camera") or {}).get("model", "?"),
                serial=(r.get("camera") or {}).get("serial", "?"),
                streams=tuple(sorted(
                    (ActualStream(id=s["id"], columns={c: s[c] for c in STREAM_COLUMNS})
                     for s in r.get("streams") or []),
                    key=lambda s: str(s.columns["type"]),
                )),
            )
            for r in row.get("records") or []
        )
        records = tuple(sorted(records, key=lambda r: (r.model, r.serial)))
        storage = row.get("storage") or {}
        sessions.append(ActualSession(
            id=row["id"], name=row["name"], campaign=campaign, key=key,
            start=from_wire(row["startDate"]), end=from_wire(row["endDate"]), mode=row["mode"],
            state=row["state"], max_time_seconds=row["maxTimeSeconds"],
            max_size_megabytes=row["maxSizeMegabytes"], records=records,
            storage_total=storage.get("totalSize"),
        ))
    cameras = {c.key: c for c in parse_cameras(data.get("cameras") or [])}
    return Actual(sessions=tuple(sessions), cameras=cameras,
                  versions=tuple(sorted(versions.items())))


def parse_cameras(rows: Any) -> list[ActualCamera]:
    """Camera rows (`id model serial deviceId`) as values, in the order given."""
    return [
        ActualCamera(id=str(c["id"]), model=str(c["model"]), serial=str(c["serial"]),
                     device_id=str(c["deviceId"]))
        for c in rows
    ]
