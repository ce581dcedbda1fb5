"""The agent: a loop of reconciliation passes around the same use cases as the CLI.

Each pass (`Agent.run_pass(now)`): reload the campaign files (an invalid change keeps the last
good set), select them by label, compile from `now` (recurring horizons extend), plan + apply
the control plane and the recording rules through `ops.apply.apply_campaigns` (auto-approved,
no prune), then start a burst driver (`ops.run.drive_bursts`) for every standby occurrence
whose window opens before the next pass. The outer loop (`Agent.run`) waits between passes,
wakes on `reload`, and `Agent.shutdown` stops every driver (sessions back to Standby).

Nothing here prints: events go to the `log` hook, figures to `AgentMetrics` / `HealthState`.
Time comes from the injected `Clock` (or the `now` given to `run_pass`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runner.agent import AgentMetrics, HealthState
from runner.compile import (
    DEFAULT_HORIZON,
    Desired,
    DesiredSession,
    compile_campaigns,
    owner_of,
    session_id,
    session_name,
)
from runner.errors import CampaignError, ControlPlaneError, FleetError, LeaseHeld
from runner.findings import Diagnosis
from runner.ops.apply import ApplyHooks, ApplyOutcome, apply_campaigns
from runner.ops.backends import Backends, ControlPlaneAPI, FleetAPI
from runner.ops.leases import this_process
from runner.ops.run import drive_bursts
from runner.plan.conflicts import Neighbours
from runner.plan.model import Actual, Plan, PlanOptions, Writes
from runner.run.driver import Clock, RunEvent, RunResult, StateSwitch
from runner.run.lease import Holder, LeaseStore
from runner.run.prepare import BurstTarget, burst_targets
from runner.spec.model import Campaign, Trigger
from runner.spec.selectors import Selector, select_campaigns
from runner.spec.windows import occurrences

Level = Literal["info", "warning", "error"]
CONTROL_PLANE, FLEET = "control plane", "fleet API"  # HealthState's backend words
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


# --- observing the one read apply makes --------------------------------------------------------


class _ObservedControlPlane:
    """The control plane, remembering the last `Actual` read (sessions by state, drift)."""

    def __init__(self, inner: ControlPlaneAPI, seen: list[Actual]) -> None:
        self._inner = inner
        self._seen = seen

    async def read_state(
        self, campaigns: tuple[str, ...], cameras: tuple[tuple[str, str], ...]
    ) -> Actual:
        actual = await self._inner.read_state(campaigns, cameras)
        self._seen.append(actual)
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


class _ObservedBackends:
    """`Backends` whose control-plane reads are remembered; everything else passes through."""

    def __init__(self, inner: Backends) -> None:
        self._inner = inner
        self.seen: list[Actual] = []

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


# --- the agent ---------------------------------------------------------------------------------


@dataclass
class _Driver:
    target: BurstTarget
    task: asyncio.Task[RunResult | None]
    stop: asyncio.Event


class Agent:
    """The reconciler: `run_pass(now)` is one pass; `run(stop, reload)` the loop around it."""

    def __init__(
        self, backends: Backends, config: AgentConfig, *, clock: Clock,
        log: Callable[[AgentEvent], None] = lambda _event: None,
        metrics: AgentMetrics | None = None, health: HealthState | None = None,
        holder: Holder | None = None,
        load: Callable[[Sequence[str], dt.datetime], tuple[tuple[Campaign, ...],
                                                          tuple[str, ...]]] | None = None,
    ) -> None:
        self.backends = backends
        self.config = config
        self.clock = clock
        self.log = log
        self.metrics = metrics
        self.health = health
        self.holder = holder or this_process()  # who this agent's leases name
        self._load = load or load_files
        self.campaigns: tuple[Campaign, ...] | None = None  # the last good set (all files)
        self._reported_errors: tuple[str, ...] = ()
        self._signature: tuple[tuple[str, bytes], ...] | None = None
        self._notes_seen: set[str] = set()
        self._desired_before: dict[str, DesiredSession] = {}
        self._last_now: dt.datetime | None = None
        self._missed_reported: set[str] = set()
        self.drivers: dict[str, _Driver] = {}  # by session id
        self._driven: set[str] = set()  # session ids whose driver finished
        self.results: list[RunResult] = []
        self.passes = 0

    # -- one pass ----------------------------------------------------------------------------

    async def run_pass(self, now: dt.datetime | None = None) -> PassReport:
        """Reload, apply the control plane and recording rules, start due burst drivers."""
        now = now or self.clock.now()
        began = time.monotonic()
        self.passes += 1
        unreachable: set[str] = set()
        try:
            report = await self._pass(now)
        except (CampaignError, OSError) as exc:
            report = PassReport(now, ok=False, error=str(exc))
            self.log(AgentEvent("error", "pass", f"pass failed: {exc}", {"now": _iso(now)}))
            if "unreachable" in str(exc):  # the adapters' wording for transport failures
                if isinstance(exc, ControlPlaneError):
                    unreachable.add(CONTROL_PLANE)
                elif isinstance(exc, FleetError):
                    unreachable.add(FLEET)
        duration = time.monotonic() - began
        if self.metrics is not None:
            if report.ok:
                self.metrics.pass_succeeded(
                    finished_at=time.time(), duration=duration, changes=report.changes,
                    drift_corrected=report.drift_corrected,
                    recordings_changed=report.recordings_changed)
                self.metrics.set_sessions(report.sessions)
            else:
                self.metrics.pass_failed(duration=duration)
            self.metrics.set_leases_held(len(self.drivers))
        if self.health is not None:
            for backend in (CONTROL_PLANE, FLEET):
                self.health.backend_reachable(backend, backend not in unreachable)
            self.health.pass_finished(report.ok)
        if report.ok:
            self._last_now = now
        return report

    async def _pass(self, now: dt.datetime) -> PassReport:
        reloaded = self._reload(now)
        if self.campaigns is None:
            raise CampaignError("no valid campaign files yet; fix the errors reported above")
        campaigns = select_campaigns(self.campaigns, self.config.selector)
        if not campaigns:
            self.log(AgentEvent("warning", "pass", "no campaign matches the selector",
                                {"selector": str(self.config.selector or "")}))
            return PassReport(now, ok=True, reloaded=reloaded)
        desired = compile_campaigns(campaigns, now, self.config.horizon)
        observed = _ObservedBackends(self.backends)
        outcome, skipped = await self._apply(observed, campaigns, desired, now)
        actual = observed.seen[-1] if observed.seen else None
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
        started = self._start_drivers([c for c in campaigns if c.name not in skipped], now)
        return PassReport(now, ok=True, campaigns=tuple(c.name for c in campaigns),
                          changes=changes, drift_corrected=drift,
                          recordings_changed=recordings, sessions=dict(sessions),
                          drivers_started=started, missed=missed, reloaded=reloaded)

    def _reload(self, now: dt.datetime) -> bool:
        """Take the files' campaigns if they are all valid; else keep the last good set and
        report the errors (once per distinct set of errors)."""
        signature = files_signature(self.config.paths)
        if signature is not None and signature == self._signature:
            return False  # no file changed since the last load: skip parsing (idle passes)
        campaigns, errors = self._load(self.config.paths, now)
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
                        f"{name}: window {_iso(occurrence.start)} .. {_iso(occurrence.end)} "
                        "ended with no session (the agent was not running); not recreated in "
                        "the past", {"campaign": campaign.name, "session": name}))
        return tuple(missed)

    # -- burst drivers -----------------------------------------------------------------------

    def _start_drivers(self, campaigns: Sequence[Campaign], now: dt.datetime
                       ) -> tuple[str, ...]:
        """A driver for every standby occurrence that is open or opens before the next pass
        (the driver sleeps until the first burst's absolute deadline)."""
        self._reap()
        started: list[str] = []
        due = now + self.config.interval
        for campaign in campaigns:
            if campaign.trigger is not Trigger.STANDBY or campaign.bursts is None:
                continue
            try:
                (target,) = burst_targets([campaign], now)
            except CampaignError:
                continue  # no window left in the next year: nothing to drive
            sid = target.session_id
            if (target.occurrence.start > due or sid in self.drivers or sid in self._driven
                    or any(d.target.campaign.name == campaign.name
                           for d in self.drivers.values())):
                continue
            stop = asyncio.Event()
            task = asyncio.create_task(self._drive(target, stop),
                                       name=f"campaign-driver-{target.session_name}")
            self.drivers[sid] = _Driver(target, task, stop)
            started.append(target.session_name)
            self.log(AgentEvent("info", "driver", f"{target.session_name}: burst driver "
                                f"started for window {_iso(target.occurrence.start)} .. "
                                f"{_iso(target.occurrence.end)}",
                                {"campaign": campaign.name, "session": target.session_name}))
        return tuple(started)

    async def _drive(self, target: BurstTarget, stop: asyncio.Event) -> RunResult | None:
        """Drive one occurrence; None when another driver holds (or took) the campaign's lease:
        a later pass tries again (the other holder may die, its lease then expires)."""
        name = target.campaign.name
        try:
            # One driver per campaign across machines: drive_bursts takes the campaign's
            # lease in the control plane, renews it while it drives, and releases it.
            result = await drive_bursts(
                self.backends, [target], clock=self.clock, stop=stop,
                max_lateness=self.config.max_lateness, on_event=self._burst_event,
                on_note=lambda text: self.log(AgentEvent("info", "driver", text)),
                holder=self.holder)
        except LeaseHeld as exc:
            self.log(AgentEvent("warning", "lease", f"{exc}; retried next pass",
                                {"campaign": name}))
            return None
        self._report_run(result)
        lost = [s for s in result.sessions if s.lost is not None]
        if lost:
            self.log(AgentEvent("warning", "lease", f"{name}: lease lost ({lost[0].lost}); "
                                "driver stopped; retried next pass", {"campaign": name}))
            return None
        return result

    def _burst_event(self, event: RunEvent) -> None:
        level: Level = "warning" if event.kind in ("skipped", "failed", "stuck") else "info"
        burst = f"burst {event.burst + 1}" if event.burst >= 0 else "exit"
        detail = f" ({event.detail})" if event.detail else ""
        self.log(AgentEvent(level, "burst", f"{event.session}: {burst} {event.kind}{detail}",
                            {"session": event.session, "burst": event.burst + 1,
                             "event": event.kind}))

    def _report_run(self, result: RunResult) -> None:
        self.results.append(result)
        for session in result.sessions:
            if self.metrics is not None:
                for record in session.transitions:
                    if record.ack is not None and not record.recovery:
                        self.metrics.observe_lateness(record.ack)
            self.log(AgentEvent(
                "warning" if session.skipped or session.failed or session.left_started
                else "info", "driver",
                f"{session.session}: driver finished, {len(session.started)} burst(s) started, "
                f"{len(session.skipped)} skipped, {len(session.failed)} failed",
                {"session": session.session, "started": len(session.started),
                 "skipped": len(session.skipped), "failed": len(session.failed)}))

    def _reap(self) -> None:
        """Forget finished drivers: a completed occurrence is never driven twice; a failed
        one is retried next pass (its run state makes it resume, never repeat a burst)."""
        for sid, driver in list(self.drivers.items()):
            if not driver.task.done():
                continue
            del self.drivers[sid]
            if driver.task.cancelled():
                continue
            exc = driver.task.exception()
            if exc is None:
                if driver.task.result() is not None:  # None: another driver holds the lease
                    self._driven.add(sid)
            else:
                self.log(AgentEvent("error", "driver", f"{driver.target.session_name}: driver "
                                    f"failed: {exc}; retrying next pass",
                                    {"session": driver.target.session_name}))
        if self.metrics is not None:
            self.metrics.set_leases_held(len(self.drivers))

    async def wait_drivers(self) -> None:
        """Wait until every running driver has finished (tests, `--once`)."""
        tasks = [d.task for d in self.drivers.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._reap()

    async def shutdown(self, budget: float = 1.5) -> None:
        """Stop every driver: sessions back to Standby, leases released."""
        for driver in self.drivers.values():
            driver.stop.set()
        tasks = [d.task for d in self.drivers.values()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=budget)
            for task in pending:
                task.cancel()
        self._reap()

    # -- the loop ----------------------------------------------------------------------------

    def force_reload(self) -> None:
        """Parse the files on the next pass even if none looks changed (SIGHUP)."""
        self._signature = None

    async def run(self, stop: asyncio.Event, reload: asyncio.Event) -> None:
        """Passes every `interval` (at once when `reload` is set) until `stop`; then shutdown."""
        try:
            while not stop.is_set():
                if reload.is_set():
                    self.force_reload()
                reload.clear()
                pass_task = asyncio.ensure_future(self.run_pass())
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({pass_task, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not pass_task.done():  # stop during a pass: abandon it (writes are atomic)
                    pass_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pass_task
                    break
                pass_task.result()
                await self._idle(stop, reload)
        finally:
            await self.shutdown()

    async def _idle(self, stop: asyncio.Event, reload: asyncio.Event) -> None:
        """Until the next pass: beat the health state, reap drivers, wake on stop/reload."""
        wake = self.clock.monotonic() + self.config.interval.total_seconds()
        while not stop.is_set() and not reload.is_set():
            left = wake - self.clock.monotonic()
            if left <= 0:
                return
            if self.health is not None:
                self.health.heartbeat()
            self._reap()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(reload.wait())]
            await asyncio.wait(waiters, timeout=min(left, 1.0),
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()


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


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


