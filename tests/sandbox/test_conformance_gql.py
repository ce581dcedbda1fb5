"""gql (with local validation against schemas/controlplane.graphql) over real HTTP: the SDL
file and the served API agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from graphql import GraphQLError, GraphQLInputObjectType, GraphQLObjectType, build_schema

from runner.sandbox.sdl import build_sdl

SDL_PATH = Path(__file__).resolve().parents[2] / "schemas" / "controlplane.graphql"


def test_committed_sdl_is_the_generated_one() -> None:
    assert SDL_PATH.read_text() == build_sdl(), (
        "schemas/controlplane.graphql is stale: run "
        "`python -m runner.sandbox.sdl > schemas/controlplane.graphql`")


@pytest.fixture
def client(sandbox: Any) -> Client:
    transport = HTTPXTransport(url=sandbox.graphql_url,
                               headers={"x-hasura-admin-secret": sandbox.admin_secret})
    return Client(transport=transport, schema=SDL_PATH.read_text())


def test_nested_insert_and_read_back_validated_locally(client: Client) -> None:
    cameras = client.execute(gql('{ cameras(where: {model: {_eq: REALSENSE}}, '
                                 'order_by: {serial: asc}) { id serial } }'))["cameras"]
    assert [c["serial"] for c in cameras] == ["218622272031", "218622273574"]
    insert = GraphQLRequest("""
        mutation($objects: [RecordingSession_insert_input!]!) {
          insertRecordingSessions(objects: $objects) {
            affected_rows
            returning { name records { streams { type } } }
          }
        }""", variable_values={"objects": [{
        "name": "gql-nested", "startDate": "2026-12-01T08:00:00.250",
        "endDate": "2026-12-01T18:00:00", "mode": "Storage", "state": "Stopped",
        "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
        "storage": {"data": {"totalSize": 5_000_000_000, "estimatedSize": 0}},
        "records": {"data": [{"cameraId": c["id"], "streams": {"data": [
            {"type": t, "alignTo": "color", "encoder": "HEVC", "width": 1280, "height": 720,
             "nearCut": 300, "farCut": 1000, "bitrate": 1_000_000, "frameRate": 15}
            for t in ("color", "depth")]}} for c in cameras]},
    }]})
    result = client.execute(insert)["insertRecordingSessions"]
    assert result["affected_rows"] == 1 + 1 + 2 + 4  # session, storage, records, streams
    count = client.execute(gql('{ streamsAggregate { aggregate { count } } '
                               'recordingSessions(where: {name: {_eq: "gql-nested"}}) '
                               '{ startDate storage { totalSize } } }'))
    assert count["streamsAggregate"]["aggregate"]["count"] == 4
    assert count["recordingSessions"] == [{"startDate": "2026-12-01T08:00:00.25",
                                           "storage": {"totalSize": 5_000_000_000}}]


def test_local_validation_rejects_fields_outside_the_sdl(client: Client) -> None:
    with pytest.raises(GraphQLError):
        client.execute(gql("{ cameras { id firmware } }"))


def test_server_errors_surface_as_transport_query_errors(client: Client) -> None:
    cam = client.execute(gql("{ cameras(limit: 1) { id model serial deviceId } }"))["cameras"][0]
    request = GraphQLRequest(
        "mutation($o: Camera_insert_input!) { insertCamera(object: $o) { id } }",
        variable_values={"o": {"model": cam["model"], "serial": cam["serial"],
                               "deviceId": "dev_x"}})
    with pytest.raises(TransportQueryError) as err:
        client.execute(request)
    assert err.value.errors is not None
    assert err.value.errors[0]["extensions"]["code"] == "constraint-violation"


def test_introspection_matches_the_sdl(sandbox: Any) -> None:
    transport = HTTPXTransport(url=sandbox.graphql_url,
                               headers={"x-hasura-admin-secret": sandbox.admin_secret})
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        assert session.client.schema is not None
        served = session.client.schema
    local = build_schema(SDL_PATH.read_text())
    assert set(served.type_map) == set(local.type_map)
    for name in ("query_root", "mutation_root", "RecordingSession_insert_input"):
        served_type, local_type = served.type_map[name], local.type_map[name]
        assert isinstance(served_type, GraphQLObjectType | GraphQLInputObjectType)
        assert isinstance(local_type, GraphQLObjectType | GraphQLInputObjectType)
        assert set(served_type.fields) == set(local_type.fields)
