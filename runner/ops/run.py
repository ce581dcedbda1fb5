"""Run: drive standby campaigns' bursts (Standby <-> Started) on their schedule.

The caller owns the process: it wires signals to `stop` and renders the events and result.
The campaigns' leases (`runner.ops.leases`) are held for the whole run: a second driver of
any of them, on any machine, is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runner.compile import DEFAULT_HORIZON, compile_campaigns
from runner.ops.backends import Backends
from runner.ops.leases import hold_leases, this_process
from runner.plan.apply import apply_plan, make_plan
from runner.plan.model import PlanOptions
from runner.run.driver import Clock, RunEvent, RunResult, SessionRun, StateSwitch, drive
from runner.run.lease import DEFAULT_TTL, Holder
from runner.run.prepare import BurstTarget, resumed_schedule, session_runs
from runner.run.state import (
    RunJournal,
    SavedSession,
    crashed_holder,
    load_run_state,
    run_state_path,
    saved_sessions,
)
from runner.states import SessionState


async def apply_targets(
    backends: Backends, targets: Sequence[BurstTarget], now: dt.datetime
) -> str | None:
    """Apply the campaigns (the reconciler's plan + apply): their sessions exist and standby
    ones are in Standby. Returns a note for the user when something changed."""
    # Far enough ahead to include every occurrence this run drives (a recurring window's
    # next occurrence may lie beyond apply's usual horizon).
    horizon = max([DEFAULT_HORIZON, *(t.occurrence.end - now for t in targets)])
    desired = compile_campaigns([t.campaign for t in targets], now, horizon)
    async with backends.control_plane() as cp:
        plan = await make_plan(cp, desired, now, PlanOptions())
        if plan.writes.empty():
            return None
        result = await apply_plan(cp, plan)
    changes = len(result.plan.effective)
    return (f"applied {changes} change(s) to {', '.join(desired.campaigns)} before running "
            "(`campaign plan` shows them)")


async def drive_bursts(
    backends: Backends, targets: Sequence[BurstTarget], *, clock: Clock, stop: asyncio.Event,
    max_lateness: dt.timedelta, exit_state: SessionState = SessionState.STANDBY,
    on_event: Callable[[RunEvent], None] = lambda _event: None,
    on_runs: Callable[[Sequence[SessionRun]], None] = lambda _runs: None,
    on_note: Callable[[str], None] = lambda _note: None,
    holder: Holder | None = None, lease_ttl: dt.timedelta = DEFAULT_TTL,
) -> RunResult:
    """Take the campaigns' leases (LeaseHeld if another driver holds one), apply, then drive
    every target's bursts until done or `stop` is set; sessions go back, then the leases are
    released. A lease lost mid-run (taken over after a stall) stops driving that campaign's
    session (reported through `on_note` and the result). The run state under
    `backends.state_dir` lets a restarted run resume without starting a burst twice."""
    names = sorted({t.campaign.name for t in targets})
    holder = holder or this_process()
    async with hold_leases(backends, names, holder, clock, ttl=lease_ttl,
                           on_lost=lambda _campaign, why: on_note(
                               f"WARNING: {why}; this run stops driving it"),
                           dead=_crashed_here(backends, names, holder)) as keeper:
        return await _drive_held(backends, targets, keeper.fence, holder, clock=clock,
                                 stop=stop, max_lateness=max_lateness, exit_state=exit_state,
                                 on_event=on_event, on_runs=on_runs, on_note=on_note)


def _crashed_here(backends: Backends, campaigns: Sequence[str],
                  holder: Holder) -> dict[str, Holder]:
    """Holders of the campaigns' leases that were runs of this state directory on this host
    whose process is gone: restarting after a crash need not wait for the lease to expire."""
    dead: dict[str, Holder] = {}
    for campaign in campaigns:
        found = crashed_holder(load_run_state(run_state_path(backends.state_dir, campaign)))
        if found is not None and found[0] == holder.host:
            dead[campaign] = Holder(*found)
    return dead


async def _drive_held(
    backends: Backends, targets: Sequence[BurstTarget],
    fence: Callable[[StateSwitch, dict[str, str]], StateSwitch], holder: Holder, *,
    clock: Clock,
    stop: asyncio.Event, max_lateness: dt.timedelta, exit_state: SessionState,
    on_event: Callable[[RunEvent], None], on_runs: Callable[[Sequence[SessionRun]], None],
    on_note: Callable[[str], None],
) -> RunResult:
    paths = {t.campaign.name: run_state_path(backends.state_dir, t.campaign.name)
             for t in targets}
    previous = {name: load_run_state(path) for name, path in paths.items()}
    if not stop.is_set():
        note = await apply_targets(backends, targets, clock.now())
        if note:
            on_note(note)
    async with backends.session_states() as switch:
        states = fence(switch, {t.session_id: t.campaign.name for t in targets})
        # This read also opens the connection every transition will reuse.
        rows = await states.read([t.session_id for t in targets], timeout=backends.timeout)
        now = clock.now()
        saved: dict[str, SavedSession] = {}
        for state in previous.values():
            saved.update(saved_sessions(state))
        runs = session_runs(targets, now, rows, saved, max_lateness)
        journals: dict[str, RunJournal] = {}
        for target in targets:
            mine = [r for r in runs if r.campaign == target.campaign.name]
            journals[target.campaign.name] = RunJournal(
                paths[target.campaign.name], target.campaign.name,
                mine, {target.session_name: target.pattern}, now,
                (holder.host, holder.pid, holder.token))
        campaign_of = {r.schedule.session: r.campaign for r in runs}
        on_runs(runs)

        def record(event: RunEvent) -> None:
            journals[campaign_of[event.session]].record(event)
            on_event(event)

        result = await drive(states, runs, clock=clock, stop=stop,
                             max_lateness=max_lateness.total_seconds(),
                             exit_state=str(exit_state), on_event=record)
        finished = clock.now()
        for journal in journals.values():
            journal.finish(result, finished)
        return result


def burst_timeline(
    targets: Sequence[BurstTarget], now: dt.datetime, state_dir: Path
) -> list[dict[str, Any]]:
    """The timeline a run would follow (JSON values); an earlier run's progress comes from
    the local run state only: a dry run never talks to the backend."""
    sessions: list[dict[str, Any]] = []
    for target in targets:
        path = run_state_path(state_dir, target.campaign.name)
        previous = saved_sessions(load_run_state(path)).get(target.session_id)
        schedule, started_before = resumed_schedule(target, previous, now)
        sessions.append({
            "resumes_earlier_run": bool(started_before),
            "campaign": target.campaign.name,
            "session": target.session_name,
            "session_id": target.session_id,
            "window": {"start": iso_ms(target.occurrence.start),
                       "end": iso_ms(target.occurrence.end)},
            "anchor": iso_ms(schedule.anchor),
            "record_seconds": schedule.record.total_seconds(),
            "pause_seconds": schedule.pause.total_seconds(),
            "bursts": [{"index": b.index, "start": iso_ms(b.start), "stop": iso_ms(b.stop),
                        "started_earlier": b.index in started_before}
                       for b in schedule.bursts],
            "cut": schedule.cut,
        })
    return sessions


def iso_ms(moment: dt.datetime) -> str:
    """UTC ISO 8601 to the millisecond, as run reports show times."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")

