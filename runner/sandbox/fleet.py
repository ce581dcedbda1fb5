"""The fleet recordings API (`/api/v1/fleet/...`) as the official `avala` SDK speaks it."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from runner.sandbox.devices import fleet_time
from runner.sandbox.store import transaction

RECORDING_STATUSES = ("recording", "processing", "completed", "archived", "failed")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_TAGS = 100
MAX_TAG_LENGTH = 100

_RECORDING_COLUMNS = ("uid, device, status, duration_seconds, size_bytes, topics, tags, "
                      "started_at, ended_at, created_at, updated_at, seq")


class FleetError(Exception):
    """An error answered as `{"detail": ...}` with an HTTP status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class RawJson(str):
    """Text that is already a JSON document (sent as is)."""


def recording_json(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """A fleet_recording row as the API returns it."""
    (uid, device, status, duration, size, topics, tags, started, ended, created, updated,
     _seq) = row
    topic_list = json.loads(topics)
    return {"uid": uid, "device": device, "status": status, "duration_seconds": duration,
            "size_bytes": size, "topic_count": len(topic_list), "tags": json.loads(tags),
            "topics": topic_list, "started_at": started, "ended_at": ended,
            "created_at": created, "updated_at": updated}


def _encode_cursor(direction: str, created: str, seq: int) -> str:
    raw = json.dumps([direction, created, seq], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, created, seq = json.loads(raw)
        if direction in ("n", "p") and isinstance(created, str) and isinstance(seq, int):
            return direction, created, seq
    except (ValueError, binascii.Error, TypeError):
        pass
    raise FleetError(400, "Invalid cursor.")


def _page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        limit = int(raw)
    except ValueError:
        raise FleetError(400, "limit must be an integer.") from None
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise FleetError(400, f"limit must be between 1 and {MAX_PAGE_SIZE}.")
    return limit


class FleetApi:
    """Recordings and devices: list (cursor pages, newest first), get, patch, delete."""

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def list_recordings(self, params: dict[str, str], page_url: str) -> RawJson:
        """One page of recordings, filtered by `device` and `status`."""
        limit = _page_size(params.get("limit"))
        where: list[str] = []
        args: list[Any] = []
        if params.get("device"):
            where.append("device = ?")
            args.append(params["device"])
        if params.get("status"):
            if params["status"] not in RECORDING_STATUSES:
                raise FleetError(400, f"Select a valid choice. {params['status']} is not one "
                                      "of the available choices.")
            where.append("status = ?")
            args.append(params["status"])
        direction = "n"
        if params.get("cursor"):
            direction, created, seq = _decode_cursor(params["cursor"])
            if direction == "n":
                where.append("(created_at < ? OR (created_at = ? AND seq < ?))")
            else:
                where.append("(created_at > ? OR (created_at = ? AND seq > ?))")
            args += [created, created, seq]
        order = "DESC" if direction == "n" else "ASC"
        sql = ("SELECT doc, created_at, seq FROM fleet_recording"
               + (" WHERE " + " AND ".join(where) if where else "")
               + f" ORDER BY created_at {order}, seq {order} LIMIT ?")
        rows = self.conn.execute(sql, [*args, limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        if direction == "p":
            rows.reverse()
        has_next = more if direction == "n" else bool(params.get("cursor"))
        has_prev = bool(params.get("cursor")) if direction == "n" else more
        base = {k: v for k, v in params.items() if k != "cursor" and v != ""}

        def link(cursor: str) -> str:
            return f"{page_url}?{urlencode({**base, 'cursor': cursor})}"

        next_url = (link(_encode_cursor("n", rows[-1][1], rows[-1][2]))
                    if rows and has_next else None)
        prev_url = (link(_encode_cursor("p", rows[0][1], rows[0][2]))
                    if rows and has_prev else None)
        # Rows carry their JSON already (a generated column): join, do not re-encode.
        return RawJson('{"results":[' + ",".join(r[0] for r in rows) + '],"next":'
                       + json.dumps(next_url) + ',"previous":' + json.dumps(prev_url) + "}")

    def _row(self, uid: str) -> tuple[Any, ...]:
        row = self.conn.execute(f"SELECT {_RECORDING_COLUMNS} FROM fleet_recording "
                                "WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            raise FleetError(404, "Not found.")
        return tuple(row)

    def get_recording(self, uid: str) -> dict[str, Any]:
        """One recording by uid."""
        return recording_json(self._row(uid))

    def patch_recording(self, uid: str, body: Any) -> dict[str, Any]:
        """Change `status` and/or replace `tags`."""
        if not isinstance(body, dict):
            raise FleetError(400, "Invalid data. Expected a dictionary.")
        sets: list[str] = []
        args: list[Any] = []
        if "status" in body:
            status = body["status"]
            if status not in RECORDING_STATUSES:
                raise FleetError(400, f'status: "{status}" is not a valid choice '
                                      f"({', '.join(RECORDING_STATUSES)}).")
            sets.append("status = ?")
            args.append(status)
        if "tags" in body:
            tags = body["tags"]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise FleetError(400, "tags: expected a list of strings.")
            if len(tags) > MAX_TAGS or any(not t or len(t) > MAX_TAG_LENGTH for t in tags):
                raise FleetError(400, f"tags: at most {MAX_TAGS} tags of 1 to "
                                      f"{MAX_TAG_LENGTH} characters.")
            sets.append("tags = ?")
            args.append(json.dumps(list(dict.fromkeys(tags))))
        with transaction(self.conn):
            self._row(uid)
            if sets:
                sets.append("updated_at = ?")
                args.append(fleet_time(self.clock()))
                self.conn.execute(f"UPDATE fleet_recording SET {', '.join(sets)} WHERE uid = ?",
                                  [*args, uid])
            return recording_json(self._row(uid))

    def delete_recording(self, uid: str) -> None:
        """Delete one recording."""
        with transaction(self.conn):
            self._row(uid)
            self.conn.execute("DELETE FROM fleet_recording WHERE uid = ?", (uid,))
            self.conn.execute("DELETE FROM sim_open WHERE recording_uid = ?", (uid,))

    def list_devices(self, params: dict[str, str], page_url: str) -> dict[str, Any]:
        """Devices, one page (cursor = last uid seen)."""
        limit = _page_size(params.get("limit"))
        where = ["uid > ?"]
        args: list[Any] = [params.get("cursor") or ""]
        for key in ("status", "type"):
            if params.get(key):
                where.append(f"{key} = ?")
                args.append(params[key])
        rows = self.conn.execute(
            "SELECT uid, name, type, status, tags, firmware_version, last_seen_at, created_at, "
            f"updated_at FROM fleet_device WHERE {' AND '.join(where)} ORDER BY uid LIMIT ?",
            [*args, limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        base = {k: v for k, v in params.items() if k != "cursor" and v != ""}
        return {
            "results": [_device_json(r) for r in rows],
            "next": f"{page_url}?{urlencode({**base, 'cursor': rows[-1][0]})}"
            if more and rows else None,
            "previous": None,
        }

    def get_device(self, uid: str) -> dict[str, Any]:
        """One device by uid."""
        row = self.conn.execute(
            "SELECT uid, name, type, status, tags, firmware_version, last_seen_at, created_at, "
            "updated_at FROM fleet_device WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            raise FleetError(404, "Not found.")
        return _device_json(row)


def _device_json(row: tuple[Any, ...]) -> dict[str, Any]:
    uid, name, type_, status, tags, firmware, last_seen, created, updated = row
    return {"uid": uid, "name": name, "type": type_, "status": status,
            "tags": json.loads(tags), "firmware_version": firmware, "metadata": {},
            "last_seen_at": last_seen, "created_at": created, "updated_at": updated}
