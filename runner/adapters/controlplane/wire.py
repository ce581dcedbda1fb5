"""The control plane's wire formats: timestamps, column names, filters, insert objects.

Everything here is what the Hasura schema spells: `timestamp` as UTC wall time without an
offset, camelCase columns, `*_bool_exp` filters, nested `{data, on_conflict}` inserts with
the tables' primary-key constraint names. The core never sees any of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from runner.compile import DesiredSession, DesiredStream
from runner.plan.model import SessionUpsert

STREAM_COLUMNS = ("type", "alignTo", "encoder", "width", "height", "nearCut", "farCut",
                  "bitrate", "frameRate")
# Upserts: ids are ours, so a retried insert updates the row it already wrote. `state` is
# deliberately not updated on conflict: a retry must not reset a session the platform started.
SESSION_UPDATE_COLUMNS = ("name", "startDate", "endDate", "mode", "maxTimeSeconds",
                          "maxSizeMegabytes")
SESSION_CONFLICT = {"constraint": "RecordingSession_pkey",
                    "update_columns": list(SESSION_UPDATE_COLUMNS)}
RECORD_CONFLICT = {"constraint": "Record_pkey", "update_columns": ["cameraId"]}
STREAM_CONFLICT = {"constraint": "Stream_pkey", "update_columns": list(STREAM_COLUMNS)}
# A where clause no row matches (an empty `_or` is read differently by different servers).
NOTHING: dict[str, Any] = {"id": {"_is_null": True}}


def to_wire(moment: dt.datetime) -> str:
    """An aware datetime as the control plane's `timestamp` (UTC wall time, no offset)."""
    utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return utc.isoformat()


def from_wire(text: str) -> dt.datetime:
    """A control-plane `timestamp` (UTC wall time) as an aware datetime."""
    value = dt.datetime.fromisoformat(text.rstrip("Z"))
    return value.replace(tzinfo=dt.timezone.utc, microsecond=0)


def session_columns(session: DesiredSession) -> dict[str, Any]:
    """The session's configuration columns as the control plane stores them."""
    return {
        "name": session.name, "startDate": to_wire(session.start),
        "endDate": to_wire(session.end), "mode": session.mode,
        "maxTimeSeconds": session.max_time_seconds,
        "maxSizeMegabytes": session.max_size_megabytes,
    }


def stream_columns(stream: DesiredStream) -> dict[str, Any]:
    """The stream's writable columns as the control plane names them."""
    return {
        "type": stream.type, "alignTo": stream.align_to, "encoder": stream.encoder,
        "width": stream.width, "height": stream.height, "nearCut": stream.near_cut,
        "farCut": stream.far_cut, "bitrate": stream.bitrate, "frameRate": stream.frame_rate,
    }


def insert_object(upsert: SessionUpsert) -> dict[str, Any]:
    """The nested insert object of a session with its records and streams (ids included)."""
    session = upsert.session
    return {
        "id": session.id, **session_columns(session), "state": str(upsert.state),
        "records": {
            "data": [
                {
                    "id": record.id,
                    "cameraId": camera_id,
                    "streams": {
                        "data": [{"id": s.id, **stream_columns(s)} for s in record.streams],
                        "on_conflict": STREAM_CONFLICT,
                    },
                }
                for record, camera_id in zip(session.records, upsert.camera_ids, strict=True)
            ],
            "on_conflict": RECORD_CONFLICT,
        },
    }


def session_filter(campaigns: tuple[str, ...]) -> dict[str, Any]:
    """Sessions named `<c>` or `<c>#...` for each campaign (ownership is re-checked by id)."""
    if not campaigns:
        return NOTHING
    parts: list[dict[str, Any]] = []
    for name in campaigns:
        parts.append({"name": {"_eq": name}})
        parts.append({"name": {"_like": f"{name}#%"}})
    return {"_or": parts}


def camera_filter(cameras: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The cameras named by (model, serial)."""
    if not cameras:
        return NOTHING
    return {"_or": [{"model": {"_eq": m}, "serial": {"_eq": s}} for m, s in cameras]}


def camera_where(model: str | None = None, device: str | None = None) -> dict[str, Any]:
    """A Camera_bool_exp for the optional filters of the camera list ({} = every camera)."""
    where: dict[str, Any] = {}
    if model:
        where["model"] = {"_eq": model}
    if device:
        where["deviceId"] = {"_eq": device}
    return where
