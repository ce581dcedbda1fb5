"""Device simulation: sessions in `Started` record on their cameras' fleet devices.

Evaluated lazily (at the start of each request and inside each mutation's transaction),
so it needs no background task and behaves the same in-process and served.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Any

from runner.sandbox.scalars import INFINITY, MINUS_INFINITY, timestamp_of

# Message types a ROS-style recorder would write for each stream.
_DATA_TYPES = {
    "color": "sensor_msgs/msg/CompressedImage",
    "infra": "sensor_msgs/msg/CompressedImage",
    "depth": "sensor_msgs/msg/Image",
}


def fleet_time(moment: datetime) -> str:
    """Fleet API timestamp text: UTC, microseconds, `Z` (fixed width, so text order is time
    order)."""
    return timestamp_of(moment) + "Z"


def _session_time(stored: str) -> datetime:
    # Control-plane timestamps are UTC wall time without an offset; Postgres' infinities
    # are the ends of datetime's range.
    if stored == INFINITY:
        return datetime.max.replace(tzinfo=timezone.utc)
    if stored == MINUS_INFINITY:
        return datetime.min.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)


def _parse_fleet_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def due(conn: sqlite3.Connection, now: datetime) -> bool:
    """Whether the clock has passed a scheduled start or a scheduled stop."""
    return bool(
        conn.execute('SELECT 1 FROM "RecordingSession" WHERE state = \'Scheduled\' '
                     'AND "startDate" <= ? LIMIT 1', (timestamp_of(now),)).fetchone()
        or conn.execute("SELECT 1 FROM sim_scheduled WHERE stop_at <= ? LIMIT 1",
                        (fleet_time(now),)).fetchone())


def reconcile(conn: sqlite3.Connection, now: datetime) -> None:
    """Bring fleet recordings in line with session states (call inside a transaction)."""
    now_text = fleet_time(now)
    stamp = timestamp_of(now)
    # Scheduled sessions whose start has passed start at startDate — or when they were
    # created, if that was later — not at "now": a clock jumped past a window still yields
    # the recording the window would have made. A window already over when the session was
    # created never starts.
    for sid, start, end, created in conn.execute(
            'SELECT id, "startDate", "endDate", "createdAt" FROM "RecordingSession" '
            "WHERE state = 'Scheduled' AND \"startDate\" <= ?", (stamp,)).fetchall():
        start_at = max(_session_time(start), _session_time(created))
        stop_at = _session_time(end)
        if stop_at <= start_at:
            conn.execute('UPDATE "RecordingSession" SET state = \'Stopped\', "updatedAt" = ? '
                         "WHERE id = ?", (stamp, sid))
            continue
        conn.execute('UPDATE "RecordingSession" SET state = \'Started\', "updatedAt" = ? '
                     "WHERE id = ?", (timestamp_of(start_at), sid))
        conn.execute("INSERT INTO sim_scheduled (session_id, stop_at) VALUES (?, ?) "
                     "ON CONFLICT(session_id) DO UPDATE SET stop_at = excluded.stop_at",
                     (sid, fleet_time(stop_at)))
        _open_missing(conn, sid, fleet_time(start_at))
    # Scheduled stops (endDate), also for sessions without cameras.
    for sid, stop in conn.execute("SELECT session_id, stop_at FROM sim_scheduled "
                                  "WHERE stop_at <= ?", (now_text,)).fetchall():
        conn.execute('UPDATE "RecordingSession" SET state = \'Stopped\', "updatedAt" = ? '
                     "WHERE id = ? AND state = 'Started'",
                     (timestamp_of(_parse_fleet_time(stop)), sid))
        for (uid,) in conn.execute("SELECT recording_uid FROM sim_open WHERE session_id = ?",
                                   (sid,)).fetchall():
            _close(conn, uid, stop, now_text)
        conn.execute("DELETE FROM sim_scheduled WHERE session_id = ?", (sid,))
    # Sessions now Started get a recording per device; recordings of sessions that left
    # Started (or were deleted) complete now.
    for (sid,) in conn.execute('SELECT id FROM "RecordingSession" WHERE state = \'Started\''
                               ).fetchall():
        _open_missing(conn, sid, now_text)
    for (uid,) in conn.execute(
            'SELECT o.recording_uid FROM sim_open o LEFT JOIN "RecordingSession" s '
            "ON s.id = o.session_id WHERE s.id IS NULL OR s.state <> 'Started'").fetchall():
        _close(conn, uid, now_text, now_text)


def _open_missing(conn: sqlite3.Connection, session_id: str, started_at: str) -> None:
    rows = conn.execute(
        'SELECT c."deviceId", c.serial, s.type, s.encoder, s.bitrate, s."frameRate" '
        'FROM "Record" r JOIN "Camera" c ON c.id = r."cameraId" '
        'LEFT JOIN "Stream" s ON s."recordId" = r.id WHERE r."recordingId" = ? '
        "ORDER BY c.serial, s.type", (session_id,)).fetchall()
    by_device: dict[str, list[dict[str, Any]]] = {}
    for device, serial, stype, encoder, bitrate, fps in rows:
        streams = by_device.setdefault(device, [])
        if stype is not None:
            streams.append({"serial": serial, "type": stype, "encoder": encoder,
                            "bitrate": bitrate, "frameRate": fps})
    for device, streams in by_device.items():
        exists = conn.execute("SELECT 1 FROM sim_open WHERE session_id = ? AND device = ?",
                              (session_id, device)).fetchone()
        if exists:
            continue
        uid = str(uuid.uuid4())
        _ensure_device(conn, device, started_at)
        conn.execute(
            "INSERT INTO fleet_recording (uid, device, status, topics, tags, started_at, "
            "created_at, updated_at) VALUES (?, ?, 'recording', '[]', '[]', ?, ?, ?)",
            (uid, device, started_at, started_at, started_at))
        conn.execute("INSERT INTO sim_open (session_id, device, recording_uid, started_at, "
                     "streams) VALUES (?, ?, ?, ?, ?)",
                     (session_id, device, uid, started_at, json.dumps(streams)))


def _ensure_device(conn: sqlite3.Connection, device: str, when: str) -> None:
    conn.execute("INSERT INTO fleet_device (uid, name, type, status, tags, created_at, "
                 "updated_at) VALUES (?, ?, 'robot', 'online', '[]', ?, ?) "
                 "ON CONFLICT(uid) DO NOTHING", (device, device, when, when))


def _close(conn: sqlite3.Connection, uid: str, ended_at: str, now_text: str) -> None:
    row = conn.execute("SELECT started_at, streams FROM sim_open WHERE recording_uid = ?",
                       (uid,)).fetchone()
    if row is None:
        return
    started = _parse_fleet_time(row[0])
    ended = max(_parse_fleet_time(ended_at), started)
    duration = (ended - started).total_seconds()
    streams = json.loads(row[1])
    topics = [{"name": f"/camera/{s['serial']}/{s['type']}",
               "message_count": int(s["frameRate"] * duration),
               "data_type": "sensor_msgs/msg/Image" if s["encoder"] == "RAW"
               else _DATA_TYPES.get(s["type"], "sensor_msgs/msg/Image")} for s in streams]
    size = int(sum(s["bitrate"] for s in streams) * duration / 8)
    conn.execute("UPDATE fleet_recording SET status = 'completed', duration_seconds = ?, "
                 "size_bytes = ?, topics = ?, ended_at = ?, updated_at = ? WHERE uid = ? "
                 "AND status = 'recording'",
                 (duration, size, json.dumps(topics), fleet_time(ended), now_text, uid))
    conn.execute("DELETE FROM sim_open WHERE recording_uid = ?", (uid,))
