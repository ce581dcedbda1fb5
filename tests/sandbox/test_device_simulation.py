"""Sessions in `Started` record on their cameras' devices; `Scheduled` follows the clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tests.sandbox.helpers import data, fleet, gql, new_session

SET_STATE = ("mutation($id: uuid!, $s: RecordingSessionState_enum!) { "
             "updateRecordingSession(pk_columns: {id: $id}, _set: {state: $s}) { state } }")
STATE = "query($id: uuid!) { recordingSessionByPk(id: $id) { state } }"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _recordings(sandbox: Any, **params: Any) -> list[dict[str, Any]]:
    response = fleet(sandbox, "GET", "recordings/", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _state(sandbox: Any, sid: str) -> str:
    state: str = data(sandbox, STATE, {"id": sid})["recordingSessionByPk"]["state"]
    return state


def test_standby_burst_opens_and_completes_one_recording_per_device(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T10:00:00"))
    # Two cameras on dev_vehicle_001, one on dev_lab_001.
    sid = new_session(sandbox, "burst", ["844212070924", "218622272031", "936322070512"],
                      state="Standby")
    assert _recordings(sandbox, status="recording") == []
    data(sandbox, SET_STATE, {"id": sid, "s": "Started"})
    open_now = _recordings(sandbox, status="recording")
    assert sorted(r["device"] for r in open_now) == ["dev_lab_001", "dev_vehicle_001"]
    assert {r["started_at"] for r in open_now} == {"2026-12-01T10:00:00.000000Z"}

    sandbox.advance(10)
    data(sandbox, SET_STATE, {"id": sid, "s": "Standby"})
    assert _recordings(sandbox, status="recording") == []
    done = {r["device"]: r for r in _recordings(sandbox, status="completed")
            if r["started_at"].startswith("2026-12-01T10:00:00")}
    vehicle = done["dev_vehicle_001"]
    assert vehicle["duration_seconds"] == 10.0
    assert vehicle["ended_at"] == "2026-12-01T10:00:10.000000Z"
    # Two cameras x (color + depth) at 1 Mbit/s each for 10 s.
    assert vehicle["size_bytes"] == 4 * 1_000_000 * 10 // 8
    assert vehicle["topic_count"] == 4
    assert {t["name"] for t in vehicle["topics"]} == {
        "/camera/844212070924/color", "/camera/844212070924/depth",
        "/camera/218622272031/color", "/camera/218622272031/depth"}
    assert {t["message_count"] for t in vehicle["topics"]} == {150}
    assert {t["data_type"] for t in vehicle["topics"]} == {
        "sensor_msgs/msg/CompressedImage", "sensor_msgs/msg/Image"}
    assert done["dev_lab_001"]["topic_count"] == 2

    # A second burst is a second recording.
    data(sandbox, SET_STATE, {"id": sid, "s": "Started"})
    sandbox.advance(5)
    data(sandbox, SET_STATE, {"id": sid, "s": "Stopped"})
    bursts = [r for r in _recordings(sandbox, device="dev_lab_001")
              if r["started_at"].startswith("2026-12-01T10:00")]
    assert sorted(r["duration_seconds"] for r in bursts) == [5.0, 10.0]


def test_scheduled_session_starts_and_stops_on_the_sandbox_clock(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T07:00:00"))
    sid = new_session(sandbox, "scheduled", ["936322070512"], state="Scheduled",
                      start="2026-12-01T08:00:00", end="2026-12-01T09:00:00")
    assert _state(sandbox, sid) == "Scheduled"
    assert _recordings(sandbox, status="recording") == []

    sandbox.set_clock(_at("2026-12-01T08:30:00"))
    assert _state(sandbox, sid) == "Started"
    (rec,) = _recordings(sandbox, status="recording")
    assert rec["device"] == "dev_lab_001"
    assert rec["started_at"] == "2026-12-01T08:00:00.000000Z"  # at startDate, not "now"

    sandbox.set_clock(_at("2026-12-01T09:00:01"))
    (done,) = [r for r in _recordings(sandbox, status="completed") if r["uid"] == rec["uid"]]
    assert done["ended_at"] == "2026-12-01T09:00:00.000000Z"
    assert done["duration_seconds"] == 3600.0
    assert done["size_bytes"] == 2 * 1_000_000 * 3600 // 8
    assert _state(sandbox, sid) == "Stopped"


def test_clock_jumping_past_a_whole_window_still_records_it(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T07:00:00"))
    new_session(sandbox, "missed", ["v4l2-lab-cam-01"], state="Scheduled",
                start="2026-12-01T08:00:00", end="2026-12-01T08:10:00", types=("color",))
    sandbox.set_clock(_at("2026-12-02T00:00:00"))
    recs = [r for r in _recordings(sandbox, device="dev_lab_002")
            if r["started_at"] == "2026-12-01T08:00:00.000000Z"]
    assert len(recs) == 1 and recs[0]["status"] == "completed"
    assert recs[0]["duration_seconds"] == 600.0


def test_deleting_a_started_session_completes_its_recording(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T10:00:00"))
    sid = new_session(sandbox, "gone", ["844212071131"], state="Started")
    assert [r["device"] for r in _recordings(sandbox, status="recording")] == [
        "dev_vehicle_002"]
    sandbox.advance(3)
    data(sandbox, "mutation($id: uuid!) { deleteRecordingSession(id: $id) { id } }",
         {"id": sid})
    assert _recordings(sandbox, status="recording") == []
    (rec,) = [r for r in _recordings(sandbox, device="dev_vehicle_002")
              if r["started_at"].startswith("2026-12-01T10:00:00")]
    assert rec["status"] == "completed" and rec["duration_seconds"] == 3.0


def test_failed_mutation_leaves_no_recording_behind(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T10:00:00"))
    sid = new_session(sandbox, "atomic", ["844212070924"], state="Standby")
    body = gql(sandbox, """mutation($id: uuid!) {
        updateRecordingSession(pk_columns: {id: $id}, _set: {state: Started}) { id }
        insertCamera(object: {model: REALSENSE_D435, serial: "844212070924", deviceId: "x"}) { id }
    }""", {"id": sid})
    assert body["errors"][0]["extensions"]["code"] == "constraint-violation"
    assert _recordings(sandbox, status="recording") == []
    assert _state(sandbox, sid) == "Standby"


def test_scheduled_session_without_cameras_still_stops_at_end(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T07:00:00"))
    sid = new_session(sandbox, "empty", [], state="Scheduled",
                      start="2026-12-01T08:00:00", end="2026-12-01T09:00:00")
    sandbox.set_clock(_at("2026-12-01T08:30:00"))
    assert _state(sandbox, sid) == "Started"
    sandbox.set_clock(_at("2026-12-01T09:30:00"))
    assert _state(sandbox, sid) == "Stopped"


def test_session_created_inside_its_window_records_from_creation(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-01T08:20:00"))
    sid = new_session(sandbox, "late", ["936322070512"], state="Scheduled",
                      start="2026-12-01T08:00:00", end="2026-12-01T09:00:00")
    assert _state(sandbox, sid) == "Started"
    (rec,) = _recordings(sandbox, status="recording")
    assert rec["started_at"] == "2026-12-01T08:20:00.000000Z"
    sandbox.set_clock(_at("2026-12-01T10:00:00"))
    done = fleet(sandbox, "GET", f"recordings/{rec['uid']}/").json()
    assert done["status"] == "completed" and done["duration_seconds"] == 2400.0


def test_session_created_after_its_window_never_records(sandbox: Any) -> None:
    sandbox.set_clock(_at("2026-12-02T00:00:00"))
    before = len(_recordings(sandbox))
    sid = new_session(sandbox, "too-late", ["936322070512"], state="Scheduled",
                      start="2026-12-01T08:00:00", end="2026-12-01T09:00:00")
    assert _state(sandbox, sid) == "Stopped"
    assert len(_recordings(sandbox)) == before
