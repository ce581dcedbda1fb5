"""Values of the plan layer: the actual state read from the control plane, changes, the plan.

All are frozen dataclasses; a Plan renders to text/JSON/Markdown and can be saved to a file
and applied later (runner.plan.saved).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring_ascii
from typing import Any, Literal

from runner.compile import Desired, DesiredSession, utc_text
from runner.recordings.model import RecordingPlan
from runner.states import SessionState

Action = Literal["create", "update", "replace", "delete", "no-op"]
Kind = Literal["session", "record", "stream"]


@dataclass(frozen=True, slots=True)
class ActualStream:
    """A stream as read from the control plane."""

    id: str
    columns: dict[str, object]  # type, alignTo, encoder, width, ... as the server names them


@dataclass(frozen=True, slots=True)
class ActualRecord:
    """A record as read, with its camera's model and serial."""

    id: str
    camera_id: str
    model: str
    serial: str
    streams: tuple[ActualStream, ...]


@dataclass(frozen=True, slots=True)
class ActualSession:
    """A session the read found; `campaign`/`key` are set when the tool owns it."""

    id: str
    name: str
    campaign: str | None
    key: str | None
    start: dt.datetime
    end: dt.datetime
    mode: str
    state: str
    max_time_seconds: int
    max_size_megabytes: int
    records: tuple[ActualRecord, ...]
    storage_total: int | None = None  # runtime-owned; shown by status, never diffed

    def columns(self) -> dict[str, object]:
        """The configuration columns, in the same form as DesiredSession.columns()."""
        return {
            "name": self.name, "startDate": utc_text(self.start), "endDate": utc_text(self.end),
            "mode": self.mode, "maxTimeSeconds": self.max_time_seconds,
            "maxSizeMegabytes": self.max_size_megabytes,
        }


@dataclass(frozen=True, slots=True)
class ActualCamera:
    """A camera registered in the control plane (`device_id`: the fleet device it is on)."""

    id: str
    model: str
    serial: str
    device_id: str

    @property
    def key(self) -> tuple[str, str]:
        """(model, serial): how campaign files name the camera."""
        return (self.model, self.serial)


@dataclass(frozen=True)
class Actual:
    """What one read of the control plane returned for a set of campaigns."""

    sessions: tuple[ActualSession, ...]  # owned by the campaigns read (version rows excluded)
    cameras: dict[tuple[str, str], ActualCamera]
    versions: tuple[tuple[str, int], ...] = ()  # (campaign, version token) from version rows

    def fingerprint(self) -> str:
        """A digest of everything a plan depends on (runtime totals excluded): the sha256
        of `json.dumps([sessions, cameras, versions], sort_keys=True, default=str)` (saved
        plans carry it), the text written a session at a time without json.dumps' walk: the
        streams' columns are a few shared dicts, each encoded once."""
        digest = hashlib.sha256(b"[[")
        streams: dict[int, str] = {}  # id(columns) -> its JSON (the dicts live as long as self)
        separator = ""
        for s in sorted(self.sessions, key=lambda s: s.id):
            records = []
            for r in s.records:
                texts = []
                for t in r.streams:
                    columns = streams.get(id(t.columns))
                    if columns is None:
                        columns = streams[id(t.columns)] = _json(sorted(t.columns.items()))
                    texts.append(f"[{_json(t.id)}, {columns}]")
                records.append(f"[{_json(r.id)}, {_json(r.camera_id)}, [{', '.join(texts)}]]")
            # s.columns() with its keys sorted, as sort_keys writes them.
            columns = (f'{{"endDate": {_json(utc_text(s.end))}, '
                       f'"maxSizeMegabytes": {_json(s.max_size_megabytes)}, '
                       f'"maxTimeSeconds": {_json(s.max_time_seconds)}, '
                       f'"mode": {_json(s.mode)}, "name": {_json(s.name)}, '
                       f'"startDate": {_json(utc_text(s.start))}}}')
            text = (f"{separator}[{_json(s.id)}, {columns}, {_json(s.state)}, "
                    f"[{', '.join(records)}]]")
            digest.update(text.encode())
            separator = ", "
        cams = sorted([k[0], k[1], c.id] for k, c in self.cameras.items())
        rest = [cams, list(self.versions)]
        digest.update(("], " + _json(rest)[1:]).encode())
        return "sha256:" + digest.hexdigest()


def _json(value: object) -> str:
    """`json.dumps(value, sort_keys=True, default=str)`, quicker for a plain str or int."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True, slots=True)
class Change:
    """One object's planned change, with the reason a reader needs to trust it."""

    action: Action
    kind: Kind
    address: str  # e.g. "lab#2026-12-01/REALSENSE_D435:844212070924/color"
    id: str
    session: str  # name of the session it belongs to (for grouping)
    reason: str
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    restart: bool = False  # needs an active (Started) session restarted
    estimated_megabytes: float | None = None  # sessions only
    max_size_megabytes: int | None = None
    blocked: bool = False  # refused as asked (restart without --allow-restart, ...): not counted

    def to_json(self) -> dict[str, Any]:
        """The JSON form used by `plan -o json` and saved plans."""
        data: dict[str, Any] = {
            "action": self.action, "object": self.kind, "address": self.address, "id": self.id,
            "session": self.session, "before": self.before, "after": self.after,
            "reason": self.reason,
        }
        if self.restart:
            data["restart_required"] = True
        if self.blocked:
            data["blocked"] = True
        if self.estimated_megabytes is not None:
            data["estimated_megabytes"] = round(self.estimated_megabytes, 1)
            data["max_size_megabytes"] = self.max_size_megabytes
        return data


@dataclass(frozen=True, slots=True)
class SessionUpsert:
    """A session tree to create or overwrite whole (its ids are ours: safe to send twice)."""

    session: DesiredSession
    state: SessionState  # the state a new row gets; an existing row keeps its own
    camera_ids: tuple[str, ...]  # the control plane's camera id of each record, in order


@dataclass(frozen=True)
class Writes:
    """The control-plane writes a plan needs, in the order one transaction runs them."""

    stop: tuple[str, ...] = ()  # Started sessions stopped for a restart (--allow-restart)
    delete_sessions: tuple[str, ...] = ()
    delete_records: tuple[str, ...] = ()
    delete_streams: tuple[str, ...] = ()
    upsert_sessions: tuple[SessionUpsert, ...] = ()
    transitions: tuple[tuple[str, SessionState], ...] = ()  # (session id, target state)

    def empty(self) -> bool:
        """True when applying would send no mutation at all."""
        return not (self.stop or self.delete_sessions or self.delete_records
                    or self.delete_streams or self.upsert_sessions or self.transitions)

    def object_count(self) -> int:
        """Rows touched (sessions + nested records + streams + ids), for chunking."""
        nested = 0
        for upsert in self.upsert_sessions:
            records = upsert.session.records
            nested += 1 + len(records) + sum(len(r.streams) for r in records)
        return (nested + len(self.stop) + len(self.delete_sessions) + len(self.delete_records)
                + len(self.delete_streams) + len(self.transitions))


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked for; saved with the plan so `apply FILE` does the same thing."""

    prune: bool = False
    destroy: bool = False
    allow_restart: bool = False
    force: bool = False


@dataclass(frozen=True)
class Plan:
    """The difference between desired and actual state, ready to render, save or apply."""

    changes: tuple[Change, ...]
    writes: Writes
    warnings: tuple[str, ...]
    blocked: tuple[str, ...]  # reasons apply must refuse (restart/force needed)
    desired: Desired
    options: PlanOptions
    now: dt.datetime
    # The actual state the plan was made against: `fingerprint` digests it when asked (saved
    # plans, `-o json`); a plan only shown or applied never pays for it. None: no digest.
    state: Actual | None = field(default=None, repr=False, compare=False)
    versions: tuple[tuple[str, int], ...] = ()  # version tokens read (compare-and-set)
    recordings: tuple[RecordingPlan, ...] = field(default=())  # fleet recording changes
    # Ids of the sessions and version rows the read found owned by the plan's campaigns:
    # `plan`'s findings read need not fetch them again (findings skip them anyway).
    owned_ids: frozenset[str] = field(default=frozenset())

    @cached_property
    def fingerprint(self) -> str:
        """The digest of the actual state the plan was made against ("" without one)."""
        return self.state.fingerprint() if self.state is not None else ""

    @property
    def effective(self) -> tuple[Change, ...]:
        """The changes that write something (no-ops excluded)."""
        return tuple(c for c in self.changes if c.action != "no-op")

    def counts(self) -> tuple[int, int, int]:
        """(to add, to change, to destroy); a replace counts as one add and one destroy; a
        blocked change (`Plan.blocked` says why) is not counted: apply would not make it."""
        changes = [c for c in self.changes if not c.blocked]
        add = sum(1 for c in changes if c.action in ("create", "replace"))
        change = sum(1 for c in changes if c.action == "update")
        destroy = sum(1 for c in changes if c.action in ("delete", "replace"))
        return add, change, destroy

    def has_changes(self) -> bool:
        """True when apply would write something to the control plane or the fleet."""
        return not self.writes.empty() or any(r.changes for r in self.recordings)
