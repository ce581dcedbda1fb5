"""The same tables under each Hasura naming convention (`--naming`), introspection included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gql import Client
from gql.transport.httpx import HTTPXTransport
from graphql import GraphQLInputObjectType, GraphQLObjectType, build_schema

from runner.sandbox.app import create_app
from runner.sandbox.sdl import build_sdl
from tests.conftest import SandboxHandle, start_sandbox
from tests.sandbox.helpers import data, error, fleet

SESSION = {"name": "n", "startDate": "2026-12-01T08:00:00", "endDate": "2026-12-01T18:00:00",
           "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
           "storage": {"data": {"totalSize": 0, "estimatedSize": 0}}}


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path / "naming.db", naming=request.param)
    try:
        yield handle
    finally:
        handle.close()


@pytest.mark.parametrize("served", ["vendor", "hasura-default", "graphql-default"],
                         indirect=True)
def test_introspection_answers_the_conventions_schema(served: SandboxHandle,
                                                      request: pytest.FixtureRequest) -> None:
    naming = request.node.callspec.params["served"]
    transport = HTTPXTransport(url=served.graphql_url,
                               headers={"x-hasura-admin-secret": served.admin_secret})
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        assert session.client.schema is not None
        schema = session.client.schema
    local = build_schema(build_sdl(naming))
    assert set(schema.type_map) == set(local.type_map)
    for name, local_type in local.type_map.items():
        if isinstance(local_type, GraphQLObjectType | GraphQLInputObjectType):
            served_type = schema.type_map[name]
            assert isinstance(served_type, GraphQLObjectType | GraphQLInputObjectType)
            assert set(served_type.fields) == set(local_type.fields), name
            if isinstance(local_type, GraphQLObjectType):
                assert isinstance(served_type, GraphQLObjectType)
                for fname, field in local_type.fields.items():
                    assert set(served_type.fields[fname].args) == set(field.args), fname


def test_vendor_keeps_the_names_the_product_sends() -> None:
    schema = build_schema(build_sdl("vendor"))
    assert schema.query_type is not None and schema.mutation_type is not None
    queries, mutations = schema.query_type.fields, schema.mutation_type.fields
    for name in ("cameras", "recordingSessions", "recordingSessionByPk",
                 "recordingSessionsAggregate"):
        assert name in queries
    for name in ("insertRecordingSession", "insertRecordingSessions", "insertRecord",
                 "insertStream", "updateRecordingSession", "updateRecordingSessions",
                 "deleteRecordingSessions", "deleteRecords", "deleteStreams"):
        assert name in mutations
    assert set(mutations["updateRecordingSession"].args) == {"pk_columns", "_set", "_inc"}
    assert set(mutations["insertRecordingSessions"].args) == {"objects", "on_conflict"}
    for type_name in ("RecordingSession_bool_exp", "RecordingSession_insert_input",
                      "RecordingSession_on_conflict", "camera_model_enum",
                      "RecordingSessionState_enum", "stream_type_enum"):
        assert type_name in schema.type_map
    constraint = schema.type_map["RecordingSession_constraint"]
    assert set(constraint.values) == {"RecordingSession_pkey"}  # type: ignore[attr-defined]
    assert str(schema.type_map["Stream"].fields["alignTo"].type) == "String!"  # type: ignore[attr-defined]


@pytest.mark.parametrize("served", ["hasura-default"], indirect=True)
def test_hasura_default_family(served: SandboxHandle) -> None:
    camera = data(served, '{ Camera(where: {serial: {_eq: "844212070924"}}) { id } }')[
        "Camera"][0]["id"]
    obj = {**SESSION, "mode": "Storage", "state": "Stopped",
           "records": {"data": [{"cameraId": camera}]}}
    inserted = data(served, "mutation($o: RecordingSession_insert_input!) { "
                            "insert_RecordingSession_one(object: $o) { id } }", {"o": obj})
    sid = inserted["insert_RecordingSession_one"]["id"]
    upsert = data(served, """mutation($o: [RecordingSession_insert_input!]!) {
        insert_RecordingSession(objects: $o, on_conflict: {constraint: RecordingSession_pkey,
            update_columns: [name]}) { affected_rows returning { name } } }""",
                  {"o": [{**SESSION, "id": sid, "name": "renamed", "mode": "Storage",
                          "state": "Stopped"}]})
    assert upsert["insert_RecordingSession"]["returning"] == [{"name": "renamed"}]
    started = data(served, """mutation($id: uuid!) {
        update_RecordingSession_by_pk(pk_columns: {id: $id}, _set: {state: Started}) { state }
        u: update_RecordingSession(where: {id: {_eq: $id}}, _inc: {maxTimeSeconds: 5}) {
            affected_rows } }""", {"id": sid})
    assert started == {"update_RecordingSession_by_pk": {"state": "Started"},
                       "u": {"affected_rows": 1}}
    batch = data(served, """mutation($id: uuid!) { update_RecordingSession_many(updates: [
        {where: {id: {_eq: $id}}, _inc: {maxTimeSeconds: 2}},
        {where: {maxTimeSeconds: {_eq: 7}}, _set: {name: "seven"}}]) {
            affected_rows returning { name maxTimeSeconds } } }""", {"id": sid})
    assert batch["update_RecordingSession_many"] == [
        {"affected_rows": 1, "returning": [{"name": "renamed", "maxTimeSeconds": 7}]},
        {"affected_rows": 1, "returning": [{"name": "seven", "maxTimeSeconds": 7}]}]
    data(served, "mutation($id: uuid!) { update_RecordingSession_by_pk(pk_columns: "
                 "{id: $id}, _inc: {maxTimeSeconds: -2}, _set: {name: \"renamed\"}) { id } }",
         {"id": sid})
    read = data(served, """query($id: uuid!) { RecordingSession_by_pk(id: $id) {
        maxTimeSeconds records_aggregate { aggregate { count } } }
        RecordingSession_aggregate { aggregate { count } } }""", {"id": sid})
    assert read["RecordingSession_by_pk"] == {"maxTimeSeconds": 5,
                                              "records_aggregate": {"aggregate": {"count": 1}}}
    assert served.stats()["graphql"]["root_fields"]["update_RecordingSession_by_pk"] == 2
    deleted = data(served, "mutation($id: uuid!) { delete_RecordingSession_by_pk(id: $id) "
                           "{ name } delete_Record(where: {}) { affected_rows } }", {"id": sid})
    assert deleted == {"delete_RecordingSession_by_pk": {"name": "renamed"},
                       "delete_Record": {"affected_rows": 0}}  # cascaded already


@pytest.mark.parametrize("served", ["graphql-default"], indirect=True)
def test_graphql_default_family(served: SandboxHandle) -> None:
    cams = data(served, """{ camera(orderBy: [{model: ASC}, {serial: DESC_NULLS_LAST}],
        where: {model: {_in: [REALSENSE_D435]}, deviceId: {_isNull: false}}, limit: 2) {
        __typename serial model } }""")["camera"]
    assert cams == [{"__typename": "Camera", "serial": "936322070512", "model": "REALSENSE_D435"},
                    {"__typename": "Camera", "serial": "844212071131",
                     "model": "REALSENSE_D435"}]
    camera = data(served, '{ camera(where: {serial: {_eq: "844212070924"}}) { id } }')[
        "camera"][0]["id"]
    obj = {**SESSION, "mode": "STORAGE", "state": "STANDBY", "records": {"data": [
        {"cameraId": camera, "streams": {"data": [
            {"type": "COLOR", "alignTo": "color", "encoder": "HEVC", "width": 1280,
             "height": 720, "nearCut": 300, "farCut": 1000, "bitrate": 1000, "frameRate": 15}]}}]}}
    sid = data(served, """mutation($o: RecordingSessionInsertInput!) {
        insertRecordingSessionOne(object: $o, onConflict: {constraint: RecordingSession_pkey,
            updateColumns: [state]}) { id mode state } }""", {"o": obj})[
        "insertRecordingSessionOne"]
    assert (sid["mode"], sid["state"]) == ("STORAGE", "STANDBY")
    result = data(served, """mutation($id: uuid!, $s: RecordingSessionStateEnum!) {
        updateRecordingSessionByPk(pkColumns: {id: $id}, _set: {state: $s}) { state }
        many: updateRecordingSession(where: {id: {_eq: $id}}, _inc: {maxSizeMegabytes: 1}) {
            __typename affectedRows returning { records { streams { type alignTo } }
            recordsAggregate { aggregate { count } } } } }""",
                  {"id": sid["id"], "s": "STARTED"})
    assert result["updateRecordingSessionByPk"] == {"state": "STARTED"}
    assert result["many"] == {"__typename": "RecordingSessionMutationResponse",
                              "affectedRows": 1, "returning": [{
                                  "records": [{"streams": [{"type": "COLOR",
                                                            "alignTo": "color"}]}],
                                  "recordsAggregate": {"aggregate": {"count": 1}}}]}
    # The device simulation sees the stored state whatever the spelling.
    page = fleet(served, "GET", "recordings/", params={"device": "dev_vehicle_001",
                                                       "status": "recording"}).json()
    assert len(page["results"]) == 1
    assert served.stats()["graphql"]["root_fields"]["updateRecordingSessionByPk"] == 1
    err = error(served, '{ camera(where: {model: {_eq: REALSENSE_D455}}) { id } }')
    assert err["extensions"]["code"] == "validation-failed"
    err = error(served, "query($s: RecordingSessionStateEnum!) { recordingSession(where: "
                        "{state: {_eq: $s}}) { id } }", {"s": "Started"})
    assert err["message"] == ("expected one of the values ['STOPPED', 'SCHEDULED', 'STANDBY', "
                              "'STARTED'] for type 'RecordingSessionStateEnum', but found "
                              "'Started'")
    deleted = data(served, "mutation($id: uuid!) { deleteRecordingSessionByPk(id: $id) { id } "
                           "deleteStream(where: {}) { affectedRows } }", {"id": sid["id"]})
    assert deleted["deleteStream"] == {"affectedRows": 0}


def test_unknown_naming_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown naming 'kebab'"):
        create_app(tmp_path / "x.db", None, None, naming="kebab")
    assert not (tmp_path / "x.db").exists()
