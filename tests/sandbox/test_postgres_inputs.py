"""Input values as Postgres (behind Hasura) reads them: timestamp, uuid, integers, text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given as given_values
from hypothesis import settings
from hypothesis import strategies as st

from runner.sandbox.errors import HasuraError
from runner.sandbox.scalars import general_timestamp, parse_timestamp, parse_uuid
from tests.sandbox.helpers import data, error

SESSION = ("mutation($s: timestamp!) { insertRecordingSession(object: {name: \"ts\", "
           "startDate: $s, endDate: $s, mode: Storage, state: Stopped, maxTimeSeconds: 0, "
           "maxSizeMegabytes: 0}) { startDate endDate } }")


@pytest.mark.parametrize(("given", "stored"), [
    ("2026-12-01T08:00:00", "2026-12-01T08:00:00"),
    ("2026-12-01 08:00:00", "2026-12-01T08:00:00"),
    ("2026-12-01T08:00:00+02:00", "2026-12-01T08:00:00"),  # offset dropped, not applied
    ("2026-12-01T08:00:00Z", "2026-12-01T08:00:00"),
    ("2026-12-01T08:00:00-0530", "2026-12-01T08:00:00"),
    ("2026-12-01", "2026-12-01T00:00:00"),
    ("2026-12-01T08:00", "2026-12-01T08:00:00"),
    ("1-01-01T00:00:00", "2001-01-01T00:00:00"),  # datetime.min.strftime on Linux
    ("69-06-01", "2069-06-01T00:00:00"),
    ("70-06-01", "1970-06-01T00:00:00"),
    ("0001-01-01T00:00:00", "0001-01-01T00:00:00"),
    ("9999-12-31T23:59:59", "9999-12-31T23:59:59"),
    ("2026-12-01T08:00:00.1234565", "2026-12-01T08:00:00.123456"),  # half to even
    ("2026-12-01T08:00:00.1234575", "2026-12-01T08:00:00.123458"),
    ("2026-12-01T23:59:59.9999999", "2026-12-02T00:00:00"),  # rounding carries
    ("2026-12-01T24:00:00", "2026-12-02T00:00:00"),
    ("infinity", "infinity"), ("+Infinity", "infinity"), ("-infinity", "-infinity"),
    ("epoch", "1970-01-01T00:00:00"),
])
def test_timestamp_input_follows_postgres(sandbox: Any, given: str, stored: str) -> None:
    result = data(sandbox, SESSION, {"s": given})["insertRecordingSession"]
    assert result == {"startDate": stored, "endDate": stored}


@pytest.mark.parametrize("given", ["yesterday-ish", "2026-13-01", "2026-02-30",
                                   "2026-12-01T24:00:01", "2026-12-01T25:00:00", ""])
def test_bad_timestamps_are_data_exceptions(sandbox: Any, given: str) -> None:
    err = error(sandbox, SESSION, {"s": given})
    assert err["extensions"]["code"] == "data-exception"
    assert f'"{given}"' in err["message"]


def _outcome(parse: Any, value: str) -> str:
    try:
        return str(parse(value))
    except HasuraError as err:
        return f"{err.code}: {err.message}"


_DIGITS = st.text("0123456789", min_size=2, max_size=2)


@settings(max_examples=500, deadline=None)
@given_values(year=st.one_of(st.integers(0, 9999).map("{:04d}".format),
                             st.sampled_from(["0000", "2024", "2023", "9999"])),
              month=st.one_of(_DIGITS, st.sampled_from(["01", "02", "12", "13"])),
              day=st.one_of(_DIGITS, st.sampled_from(["28", "29", "30", "31"])),
              hour=st.one_of(_DIGITS, st.sampled_from(["00", "23", "24"])),
              minute=st.one_of(_DIGITS, st.sampled_from(["00", "59", "60"])),
              second=st.one_of(_DIGITS, st.sampled_from(["00", "59", "60", "61"])))
def test_plain_timestamp_fast_path_answers_the_general_rules(
        year: str, month: str, day: str, hour: str, minute: str, second: str) -> None:
    # What clients send (YYYY-MM-DDTHH:MM:SS) skips the general parser: same answer, errors
    # included (24:00:00, leap seconds, Feb 30, year 0 take the general rules).
    value = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    assert _outcome(parse_timestamp, value) == _outcome(general_timestamp, value)


def test_relative_timestamps_use_the_sandbox_clock() -> None:
    from datetime import datetime, timezone
    now = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)
    assert parse_timestamp("now", now) == "2026-12-01T08:30:00.000000"
    assert parse_timestamp("today", now) == "2026-12-01T00:00:00.000000"
    assert parse_timestamp("tomorrow", now) == "2026-12-02T00:00:00.000000"
    assert parse_timestamp("yesterday", now) == "2026-11-30T00:00:00.000000"


def test_infinite_windows_order_and_compare(sandbox: Any) -> None:
    for start in ("-infinity", "2026-12-01T08:00:00", "infinity"):
        data(sandbox, SESSION, {"s": start})
    rows = data(sandbox, '{ recordingSessions(order_by: {startDate: asc}, where: {startDate: '
                         '{_gt: "1970-01-01"}}) { startDate } }')["recordingSessions"]
    assert [r["startDate"] for r in rows] == ["2026-12-01T08:00:00", "infinity"]


@pytest.mark.parametrize("given", [
    "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
    "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
    "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"])
def test_uuid_input_follows_postgres(given: str) -> None:
    assert parse_uuid(given) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"


@pytest.mark.parametrize("given", [
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
    "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11"])
def test_uuid_outside_postgres_grammar_is_refused(given: str) -> None:
    with pytest.raises(HasuraError) as err:
        parse_uuid(given)
    assert err.value.code == "data-exception"
    assert err.value.message == f'invalid input syntax for type uuid: "{given}"'


def test_uuid_variants_find_the_row(sandbox: Any) -> None:
    cam = data(sandbox, "{ cameras(limit: 1) { id } }")["cameras"][0]["id"]
    braces = "{" + cam.replace("-", "").upper() + "}"
    found = data(sandbox, "query($id: uuid!) { cameraByPk(id: $id) { id } }", {"id": braces})
    assert found == {"cameraByPk": {"id": cam}}


def test_int_overflow_is_a_hasura_error(sandbox: Any) -> None:
    err = error(sandbox, "query($n: Int!) { cameras(limit: $n) { id } }", {"n": 3_000_000_000})
    assert err["message"] == ("The value 3.0e9 lies outside the bounds or is not an integer. "
                              "Maybe it is a float, or is there integer overflow?")
    assert err["extensions"]["code"] == "parse-failed"


@pytest.mark.parametrize("total", [2**63, "9223372036854775808", -(2**63) - 1])
def test_bigint_overflow_is_a_hasura_error_not_a_500(sandbox: Any, total: Any) -> None:
    err = error(sandbox, "mutation($t: bigint!) { insertStorage(object: {totalSize: $t, "
                         "estimatedSize: 0}) { id } }", {"t": total})
    assert err["extensions"]["code"] in ("parse-failed", "data-exception")
    assert "bigint" in err["message"] or "lies outside the bounds" in err["message"]


def test_bigint_extremes_round_trip(sandbox: Any) -> None:
    result = data(sandbox, "mutation($t: bigint!, $e: bigint!) { insertStorage(object: "
                           "{totalSize: $t, estimatedSize: $e}) { totalSize estimatedSize } }",
                  {"t": str(2**63 - 1), "e": -(2**63)})
    assert result["insertStorage"] == {"totalSize": 2**63 - 1, "estimatedSize": -(2**63)}


def test_nul_in_text_is_refused_like_postgres(sandbox: Any) -> None:
    err = error(sandbox, 'mutation($s: String!) { insertCamera(object: {model: REALSENSE, '
                         'serial: $s, deviceId: "d"}) { id } }', {"s": "a\u0000b"})
    assert err["message"] == 'invalid byte sequence for encoding "UTF8": 0x00'
    assert err["extensions"]["code"] == "data-exception"
    err = error(sandbox, 'query($s: String!) { cameras(where: {serial: {_eq: $s}}) { id } }',
                {"s": "\u0000"})
    assert err["extensions"]["code"] == "data-exception"


def test_numeric_strings_for_int_only_outside_strict_mode(sandbox: Any, tmp_path: Any) -> None:
    from tests.conftest import start_sandbox
    query = "query($n: Int!) { cameras(limit: $n) { id } }"
    assert error(sandbox, query, {"n": "2"})["message"] == (
        "expected a 32-bit integer for type 'Int', but found a string")
    lenient = start_sandbox(tmp_path / "lenient.db", strict=False)
    try:
        assert len(data(lenient, query, {"n": "2"})["cameras"]) == 2
        # Inside input objects too, and through graphql-core's path (a list of objects).
        insert = ("mutation($o: [RecordingSession_insert_input!]!) { insertRecordingSessions("
                  "objects: $o) { returning { maxTimeSeconds } } }")
        session = {"name": "s", "startDate": "2026-12-01", "endDate": "2026-12-02",
                   "mode": "Storage", "state": "Stopped", "maxTimeSeconds": "7",
                   "maxSizeMegabytes": 0}
        assert data(lenient, insert, {"o": [session]})["insertRecordingSessions"][
            "returning"] == [{"maxTimeSeconds": 7}]
        assert error(sandbox, insert, {"o": [session]})["extensions"]["code"] == (
            "validation-failed")
        assert error(lenient, query, {"n": "2.5"})["extensions"]["code"] == "validation-failed"
        assert error(lenient, query, {"n": "abc"})["extensions"]["code"] == "validation-failed"
    finally:
        lenient.close()


def test_out_of_range_literal_points_at_the_argument(sandbox: Any) -> None:
    err = error(sandbox, "mutation { insertStorage(object: {totalSize: 99999999999999999999, "
                         "estimatedSize: 0}) { id } }")
    assert err["extensions"] == {"path": "$.selectionSet.insertStorage.args.object.totalSize",
                                 "code": "parse-failed"}
    err = error(sandbox, "{ cameraByPk(id: 5) { id } }")
    assert err["message"] == "expected a string for type 'uuid', but found a number"
    assert err["extensions"]["path"] == "$.selectionSet.cameraByPk.args.id"
