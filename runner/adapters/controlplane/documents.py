"""Every GraphQL document the control-plane adapter sends (but the burst hot path's, in
`burst.py`), and the builder of the one mutation that applies a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from runner.adapters.controlplane.versions import expected_versions, version_row
from runner.adapters.controlplane.wire import SESSION_CONFLICT, insert_object
from runner.compile import version_id
from runner.plan.model import Writes

# Everything the given campaigns own plus the cameras they name: ONE query.
READ_STATE = """
query CampaignState($sessions: RecordingSession_bool_exp!, $cameras: Camera_bool_exp!) {
  sessions: recordingSessions(where: $sessions, order_by: [{name: asc}]) {
    id name startDate endDate mode state maxTimeSeconds maxSizeMegabytes
    storage { totalSize }
    records(order_by: [{id: asc}]) {
      id cameraId
      camera { model serial }
      streams(order_by: [{type: asc}]) {
        id type alignTo encoder width height nearCut farCut bitrate frameRate
      }
    }
  }
  cameras(where: $cameras, order_by: [{model: asc}, {serial: asc}]) {
    id model serial deviceId
  }
}
"""

KNOWN_CAMERAS = """
query KnownCameras($where: Camera_bool_exp!) {
  cameras(where: $where, order_by: [{model: asc}, {serial: asc}]) {
    id model serial deviceId
  }
}
"""


def write_document(
    writes: Writes,
    versions: Mapping[str, int],
    tokens: Mapping[str, int],
    now: dt.datetime,
    *,
    drop_versions: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The single mutation (one transaction) for `writes`, with its variables."""
    params: list[str] = []
    fields: list[str] = []
    variables: dict[str, Any] = {}

    def var(name: str, gql_type: str, value: Any) -> str:
        params.append(f"${name}: {gql_type}")
        variables[name] = value
        return f"${name}"

    expected = var("expected", "RecordingSession_bool_exp!", expected_versions(versions))
    fields.append(f"casRelease: deleteRecordingSessions(where: {expected}) {{ affected_rows }}")
    rows = var("versionRows", "[RecordingSession_insert_input!]!",
               [version_row(c, t, now) for c, t in sorted(tokens.items())])
    fields.append(f"casClaim: insertRecordingSessions(objects: {rows}) {{ affected_rows }}")
    if writes.stop:
        ids = var("stop", "[uuid!]!", list(writes.stop))
        fields.append(f"stop: updateRecordingSessions(where: {{id: {{_in: {ids}}}}}, "
                      "_set: {state: Stopped}) { affected_rows }")
    for alias, root, name, ids_list in (
        ("dropStreams", "deleteStreams", "deleteStreamIds", writes.delete_streams),
        ("dropRecords", "deleteRecords", "deleteRecordIds", writes.delete_records),
        ("dropSessions", "deleteRecordingSessions", "deleteSessionIds", writes.delete_sessions),
    ):
        if ids_list:
            ids = var(name, "[uuid!]!", list(ids_list))
            fields.append(f"{alias}: {root}(where: {{id: {{_in: {ids}}}}}) {{ affected_rows }}")
    if writes.upsert_sessions:
        objects = var("sessions", "[RecordingSession_insert_input!]!",
                      [insert_object(u) for u in writes.upsert_sessions])
        conflict = var("sessionConflict", "RecordingSession_on_conflict!", SESSION_CONFLICT)
        fields.append(f"upsert: insertRecordingSessions(objects: {objects}, "
                      f"on_conflict: {conflict}) {{ affected_rows }}")
    by_state: dict[str, list[str]] = {}
    for session_id, target in writes.transitions:
        by_state.setdefault(target.value, []).append(session_id)
    for state in sorted(by_state):
        ids = var(f"to{state}", "[uuid!]!", by_state[state])
        fields.append(f"to{state}: updateRecordingSessions(where: {{id: {{_in: {ids}}}}}, "
                      f"_set: {{state: {state}}}) {{ affected_rows }}")
    if drop_versions:
        ids = var("versionIds", "[uuid!]!", [version_id(c) for c in sorted(tokens)])
        fields.append(f"dropVersions: deleteRecordingSessions(where: {{id: {{_in: {ids}}}}}) "
                      "{ affected_rows }")
    document = "mutation Apply(" + ", ".join(params) + ") {\n  " + "\n  ".join(fields) + "\n}"
    return document, variables
