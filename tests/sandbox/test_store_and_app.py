"""Persistence, deterministic seeding, the in-process app and the bulk seed helper."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from runner.sandbox.app import InjectedDisconnect, create_app
from runner.sandbox.seed import DEMO_CAMERAS, DEMO_DEVICES, DEMO_RECORDINGS, insert_recordings
from runner.sandbox.store import StoreError, connect, transaction
from tests.conftest import start_sandbox


async def test_in_process_app_through_asgi_transport(tmp_path: Path) -> None:
    app = create_app(tmp_path / ".campaign" / "sandbox.db", "s3cret", "k3y", seed="demo")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        r = await client.post("/v1/graphql", json={"query": "{ cameras { serial } }"},
                              headers={"x-hasura-admin-secret": "s3cret"})
        assert len(r.json()["data"]["cameras"]) == len(DEMO_CAMERAS)
        r = await client.get("/api/v1/fleet/recordings/", headers={"X-Avala-Api-Key": "k3y"})
        assert r.status_code == 200 and r.json()["next"].startswith("http://sandbox/api/v1/")
    assert (tmp_path / ".campaign" / "sandbox.db").exists()


def test_state_survives_a_restart_and_the_seed_is_applied_once(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = start_sandbox(db)
    try:
        r = httpx.post(first.graphql_url, headers={"x-hasura-admin-secret": first.admin_secret},
                       json={"query": 'mutation { insertRecordingSession(object: {name: "kept",'
                                      ' startDate: "2026-12-01T08:00:00", endDate: '
                                      '"2026-12-01T09:00:00", mode: Storage, state: Stopped, '
                                      "maxTimeSeconds: 0, maxSizeMegabytes: 0}) { id } }"})
        session_id = r.json()["data"]["insertRecordingSession"]["id"]
    finally:
        first.close()
    second = start_sandbox(db)  # new secrets, same file
    try:
        r = httpx.post(second.graphql_url,
                       headers={"x-hasura-admin-secret": second.admin_secret},
                       json={"query": "{ recordingSessions { id name } "
                                      "camerasAggregate { aggregate { count } } }"})
        body = r.json()["data"]
        assert body["recordingSessions"] == [{"id": session_id, "name": "kept"}]
        assert body["camerasAggregate"]["aggregate"]["count"] == len(DEMO_CAMERAS)
    finally:
        second.close()


def test_demo_seed_is_deterministic_and_varied(tmp_path: Path) -> None:
    seen = []
    for name in ("a.db", "b.db"):
        app = create_app(tmp_path / name, None, None, seed="demo")
        conn = app.state.sandbox.conn
        seen.append(conn.execute("SELECT doc FROM fleet_recording ORDER BY seq").fetchall())
    assert seen[0] == seen[1]
    conn = sqlite3.connect(tmp_path / "a.db")
    statuses = dict(conn.execute("SELECT status, count(*) FROM fleet_recording GROUP BY status"))
    devices = {d for (d,) in conn.execute("SELECT DISTINCT device FROM fleet_recording")}
    oldest, newest = conn.execute("SELECT min(started_at), max(started_at) "
                                  "FROM fleet_recording").fetchone()
    tagged = conn.execute("SELECT count(*) FROM fleet_recording WHERE tags <> '[]'").fetchone()
    assert sum(statuses.values()) == DEMO_RECORDINGS >= 500
    assert {"completed", "archived", "processing"} <= set(statuses)
    assert "recording" not in statuses  # nothing is still recording in the history
    assert devices == {d[0] for d in DEMO_DEVICES}
    assert oldest < "2025-11-05" and newest > "2026-10-25"  # spread over about a year
    assert tagged[0] > DEMO_RECORDINGS // 2


def test_bulk_seed_helper_adds_many_recordings(tmp_path: Path) -> None:
    conn = connect(tmp_path / "bulk.db")
    with transaction(conn):
        insert_recordings(conn, 20_000, seed=1)
    assert conn.execute("SELECT count(DISTINCT uid) FROM fleet_recording").fetchone()[0] == 20_000


def test_unusable_database_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a usable sandbox database"):
        connect(bad)
    other = tmp_path / "other.db"
    conn = connect(other)
    conn.execute("UPDATE sandbox_meta SET value = '0' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match="schema version 0"):
        connect(other)


def test_unknown_seed_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown seed"):
        create_app(tmp_path / "x.db", "s", "k", seed="prod")


def test_seed_never_wipes_an_existing_unseeded_database(tmp_path: Path) -> None:
    db = tmp_path / "mine.db"
    app = create_app(db, None, None)  # no seed
    conn = app.state.sandbox.conn
    conn.execute('INSERT INTO "Storage" (id, "totalSize", "estimatedSize") '
                 "VALUES ('00000000-0000-4000-8000-000000000001', 1, 1)")
    conn.close()
    again = create_app(db, None, None, seed="demo").state.sandbox.conn
    assert again.execute('SELECT count(*) FROM "Storage"').fetchone()[0] == 1
    assert again.execute('SELECT count(*) FROM "Camera"').fetchone()[0] == 0


async def test_in_process_lost_response_surfaces_as_injected_disconnect(tmp_path: Path) -> None:
    app = create_app(tmp_path / "x.db", None, None, seed="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox") as client:
        await client.post("/sandbox/v1/faults", json={"timeout_after_commit_rate": 1})
        with pytest.raises(InjectedDisconnect):
            await client.post("/v1/graphql", json={"query": 'mutation { insertStorage(object: '
                                                            "{totalSize: 7, estimatedSize: 0})"
                                                            " { id } }"})
        await client.post("/sandbox/v1/faults", json={})
        r = await client.post("/v1/graphql", json={"query": "{ storages { totalSize } }"})
        assert r.json()["data"]["storages"] == [{"totalSize": 7}]


def test_one_request_inserts_13000_nested_rows(tmp_path: Path) -> None:
    engine = create_app(tmp_path / "big.db", None, None, seed="demo").state.sandbox.control_plane
    ids = [r[0] for r in engine.conn.execute('SELECT id FROM "Camera" ORDER BY serial')]
    stream = {"alignTo": "color", "encoder": "HEVC", "width": 1280, "height": 720,
              "nearCut": 300, "farCut": 1000, "bitrate": 1_000_000, "frameRate": 15}
    objects = [{"name": f"s{i}", "startDate": "2027-01-01T08:00:00",
                "endDate": "2027-01-01T18:00:00", "mode": "Storage", "state": "Stopped",
                "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
                "records": {"data": [{"cameraId": cam, "streams": {"data": [
                    {**stream, "type": "color"}, {**stream, "type": "depth"}]}}
                    for cam in ids[:4]]}} for i in range(1000)]
    body = engine.execute({"query": "mutation($o: [RecordingSession_insert_input!]!) { "
                                    "insertRecordingSessions(objects: $o) { affected_rows } }",
                           "variables": {"o": objects}}).body
    assert body == {"data": {"insertRecordingSessions": {"affected_rows": 13000}}}
    counts = [engine.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("RecordingSession", "Record", "Stream")]
    assert counts == [1000, 4000, 8000]
