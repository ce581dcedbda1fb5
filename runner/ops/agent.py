"""The agent: a loop of reconciliation passes around the same use cases as the CLI.

Each pass (`Agent.run_pass(now)`) reconciles the files with the backends
(`runner.ops.agent_pass.Reconciler`: reload, plan + apply, recording rules, missed windows),
then starts a burst driver (`ops.run.drive_bursts`) for every standby occurrence whose window
opens before the next pass. The passes run in a child process (`runner.ops.pass_worker`) so
that their CPU time never delays a driver's transition; with in-process backends (the
embedded sandbox) they run on this loop. The outer loop (`Agent.run`) waits between passes,
wakes on `reload`, and `Agent.shutdown` stops every driver (sessions back to Standby).

Nothing here prints: events go to the `log` hook, figures to `AgentMetrics` / `HealthState`.
Time comes from the injected `Clock` (or the `now` given to `run_pass`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from runner.agent import AgentMetrics, HealthState
from runner.errors import CampaignError, ControlPlaneError, FleetError, LeaseHeld
from runner.ops.agent_pass import (
    AgentConfig,
    AgentEvent,
    Level,
    PassReport,
    Reconciler,
    files_signature,
    iso_seconds,
    load_files,
)
from runner.ops.backends import Backends
from runner.ops.leases import this_process
from runner.ops.pass_worker import PassWorker
from runner.ops.run import drive_bursts
from runner.run.driver import Clock, RunEvent, RunResult
from runner.run.lease import Holder
from runner.run.prepare import BurstTarget, burst_targets
from runner.spec.model import Campaign, Trigger

CONTROL_PLANE, FLEET = "control plane", "fleet API"  # HealthState's backend words
__all__ = ["Agent", "AgentConfig", "AgentEvent", "PassReport", "files_signature", "load_files"]


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
    ) -> None:
        self.backends = backends
        self.config = config
        self.clock = clock
        self.log = log
        self.metrics = metrics
        self.health = health
        self.holder = holder or this_process()  # who this agent's leases name
        # The passes: in a child process (their CPU time is never the drivers'), or here with
        # in-process backends (the embedded sandbox), whose calls stay on this loop.
        self._passes: Reconciler | PassWorker = (
            Reconciler(backends, config, log=log) if backends.in_process
            else PassWorker(backends, config, log=log))
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
            report, due = await self._passes.reconcile(now)
            report = replace(report, drivers_started=self._start_drivers(due, now))
        except (CampaignError, OSError) as exc:
            report = PassReport(now, ok=False, error=str(exc))
            self.log(AgentEvent("error", "pass", f"pass failed: {exc}", {"now": iso_seconds(now)}))
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
        return report


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
                                f"started for window {iso_seconds(target.occurrence.start)} .. "
                                f"{iso_seconds(target.occurrence.end)}",
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
                holder=self.holder, lease_ttl=self.config.lease_ttl)
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
        self._passes.force_reload()

    def close(self) -> None:
        """Stop the passes' process, if any (`run` does it when it returns)."""
        if isinstance(self._passes, PassWorker):
            self._passes.close()

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
            self.close()

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
