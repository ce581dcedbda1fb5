"""Builders for campaign model values used by the recordings tests."""

from __future__ import annotations

import datetime as dt

from runner.spec.model import (
    AbsoluteWindow,
    Camera,
    Campaign,
    Location,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RuleCondition,
    SessionSettings,
    Trigger,
    Window,
)

HERE = Location("test.yaml", 1, 1)
UTC = dt.timezone.utc


def rule(
    name: str,
    *,
    when: RuleCondition | None = None,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    status: str | None = None,
    delete: bool = False,
) -> RecordingRule:
    return RecordingRule(name=name, when=when or RuleCondition(), add_tags=add,
                         remove_tags=remove, set_status=status, delete=delete, location=HERE)


def campaign(
    name: str,
    rules: tuple[RecordingRule, ...],
    *,
    devices: tuple[str, ...] = ("dev_vehicle_001",),
    selector: RecordingSelector | None = None,
    window: Window | None = None,
) -> Campaign:
    cameras = tuple(
        Camera(model="REALSENSE_D435", serial=f"serial-{i}", device=device, streams=(),
               location=HERE)
        for i, device in enumerate(devices)
    )
    window = window or AbsoluteWindow(
        start=dt.datetime(2026, 1, 1, tzinfo=UTC), end=dt.datetime(2027, 1, 1, tzinfo=UTC),
        timezone=None, location=HERE,
    )
    return Campaign(
        name=name, labels=(), description=None, cameras=cameras, session=SessionSettings(),
        window=window, trigger=Trigger.SCHEDULED, bursts=None,
        recordings=RecordingPolicy(selector=selector or RecordingSelector(), rules=rules,
                                   location=HERE),
        location=HERE,
    )


def iso(value: dt.datetime) -> str:
    """The API's timestamp form: UTC with a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed_recordings(db_path: object, recordings: list[dict[str, object]], *,
                    replace: bool = True) -> None:
    """Insert fleet recordings straight into the sandbox's SQLite store (its own store API).

    `replace` first removes the demo seed's recordings so each test sees only its own.
    """
    import json

    from runner.sandbox.store import connect, transaction

    conn = connect(str(db_path))
    try:
        with transaction(conn):
            if replace:
                conn.execute("DELETE FROM fleet_recording")
            conn.executemany(
                "INSERT INTO fleet_recording (uid, device, status, duration_seconds, size_bytes,"
                " topics, tags, started_at, ended_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r["uid"], r["device"], r["status"], r.get("duration_seconds"),
                     r.get("size_bytes"), json.dumps(r.get("topics", [])),
                     json.dumps(r.get("tags", [])), r.get("started_at"), r.get("ended_at"),
                     r["created_at"], r.get("updated_at", r["created_at"]))
                    for r in recordings
                ],
            )
    finally:
        conn.close()
