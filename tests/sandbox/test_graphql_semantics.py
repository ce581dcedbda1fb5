"""Hasura behaviours of the control plane: errors, transactions, upserts, bool exps."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from runner.sandbox.naming import Naming
from runner.sandbox.tables import TABLES
from tests.sandbox.helpers import STREAM, camera_ids, data, error, gql, new_session

INSERT_CAMERA = ("mutation($o: Camera_insert_input!) { insertCamera(object: $o) "
                 "{ id model serial deviceId } }")


# --- errors --------------------------------------------------------------------------------

def test_unknown_field_is_validation_failed_with_path(sandbox: Any) -> None:
    err = error(sandbox, "{ cameras { id firmware } }")
    assert err["message"] == "field 'firmware' not found in type: 'Camera'"
    assert err["extensions"] == {"path": "$.selectionSet.cameras.selectionSet.firmware",
                                 "code": "validation-failed"}


def test_unknown_input_field_path_points_into_the_arguments(sandbox: Any) -> None:
    err = error(sandbox, 'mutation { insertCameras(objects: [{model: REALSENSE, serial: "a", '
                         'deviceId: "d"}, {uuid: "x"}]) { affected_rows } }')
    assert err["message"] == "field 'uuid' not found in type: 'Camera_insert_input'"
    assert err["extensions"]["path"] == "$.selectionSet.insertCameras.args.objects[1].uuid"


def test_unknown_root_field_and_argument(sandbox: Any) -> None:
    assert error(sandbox, "{ kameras { id } }")["message"] == (
        "field 'kameras' not found in type: 'query_root'")
    assert error(sandbox, "{ cameras(first: 1) { id } }")["message"] == (
        "'cameras' has no argument named 'first'")


def test_missing_non_null_variable(sandbox: Any) -> None:
    err = error(sandbox, "query($id: uuid!) { cameraByPk(id: $id) { id } }", {})
    assert err["message"] == 'expecting a value for non-nullable variable: "id"'
    assert err["extensions"]["code"] == "validation-failed"


def test_string_for_int_variable_is_rejected(sandbox: Any) -> None:
    err = error(sandbox, "query($n: Int!) { cameras(limit: $n) { id } }", {"n": "3"})
    assert err["extensions"]["code"] == "validation-failed"
    assert "32-bit integer" in err["message"] and "string" in err["message"]


def test_unknown_enum_value_in_variable_and_literal(sandbox: Any) -> None:
    err = error(sandbox, INSERT_CAMERA, {"o": {"model": "D455", "serial": "x", "deviceId": "d"}})
    assert err["extensions"]["code"] == "validation-failed"
    assert err["message"] == ("expected one of the values ['REALSENSE_D435', 'REALSENSE', "
                              "'V4L2CAMERA'] for type 'camera_model_enum', but found 'D455'")
    err = error(sandbox, "{ cameras(where: {model: {_eq: D455}}) { id } }")
    assert err["extensions"]["code"] == "validation-failed"


def test_enum_variables_are_strings_naming_a_value(sandbox: Any) -> None:
    cams = data(sandbox, "query($m: camera_model_enum!) { cameras(where: {model: {_eq: $m}}) "
                         "{ model } }", {"m": "V4L2CAMERA"})["cameras"]
    assert cams == [{"model": "V4L2CAMERA"}]


def test_syntax_error_and_bad_bodies(sandbox: Any) -> None:
    assert error(sandbox, "{ cameras { id ")["extensions"]["code"] == "validation-failed"
    headers = {"x-hasura-admin-secret": sandbox.admin_secret}
    r = httpx.post(sandbox.graphql_url, content=b"{not json", headers=headers)
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "parse-failed"
    r = httpx.post(sandbox.graphql_url, json={"variables": {}}, headers=headers)
    assert r.json()["errors"][0]["extensions"]["code"] == "parse-failed"


def test_bad_uuid_and_timestamp_values_are_data_exceptions(sandbox: Any) -> None:
    err = error(sandbox, 'query { cameraByPk(id: "not-a-uuid") { id } }')
    assert err["extensions"]["code"] == "data-exception"
    assert err["message"] == 'invalid input syntax for type uuid: "not-a-uuid"'
    err = error(sandbox, '{ recordingSessions(where: {startDate: {_gt: "not-a-date"}}) { id } }')
    assert err["extensions"]["code"] == "data-exception"


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_admin_secret_required(sandbox: Any, secret: str | None) -> None:
    headers = {} if secret is None else {"x-hasura-admin-secret": secret}
    body = httpx.post(sandbox.graphql_url, json={"query": "{ cameras { id } }"},
                      headers=headers).json()
    assert body["errors"][0]["extensions"]["code"] == "access-denied"
    assert "data" not in body
    assert sandbox.stats()["graphql"]["requests"] == 0  # refused before counting


# --- constraints and transactions --------------------------------------------------------

def test_unique_violation_names_the_constraint(sandbox: Any) -> None:
    err = error(sandbox, INSERT_CAMERA, {"o": {"model": "REALSENSE_D435",
                                               "serial": "844212070924", "deviceId": "d"}})
    assert err["extensions"]["code"] == "constraint-violation"
    assert err["message"] == ("Uniqueness violation. duplicate key value violates unique "
                              'constraint "Camera_model_serial_key"')


def test_foreign_key_and_not_null_violations(sandbox: Any) -> None:
    session = new_session(sandbox, "fk", [])
    err = error(sandbox, "mutation($r: uuid!, $c: uuid!) { insertRecord(object: "
                         "{recordingId: $r, cameraId: $c}) { id } }",
                {"r": session, "c": str(uuid.uuid4())})
    assert err["extensions"]["code"] == "constraint-violation"
    assert '"Record_cameraId_fkey"' in err["message"]
    err = error(sandbox, 'mutation { insertCamera(object: {model: REALSENSE, serial: "s"}) '
                         "{ id } }")
    assert err["message"].startswith('Not-NULL violation. null value in column "deviceId"')


def test_delete_restricted_by_records(sandbox: Any) -> None:
    new_session(sandbox, "uses-camera", ["844212070924"])
    err = error(sandbox, 'mutation { deleteCameras(where: {serial: {_eq: "844212070924"}}) '
                         "{ affected_rows } }")
    assert err["extensions"]["code"] == "constraint-violation"
    assert '"Record_cameraId_fkey"' in err["message"]


def test_all_root_fields_of_a_mutation_share_one_transaction(sandbox: Any) -> None:
    body = gql(sandbox, """mutation {
        a: insertCamera(object: {model: V4L2CAMERA, serial: "new-1", deviceId: "d2"}) { id }
        b: insertCamera(object: {model: V4L2CAMERA, serial: "new-2", deviceId: "d2"}) { id }
        c: insertCamera(object: {model: V4L2CAMERA, serial: "new-1", deviceId: "d2"}) { id }
    }""")
    assert body["errors"][0]["extensions"]["path"] == "$.selectionSet.c.args.object"
    left = data(sandbox, '{ cameras(where: {serial: {_like: "new-%"}}) { id } }')["cameras"]
    assert left == []  # a and b rolled back with c


def test_mutation_fields_run_in_order_and_see_each_other(sandbox: Any) -> None:
    cid = str(uuid.uuid4())
    result = data(sandbox, """mutation($id: uuid!) {
        insertCamera(object: {id: $id, model: V4L2CAMERA, serial: "x", deviceId: "d"}) { id }
        updateCamera(pk_columns: {id: $id}, _set: {deviceId: "dev_lab_002"}) { deviceId }
        deleteCamera(id: $id) { serial }
    }""", {"id": cid})
    assert result == {"insertCamera": {"id": cid}, "updateCamera": {"deviceId": "dev_lab_002"},
                      "deleteCamera": {"serial": "x"}}


def test_cascade_deletes_records_and_streams(sandbox: Any) -> None:
    sid = new_session(sandbox, "cascade", ["844212070924", "218622272031"])
    result = data(sandbox, "mutation($id: uuid!) { deleteRecordingSession(id: $id) "
                           "{ records { streams { type } } } }", {"id": sid})
    assert len(result["deleteRecordingSession"]["records"]) == 2
    counts = data(sandbox, "{ recordsAggregate { aggregate { count } } "
                           "streamsAggregate { aggregate { count } } }")
    assert counts["recordsAggregate"]["aggregate"]["count"] == 0
    assert counts["streamsAggregate"]["aggregate"]["count"] == 0


def test_by_pk_update_and_delete_of_missing_rows_return_null(sandbox: Any) -> None:
    missing = str(uuid.uuid4())
    result = data(sandbox, """mutation($id: uuid!) {
        updateRecordingSession(pk_columns: {id: $id}, _set: {state: Started}) { id }
        deleteRecordingSession(id: $id) { id }
        updateRecordingSessions(where: {id: {_eq: $id}}, _set: {name: "x"}) { affected_rows }
    }""", {"id": missing})
    assert result == {"updateRecordingSession": None, "deleteRecordingSession": None,
                      "updateRecordingSessions": {"affected_rows": 0}}


def test_inc_and_set_together(sandbox: Any) -> None:
    sid = new_session(sandbox, "inc", [])
    result = data(sandbox, "mutation($id: uuid!) { updateRecordingSession(pk_columns: {id: $id},"
                           ' _set: {name: "renamed"}, _inc: {maxTimeSeconds: 30}) '
                           "{ name maxTimeSeconds updatedAt createdAt } }", {"id": sid})
    row = result["updateRecordingSession"]
    assert row["name"] == "renamed" and row["maxTimeSeconds"] == 30
    assert row["updatedAt"] >= row["createdAt"]


# --- on_conflict -----------------------------------------------------------------------------

UPSERT = """mutation($objects: [Camera_insert_input!]!, $where: Camera_bool_exp) {
  insertCameras(objects: $objects, on_conflict: {constraint: Camera_model_serial_key,
                update_columns: [deviceId], where: $where}) {
    affected_rows returning { id serial deviceId }
  }
}"""


def test_upsert_updates_the_existing_row_and_keeps_its_id(sandbox: Any) -> None:
    existing = camera_ids(sandbox)["844212070924"]
    result = data(sandbox, UPSERT, {"objects": [
        {"id": str(uuid.uuid4()), "model": "REALSENSE_D435", "serial": "844212070924",
         "deviceId": "dev_warehouse_001"},
        {"model": "REALSENSE_D435", "serial": "brand-new", "deviceId": "dev_lab_001"}]})
    out = result["insertCameras"]
    assert out["affected_rows"] == 2
    assert out["returning"][0] == {"id": existing, "serial": "844212070924",
                                   "deviceId": "dev_warehouse_001"}


def test_upsert_where_false_skips_the_row_entirely(sandbox: Any) -> None:
    result = data(sandbox, UPSERT, {
        "objects": [{"model": "REALSENSE_D435", "serial": "844212070924", "deviceId": "moved"}],
        "where": {"deviceId": {"_eq": "somewhere-else"}}})
    assert result["insertCameras"] == {"affected_rows": 0, "returning": []}
    cams = data(sandbox, '{ cameras(where: {serial: {_eq: "844212070924"}}) { deviceId } }')
    assert cams["cameras"] == [{"deviceId": "dev_vehicle_001"}]


def test_upsert_do_nothing_with_empty_update_columns(sandbox: Any) -> None:
    result = data(sandbox, """mutation { insertCameras(objects: [{model: REALSENSE_D435,
        serial: "844212070924", deviceId: "other"}], on_conflict: {constraint:
        Camera_model_serial_key}) { affected_rows } }""")
    assert result["insertCameras"]["affected_rows"] == 0


def test_nested_array_insert_honours_on_conflict(sandbox: Any) -> None:
    cams = camera_ids(sandbox)
    sid = str(uuid.uuid4())
    record_id = str(uuid.uuid4())
    doc = """mutation($o: RecordingSession_insert_input!) {
      insertRecordingSessions(objects: [$o], on_conflict: {constraint: RecordingSession_pkey,
                              update_columns: [name]}) { affected_rows }
    }"""

    def session(name: str, bitrate: int) -> dict[str, Any]:
        return {"id": sid, "name": name, "startDate": "2026-12-01T08:00:00",
                "endDate": "2026-12-01T09:00:00", "mode": "Storage", "state": "Stopped",
                "maxTimeSeconds": 0, "maxSizeMegabytes": 0, "records": {
                    "data": [{"id": record_id, "cameraId": cams["844212070924"], "streams": {
                        "data": [{**STREAM, "type": "color", "bitrate": bitrate}],
                        "on_conflict": {"constraint": "Stream_recordId_type_key",
                                        "update_columns": ["bitrate"]}}}],
                    "on_conflict": {"constraint": "Record_pkey", "update_columns": ["cameraId"]}}}

    assert data(sandbox, doc, {"o": session("v1", 1)})["insertRecordingSessions"][
        "affected_rows"] == 3
    assert data(sandbox, doc, {"o": session("v2", 2)})["insertRecordingSessions"][
        "affected_rows"] == 3
    rows = data(sandbox, "{ recordingSessions { name records { streams { bitrate } } } }")
    assert rows["recordingSessions"] == [{"name": "v2", "records": [{"streams": [
        {"bitrate": 2}]}]}]


# --- bool_exp, order_by, pagination, aggregates ------------------------------------------

def test_bool_exp_operators(sandbox: Any) -> None:
    def serials(where: str) -> list[str]:
        rows = data(sandbox, f"{{ cameras(where: {where}, order_by: {{serial: asc}}) "
                             "{ serial } }")["cameras"]
        return [r["serial"] for r in rows]

    assert serials('{serial: {_like: "8442%"}}') == ["844212070924", "844212071131"]
    assert serials('{serial: {_like: "V4L2%"}}') == []  # _like is case-sensitive
    assert serials('{serial: {_ilike: "V4L2%"}}') == ["v4l2-lab-cam-01"]
    assert serials('{serial: {_nlike: "%0%"}}') == ["218622273574"]
    assert serials('{model: {_in: [REALSENSE]}, deviceId: {_neq: "dev_lab_001"}}') == [
        "218622272031"]
    assert serials('{_or: [{deviceId: {_eq: "dev_lab_002"}}, {serial: {_eq: "936322070512"}}]}'
                   ) == ["936322070512", "v4l2-lab-cam-01"]
    assert serials('{_not: {model: {_nin: [V4L2CAMERA]}}}') == ["v4l2-lab-cam-01"]
    assert serials("{_and: [], _or: []}") == []  # empty _or is false
    assert len(serials("{}")) == 6
    assert serials('{serial: {_gt: "9"}}') == ["936322070512", "v4l2-lab-cam-01"]


def test_relation_filters_and_nested_arguments(sandbox: Any) -> None:
    new_session(sandbox, "with-depth", ["844212070924"], types=("color", "depth"))
    new_session(sandbox, "color-only", ["936322070512"], types=("color",))
    rows = data(sandbox, """{ recordingSessions(where: {records: {streams: {type: {_eq: depth}}}})
        { name records { camera { serial } streams(where: {type: {_neq: color}}) { type } } } }""")
    assert rows["recordingSessions"] == [{"name": "with-depth", "records": [
        {"camera": {"serial": "844212070924"}, "streams": [{"type": "depth"}]}]}]
    cams = data(sandbox, "{ cameras(where: {records: {recordingSession: {name: "
                         '{_eq: "color-only"}}}}) { serial } }')["cameras"]
    assert cams == [{"serial": "936322070512"}]


def test_order_limit_offset_aggregate_and_aliases(sandbox: Any) -> None:
    result = data(sandbox, """{
        first: cameras(order_by: [{model: desc}, {serial: asc}], limit: 2) { serial model }
        rest: cameras(order_by: {serial: asc}, offset: 4) { serial }
        agg: camerasAggregate(where: {model: {_eq: REALSENSE_D435}}) {
            aggregate { count devices: count(columns: [deviceId], distinct: true) }
            nodes { __typename serial }
        }
        __typename
    }""")
    assert result["first"] == [{"serial": "v4l2-lab-cam-01", "model": "V4L2CAMERA"},
                               {"serial": "844212070924", "model": "REALSENSE_D435"}]
    assert result["rest"] == [{"serial": "936322070512"}, {"serial": "v4l2-lab-cam-01"}]
    assert result["agg"]["aggregate"] == {"count": 3, "devices": 3}
    assert {n["__typename"] for n in result["agg"]["nodes"]} == {"Camera"}
    assert result["__typename"] == "query_root"


def test_order_by_object_relation(sandbox: Any) -> None:
    new_session(sandbox, "s", ["v4l2-lab-cam-01", "218622272031"])
    rows = data(sandbox, "{ records(order_by: {camera: {serial: desc}}) { camera { serial } } }")
    assert [r["camera"]["serial"] for r in rows["records"]] == ["v4l2-lab-cam-01",
                                                                "218622272031"]


def test_fragments_variables_and_directives(sandbox: Any) -> None:
    result = data(sandbox, """query($withDevice: Boolean!) {
        cameras(where: {serial: {_eq: "844212070924"}}) {
            ...Cam deviceId @include(if: $withDevice) }
    }
    fragment Cam on Camera { serial model }""", {"withDevice": False})
    assert result["cameras"] == [{"serial": "844212070924", "model": "REALSENSE_D435"}]


def test_timestamps_round_trip_without_offset(sandbox: Any) -> None:
    sid = new_session(sandbox, "ts", [], start="2026-12-01T08:00:00.123000",
                      end="2026-12-01 18:00:00")
    row = data(sandbox, "query($id: uuid!) { recordingSessionByPk(id: $id) { startDate endDate } }",
               {"id": sid})["recordingSessionByPk"]
    assert row == {"startDate": "2026-12-01T08:00:00.123", "endDate": "2026-12-01T18:00:00"}
    found = data(sandbox, '{ recordingSessions(where: {startDate: {_gte: "2026-12-01T08:00:00.1"}})'
                          " { id } }")["recordingSessions"]
    assert found == [{"id": sid}]


def test_batched_requests_answer_in_order(sandbox: Any) -> None:
    response = httpx.post(sandbox.graphql_url, json=[
        {"query": "{ camerasAggregate { aggregate { count } } }"},
        {"query": "{ nope }"},
        {"query": 'query($s: String!) { cameras(where: {serial: {_eq: $s}}) { model } }',
         "variables": {"s": "v4l2-lab-cam-01"}},
    ], headers={"x-hasura-admin-secret": sandbox.admin_secret})
    first, second, third = response.json()
    assert first == {"data": {"camerasAggregate": {"aggregate": {"count": 6}}}}
    assert second["errors"][0]["extensions"]["code"] == "validation-failed"
    assert third == {"data": {"cameras": [{"model": "V4L2CAMERA"}]}}


def test_variables_the_operation_does_not_use_are_refused(sandbox: Any) -> None:
    query = "query($s: String!) { cameras(where: {serial: {_eq: $s}}) { id } }"
    err = error(sandbox, query, {"s": "844212070924", "limit": 3})
    assert err["message"] == "unexpected variables in variableValues: limit"
    assert err["extensions"] == {"path": "$", "code": "validation-failed"}
    # Used through a fragment counts as used.
    body = gql(sandbox, "query($d: Boolean!) { cameras { ...F } } "
                        "fragment F on Camera { serial deviceId @include(if: $d) }", {"d": True})
    assert "errors" not in body


def test_negative_limit_and_empty_update_are_refused(sandbox: Any) -> None:
    err = error(sandbox, "query($n: Int) { cameras(limit: $n) { id } }", {"n": -1})
    assert err["extensions"]["code"] == "validation-failed"
    assert "non-negative" in err["message"]
    err = error(sandbox, "{ cameras { records(offset: -2) { id } } }")
    assert "non-negative" in err["message"]
    err = error(sandbox, 'mutation { updateCameras(where: {}, _set: {}) { affected_rows } }')
    assert err["message"] == "at least any one of _set, _inc is expected"
    assert err["extensions"] == {"path": "$.selectionSet.updateCameras",
                                 "code": "validation-failed"}


def test_every_root_field_of_the_sdl_answers(sandbox: Any) -> None:
    missing = str(uuid.uuid4())
    for t in TABLES.values():
        root = Naming("vendor").root_fields(t)
        result = data(sandbox, f"""query($id: uuid!) {{
            {t.plural}(limit: 1) {{ __typename id }}
            {t.plural}Aggregate {{ aggregate {{ count }} }}
            {root["by_pk"]}(id: $id) {{ id }}
        }}""", {"id": missing})
        assert result[root["by_pk"]] is None
        assert isinstance(result[f"{t.plural}Aggregate"]["aggregate"]["count"], int)
        first = next(c for c in t.columns if c.name != "id")
        literal = '"x"' if first.type == "String" else "null"
        set_arg = f"_set: {{{first.name}: {literal}}}"
        numeric = next((c.name for c in t.columns if c.type in ("Int", "bigint")), None)
        change = f"_inc: {{{numeric}: 1}}" if numeric else set_arg
        mutated = data(sandbox, f"""mutation($id: uuid!) {{
            u1: {root["update_many"]}(where: {{id: {{_eq: $id}}}}, {change}) {{ affected_rows }}
            u2: {root["update_one"]}(pk_columns: {{id: $id}}, {set_arg}) {{ id }}
            d1: {root["delete_many"]}(where: {{id: {{_eq: $id}}}}) {{
                affected_rows returning {{ id }} }}
            d2: {root["delete_one"]}(id: $id) {{ id }}
        }}""", {"id": missing})
        assert mutated["u2"] is None and mutated["d2"] is None
        assert mutated["d1"] == {"affected_rows": 0, "returning": []}


# --- Hasura details a vendor-style script meets ---------------------------------------------

def test_enum_columns_take_only_equality_operators(sandbox: Any) -> None:
    cams = data(sandbox, "{ cameras(where: {model: {_neq: REALSENSE_D435, _nin: [V4L2CAMERA]}})"
                         " { model } }")["cameras"]
    assert {c["model"] for c in cams} == {"REALSENSE"}
    assert data(sandbox, "{ cameras(where: {model: {_is_null: true}}) { id } }") == {
        "cameras": []}
    err = error(sandbox, "{ cameras(where: {model: {_gt: REALSENSE}}) { id } }")
    assert err["message"] == "field '_gt' not found in type: 'camera_model_enum_comparison_exp'"
    assert err["extensions"]["path"] == "$.selectionSet.cameras.args.where.model._gt"


def test_variable_declared_with_another_type_is_worded_as_hasura(sandbox: Any) -> None:
    # The old reconstruction of the docs declared $alignTo as the enum; Stream.alignTo is text.
    err = error(sandbox, "mutation($a: stream_type_enum!) { insertStream(object: {alignTo: $a})"
                         " { id } }", {"a": "color"})
    assert err["message"] == ("variable 'a' is declared as 'stream_type_enum!', but used where "
                              "'String' is expected")
    assert err["extensions"] == {"path": "$.selectionSet.insertStream.args.object.alignTo",
                                 "code": "validation-failed"}


def test_distinct_on_keeps_the_first_row_of_each_group(sandbox: Any) -> None:
    cams = data(sandbox, "{ cameras(distinct_on: [deviceId], order_by: [{deviceId: asc}, "
                         "{serial: desc}]) { deviceId serial } }")["cameras"]
    assert cams == [{"deviceId": "dev_lab_001", "serial": "936322070512"},
                    {"deviceId": "dev_lab_002", "serial": "v4l2-lab-cam-01"},
                    {"deviceId": "dev_vehicle_001", "serial": "844212070924"},
                    {"deviceId": "dev_vehicle_002", "serial": "844212071131"}]
    err = error(sandbox, "{ cameras(distinct_on: deviceId, order_by: {serial: asc}) { id } }")
    assert err["message"] == '"distinct_on" columns must match initial "order_by" columns'
    count = data(sandbox, "{ camerasAggregate(distinct_on: model) { aggregate { count } } }")
    assert count["camerasAggregate"]["aggregate"]["count"] == 3


def test_nested_distinct_on_and_relation_aggregates(sandbox: Any) -> None:
    session = new_session(sandbox, "nested", ["844212070924", "218622272031"],
                          types=("color", "depth", "infra"))
    result = data(sandbox, """query($id: uuid!) { recordingSessionByPk(id: $id) {
        records(order_by: {camera: {serial: asc}}) {
            streams(distinct_on: alignTo) { alignTo }
            streams_aggregate(where: {type: {_neq: infra}}) { aggregate { count }
                nodes { type } } }
        records_aggregate(limit: 1) { aggregate { count } } } }""", {"id": session})
    records = result["recordingSessionByPk"]["records"]
    assert [r["streams"] for r in records] == [[{"alignTo": "color"}]] * 2
    assert [r["streams_aggregate"]["aggregate"]["count"] for r in records] == [2, 2]
    assert sorted(n["type"] for n in records[0]["streams_aggregate"]["nodes"]) == [
        "color", "depth"]
    assert result["recordingSessionByPk"]["records_aggregate"] == {"aggregate": {"count": 1}}
