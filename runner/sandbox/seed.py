"""Deterministic seed data: the demo cameras, devices and historical fleet recordings.

Everything derives from a fixed RNG seed and a fixed base date (DEMO_BASE), never from
"now", so two seeded databases are identical whatever the day.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from runner.sandbox.devices import fleet_time

DEMO_BASE = datetime(2026, 11, 1, tzinfo=timezone.utc)
DEMO_RECORDINGS = 600
_NAMESPACE = uuid.UUID("6f1c1f0e-5a43-4c1e-9d7e-3b3c2a1d0000")

DEMO_CAMERAS = (
    ("REALSENSE_D435", "844212070924", "dev_vehicle_001"),
    ("REALSENSE_D435", "844212071131", "dev_vehicle_002"),
    ("REALSENSE_D435", "936322070512", "dev_lab_001"),
    ("REALSENSE", "218622272031", "dev_vehicle_001"),
    ("REALSENSE", "218622273574", "dev_lab_001"),
    ("V4L2CAMERA", "v4l2-lab-cam-01", "dev_lab_002"),
)
DEMO_DEVICES = (
    ("dev_vehicle_001", "Vehicle 1", "vehicle", "online", "2.4.1"),
    ("dev_vehicle_002", "Vehicle 2", "vehicle", "online", "2.4.1"),
    ("dev_lab_001", "Lab rig 1", "workstation", "online", "2.3.0"),
    ("dev_lab_002", "Lab rig 2", "workstation", "offline", "2.3.0"),
    ("dev_warehouse_001", "Warehouse cart 1", "robot", "online", "2.4.0"),
)
_TAGS = ("calibration", "night", "day", "rain", "highway", "urban", "lab", "aisle-3",
         "review", "golden", "site:lab-1", "team:perception")
_SERIALS = {dev: [s for _m, s, d in DEMO_CAMERAS if d == dev] for dev, *_ in DEMO_DEVICES}


def seed_demo(conn: sqlite3.Connection) -> None:
    """Insert the demo cameras, devices and DEMO_RECORDINGS recordings (call in a transaction)."""
    conn.executemany('INSERT INTO "Camera" (id, model, serial, "deviceId") VALUES (?, ?, ?, ?)',
                     [(str(uuid.uuid5(_NAMESPACE, f"camera/{m}/{s}")), m, s, d)
                      for m, s, d in DEMO_CAMERAS])
    created = fleet_time(DEMO_BASE - timedelta(days=400))
    conn.executemany(
        "INSERT INTO fleet_device (uid, name, type, status, tags, firmware_version, "
        "last_seen_at, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', ?, ?, ?, ?)",
        [(uid, name, kind, status, fw, fleet_time(DEMO_BASE), created, created)
         for uid, name, kind, status, fw in DEMO_DEVICES])
    insert_recordings(conn, DEMO_RECORDINGS, seed=20261101)


def insert_recordings(conn: sqlite3.Connection, count: int, seed: int) -> None:
    """Insert `count` deterministic historical recordings (also the benches' bulk seed)."""
    rng = random.Random(seed)
    devices = [d[0] for d in DEMO_DEVICES]
    rows = []
    for i in range(count):
        device = rng.choice(devices)
        age = timedelta(seconds=rng.randrange(2 * 3600, 365 * 86400))
        started = DEMO_BASE - age
        duration = round(rng.uniform(5, 1800), 3)
        roll = rng.random()
        status = ("completed" if roll < 0.55 else "archived" if roll < 0.85
                  else "processing" if roll < 0.97 else "failed")
        if status == "processing" and age > timedelta(days=3):
            status = "completed"  # processing finishes within days
        ended = started + timedelta(seconds=duration)
        topics = []
        for serial in _SERIALS[device] or [f"{device}-cam"]:
            for stype, fps in (("color", 30), ("depth", 30)):
                topics.append({"name": f"/camera/{serial}/{stype}",
                               "message_count": int(fps * duration),
                               "data_type": "sensor_msgs/msg/CompressedImage"
                               if stype == "color" else "sensor_msgs/msg/Image"})
        tags = sorted(rng.sample(_TAGS, rng.randrange(0, 4)))
        size = int(duration * rng.choice((750_000, 1_500_000, 3_000_000)))
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows.append((uid, device, status, duration, size, json.dumps(topics), json.dumps(tags),
                     fleet_time(started), fleet_time(ended), fleet_time(started),
                     fleet_time(ended + timedelta(minutes=rng.randrange(1, 600)))))
        if i % 5000 == 4999:
            _flush(conn, rows)
            rows = []
    _flush(conn, rows)


def _flush(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO fleet_recording (uid, device, status, duration_seconds, size_bytes, "
        "topics, tags, started_at, ended_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
