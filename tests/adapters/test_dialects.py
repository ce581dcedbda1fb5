"""The control-plane adapter finds every operation by its Hasura signature, whatever the naming:
the sandbox's SDL under each convention, and a schema without bulk fields (the fallback)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from graphql import build_schema, parse, validate

from runner.adapters.controlplane.dialect import OPERATIONS, dialect_from_schema
from runner.adapters.controlplane.documents import (
    known_cameras,
    read_sessions,
    read_state,
    set_state,
    write_document,
)
from runner.compile import compile_campaigns
from runner.plan.model import SessionUpsert, Writes
from runner.sandbox.sdl import build_sdl
from runner.states import SessionState
from tests.reconcile.helpers import NOW, campaign

EXPECTED = {
    "vendor": {"select": "recordingSessions", "insert": "insertRecordingSessions",
               "insert_one": "insertRecordingSession", "update_by_pk": "updateRecordingSession"},
    "hasura-default": {"select": "RecordingSession", "insert": "insert_RecordingSession",
                       "insert_one": "insert_RecordingSession_one",
                       "select_by_pk": "RecordingSession_by_pk",
                       "update_by_pk": "update_RecordingSession_by_pk"},
    "graphql-default": {"select_by_pk": "recordingSessionByPk",
                        "update_by_pk": "updateRecordingSessionByPk"},
}


def writes() -> Writes:
    session = compile_campaigns([campaign()], NOW).sessions[0]
    return Writes(
        stop=("00000000-0000-0000-0000-000000000001",),
        delete_sessions=("00000000-0000-0000-0000-000000000002",),
        delete_records=("00000000-0000-0000-0000-000000000003",),
        delete_streams=("00000000-0000-0000-0000-000000000004",),
        upsert_sessions=(SessionUpsert(session, SessionState.SCHEDULED,
                                       tuple("c" for _ in session.records)),),
        transitions=((session.id, SessionState.STANDBY),),
    )


@pytest.mark.parametrize("naming", ["vendor", "hasura-default", "graphql-default"])
def test_every_operation_is_found_and_every_document_validates(naming: str) -> None:
    schema = build_schema(build_sdl(naming))
    dialect = dialect_from_schema(schema)
    assert dialect.missing == ()
    session = dialect.table("session")
    assert set(session.fields) == set(OPERATIONS)
    for operation, name in EXPECTED[naming].items():
        assert session.fields[operation] == name
    document, _ = write_document(dialect, writes(), {"lab": 7}, {"lab": 8}, NOW,
                                 drop_versions=True)
    sid = "00000000-0000-0000-0000-000000000009"
    for text in (read_state(dialect), known_cameras(dialect), document,
                 set_state(dialect, sid, SessionState.STARTED), read_sessions(dialect)):
        assert validate(schema, parse(text)) == [], text


def test_graphql_default_spells_operators_and_enums_its_way() -> None:
    dialect = dialect_from_schema(build_schema(build_sdl("graphql-default")))
    assert dialect.op("_is_null") == "_isNull"
    assert dialect.table("session").affected_rows == "affectedRows"
    assert dialect.enum_out("session_state", "Standby") == "STANDBY"
    assert dialect.enum_in("session_state", "STANDBY", ("Stopped", "Standby")) == "Standby"
    assert dialect.table("session").pkey == "RecordingSession_pkey"


def without_bulk(sdl: str) -> str:
    """The vendor SDL with the bulk insert/update/delete root fields removed (but the delete of
    sessions by filter: every apply's compare-and-set needs it)."""
    bulk = re.compile(r"^\s+(insert|update|delete)(RecordingSessions|Records|Streams|Cameras|"
                      r"Storages)\(")
    keep = re.compile(r"^\s+deleteRecordingSessions\(")
    return "\n".join(line for line in sdl.splitlines()
                     if keep.match(line) or not bulk.match(line))


def test_without_bulk_fields_the_writes_are_aliased_single_fields_in_one_request() -> None:
    schema = build_schema(without_bulk(build_sdl("vendor")))
    dialect = dialect_from_schema(schema)
    assert not dialect.table("session").has("insert") and dialect.missing == ()
    document, variables = write_document(dialect, writes(), {"lab": 7}, {"lab": 8}, NOW)
    assert validate(schema, parse(document)) == []
    assert document.count("mutation ") == 1  # still one request: one transaction
    assert "upsert0: insertRecordingSession(" in document
    assert "casClaim0: insertRecordingSession(" in document
    assert "casRelease: deleteRecordingSessions(" in document
    assert "dropStreams0: deleteStream(" in document
    assert "stop0: updateRecordingSession(" in document
    assert "upsert0" in variables


def test_a_missing_capability_is_one_line_naming_it_and_doctor() -> None:
    from runner.adapters.controlplane.dialect import MissingCapability

    sdl = "\n".join(line for line in build_sdl("vendor").splitlines()
                    if "updateRecordingSession(" not in line)
    dialect = dialect_from_schema(build_schema(sdl))
    assert "update by pk of sessions" in dialect.missing
    with pytest.raises(MissingCapability, match=r"update by pk.*campaign doctor"):
        set_state(dialect, "00000000-0000-0000-0000-000000000009", SessionState.STARTED)


def test_sessions_carry_their_storage_row() -> None:
    from runner.adapters.controlplane.wire import Wire
    from runner.compile import storage_id

    dialect = dialect_from_schema(build_schema(build_sdl("vendor")))
    upsert = writes().upsert_sessions[0]
    row = Wire(dialect).insert_object(upsert)
    storage = row["storage"]
    assert storage["data"]["id"] == storage_id(upsert.session.id)
    assert storage["data"]["totalSize"] == 0
    assert storage["data"]["estimatedSize"] == int(upsert.session.estimated_megabytes() * 1e6)
    assert storage["on_conflict"]["update_columns"] == ["estimatedSize"]
    assert dt.timedelta(0) < upsert.session.end - upsert.session.start


def test_postgres_infinite_timestamps_are_read_as_the_extremes() -> None:
    from runner.adapters.controlplane.wire import from_wire

    assert from_wire("infinity").year == 9999 and from_wire("-infinity").year == 1
    assert from_wire("2026-12-01T08:00:00") == dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc)
