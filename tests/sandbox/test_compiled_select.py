"""A select compiled into one SQL statement (json_object / json_group_array) answers exactly
what the row-by-row renderer answers, over real HTTP; bulk inserts match row-by-row ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.sandbox.naming import Naming
from runner.sandbox.tables import TABLES
from tests.conftest import SandboxHandle, start_sandbox
from tests.sandbox.helpers import STREAM, camera_ids, data, error, gql

INSERT = """mutation($o: [RecordingSession_insert_input!]!) {
  insertRecordingSessions(objects: $o) { affected_rows } }"""


def _sessions(cams: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(6):
        session: dict[str, Any] = {
            "name": f"s{i % 4}-{i}", "startDate": f"2027-01-0{i + 1}T08:00:00.{i}5",
            "endDate": f"2027-01-0{i + 1}T18:30:00", "mode": "Storage",
            "state": ("Stopped", "Scheduled", "Standby")[i % 3], "maxTimeSeconds": i,
            "maxSizeMegabytes": 10 * i,
            "records": {"data": [
                {"cameraId": cam, "streams": {"data": [
                    {**STREAM, "type": t, "bitrate": 1000 * (i + j + 1), "alignTo": f"x\"{j}é"}
                    for t in ("color", "depth", "infra")[: 1 + (i + j) % 3]]}}
                for j, cam in enumerate(cams[: i % 4])]},
        }
        if i % 2:
            session["storage"] = {"data": {"totalSize": i, "estimatedSize": 2**40 + i}}
        out.append(session)
    return out


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path / "compiled.db")
    try:
        cams = sorted(camera_ids(handle).values())
        assert data(handle, INSERT, {"o": _sessions(cams)})
        yield handle
    finally:
        handle.close()


QUERIES = [
    # columns, timestamps with fractions, object and array relations with arguments
    """{ recordingSessions(order_by: {name: asc}) {
         id name startDate endDate createdAt state mode maxTimeSeconds __typename
         storage { totalSize estimatedSize __typename }
         records(order_by: {cameraId: desc}, limit: 2, offset: 1) {
           id camera { model serial deviceId }
           streams(where: {type: {_neq: color}}, order_by: [{bitrate: desc}]) {
             type bitrate alignTo }
         } } }""",
    # aliases, fragments, directives, a filter through relations, a limit at the root
    """query($yes: Boolean!, $no: Boolean!) {
         a: recordingSessions(where: {records: {camera: {serial: {_eq: "844212070924"}}}},
                              order_by: {startDate: desc}, limit: 2) {
           ...S n: name x: name @include(if: $yes) y: name @skip(if: $yes) z: id @include(if: $no)
         }
         b: recordingSessions(offset: 3) { id records { id } } }
       fragment S on RecordingSession {
         records { ... on Record { id } streams(order_by: [{type: desc}]) { id type } }
         records { cameraId }
       }""",
    # a root on the child table, ordering through an object relation, nested both ways
    """{ records(order_by: [{recordingSession: {name: desc}}, {cameraId: asc}]) {
           id recordingSession { name state storage { totalSize } }
           camera { serial records(limit: 1, order_by: {id: asc}) { id } }
           streams(limit: 0) { id } } }""",
    # nothing matches; an empty relation; duplicate keys merged
    """{ none: recordingSessions(where: {name: {_eq: "missing"}}) { id }
         cameras(order_by: {serial: asc}) { serial records(where: {id: {_is_null: true}}) { id }
           serial } }""",
    # aggregates and distinct_on: the row-by-row renderer (both sides must still agree)
    """{ recordingSessions(order_by: {name: asc}) { name records_aggregate { aggregate { count } } }
         d: recordingSessions(distinct_on: [mode], order_by: [{mode: asc}, {name: desc}]) { name }
         cameras { records(distinct_on: [recordingId], order_by: {recordingId: asc}) { id } } }""",
]


@pytest.mark.parametrize("query", QUERIES)
def test_compiled_select_answers_what_the_row_renderer_answers(seeded: SandboxHandle,
                                                               query: str) -> None:
    variables = {"yes": True, "no": False} if "$yes" in query else None
    engine = seeded.app.state.sandbox.control_plane
    compiled = gql(seeded, query, variables)
    engine.row_by_row = True
    try:
        reference = gql(seeded, query, variables)
    finally:
        engine.row_by_row = False
    assert "errors" not in reference, reference
    assert compiled == reference


@pytest.mark.parametrize("query", QUERIES)
def test_nested_json_reparsed_answers_the_same(seeded: SandboxHandle, query: str) -> None:
    """The fallback for an SQLite whose scalar subqueries drop the JSON subtype (nested JSON
    re-parsed by json()) answers what the plain compiled select answers."""
    variables = {"yes": True, "no": False} if "$yes" in query else None
    engine = seeded.app.state.sandbox.control_plane
    assert engine._nested == "{}"  # this SQLite keeps the subtype: the fast form is served
    compiled = gql(seeded, query, variables)
    engine._nested = "json({})"
    try:
        reparsed = gql(seeded, query, variables)
    finally:
        engine._nested = "{}"
    assert "errors" not in compiled, compiled
    assert reparsed == compiled


def test_compiled_select_orders_and_pages_relations_per_parent(seeded: SandboxHandle) -> None:
    rows = data(seeded, """{ recordingSessions(order_by: {name: desc},
      where: {name: {_like: "s3%"}}) { name startDate records(order_by: {cameraId: asc}) {
        streams(order_by: {bitrate: desc}, limit: 1) { bitrate } } } }""")["recordingSessions"]
    assert [r["name"] for r in rows] == ["s3-3"]
    assert rows[0]["startDate"] == "2027-01-04T08:00:00.35"
    assert [[s["bitrate"] for s in r["streams"]] for r in rows[0]["records"]] == [
        [4000], [5000], [6000]]


@pytest.mark.parametrize("naming", ["hasura-default", "graphql-default"])
def test_compiled_select_under_each_naming(tmp_path: Path, naming: str) -> None:
    names = Naming(naming)
    fields = names.root_fields(TABLES["RecordingSession"])
    handle = start_sandbox(tmp_path / "naming.db", naming=naming)
    try:
        data(handle, f"mutation($o: [{names.type('RecordingSession', 'insert_input')}!]!) {{ "
                     f"{fields['insert_many']}(objects: $o) {{ __typename }} }}",
             {"o": [{"name": f"g{i}", "startDate": f"2027-01-0{i + 1}T08:00:00.100",
                     "endDate": "2027-01-09T18:00:00", "mode": names.enum_value("Storage"),
                     "state": names.enum_value(state), "maxTimeSeconds": 0,
                     "maxSizeMegabytes": 0} for i, state in enumerate(["Scheduled", "Standby"])]})
        query = (f"{{ {fields['select']}({names.field('order_by')}: "
                 f"[{{name: {names.enum_value('desc')}}}]) "
                 "{ name state mode startDate __typename } }")
        engine = handle.app.state.sandbox.control_plane
        compiled = gql(handle, query)
        engine.row_by_row = True
        reference = gql(handle, query)
        engine.row_by_row = False
        assert "errors" not in compiled, compiled
        assert compiled == reference
        assert compiled["data"][fields["select"]][0]["state"] == names.enum_value("Standby")
    finally:
        handle.close()


def test_a_thousand_term_or_is_answered(seeded: SandboxHandle) -> None:
    # SQLite parses a flat chain of 1,500 ORs into a tree too deep for it; Postgres takes it.
    where = {"_or": [{"name": {"_eq": f"s{i % 4}-{i}"}} for i in range(1500)]}
    rows = data(seeded, "query($w: RecordingSession_bool_exp!) { recordingSessions(where: $w, "
                        "order_by: {name: asc}) { name } }", {"w": where})["recordingSessions"]
    assert [r["name"] for r in rows] == ["s0-0", "s0-4", "s1-1", "s1-5", "s2-2", "s3-3"]


def _tree(sandbox: SandboxHandle) -> Any:
    return data(sandbox, """{ recordingSessions(order_by: {name: asc}) { id name createdAt
      maxSizeMegabytes
      storageId storage { id totalSize estimatedSize } records(order_by: {id: asc}) { id cameraId
      streams(order_by: {id: asc}) { id type bitrate } } } }""")["recordingSessions"]


def test_bulk_upsert_writes_what_row_by_row_writes(tmp_path: Path) -> None:
    """The same nested upserts (on primary keys: the bulk path; on another constraint: row by
    row) leave the same rows, and a failing row is worded the same as row by row."""
    upsert = """mutation($o: [RecordingSession_insert_input!]!, $c: RecordingSession_on_conflict!)
      { insertRecordingSessions(objects: $o, on_conflict: $c) { affected_rows } }"""
    results = []
    for kind in ("bulk", "rows"):
        handle = start_sandbox(tmp_path / f"{kind}.db")
        try:
            handle.app.state.sandbox.clock.set(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
            cams = sorted(camera_ids(handle).values())
            objects = [{
                "id": f"00000000-0000-4000-8000-00000000000{i}", "name": f"u{i}",
                "startDate": "2027-01-01T08:00:00", "endDate": "2027-01-01T18:00:00",
                "mode": "Storage", "state": "Stopped", "maxTimeSeconds": 0,
                "maxSizeMegabytes": i,
                "storage": {"data": {"id": f"10000000-0000-4000-8000-00000000000{i}",
                                     "totalSize": 0, "estimatedSize": i},
                            "on_conflict": {"constraint": "Storage_pkey",
                                            "update_columns": ["estimatedSize"]}},
                "records": {"data": [{
                    "id": f"20000000-0000-4000-8000-0000000000{i}{j}", "cameraId": cam,
                    "streams": {"data": [{**STREAM, "type": "color", "bitrate": i + j,
                                          "id": f"30000000-0000-4000-8000-000000000{i}{j}0"}],
                                "on_conflict": {"constraint": "Stream_pkey",
                                                "update_columns": ["bitrate"]}}}
                    for j, cam in enumerate(cams[:2])],
                    "on_conflict": {"constraint": "Record_pkey", "update_columns": ["cameraId"]}},
            } for i in range(3)]
            conflict = {"constraint": "RecordingSession_pkey",
                        "update_columns": ["name", "maxSizeMegabytes", "storageId"]}
            if kind == "rows":  # a non-pkey conflict on the streams forces row by row
                for o in objects:
                    for r in o["records"]["data"]:
                        r["streams"]["on_conflict"] = {"constraint": "Stream_recordId_type_key",
                                                       "update_columns": ["bitrate"]}
            first = data(handle, upsert, {"o": objects, "c": conflict})
            objects[1]["maxSizeMegabytes"] = 99
            again = data(handle, upsert, {"o": objects, "c": conflict})
            bad = [{**objects[0], "records": {"data": [{"cameraId":
                                                        "40000000-0000-4000-8000-000000000000"}]}}]
            failure = error(handle, upsert, {"o": bad, "c": conflict})
            results.append((first, again, _tree(handle), failure))
        finally:
            handle.close()
    bulk, rows = results
    assert bulk[0] == rows[0] == {"insertRecordingSessions": {"affected_rows": 18}}
    assert bulk[1] == rows[1]
    assert bulk[2] == rows[2]
    assert [s["maxSizeMegabytes"] for s in bulk[2]] == [0, 99, 2]
    assert bulk[3] == rows[3]
    assert "Foreign key violation" in bulk[3]["message"]


def _without_ids(value: Any, ids: dict[str, int]) -> Any:
    """`value` with every uuid replaced by the order it was first seen in (generated ids
    differ between two sandboxes, the structure they link must not)."""
    if isinstance(value, dict):
        return {k: _without_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_ids(v, ids) for v in value]
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        return f"id{ids.setdefault(value, len(ids))}"
    return value


def _count_row_by_row(handle: SandboxHandle) -> list[str]:
    """The tables the writer goes on to write row by row from now on, as a list that fills."""
    writer = handle.app.state.sandbox.control_plane._writer
    row_by_row = writer._insert_rows
    calls: list[str] = []

    def counted(table: Any, *args: Any) -> Any:
        calls.append(table.name)
        return row_by_row(table, *args)
    writer._insert_rows = counted
    return calls


def test_bulk_insert_of_mixed_shapes_writes_what_row_by_row_writes(tmp_path: Path) -> None:
    """Objects with their keys in different orders, ids given or generated (absent or null),
    `now` defaults given, null or absent, a nested child naming its parent's column itself,
    a storage or none: the bulk path (rows grouped by shape) leaves what row by row does."""
    insert = """mutation($o: [RecordingSession_insert_input!]!) {
      insertRecordingSessions(objects: $o) { affected_rows returning { name } } }"""
    results = []
    for kind in ("bulk", "rows"):
        handle = start_sandbox(tmp_path / f"{kind}.db")
        try:
            handle.app.state.sandbox.clock.set(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
            cams = sorted(camera_ids(handle).values())
            base = {"startDate": "2027-01-01T08:00:00", "endDate": "2027-01-01T18:00:00.5",
                    "mode": "Storage", "state": "Stopped", "maxTimeSeconds": 0,
                    "maxSizeMegabytes": 0}
            streams = [{**STREAM, "type": "color"}, {"type": "depth", **STREAM, "bitrate": 7}]
            objects: list[dict[str, Any]] = [
                {"name": "a", **base, "id": "00000000-0000-4000-8000-00000000000A",
                 "records": {"data": [{"cameraId": cams[0], "streams": {"data": streams}},
                                      {"streams": {"data": streams[::-1]},
                                       "cameraId": cams[1], "id": None}]}},
                {**base, "name": "b", "createdAt": None, "updatedAt": "2026-05-05T05:05:05",
                 "storage": {"data": {"totalSize": 1, "estimatedSize": 2}},
                 "records": {"data": [{"cameraId": cams[2],
                                       "recordingId": "00000000-0000-4000-8000-000000000000",
                                       "streams": {"data": [{**STREAM, "type": "infra",
                                                             "recordId": None}]}}]}},
                {"records": {"data": []}, "name": "c", **base, "id": None},
                {"name": "d", **base, "storage": {"data": {"estimatedSize": 3, "totalSize": 4,
                                                           "id": None}}},
            ]
            if kind == "rows":  # a non-pkey conflict clause forces row by row
                objects[0]["records"]["on_conflict"] = {
                    "constraint": "Record_recordingId_cameraId_key", "update_columns": ["id"]}
            calls = _count_row_by_row(handle)
            written = data(handle, insert, {"o": objects})
            # The bulk path wrote it all (no failure sent it row by row), and vice versa.
            assert bool(calls) == (kind == "rows"), calls
            tree = data(handle, """{ recordingSessions(order_by: {name: asc}) { id name
              startDate endDate createdAt updatedAt storageId storage { id totalSize
              estimatedSize } records { id cameraId recordingId streams { id recordId type
              bitrate alignTo } } } }""")
            results.append(_without_ids([written, tree], {}))
        finally:
            handle.close()
    bulk, rows = results
    assert bulk[0]["insertRecordingSessions"]["affected_rows"] == 14
    assert bulk == rows
