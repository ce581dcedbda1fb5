"""Parse the control plane's answers into the core's values (`runner.plan.model`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from operator import itemgetter
from typing import Any

from runner.adapters.controlplane.dialect import Dialect
from runner.adapters.controlplane.wire import STREAM_COLUMNS, from_wire
from runner.compile import VERSION_KEY, owner_of
from runner.plan.model import Actual, ActualCamera, ActualRecord, ActualSession, ActualStream
from runner.resources import schema_file
from runner.states import STATES


def parse_state(d: Dialect, data: Mapping[str, Any], campaigns: tuple[str, ...]) -> Actual:
    """Turn the state read's answer into an Actual (version rows become `versions`); enum
    values come back in the campaign files' spelling."""
    enum = _Enums(d)
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
        records = [_record(enum, r) for r in row.get("records") or []]
        if len(records) > 1:
            records.sort(key=_camera_key)
        storage = row.get("storage") or {}
        sessions.append(ActualSession(
            id=row["id"], name=row["name"], campaign=campaign, key=key,
            start=from_wire(row["startDate"]), end=from_wire(row["endDate"]),
            mode=enum("session_mode", row["mode"]), state=enum("session_state", row["state"]),
            max_time_seconds=row["maxTimeSeconds"],
            max_size_megabytes=row["maxSizeMegabytes"], records=tuple(records),
            storage_total=storage.get("totalSize"),
        ))
    cameras = {c.key: c for c in parse_cameras(d, data.get("cameras") or [])}
    return Actual(sessions=tuple(sessions), cameras=cameras,
                  versions=tuple(sorted(versions.items())))


def _record(enum: _Enums, row: Mapping[str, Any]) -> ActualRecord:
    record_id, camera_id = row["id"], row["cameraId"]
    camera = row.get("camera") or {}
    model = enum("camera_model", camera.get("model", "?"))
    serial = camera.get("serial", "?")
    streams = [ActualStream(id=s["id"], columns=enum.stream(s)) for s in row.get("streams") or []]
    if len(streams) > 1:
        streams.sort(key=_stream_key)
    return ActualRecord(id=record_id, camera_id=camera_id, model=model, serial=serial,
                        streams=tuple(streams))


def _camera_key(record: ActualRecord) -> tuple[str, str]:
    return (record.model, record.serial)


def _stream_key(stream: ActualStream) -> str:
    return str(stream.columns["type"])


def parse_cameras(d: Dialect, rows: Any) -> list[ActualCamera]:
    """Camera rows (`id model serial deviceId`) as values, in the order given."""
    enum = _Enums(d)
    return [
        ActualCamera(id=str(c["id"]), model=enum("camera_model", str(c["model"])),
                     serial=str(c["serial"]), device_id=str(c["deviceId"]))
        for c in rows
    ]


STREAM_ENUMS = {"type": "stream_type", "encoder": "stream_encoder"}
_stream_values = itemgetter(*STREAM_COLUMNS)  # a row's STREAM_COLUMNS values, as a tuple


@lru_cache(maxsize=1)
def campaign_spellings() -> dict[str, tuple[str, ...]]:
    """Each enum's values as campaign files spell them (the campaign JSON Schema)."""
    schema = json.loads(schema_file("campaign.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]
    return {
        "camera_model": tuple(defs["camera"]["properties"]["model"]["enum"]),
        "session_mode": tuple(defs["session"]["properties"]["mode"]["enum"]),
        "stream_type": tuple(defs["stream_type"]["enum"]),
        "stream_encoder": tuple(defs["stream_encoder"]["enum"]),
        "session_state": STATES,
    }


class _Enums:
    """Server enum values back in the campaign files' spelling (`STARTED` -> `Started`)."""

    def __init__(self, d: Dialect) -> None:
        self.d = d
        self.identity = all(set(values) <= set(campaign_spellings().get(kind, values))
                            for kind, values in d.enums.items())
        # Streams configured alike share one (never mutated) columns dict: 80,000 streams
        # of a few configurations are a few dicts, not 50 MB of them.
        self._streams: dict[tuple[object, ...], dict[str, object]] = {}

    def stream(self, row: Mapping[str, Any]) -> dict[str, object]:
        """A stream row's columns, its enum values in the campaign's spelling."""
        values = _stream_values(row)
        found = self._streams.get(values)
        if found is not None:
            return found
        columns: dict[str, object] = dict(zip(STREAM_COLUMNS, values, strict=True))
        if not self.identity:
            for column, kind in STREAM_ENUMS.items():
                columns[column] = self(kind, columns[column])
        self._streams[values] = columns
        return columns

    def __call__(self, kind: str, value: Any) -> Any:
        if self.identity or not kind or not isinstance(value, str):
            return value
        return self.d.enum_in(kind, value, campaign_spellings().get(kind, ()))
