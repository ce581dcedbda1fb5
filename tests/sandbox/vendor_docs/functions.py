# ruff: noqa
import os
import sys
from datetime import datetime
from python_graphql_client import GraphqlClient

endpoint = os.environ["HASURA_GRAPHQL_ENDPOINT"]
secret = os.environ["HASURA_GRAPHQL_ADMIN_SECRET"]

client = GraphqlClient(endpoint=endpoint, headers={ "x-hasura-admin-secret": secret })

camera_with_model_and_serial_query = """query CameraWithModelAndSerial($model: camera_model_enum!, $serial: String!) {
  cameras(where: {model: {_eq: $model}, serial: {_eq: $serial}}) {
    id  # filled: cut by the extraction
  }  # filled
}"""  # filled

def camera_with_model_and_serial(model, serial):
    result = client.execute(
        query=camera_with_model_and_serial_query,  # filled
        variables={  # filled
            "model": model,
            "serial": serial,
        },  # filled
    )  # filled
    return result["data"]["cameras"][0]["id"]

insert_recording_session_query = """mutation InsertRecordingSession(
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
    state: $state
    maxTimeSeconds: $maxTimeSeconds,
    maxSizeMegabytes: $maxSizeMegabytes,
    storage: { data: {
        totalSize: 0,
        estimatedSize: 0,
    } }  # filled
  }) {
    id  # filled
  }  # filled
}"""  # filled

def insert_recording_session(now, later, name):
    return client.execute(
        query=insert_recording_session_query,  # filled
        variables={  # filled
            "name": name,
            "startDate": now,
            "endDate": later,
            "mode": "Storage",
            "state": "Stopped",
            "maxTimeSeconds": "0",
            "maxSizeMegabytes": "0",
        },  # filled
    )["data"]["insertRecordingSession"]["id"]  # filled

insert_record_query = """mutation InsertRecord($recordingId: uuid!, $cameraId: uuid!) {
  insertRecord(object: {cameraId: $cameraId, recordingId: $recordingId}) {
    id  # filled
  }  # filled
}"""  # filled

def insert_record(recording_session_id, camera_id):
    return client.execute(
        query=insert_record_query,  # filled
        variables={  # filled
            "recordingId": recording_session_id,
            "cameraId": camera_id,
        },  # filled
    )["data"]["insertRecord"]["id"]  # filled

insert_stream_query = """mutation InsertStream(
  $recordId: uuid!,
  $type: stream_type_enum!,
  $alignTo: String!,
  $encoder: stream_encoder_enum!,
  $width: Int!
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
    bitrate: $bitrate
    frameRate: $frameRate,
  }) {
    id  # filled
  }  # filled
}"""  # filled

def insert_stream(
    record_id, type, align_to, encoder, width, height, near_cut, far_cut, bitrate, frame_rate
):  # filled
    return client.execute(
        query=insert_stream_query,  # filled
        variables={  # filled
            "recordId": record_id,
            "type": type,
            "alignTo": align_to,
            "encoder": encoder,
            "width": width,
            "height": height,
            "nearCut": near_cut,
            "farCut": far_cut,
            "bitrate": bitrate,
            "frameRate": frame_rate,
        },  # filled
    )  # filled

update_recording_session_state_query = """mutation UpdateRecordingSessionState($id: uuid!, $state: RecordingSessionState_enum!) {
  updateRecordingSession(pk_columns: {id: $id}, _set: {state: $state}) {
    id  # filled
  }  # filled
}"""  # filled

def update_recording_session_state(session_id, state):
    client.execute(update_recording_session_state_query, {"id": session_id, "state": state})
