"""One agent pass: reload the files, plan + apply the control plane and the recording rules.

`Reconciler.reconcile(now)`: reload the campaign files (an invalid change keeps the last good
set), select them by label, compile from `now` (recurring horizons extend), plan + apply the
control plane and the recording rules through `ops.apply.apply_campaigns` (auto-approved, no
prune), report windows missed with no session; it returns the pass's report and the standby
campaigns the agent keeps a burst driver for (`runner.ops.agent`). It keeps what the next pass
needs (the last good set, what was applied, what was reported) and nothing of the drivers, so
it can run in a process of its own (`runner.ops.pass_worker`).

Nothing here prints: events go to the `log` hook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from runner.compile import (
    DEFAULT_HORIZON,
    Desired,
    DesiredSession,
    compile_campaigns,
    owner_of,
    session_id,
    session_name,
)
from runner.errors import CampaignError
from runner.findings import Diagnosis
from runner.ops.apply import ApplyHooks, ApplyOutcome, apply_campaigns
from runner.ops.backends import Backends, ControlPlaneAPI, FleetAPI
from runner.plan.conflicts import Neighbours, SkippingNeighbourReader
from runner.plan.model import Actual, Plan, PlanOptions, Writes
from runner.run.driver import StateSwitch
from runner.run.lease import DEFAULT_TTL, LeaseStore
from runner.spec.model import Campaign, Trigger
from runner.spec.selectors import Selector, select_campaigns
from runner.spec.windows import occurrences

Level = Literal["info", "warning", "error"]
FIRST_LOOKBACK = dt.timedelta(days=1)  # how far back the first pass looks for missed windows


@dataclass(frozen=True)
class AgentEvent:
    """One log line: a level, a short kind (`pass`, `applied`, `driver`...), a message and
    plain fields (names, counts, times: never a URL or a secret)."""

    level: Level
    kind: str
    message: str
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentConfig:
    """What the agent reconciles and how often."""

    paths: tuple[str, ...]
    selector: Selector | None = None
    interval: dt.timedelta = dt.timedelta(minutes=5)
    horizon: dt.timedelta = DEFAULT_HORIZON
    max_lateness: dt.timedelta = dt.timedelta(seconds=1)
    allow_delete: bool = False  # let recording rules delete fleet recordings
    lease_ttl: dt.timedelta = DEFAULT_TTL  # how long a dead driver's leases outlive it


@dataclass(frozen=True)
class PassReport:
    """What one pass did."""

    now: dt.datetime
    ok: bool
    campaigns: tuple[str, ...] = ()
    changes: Mapping[str, int] = field(default_factory=dict)  # action -> count
    drift_corrected: int = 0
    recordings_changed: int = 0
    sessions: Mapping[str, int] = field(default_factory=dict)  # state -> count
    drivers_started: tuple[str, ...] = ()  # session names
    missed: tuple[str, ...] = ()  # session names of windows that ended with no session
    reloaded: bool = False  # the files changed and the new set was taken
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU time of the process that ran the pass, during it


# --- observing the one read apply makes --------------------------------------------------------


class _ObservedControlPlane:
    """The control plane, remembering the last `Actual` read of all the pass's campaigns
    (sessions by state, missed windows)."""

    def __init__(self, inner: ControlPlaneAPI, seen: list[tuple[int, Actual]]) -> None:
        self._inner = inner
        self._seen = seen  # (how many campaigns the read asked for, what it found)

    async def read_state(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...]
    ) -> Actual:
        actual = await self._inner.read_state(campaigns, cameras)
        self._seen.append((len(campaigns), actual))
        return actual

    async def write(self, writes: Writes, *, expected: Mapping[str, int],
                    tokens: Mapping[str, int], now: dt.datetime,
                    drop_versions: bool = False) -> None:
        await self._inner.write(writes, expected=expected, tokens=tokens, now=now,
                                drop_versions=drop_versions)

    async def known_cameras(self, *, model: str | None = None,
                            device: str | None = None) -> list[Any]:
        return await self._inner.known_cameras(model=model, device=device)

    async def offered_enums(self) -> Mapping[str, tuple[str, ...]]:
        return await self._inner.offered_enums()

    async def read_neighbours(self, cameras: tuple[tuple[str, str], ...], start: dt.datetime,
                              end: dt.datetime) -> Neighbours:
        return await self._inner.read_neighbours(cameras, start, end)

    async def read_neighbours_except(self, cameras: tuple[tuple[str, str], ...],
                                     start: dt.datetime, end: dt.datetime,
                                     known: Collection[str]) -> Neighbours:
        if isinstance(self._inner, SkippingNeighbourReader):
            return await self._inner.read_neighbours_except(cameras, start, end, known)
        return await self._inner.read_neighbours(cameras, start, end)


class _ObservedBackends:
    """`Backends` whose control-plane reads are remembered; everything else passes through."""

    def __init__(self, inner: Backends) -> None:
        self._inner = inner
        self.seen: list[tuple[int, Actual]] = []

    def last_full_read(self) -> Actual | None:
        """The last read of all the pass's campaigns (the plan's, not apply's verify re-read
        of the written ones): the pass's figures and missed windows are about all of them."""
        if not self.seen:
            return None
        widest = max(count for count, _actual in self.seen)
        return [actual for count, actual in self.seen if count == widest][-1]

    @property
    def label(self) -> str:
        return self._inner.label

    @property
    def state_dir(self) -> Path:
        return self._inner.state_dir

    @property
    def timeout(self) -> float:
        return self._inner.timeout

    @property
    def fleet_label(self) -> str | None:
        return self._inner.fleet_label

    @property
    def in_process(self) -> bool:
        return self._inner.in_process

    @contextlib.asynccontextmanager
    async def control_plane(self) -> AsyncIterator[ControlPlaneAPI]:
        async with self._inner.control_plane() as cp:
            yield _ObservedControlPlane(cp, self.seen)

    def fleet(self) -> FleetAPI | None:
        return self._inner.fleet()

    def session_states(self) -> AbstractAsyncContextManager[StateSwitch]:
        return self._inner.session_states()

    def leases(self) -> AbstractAsyncContextManager[LeaseStore]:
        return self._inner.leases()

    async def diagnose(self, now: dt.datetime) -> Diagnosis:
        return await self._inner.diagnose(now)


# --- the pass ----------------------------------------------------------------------------------


class Reconciler:
    """The agent's passes and what one pass leaves for the next."""

    def __init__(self, backends: Backends, config: AgentConfig, *,
                 log: Callable[[AgentEvent], None] = lambda _event: None) -> None:
        self.backends = backends
        self.config = config
        self.log = log
        self.campaigns: tuple[Campaign, ...] | None = None  # the last good set (all files)
        self._reported_errors: tuple[str, ...] = ()
        self._signature: tuple[tuple[str, bytes], ...] | None = None
        self._notes_seen: set[str] = set()
        self._desired_before: dict[str, DesiredSession] = {}
        self._last_now: dt.datetime | None = None
        self._missed_reported: set[str] = set()

    def force_reload(self) -> None:
        """Parse the files on the next pass even if none looks changed (SIGHUP)."""
        self._signature = None

    async def reconcile(self, now: dt.datetime) -> tuple[PassReport, tuple[Campaign, ...]]:
        """One pass: its report, and the standby campaigns whose bursts may need a driver
        (the agent starts those). Raises CampaignError/OSError when the pass failed."""
        began = time.process_time()
        report, drive = await self._reconcile(now)
        return replace(report, cpu_seconds=time.process_time() - began), drive

    async def _reconcile(self, now: dt.datetime) -> tuple[PassReport, tuple[Campaign, ...]]:
        reloaded = self._reload(now)
        if self.campaigns is None:
            raise CampaignError("no valid campaign files yet; fix the errors reported above")
        campaigns = select_campaigns(self.campaigns, self.config.selector)
        if not campaigns:
            self.log(AgentEvent("warning", "pass", "no campaign matches the selector",
                                {"selector": str(self.config.selector or "")}))
            return PassReport(now, ok=True, reloaded=reloaded), ()
        desired = compile_campaigns(campaigns, now, self.config.horizon)
        observed = _ObservedBackends(self.backends)
        outcome, skipped = await self._apply(observed, campaigns, desired, now)
        actual = observed.last_full_read()
        changes, drift = self._count_changes(outcome, desired)
        recordings = (outcome.recordings.changed + outcome.recordings.deleted
                      if outcome.recordings else 0)
        if outcome.applied is not None and outcome.applied.plan.effective:
            self.log(AgentEvent("info", "applied", f"applied {sum(changes.values())} change(s)"
                                + (f", {drift} restoring drift" if drift else ""),
                                {"changes": dict(changes), "drift_corrected": drift}))
        if outcome.recordings is not None and (recordings or outcome.recordings.failed):
            self.log(AgentEvent("warning" if outcome.recordings.failed else "info",
                                "recordings",
                                f"recording rules changed {recordings} recording(s)"
                                + (f", {len(outcome.recordings.failed)} failed"
                                   if outcome.recordings.failed else ""),
                                {"changed": recordings,
                                 "failed": len(outcome.recordings.failed)}))
        self._desired_before = {s.id: s for s in desired.sessions}
        sessions = Counter(str(s.state) for s in actual.sessions) if actual else Counter()
        missed = self._missed(campaigns, actual, now)
        report = PassReport(now, ok=True, campaigns=tuple(c.name for c in campaigns),
                            changes=changes, drift_corrected=drift,
                            recordings_changed=recordings, sessions=dict(sessions),
                            missed=missed, reloaded=reloaded)
        self._last_now = now
        drive = tuple(c for c in campaigns if c.name not in skipped
                      and c.trigger is Trigger.STANDBY and c.bursts is not None)
        return report, drive

    def _reload(self, now: dt.datetime) -> bool:
        """Take the files' campaigns if they are all valid; else keep the last good set and
        report the errors (once per distinct set of errors)."""
        signature = files_signature(self.config.paths)
        if signature is not None and signature == self._signature:
            return False  # no file changed since the last load: skip parsing (idle passes)
        campaigns, errors = load_files(self.config.paths, now)
        self._signature = signature
        if errors:
            if errors != self._reported_errors:
                self._reported_errors = errors
                kept = ("keeping the last good set" if self.campaigns is not None
                        else "nothing applied yet")
                self.log(AgentEvent("error", "reload",
                                    f"{len(errors)} error(s) in campaign files; {kept}",
                                    {"errors": len(errors)}))
                for line in errors[:20]:
                    self.log(AgentEvent("error", "reload", line))
            return False
        self._reported_errors = ()
        changed = campaigns != self.campaigns
        if changed and self.campaigns is not None:
            self.log(AgentEvent("info", "reload", f"campaign files changed: {len(campaigns)} "
                                "campaign(s)", {"campaigns": len(campaigns)}))
        self.campaigns = campaigns
        return changed

    async def _apply(
        self, backends: Backends, campaigns: Sequence[Campaign], desired: Desired,
        now: dt.datetime,
    ) -> tuple[ApplyOutcome, set[str]]:
        """apply_campaigns, auto-approved; campaigns whose change needs a Started session
        restarted are reported and left out (their neighbours still converge)."""
        shown: list[Plan] = []
        hooks = ApplyHooks(show=shown.append, confirm=lambda _question: None,
                           notes=self._note)
        options = PlanOptions()
        try:
            return (await apply_campaigns(backends, campaigns, desired, now, options, hooks,
                                          allow_delete=self.config.allow_delete,
                                          recordings=self._rules_runnable()), set())
        except CampaignError:
            blocked = _blocked_campaigns(shown[-1]) if shown else set()
            if not blocked:
                raise
        for reason in shown[-1].blocked:
            self.log(AgentEvent("warning", "blocked", f"not applied: {reason}"))
        rest = [c for c in campaigns if c.name not in blocked]
        if not rest:
            return ApplyOutcome(shown[-1]), blocked
        narrowed = compile_campaigns(rest, now, self.config.horizon)
        return (await apply_campaigns(backends, rest, narrowed, now, options, hooks,
                                      allow_delete=self.config.allow_delete,
                                      recordings=self._rules_runnable()), blocked)

    def _rules_runnable(self) -> bool:
        """Without a fleet API the rules are skipped (noted once, each pass still applies the
        control plane): a long-running agent keeps the sessions true meanwhile."""
        return self.backends.fleet_label is not None

    def _note(self, note: str) -> None:
        if note not in self._notes_seen:  # e.g. "no fleet API configured": once
            self._notes_seen.add(note)
            self.log(AgentEvent("warning", "note", note.removeprefix("note: ")))

    def _count_changes(self, outcome: ApplyOutcome, desired: Desired
                       ) -> tuple[dict[str, int], int]:
        """Changes by action, and how many of them restore drift: changes to sessions this
        agent applied last pass and whose desired definition has not changed since."""
        if outcome.applied is None:
            return {}, 0
        effective = outcome.applied.plan.effective
        changes: dict[str, int] = dict(Counter(str(c.action) for c in effective))
        now_desired = {s.name: s for s in desired.sessions}
        drift = 0
        for change in effective:
            want = now_desired.get(change.session)
            if want is not None and self._desired_before.get(want.id) == want:
                drift += 1
        return changes, drift

    def _missed(self, campaigns: Sequence[Campaign], actual: Actual | None,
                now: dt.datetime) -> tuple[str, ...]:
        """Windows that ended since the last pass with no session: reported once, never
        recreated in the past (compile only creates occurrences that have not ended)."""
        if actual is None:
            return ()
        since = self._last_now or now - FIRST_LOOKBACK
        have = {s.id for s in actual.sessions}
        missed: list[str] = []
        for campaign in campaigns:
            if campaign.trigger is Trigger.MANUAL:
                continue
            for occurrence in occurrences(campaign.window, since, now):
                sid = session_id(campaign.name, occurrence.key)
                if (occurrence.end <= now and sid not in have
                        and sid not in self._missed_reported):
                    self._missed_reported.add(sid)
                    name = session_name(campaign.name, occurrence.key)
                    missed.append(name)
                    self.log(AgentEvent(
                        "warning", "missed",
                        f"{name}: window {iso_seconds(occurrence.start)} .. "
                        f"{iso_seconds(occurrence.end)} "
                        "ended with no session (the agent was not running); not recreated in "
                        "the past", {"campaign": campaign.name, "session": name}))
        return tuple(missed)


def files_signature(paths: Sequence[str]) -> tuple[tuple[str, bytes], ...] | None:
    """(file, content digest) of every campaign file `paths` name (contents, not mtimes: two
    edits within one timestamp tick still differ); None when one cannot be read (then the
    files are loaded, and the loader reports why)."""
    from runner.spec.loader import expand_paths

    entries: list[tuple[str, bytes]] = []
    for name in expand_paths(paths):
        try:
            with open(name, "rb") as handle:
                digest = hashlib.blake2b(handle.read(), digest_size=16).digest()
        except OSError:
            return None
        entries.append((name, digest))
    return tuple(entries)


def load_files(paths: Sequence[str], now: dt.datetime
               ) -> tuple[tuple[Campaign, ...], tuple[str, ...]]:
    """The campaigns of `paths` and their errors as `file:line:col: error CODE: message`."""
    from runner.spec import load_campaigns

    result = load_campaigns(list(paths), now=now, require_campaigns=True)
    errors = tuple(f"{d.location}: error {d.code}: {d.message}" if d.location
                   else f"error {d.code}: {d.message}" for d in result.errors)
    return tuple(result.campaigns), errors


def _blocked_campaigns(plan: Plan) -> set[str]:
    """Campaigns with a change that needs a Started session restarted."""
    names: set[str] = set()
    for change in plan.changes:
        if change.restart and change.kind == "session":
            owner = owner_of(change.session, change.id)
            if owner is not None:
                names.add(owner[0])
    return names


def iso_seconds(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


