"""Every GraphQL document the control-plane adapter sends, spelled in the server's dialect
(`dialect.py`): the state read, the camera list, the one mutation that applies a plan, and
the burst hot path's state switch and session read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from runner.adapters.controlplane.dialect import Dialect
from runner.adapters.controlplane.versions import expected_versions, version_row
from runner.adapters.controlplane.wire import FILTER_CHUNK, Wire
from runner.compile import version_id
from runner.plan.model import Writes
from runner.states import SessionState

STREAM_FIELDS = "id type alignTo encoder width height nearCut farCut bitrate frameRate"
CAMERA_FIELDS = "id model serial deviceId"


SESSION_FIELDS = "id name startDate endDate mode state maxTimeSeconds maxSizeMegabytes"


def session_aliases(chunks: int) -> list[str]:
    """The response keys of the state read's session selections (one per filter chunk)."""
    return ["sessions" if i == 0 else f"sessions{i}" for i in range(max(1, chunks))]


def read_state(d: Dialect, chunks: int = 1, *, cameras: bool = True) -> str:
    """Everything the given campaigns own plus (unless not `cameras`) the cameras they name:
    ONE query. Past a few hundred campaigns the session filter is split into `chunks`
    selections of the same query (`$sessions`, `$sessions1`, ...), so no single filter grows
    without bound."""
    session, camera, asc = d.table("session"), d.table("camera"), d.order_asc
    records = (f"records({_order_arg(d, 'record')}: [{{id: {asc}}}]) {{ id cameraId "
               f"camera {{ model serial }} streams({_order_arg(d, 'stream')}: "
               f"[{{type: {asc}}}]) {{ {STREAM_FIELDS} }} }}")
    aliases = session_aliases(chunks)
    selections = "\n".join(
        f"  {alias}: {d.root('session', 'select')}({d.arg('session', 'select', 'where')}: "
        f"${alias}, {d.arg('session', 'select', 'order_by')}: [{{name: {asc}}}]) {{ "
        f"{SESSION_FIELDS} storage {{ totalSize }} {records} }}"
        for alias in aliases)
    params = ", ".join(f"${alias}: {session.bool_exp}!" for alias in aliases)
    if not cameras:
        return f"query CampaignState({params}) {{\n{selections}\n}}\n"
    named = (f"{d.root('camera', 'select')}({d.arg('camera', 'select', 'where')}: $cameras, "
             f"{d.arg('camera', 'select', 'order_by')}: [{{model: {asc}}}, {{serial: {asc}}}])")
    return (f"query CampaignState({params}, $cameras: {camera.bool_exp}!) {{\n{selections}\n"
            f"  cameras: {named} {{ {CAMERA_FIELDS} }}\n}}\n")


def read_neighbours(d: Dialect) -> str:
    """`plan`'s cross checks, ONE query: sessions whose records use the given cameras within
    a span (`$booked`), and every session by id, name, dates and state (`$named`: all of
    them, or all but the ids the caller already read)."""
    session, asc = d.table("session"), d.order_asc
    select, where = d.root("session", "select"), d.arg("session", "select", "where")
    order = f"{d.arg('session', 'select', 'order_by')}: [{{name: {asc}}}]"
    return f"""
query CampaignNeighbours($booked: {session.bool_exp}!, $named: {session.bool_exp}!) {{
  booked: {select}({where}: $booked, {order}) {{
    id name startDate endDate state
    records({_order_arg(d, "record")}: [{{id: {asc}}}]) {{ camera {{ model serial }} }}
  }}
  named: {select}({where}: $named, {order}) {{ id name startDate endDate state }}
}}
"""


def known_cameras(d: Dialect) -> str:
    """Every camera matching a filter, by model and serial."""
    camera, asc = d.table("camera"), d.order_asc
    return (f"query KnownCameras($where: {camera.bool_exp}!) {{\n"
            f"  cameras: {d.root('camera', 'select')}({d.arg('camera', 'select', 'where')}: "
            f"$where, {d.arg('camera', 'select', 'order_by')}: [{{model: {asc}}}, "
            f"{{serial: {asc}}}]) {{ {CAMERA_FIELDS} }}\n}}\n")


def set_state(d: Dialect, session_id: str, state: SessionState) -> str:
    """The smallest document that switches one session's state (literal arguments)."""
    root = d.root("session", "update_by_pk")
    pk = d.arg("session", "update_by_pk", "pk_columns")
    set_ = d.arg("session", "update_by_pk", "set")
    value = d.enum_out("session_state", state.value)
    return f'mutation{{{root}({pk}:{{id:"{session_id}"}},{set_}:{{state:{value}}}){{state}}}}'


def read_sessions(d: Dialect) -> str:
    """Name and state of sessions by id (the burst runner's read)."""
    return (f"query($ids:[uuid!]!){{{d.root('session', 'select')}"
            f"({d.arg('session', 'select', 'where')}:{{id:{{{d.op('_in')}:$ids}}}})"
            "{id name state startDate endDate}}")


def _order_arg(d: Dialect, table: str) -> str:
    # Nested array relationships take the same arguments as the table's select field.
    return d.arg(table, "select", "order_by") if d.table(table).has("select") else "order_by"


class Mutation:
    """One mutation document under construction: variables and aliased root fields."""

    def __init__(self, d: Dialect) -> None:
        self.d = d
        self.params: list[str] = []
        self.fields: list[str] = []
        self.variables: dict[str, Any] = {}

    def var(self, name: str, gql_type: str, value: Any) -> str:
        self.params.append(f"${name}: {gql_type}")
        self.variables[name] = value
        return f"${name}"

    def insert(self, alias: str, table: str, rows: list[dict[str, Any]],
               conflict: dict[str, Any] | None = None) -> None:
        """Bulk insert, else one aliased insert-one field per row (same transaction)."""
        d, t = self.d, self.d.table(table)
        if t.has("insert"):
            objects = self.var(alias, f"[{t.insert_input}!]!", rows)
            extra = ""
            if conflict is not None:
                extra = (f", {d.arg(table, 'insert', 'on_conflict')}: "
                         f"{self.var(alias + 'Conflict', f'{t.on_conflict}!', conflict)}")
            self.fields.append(f"{alias}: {d.root(table, 'insert')}("
                               f"{d.arg(table, 'insert', 'objects')}: {objects}{extra}) "
                               f"{{ {t.affected_rows} }}")
            return
        conflict_var = (self.var(alias + "Conflict", f"{t.on_conflict}!", conflict)
                        if conflict is not None else None)
        for index, row in enumerate(rows):
            value = self.var(f"{alias}{index}", f"{t.insert_input}!", row)
            extra = (f", {d.arg(table, 'insert_one', 'on_conflict')}: {conflict_var}"
                     if conflict_var else "")
            self.fields.append(f"{alias}{index}: {d.root(table, 'insert_one')}("
                               f"{d.arg(table, 'insert_one', 'object')}: {value}{extra}) "
                               "{ id }")

    def where(self, alias: str, table: str, where: dict[str, Any], operation: str,
              set_: dict[str, Any] | None = None) -> None:
        """Update or delete by filter (`operation` update/delete)."""
        d, t = self.d, self.d.table(table)
        clause = self.var(alias, f"{t.bool_exp}!", where)
        extra = ""
        if set_ is not None:
            extra = f", {d.arg(table, operation, 'set')}: {_literal(set_)}"
        self.fields.append(f"{alias}: {d.root(table, operation)}("
                           f"{d.arg(table, operation, 'where')}: {clause}{extra}) "
                           f"{{ {t.affected_rows} }}")

    def by_ids(self, alias: str, table: str, ids: list[str], operation: str,
               set_: dict[str, Any] | None = None) -> None:
        """Update/delete rows by id: one field with `_in`, else one by-pk field per id."""
        d, t = self.d, self.d.table(table)
        if t.has(operation):
            self.where(alias, table, {"id": {d.op("_in"): ids}}, operation, set_)
            return
        single = f"{operation}_by_pk"
        for index, row_id in enumerate(ids):
            value = self.var(f"{alias}{index}", "uuid!", row_id)
            if set_ is None:
                args = f"{d.arg(table, single, 'pk')}: {value}"
            else:
                args = (f"{d.arg(table, single, 'pk_columns')}: {{id: {value}}}, "
                        f"{d.arg(table, single, 'set')}: {_literal(set_)}")
            self.fields.append(f"{alias}{index}: {d.root(table, single)}({args}) {{ id }}")

    def document(self, name: str) -> tuple[str, dict[str, Any]]:
        params = f"({', '.join(self.params)})" if self.params else ""
        return (f"mutation {name}{params} {{\n  " + "\n  ".join(self.fields) + "\n}",
                self.variables)


def _literal(values: dict[str, Any]) -> str:
    """A `_set` object of enum literals, e.g. `{state: Stopped}`."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"


def write_document(
    d: Dialect,
    writes: Writes,
    versions: Mapping[str, int],
    tokens: Mapping[str, int],
    now: dt.datetime,
    *,
    drop_versions: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The single mutation (one transaction) for `writes`, with its variables."""
    wire = Wire(d)
    m = Mutation(d)
    # Compare-and-set: release the version rows as read, claim new ones (no on_conflict:
    # if another writer got there first the claim violates the primary key and the whole
    # transaction rolls back).
    # In chunks of FILTER_CHUNK campaigns, as the state read's filters (one delete field
    # each, same transaction): one `_or` per thousand campaigns is what servers refuse.
    read = sorted(versions.items())
    for first in range(0, max(len(read), 1), FILTER_CHUNK):
        alias = "casRelease" if first == 0 else f"casRelease{first // FILTER_CHUNK}"
        m.where(alias, "session", expected_versions(d, dict(read[first:first + FILTER_CHUNK])),
                "delete")
    m.insert("casClaim", "session", [version_row(d, c, t, now)
                                     for c, t in sorted(tokens.items())])
    stopped = d.enum_out("session_state", SessionState.STOPPED.value)
    if writes.stop:
        m.by_ids("stop", "session", list(writes.stop), "update", {"state": stopped})
    for alias, table, ids in (("dropStreams", "stream", writes.delete_streams),
                              ("dropRecords", "record", writes.delete_records),
                              ("dropSessions", "session", writes.delete_sessions)):
        if ids:
            m.by_ids(alias, table, list(ids), "delete")
    if writes.upsert_sessions:
        m.insert("upsert", "session", [wire.insert_object(u) for u in writes.upsert_sessions],
                 wire.conflict("session"))
    by_state: dict[str, list[str]] = {}
    for session_id, target in writes.transitions:
        by_state.setdefault(target.value, []).append(session_id)
    for state in sorted(by_state):
        m.by_ids(f"to{state}", "session", by_state[state], "update",
                 {"state": d.enum_out("session_state", state)})
    if drop_versions:
        m.by_ids("dropVersions", "session", [version_id(c) for c in sorted(tokens)], "delete")
    return m.document("Apply")
