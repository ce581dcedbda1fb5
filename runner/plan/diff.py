"""Diff desired against actual control-plane state into a Plan (create/update/delete/no-op).

Runtime-owned facts are not drift: a `Started` session keeps its state, a finished session
(Stopped after its end) stays finished, storage totals are never compared. A change that
needs an active session restarted is marked and blocks apply unless `allow_restart`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from runner.compile import (
    Desired,
    DesiredRecord,
    DesiredSession,
    DesiredStream,
    version_id,
)
from runner.errors import PlanError
from runner.plan.model import (
    Actual,
    ActualRecord,
    ActualSession,
    Change,
    Plan,
    PlanOptions,
    SessionUpsert,
    Writes,
)
from runner.states import SessionState

STARTED = SessionState.STARTED
STOPPED = SessionState.STOPPED
# Session columns a running session can take without a restart (the window and limits).
LIVE_COLUMNS = frozenset({"name", "startDate", "endDate", "maxTimeSeconds", "maxSizeMegabytes"})


def plan_changes(
    desired: Desired, actual: Actual, now: dt.datetime, options: PlanOptions | None = None,
    *, fingerprint: bool = True,
) -> Plan:
    """Compare what the campaigns declare with what the control plane holds (without
    `fingerprint`, the plan's is "": apply's verifying plans only need their writes, and
    need not keep the state they read)."""
    options = options or PlanOptions()
    builder = _Builder(actual, now, options)
    if not options.destroy:
        builder.check_cameras(desired)
        by_id = {session.id: session for session in actual.sessions}
        for session in desired.sessions:
            builder.session(session, by_id.get(session.id))
    wanted = set() if options.destroy else {s.id for s in desired.sessions}
    campaigns = set(desired.campaigns)
    for existing in actual.sessions:
        if existing.id not in wanted and existing.campaign in campaigns:
            builder.undeclared(existing)
    return Plan(
        changes=tuple(builder.changes),
        writes=builder.writes(),
        warnings=tuple(builder.warnings),
        blocked=tuple(builder.blocked),
        desired=desired,
        options=options,
        now=now,
        state=actual if fingerprint else None,
        versions=actual.versions,
        owned_ids=frozenset([*(s.id for s in actual.sessions),
                             *(version_id(c) for c, _token in actual.versions)]),
    )


class _Builder:
    """Accumulates changes and the writes that carry them out."""

    def __init__(self, actual: Actual, now: dt.datetime, options: PlanOptions) -> None:
        self.actual = actual
        self.now = now
        self.options = options
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self.blocked: list[str] = []
        self.stop: list[str] = []
        self.delete_sessions: list[str] = []
        self.delete_records: list[str] = []
        self.delete_streams: list[str] = []
        self.upserts: list[SessionUpsert] = []
        self.transitions: list[tuple[str, SessionState]] = []
        self.shared: dict[tuple[object, ...], dict[str, object]] = {}  # see _record_created

    def writes(self) -> Writes:
        return Writes(
            stop=tuple(self.stop), delete_sessions=tuple(self.delete_sessions),
            delete_records=tuple(self.delete_records), delete_streams=tuple(self.delete_streams),
            upsert_sessions=tuple(self.upserts), transitions=tuple(self.transitions),
        )

    def check_cameras(self, desired: Desired) -> None:
        """Raise one PlanError naming every declared camera the control plane lacks (with the
        model it is registered under when only the model is wrong)."""
        missing = []
        for key in desired.cameras:
            if key in self.actual.cameras:
                continue
            where = desired.camera_locations[key]
            others = sorted(c.model for c in self.actual.cameras.values() if c.serial == key[1])
            hint = (f" (did you mean model {' or '.join(others)}? serial {key[1]} is registered "
                    "under it)" if others else "")
            missing.append(f"{where}: camera {key[0]} {key[1]} is not registered in the control "
                           f"plane{hint}")
        if missing:
            advice = ("fix the model/serial or register the camera (`campaign cameras` lists "
                      "the registered ones)")
            if len(missing) == 1:  # one line, as every error is
                raise PlanError(f"{missing[0]}; {advice}")
            # Several: one line each, so every file:line:col stays clickable.
            raise PlanError(f"{len(missing)} cameras are not registered in the control plane; "
                            f"{advice}:\n  " + "\n  ".join(missing))
        # Every camera is registered: warn (once, at its first use) about one the control
        # plane puts on another device than the campaign says.
        seen: set[tuple[str, str]] = set()
        for session in desired.sessions:
            for record in session.records:
                key = (record.model, record.serial)
                if key in seen:
                    continue
                seen.add(key)
                camera = self.actual.cameras[key]
                if camera.device_id != record.device:
                    self.warnings.append(
                        f"{record.location}: camera {key[0]} {key[1]} belongs to device "
                        f"{camera.device_id} in the control plane, not {record.device}"
                    )
            if len(seen) == len(desired.cameras):
                break  # every camera had its first use: no later record can add a warning

    # -- one declared session -------------------------------------------------------------

    def session(self, want: DesiredSession, have: ActualSession | None) -> None:
        estimate = want.estimated_megabytes()
        if want.max_size_megabytes > 0 and estimate > want.max_size_megabytes:
            self.warnings.append(
                f"session {want.name}: estimated {estimate:,.0f} MB exceeds maxSizeMegabytes "
                f"{want.max_size_megabytes} (recording will stop at the limit)"
            )
        if have is None:
            self._create(want, estimate)
            return
        changes: list[Change] = []
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        changed: set[str] = set()
        if not _same_columns(want, have):
            before, after = have.columns(), want.columns()
            changed = {k for k in after if before.get(k) != after[k]}
        restart = have.state == STARTED and bool(changed - LIVE_COLUMNS)
        record_changes = self._records(want, have)
        if have.state == STARTED and record_changes:
            restart = True
        if changed:
            changes.append(Change(
                action="update", kind="session", address=want.name, id=want.id,
                session=want.name, reason="changed: " + ", ".join(sorted(changed)),
                before={k: before.get(k) for k in sorted(changed)},
                after={k: after[k] for k in sorted(changed)}, restart=restart,
                estimated_megabytes=estimate, max_size_megabytes=want.max_size_megabytes,
            ))
        target = self._target_state(want, have)
        if restart:
            if not self.options.allow_restart:
                self.blocked.append(
                    f"session {want.name} is Started and the change needs it restarted; "
                    "re-run with --allow-restart (it will be stopped, changed and re-armed)"
                )
            self.stop.append(want.id)
            target = want.state
        if (target is not None and target != have.state) or restart:
            state_to = target or want.state
            why = ("restart: stopped for the change, then re-armed" if restart
                   else f"state {have.state} -> {state_to} (trigger)")
            if changes:  # one session, one change: fold the transition into the update
                first = changes[0]
                changes[0] = dataclasses.replace(
                    first, reason=f"{first.reason}; {why}",
                    before={**(first.before or {}), "state": have.state},
                    after={**(first.after or {}), "state": state_to},
                )
            else:
                changes.append(Change(
                    action="update", kind="session", address=want.name, id=want.id,
                    session=want.name, before={"state": have.state}, after={"state": state_to},
                    reason=why, restart=restart,
                ))
            self.transitions.append((want.id, state_to))
        if changed or record_changes:
            self.upserts.append(self._upsert(want, want.state))
        if restart and not self.options.allow_restart:
            changes = _blocked(changes)
            record_changes = _blocked(record_changes)
        self.changes.extend(changes)
        self.changes.extend(record_changes)
        if not changes and not record_changes:
            self.changes.append(Change(
                action="no-op", kind="session", address=want.name, id=want.id,
                session=want.name, reason=_noop_reason(want, have),
                estimated_megabytes=estimate, max_size_megabytes=want.max_size_megabytes,
            ))

    def _target_state(
        self, want: DesiredSession, have: ActualSession
    ) -> SessionState | None:
        if have.state == want.state or have.state == STARTED:
            return None  # Started is the platform's (or `campaign run`'s) business
        if want.end <= self.now:
            return None  # the window is over: what happened to the session is history
        if have.state == STOPPED and want.start <= self.now:
            # Stopped during its own window: a size/time limit hit or someone stopped it on
            # purpose. Re-arming would fight the platform; `campaign trigger` restarts it.
            return None
        return want.state

    def _create(self, want: DesiredSession, estimate: float) -> None:
        state = want.state
        reason = "declared, not in the control plane"
        if want.end <= self.now:
            state = STOPPED
            reason += "; window already over, created Stopped"
        self.changes.append(Change(
            action="create", kind="session", address=want.name, id=want.id, session=want.name,
            reason=reason, after={**want.columns(), "state": state},
            estimated_megabytes=estimate, max_size_megabytes=want.max_size_megabytes,
        ))
        for record in want.records:
            self.changes.extend(_record_created(want, record, "new session", self.shared))
        self.upserts.append(self._upsert(want, state))

    def _upsert(self, want: DesiredSession, state: SessionState) -> SessionUpsert:
        """The whole session tree to write, with the control plane's id of each camera."""
        cameras = tuple(self.actual.cameras[(r.model, r.serial)].id for r in want.records)
        return SessionUpsert(want, state, cameras)

    def _records(self, want: DesiredSession, have: ActualSession) -> list[Change]:
        out: list[Change] = []
        existing = {r.id: r for r in have.records}
        wanted = {r.id for r in want.records}
        replaced: set[tuple[str, str]] = set()
        for old in have.records:
            if old.id in wanted:
                continue
            camera = (old.model, old.serial)
            declared = any((r.model, r.serial) == camera for r in want.records)
            if declared:
                replaced.add(camera)
            out.append(Change(
                action="replace" if declared else "delete", kind="record",
                address=f"{want.name}/{old.model}:{old.serial}", id=old.id,
                session=want.name, before={"camera": f"{old.model}:{old.serial}", "id": old.id},
                reason=("same camera under an id the tool did not derive: replaced by one "
                        "that it did" if declared else "camera no longer declared"),
            ))
            # Its streams go with it (the record's delete cascades), counted as a pruned
            # session's are: the same camera removed costs the same in the summary.
            out.extend(_streams_deleted(want.name, old, "with its record"))
            self.delete_records.append(old.id)
        for record in want.records:
            have_record = existing.get(record.id)
            if have_record is None:
                created = _record_created(want, record, "camera added", self.shared)
                if (record.model, record.serial) in replaced:
                    created = created[1:]  # the record itself is counted by the replace
                out.extend(created)
                continue
            out.extend(self._streams(want.name, record, have_record))
        return out

    def _streams(self, session: str, want: DesiredRecord, have: ActualRecord) -> list[Change]:
        out: list[Change] = []
        address = f"{session}/{want.model}:{want.serial}"
        existing = {s.id: s for s in have.streams}
        wanted: dict[str, DesiredStream] = {s.id: s for s in want.streams}
        for old in have.streams:
            if old.id not in wanted:
                out.append(Change(
                    action="delete", kind="stream", address=f"{address}/{old.columns['type']}",
                    id=old.id, session=session, before=dict(old.columns),
                    reason="stream no longer declared",
                ))
                self.delete_streams.append(old.id)
        for stream in want.streams:
            got = existing.get(stream.id)
            after = stream.columns()
            if got is None:
                out.append(Change(
                    action="create", kind="stream", address=f"{address}/{stream.type}",
                    id=stream.id, session=session, after=after, reason="stream added",
                ))
                continue
            if _same_stream(got.columns, after):
                continue
            changed = sorted(k for k in after if got.columns.get(k) != after[k])
            if changed:
                out.append(Change(
                    action="update", kind="stream", address=f"{address}/{stream.type}",
                    id=stream.id, session=session, reason="changed: " + ", ".join(changed),
                    before={k: got.columns.get(k) for k in changed},
                    after={k: after[k] for k in changed},
                ))
        return out

    # -- an owned session no longer declared ---------------------------------------------

    def undeclared(self, have: ActualSession) -> None:
        finished = have.end <= self.now and have.state != STARTED
        if not (self.options.prune or self.options.destroy) or (finished and not
                                                                 self.options.destroy):
            self.changes.append(Change(
                action="no-op", kind="session", address=have.name, id=have.id, session=have.name,
                reason=("finished occurrence outside the plan, kept as history" if finished
                        else "no longer declared; `apply --prune` deletes it"),
            ))
            return
        blocked = have.state == STARTED and not self.options.force
        if blocked:
            self.blocked.append(
                f"session {have.name} is Started (recording now); deleting it needs --force"
            )
        first = len(self.changes)
        self.changes.append(Change(
            action="delete", kind="session", address=have.name, id=have.id, session=have.name,
            before={**have.columns(), "state": have.state},
            reason="destroy" if self.options.destroy else "no longer declared (--prune)",
        ))
        for record in have.records:
            address = f"{have.name}/{record.model}:{record.serial}"
            self.changes.append(Change(
                action="delete", kind="record", address=address, id=record.id,
                session=have.name, reason="with its session",
                before={"camera": f"{record.model}:{record.serial}"},
            ))
            self.changes.extend(_streams_deleted(have.name, record, "with its session"))
        if blocked:
            self.changes[first:] = _blocked(self.changes[first:])
        self.delete_sessions.append(have.id)


def _same_columns(want: DesiredSession, have: ActualSession) -> bool:
    """A shortcut for the common case: True only when comparing `have.columns()` with
    `want.columns()` would find no difference (equal moments have equal `utc_text`); False
    means "compare them"."""
    return (have.start == want.start and have.end == want.end and have.name == want.name
            and have.mode == want.mode and have.max_time_seconds == want.max_time_seconds
            and have.max_size_megabytes == want.max_size_megabytes)


def _same_stream(have: dict[str, object], want: dict[str, object]) -> bool:
    """A shortcut for the common case: equal columns (one dict comparison) change nothing;
    False means "compare them column by column"."""
    return have == want


def _noop_reason(want: DesiredSession, have: ActualSession) -> str:
    if have.state == STARTED and want.state != STARTED:
        return "up to date (Started now: runtime state, not drift)"
    if have.state != want.state:
        return f"up to date ({have.state} is runtime state: window open or over)"
    return "up to date"


def _blocked(changes: list[Change]) -> list[Change]:
    """The changes, marked as refused: shown in the plan, not counted in its summary."""
    return [dataclasses.replace(c, blocked=True) for c in changes]


def _streams_deleted(session: str, record: ActualRecord, reason: str) -> list[Change]:
    """The delete changes of a deleted record's streams (removed by the record's cascade)."""
    address = f"{session}/{record.model}:{record.serial}"
    return [Change(action="delete", kind="stream", address=f"{address}/{stream.columns['type']}",
                   id=stream.id, session=session, reason=reason, before=dict(stream.columns))
            for stream in record.streams]


def _record_created(want: DesiredSession, record: DesiredRecord, reason: str,
                    shared: dict[tuple[object, ...], dict[str, object]]) -> list[Change]:
    """The create changes of a record and its streams; streams configured alike share one
    `after` dict from `shared` (never mutated: 80,000 of them were 50 MB)."""
    address = f"{want.name}/{record.model}:{record.serial}"
    out = [Change(
        action="create", kind="record", address=address, id=record.id, session=want.name,
        reason=reason, after={"camera": f"{record.model}:{record.serial}"},
    )]
    for stream in record.streams:
        columns = stream.columns()
        out.append(Change(
            action="create", kind="stream", address=f"{address}/{stream.type}",
            id=stream.id, session=want.name, reason=reason,
            after=shared.setdefault(tuple(columns.values()), columns),
        ))
    return out
