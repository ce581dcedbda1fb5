# ruff: noqa: E501  (operations are quoted verbatim, long lines included)
"""The vendor docs' Python flow, sent with python_graphql_client (the library those docs use).

Source: https://docs.aivero.com/docs/recordings-management-programmatically
("Recordings Management (Programmatically)"). CAMERA_WITH_MODEL_AND_SERIAL_QUERY and the
variable block of INSERT_RECORDING_SESSION_QUERY are copied verbatim from that page (the
stored copy we could read ends inside insertRecordingSession's object). The rest of the
insert/update operations are written from the field list the page and our issue give
(insertRecordingSession(object: {...storage: {data: {totalSize, estimatedSize}}}),
insertRecord(object: {cameraId, recordingId}), insertStream(object: {...}),
updateRecordingSession(pk_columns: {id}, _set: {state})), keeping the page's style.
"""

from __future__ import annotations

from typing import Any

import httpx
from python_graphql_client import GraphqlClient

# --- verbatim from the vendor page -----------------------------------------------------
CAMERA_WITH_MODEL_AND_SERIAL_QUERY = """query CameraWithModelAndSerial($model: camera_model_enum!, $serial: String!) {
  cameras(where: {model: {_eq: $model}, serial: {_eq: $serial}}) {
    id
  }
}
"""

# Variable block verbatim (including the page's missing comma after $state and its
# trailing comma); the object body follows the page's field list.
INSERT_RECORDING_SESSION_QUERY = """mutation InsertRecordingSession(
  $name: String!,
  $startDate: timestamp!,
  $endDate: timestamp!,
  $mode: RecordingSessionMode_enum!,
  $state: RecordingSessionState_enum!
  $maxSizeMegabytes: Int!,
  $maxTimeSeconds: Int!,
) {
  insertRecordingSession(object: {
    name: $name,
    startDate: $startDate,
    endDate: $endDate,
    mode: $mode,
    state: $state,
    maxSizeMegabytes: $maxSizeMegabytes,
    maxTimeSeconds: $maxTimeSeconds,
    storage: {data: {totalSize: 0, estimatedSize: 0}}
  }) {
    id
  }
}
"""
# --- written from the page's field list ------------------------------------------------
INSERT_RECORD_QUERY = """mutation InsertRecord($cameraId: uuid!, $recordingId: uuid!) {
  insertRecord(object: {cameraId: $cameraId, recordingId: $recordingId}) {
    id
  }
}
"""

INSERT_STREAM_QUERY = """mutation InsertStream(
  $recordId: uuid!,
  $type: stream_type_enum!,
  $alignTo: stream_type_enum!,
  $encoder: stream_encoder_enum!,
  $width: Int!,
  $height: Int!,
  $nearCut: Int!,
  $farCut: Int!,
  $bitrate: Int!,
  $frameRate: Int!,
) {
  insertStream(object: {
    recordId: $recordId,
    type: $type,
    alignTo: $alignTo,
    encoder: $encoder,
    width: $width,
    height: $height,
    nearCut: $nearCut,
    farCut: $farCut,
    bitrate: $bitrate,
    frameRate: $frameRate
  }) {
    id
  }
}
"""

UPDATE_RECORDING_SESSION_STATE_QUERY = """mutation UpdateRecordingSessionState(
  $id: uuid!,
  $state: RecordingSessionState_enum!
) {
  updateRecordingSession(pk_columns: {id: $id}, _set: {state: $state}) {
    id
    state
  }
}
"""


def _client(sandbox: Any) -> GraphqlClient:
    # Exactly how the docs build it: endpoint + admin secret header from the environment.
    env = sandbox.env
    return GraphqlClient(endpoint=env["HASURA_GRAPHQL_ENDPOINT"],
                         headers={"x-hasura-admin-secret": env["HASURA_GRAPHQL_ADMIN_SECRET"]})


def test_vendor_flow_schedules_starts_and_stops_a_recording(sandbox: Any) -> None:
    client = _client(sandbox)
    result = client.execute(CAMERA_WITH_MODEL_AND_SERIAL_QUERY,
                            {"model": "REALSENSE_D435", "serial": "844212070924"})
    camera_id = result["data"]["cameras"][0]["id"]

    # A standby session spanning the vendor script's extreme dates.
    result = client.execute(INSERT_RECORDING_SESSION_QUERY, {
        "name": "docs-example", "startDate": "0001-01-01T00:00:00",
        "endDate": "9999-12-31T23:59:59", "mode": "Storage", "state": "Standby",
        "maxSizeMegabytes": 0, "maxTimeSeconds": 0})
    session_id = result["data"]["insertRecordingSession"]["id"]

    result = client.execute(INSERT_RECORD_QUERY,
                            {"cameraId": camera_id, "recordingId": session_id})
    record_id = result["data"]["insertRecord"]["id"]
    for stream_type, encoder, bitrate in (("color", "HEVC", 1_000_000),
                                          ("depth", "Classic", 5_000_000)):
        result = client.execute(INSERT_STREAM_QUERY, {
            "recordId": record_id, "type": stream_type, "alignTo": "color",
            "encoder": encoder, "width": 1280, "height": 720, "nearCut": 300,
            "farCut": 1000, "bitrate": bitrate, "frameRate": 15})
        assert "errors" not in result, result

    started = client.execute(UPDATE_RECORDING_SESSION_STATE_QUERY,
                             {"id": session_id, "state": "Started"})
    assert started["data"]["updateRecordingSession"] == {"id": session_id, "state": "Started"}
    sandbox.advance(60)
    stopped = client.execute(UPDATE_RECORDING_SESSION_STATE_QUERY,
                             {"id": session_id, "state": "Stopped"})
    assert stopped["data"]["updateRecordingSession"]["state"] == "Stopped"

    # What the flow left behind, read back through the same client.
    check = client.execute("""query($id: uuid!) { recordingSessionByPk(id: $id) {
        name startDate endDate state storage { totalSize estimatedSize }
        records { camera { serial deviceId } streams(order_by: {type: asc}) { type bitrate } }
    } }""", {"id": session_id})
    session = check["data"]["recordingSessionByPk"]
    assert session["startDate"] == "0001-01-01T00:00:00"
    assert session["endDate"] == "9999-12-31T23:59:59"
    assert session["storage"] == {"totalSize": 0, "estimatedSize": 0}
    assert session["records"][0]["camera"] == {"serial": "844212070924",
                                               "deviceId": "dev_vehicle_001"}
    assert [s["type"] for s in session["records"][0]["streams"]] == ["color", "depth"]

    # The device recorded for the time the session was Started.
    page = httpx.get(f"{sandbox.fleet_url}/fleet/recordings/",
                     params={"device": "dev_vehicle_001", "limit": 1},
                     headers={"X-Avala-Api-Key": sandbox.api_key}).json()
    recording = page["results"][0]
    assert recording["status"] == "completed"
    assert recording["duration_seconds"] >= 60
    assert {t["name"] for t in recording["topics"]} == {"/camera/844212070924/color",
                                                         "/camera/844212070924/depth"}
    roots = sandbox.stats()["graphql"]["root_fields"]
    assert roots["insertStream"] == 2 and roots["updateRecordingSession"] == 2


def test_vendor_query_with_wrong_secret_is_access_denied(sandbox: Any) -> None:
    client = GraphqlClient(endpoint=sandbox.graphql_url,
                           headers={"x-hasura-admin-secret": "not-the-secret"})
    result = client.execute(CAMERA_WITH_MODEL_AND_SERIAL_QUERY,
                            {"model": "REALSENSE_D435", "serial": "844212070924"})
    assert result["errors"][0]["extensions"]["code"] == "access-denied"
    assert "data" not in result


def test_vendor_query_with_unknown_model_is_validation_failed(sandbox: Any) -> None:
    result = _client(sandbox).execute(CAMERA_WITH_MODEL_AND_SERIAL_QUERY,
                                      {"model": "KINECT", "serial": "1"})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "validation-failed"
    assert "KINECT" in error["message"]
