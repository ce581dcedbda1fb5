"""The control plane's wire formats: timestamps, column names, filters, insert objects.

Everything here is what the Hasura schema spells: `timestamp` as UTC wall time without an
offset, camelCase columns, `*_bool_exp` filters, nested `{data, on_conflict}` inserts with
the tables' primary-key constraint names, enum values, in the server's dialect (operator,
argument and constraint names come from introspection). The core never sees any of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from runner.adapters.controlplane.dialect import Dialect, norm
from runner.compile import DesiredSession, DesiredStream, storage_id
from runner.plan.model import SessionUpsert

STREAM_COLUMNS = ("type", "alignTo", "encoder", "width", "height", "nearCut", "farCut",
                  "bitrate", "frameRate")
FILTER_CHUNK = 200  # campaigns per session filter of the state read
# Upserts: ids are ours, so a retried insert updates the row it already wrote. `state` is
# deliberately not updated on conflict: a retry must not reset a session the platform started.
SESSION_UPDATE_COLUMNS = ("name", "startDate", "endDate", "mode", "maxTimeSeconds",
                          "maxSizeMegabytes", "storageId")
UPDATE_COLUMNS = {"session": SESSION_UPDATE_COLUMNS, "record": ("cameraId",),
                  "stream": STREAM_COLUMNS, "storage": ("estimatedSize",)}


def to_wire(moment: dt.datetime) -> str:
    """An aware datetime as the control plane's `timestamp` (UTC wall time, no offset)."""
    utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return utc.isoformat()


def from_wire(text: str) -> dt.datetime:
    """A control-plane `timestamp` (UTC wall time) as an aware datetime; Postgres' `infinity`
    and `-infinity` (a session made by hand may have them) as the extremes."""
    if text in ("infinity", "-infinity"):
        extreme = dt.datetime.max if text == "infinity" else dt.datetime.min
        return extreme.replace(tzinfo=dt.timezone.utc, microsecond=0)
    value = dt.datetime.fromisoformat(text.rstrip("Z"))
    return value.replace(tzinfo=dt.timezone.utc, microsecond=0)


class Wire:
    """Values as this control plane wants them: insert objects, conflicts, filters."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        # Per table, the same for every object of a write (10,000 sessions: 60,000 of them).
        self._conflicts: dict[str, dict[str, Any]] = {}
        self._conflict_field: str | None = None

    def nothing(self) -> dict[str, Any]:
        """A where clause no row matches (an empty `_or` is read differently by servers)."""
        return {"id": {self.d.op("_is_null"): True}}

    def conflict(self, table: str) -> dict[str, Any]:
        """`on_conflict` on the table's primary key, updating the columns apply owns."""
        found = self._conflicts.get(table)
        if found is None:
            found = self._conflicts[table] = self._conflict(table)
        return found

    def _conflict(self, table: str) -> dict[str, Any]:
        t = self.d.table(table)
        if t.pkey is None:
            raise self._no_pkey(table)
        columns = [t.update_columns.get(norm(c), c) for c in UPDATE_COLUMNS[table]
                   if norm(c) in t.update_columns or not t.update_columns]
        return {self.d.conflict_constraint: t.pkey, self.d.conflict_update_columns: columns}

    def session_columns(self, session: DesiredSession) -> dict[str, Any]:
        """The session's configuration columns as the control plane stores them."""
        return {
            "name": session.name, "startDate": to_wire(session.start),
            "endDate": to_wire(session.end),
            "mode": self.d.enum_out("session_mode", session.mode),
            "maxTimeSeconds": session.max_time_seconds,
            "maxSizeMegabytes": session.max_size_megabytes,
        }

    def stream_columns(self, stream: DesiredStream) -> dict[str, Any]:
        """The stream's writable columns as the control plane names them."""
        return {
            "type": self.d.enum_out("stream_type", stream.type), "alignTo": stream.align_to,
            "encoder": self.d.enum_out("stream_encoder", stream.encoder),
            "width": stream.width, "height": stream.height, "nearCut": stream.near_cut,
            "farCut": stream.far_cut, "bitrate": stream.bitrate, "frameRate": stream.frame_rate,
        }

    def insert_object(self, upsert: SessionUpsert) -> dict[str, Any]:
        """The nested insert object of a session with its storage, records and streams (ids
        included, so sending it twice updates what the first one wrote)."""
        session, data = upsert.session, self.d.rel_data
        row: dict[str, Any] = {
            "id": session.id, **self.session_columns(session),
            "state": self.d.enum_out("session_state", upsert.state.value),
            "records": {
                data: [
                    {
                        "id": record.id,
                        "cameraId": camera_id,
                        "streams": {
                            data: [{"id": s.id, **self.stream_columns(s)}
                                   for s in record.streams],
                            self._on_conflict_field(): self.conflict("stream"),
                        },
                    }
                    for record, camera_id in zip(session.records, upsert.camera_ids,
                                                 strict=True)
                ],
                self._on_conflict_field(): self.conflict("record"),
            },
        }
        if "storage" in self.d.tables and self.d.tables["storage"].pkey is not None:
            # As the vendor's UI does: every session has its storage row. Its totals are
            # the platform's; only the estimate is ours to update.
            row["storage"] = {
                data: {"id": storage_id(session.id), "totalSize": 0,
                       "estimatedSize": int(session.estimated_megabytes() * 1_000_000)},
                self._on_conflict_field(): self.conflict("storage"),
            }
        return row

    def session_filters(self, campaigns: tuple[str, ...]) -> list[dict[str, Any]]:
        """Sessions named `<c>` or `<c>#...` per campaign (ownership is re-checked by id):
        one `_in` of the exact names and one `_like` per campaign, in chunks of at most
        FILTER_CHUNK campaigns (a server may refuse one huge expression)."""
        if not campaigns:
            return [self.nothing()]
        in_, like = self.d.op("_in"), self.d.op("_like")
        filters: list[dict[str, Any]] = []
        for first in range(0, len(campaigns), FILTER_CHUNK):
            chunk = campaigns[first:first + FILTER_CHUNK]
            parts: list[dict[str, Any]] = [{"name": {in_: list(chunk)}}]
            parts += [{"name": {like: f"{name}#%"}} for name in chunk]
            filters.append({self.d.op("_or"): parts})
        return filters

    def camera_filter(self, cameras: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        """The cameras with the serials named by (model, serial), of any model: a serial
        registered under another model lets the plan suggest that model."""
        if not cameras:
            return self.nothing()
        eq = self.d.op("_eq")
        serials = dict.fromkeys(serial for _model, serial in cameras)
        return {self.d.op("_or"): [{"serial": {eq: serial}} for serial in serials]}

    def camera_where(self, model: str | None = None, device: str | None = None
                     ) -> dict[str, Any]:
        """The camera list's optional filters ({} = every camera)."""
        where: dict[str, Any] = {}
        if model:
            where["model"] = {self.d.op("_eq"): self.d.enum_out("camera_model", model)}
        if device:
            where["deviceId"] = {self.d.op("_eq"): device}
        return where

    def _on_conflict_field(self) -> str:
        if self._conflict_field is None:
            self._conflict_field = self._find_conflict_field()
        return self._conflict_field

    def _find_conflict_field(self) -> str:
        # The nested-insert input's conflict field is spelled like the insert argument.
        session = self.d.tables.get("session")
        if session is not None:
            for operation in ("insert", "insert_one"):
                name = session.args.get(operation, {}).get("on_conflict")
                if name:
                    return name
        return "on_conflict"

    def _no_pkey(self, table: str) -> Exception:
        from runner.adapters.controlplane.dialect import MissingCapability

        return MissingCapability(f"the control plane's {table} table has no primary-key "
                                 "constraint to upsert on; run `campaign doctor`")
