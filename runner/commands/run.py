"""`campaign run`: drive standby campaigns' bursts (Standby <-> Started) on their schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from runner.commands._exit import EXIT_ERROR, EXIT_OK, SIGNAL_EXIT
from runner.commands._options import (
    backend_options,
    backends_from,
    lease_ttl_option,
    load,
    parse_duration_option,
    parse_lease_ttl,
    selector_option,
)
from runner.errors import UsageError
from runner.ops.run import burst_timeline, drive_bursts, iso_ms
from runner.run.driver import RunEvent, RunResult, SessionRun, SystemClock
from runner.run.prepare import BurstTarget, burst_targets
from runner.run.schedule import Action, BurstSchedule
from runner.states import SessionState
from runner.wiring import Backends, local_state_dir


@click.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--dry-run", is_flag=True,
              help="Print the burst timeline and exit without touching the backend.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Format of the timeline (--dry-run) or the final report.")
@click.option("--max-lateness", default="1s", show_default=True, metavar="DURATION",
              help="A burst whose start would be later than this is skipped and reported, "
                   "never shifted (e.g. 1s, 250ms).")
@click.option("--stop-on-exit", is_flag=True,
              help="Leave the sessions Stopped instead of Standby when the run ends or is "
                   "interrupted.")
@lease_ttl_option
@selector_option
@backend_options
def run(paths: Sequence[str], dry_run: bool, output: str, max_lateness: str,
        stop_on_exit: bool, lease_ttl: str, sandbox: bool, insecure: bool,
        config_file: Path | None, timeout: float | None) -> int:
    """Drive burst recording for `trigger: standby` campaigns in PATHS.

    Each campaign's session (the window open now, or the next one) is applied and put in
    Standby, then switched to Started and back at the absolute times of its burst pattern.
    Several campaigns run concurrently. One driver per campaign: the run holds each
    campaign's lease in the control plane and refuses a campaign another run or agent
    drives. SIGINT/SIGTERM put every session back to Standby (Stopped with --stop-on-exit)
    within a second, then release the leases. A restarted run resumes where the
    schedule and the session's state say it is and never starts a burst twice.

    Exit codes: 0 every burst recorded; 1 a burst was skipped, a transition failed
    or the campaign files are invalid; 2 usage error; 130/143 interrupted by
    SIGINT/SIGTERM.
    """
    lateness = parse_duration_option("--max-lateness", max_lateness)
    if lateness <= dt.timedelta(0):
        raise UsageError("--max-lateness must be positive (e.g. 1s or 250ms): every "
                         "transition is some microseconds late")
    ttl = parse_lease_ttl(lease_ttl)
    now = dt.datetime.now(dt.timezone.utc)
    campaigns = list(load(paths, now))
    targets = burst_targets(campaigns, now)
    if dry_run:
        _render_timeline(targets, now, output)
        return 0
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    schedules: dict[str, BurstSchedule] = {}
    result, signum = asyncio.run(_drive(backends, targets, lateness, stop_on_exit, output,
                                        schedules, ttl))
    _render_result(result, output, schedules)
    if signum is not None:
        return SIGNAL_EXIT.get(signum, EXIT_ERROR)
    return EXIT_OK if result.ok else EXIT_ERROR


async def _drive(backends: Backends, targets: list[BurstTarget], max_lateness: dt.timedelta,
                 stop_on_exit: bool, output: str, schedules: dict[str, BurstSchedule],
                 lease_ttl: dt.timedelta) -> tuple[RunResult, int | None]:
    """Run the bursts with SIGINT/SIGTERM wired to a clean stop; returns the signal seen
    (and fills `schedules`, by session name, for the report)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    installed: list[int] = []
    for signum in SIGNAL_EXIT:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # Windows event loops: plain handlers
            signal.signal(signum, lambda n, _frame: loop.call_soon_threadsafe(on_signal, n))

    def on_event(event: RunEvent) -> None:
        if output == "text" or event.kind in ("stuck", "failed", "lost"):
            _echo_event(event)

    try:
        result = await drive_bursts(
            backends, targets, clock=SystemClock(), stop=stop, max_lateness=max_lateness,
            exit_state=SessionState.STOPPED if stop_on_exit else SessionState.STANDBY,
            on_event=on_event, on_runs=lambda runs: _announce_all(runs, schedules),
            on_note=lambda text: click.echo(text, err=True), lease_ttl=lease_ttl)
        return result, (received[0] if received else None)
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def cut_short(schedule: BurstSchedule) -> dict[int, float]:
    """The bursts the window's end cuts short: {burst index: seconds they record}."""
    return {b.index: (b.stop - b.start).total_seconds() for b in schedule.bursts
            if b.stop - b.start < schedule.record}


def _render_timeline(targets: list[BurstTarget], now: dt.datetime, output: str) -> None:
    """The timeline a run would follow (a dry run never talks to the backend)."""
    sessions = burst_timeline(targets, now, local_state_dir())
    for entry in sessions:
        for burst in entry["bursts"]:
            length = (dt.datetime.fromisoformat(burst["stop"])
                      - dt.datetime.fromisoformat(burst["start"])).total_seconds()
            burst["cut_short"] = length < entry["record_seconds"]
            burst["record_seconds"] = length
    if output == "json":
        click.echo(json.dumps({"dry_run": True, "now": iso_ms(now), "sessions": sessions},
                              indent=2))
        return
    for entry in sessions:
        click.echo(f"{entry['session']} (campaign {entry['campaign']}): window "
                   f"{entry['window']['start']} .. {entry['window']['end']}, "
                   f"{len(entry['bursts'])} burst(s) of {entry['record_seconds']:g}s record / "
                   f"{entry['pause_seconds']:g}s pause"
                   + (", resuming an earlier run's schedule" if entry["resumes_earlier_run"]
                      else ""))
        for burst in entry["bursts"]:
            earlier = "  (started by an earlier run)" if burst["started_earlier"] else ""
            short = (f"  (cut short at the window's end: {burst['record_seconds']:g}s of "
                     f"{entry['record_seconds']:g}s)" if burst["cut_short"] else "")
            click.echo(f"  burst {burst['index'] + 1:>4}  Started {burst['start']}  "
                       f"Standby {burst['stop']}{earlier}{short}")
        if entry["cut"]:
            click.echo(f"  ({entry['cut']} burst(s) do not fit before the window ends and "
                       "will not run)")
    click.echo("dry run: nothing was sent to the backend")


def _announce_all(runs: Sequence[SessionRun], schedules: dict[str, BurstSchedule]) -> None:
    for run_ in runs:
        schedules[run_.schedule.session] = run_.schedule
        _announce(run_)


def _announce(run_: SessionRun) -> None:
    plan = run_.plan
    starts = sum(1 for s in plan.steps if s.action is Action.START)
    parts = [f"{run_.schedule.session}: {starts} burst(s) to run"]
    if plan.done:
        parts.append(f"{len(plan.done)} already recorded by an earlier run")
    if plan.in_progress is not None:
        parts.append(f"burst {plan.in_progress + 1} in progress (found Started): keeping its stop")
    if plan.skipped:
        parts.append(f"{len(plan.skipped)} skipped")
    first = next((s for s in plan.steps if s.action is Action.START), None)
    if first is not None:
        parts.append(f"next start {iso_ms(first.deadline)}")
    for burst, seconds in cut_short(run_.schedule).items():
        parts.append(f"burst {burst + 1} cut short at the window's end ({seconds:g}s of "
                     f"{run_.schedule.record.total_seconds():g}s)")
    if run_.schedule.cut:
        parts.append(f"{run_.schedule.cut} burst(s) cut: they do not fit before the window "
                     "ends")
    click.echo("; ".join(parts), err=True)
    for skip in plan.skipped:
        click.echo(f"{run_.schedule.session}: burst {skip.burst + 1} skipped: {skip.reason}",
                   err=True)


def _echo_event(event: RunEvent) -> None:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    burst = f"burst {event.burst + 1}" if event.burst >= 0 else "exit"
    loud = "WARNING: " if event.kind in ("stuck", "lost") else ""
    detail = f" ({event.detail})" if event.detail else ""
    click.echo(f"{stamp} {loud}{event.session}: {burst} {event.kind}{detail}", err=True)


def _render_result(result: RunResult, output: str,
                   schedules: dict[str, BurstSchedule] | None = None) -> None:
    if result.interrupted:
        click.echo(f"interrupted: sessions set back to {result.exit_state} "
                   f"({result.exit_seconds * 1000:.0f} ms)", err=True)
    if output == "json":
        click.echo(json.dumps(_result_json(result, schedules or {}), indent=2))
        return
    for session in result.sessions:
        schedule = (schedules or {}).get(session.session)
        total = len(session.started) + len(session.done_before)
        click.echo(f"{session.session}: {len(session.started)} burst(s) started this run"
                   + (f" ({total} in all)" if session.done_before else "")
                   + f", {len(session.skipped)} skipped, {len(session.failed)} failed"
                   + (f", final state {session.final_state}" if session.final_state else ""))
        for name, figures in (("sent", session.lateness.sent), ("ack", session.lateness.ack),
                              ("Started ack", session.lateness.start_ack)):
            if figures is not None:
                click.echo(f"  lateness {name:<11} p50 {figures.p50 * 1000:7.2f} ms  "
                           f"p99 {figures.p99 * 1000:7.2f} ms  max {figures.max * 1000:7.2f} ms"
                           f"  (n={figures.count})")
        for skip in session.skipped:
            click.echo(f"  burst {skip.burst + 1} skipped: {skip.reason}")
        if schedule is not None:
            short = cut_short(schedule)
            for burst in session.started:
                if burst in short:
                    click.echo(f"  burst {burst + 1} cut short by the window's end: "
                               f"{short[burst]:g}s of {schedule.record.total_seconds():g}s")
            if schedule.cut:
                click.echo(f"  {schedule.cut} burst(s) of the pattern cut: they do not fit "
                           "before the window ends")
        for failed in session.failed:
            click.echo(f"  burst {failed.burst + 1} {failed.state} failed after "
                       f"{failed.attempts} attempt(s): {failed.error}")
        if session.lost is not None:
            click.echo(f"  WARNING: not driven to the end: {session.lost}", err=True)
        if session.left_started:
            click.echo(f"  WARNING: {session.session} may still be Started (recording); set it "
                       f"back with `campaign trigger stop {session.campaign} --session "
                       f"{session.session} PATH`", err=True)


def _result_json(result: RunResult, schedules: dict[str, BurstSchedule]) -> dict[str, Any]:
    def cuts(session: str) -> dict[str, Any]:
        schedule = schedules.get(session)
        if schedule is None:
            return {"cut_short": [], "cut": 0}
        short = cut_short(schedule)
        return {"cut_short": [{"burst": b, "seconds": s} for b, s in short.items()],
                "cut": schedule.cut}

    return {
        "ok": result.ok,
        "interrupted": result.interrupted,
        "exit_state": result.exit_state,
        "exit_seconds": round(result.exit_seconds, 6),
        "sessions": [
            {
                "campaign": s.campaign,
                "session": s.session,
                "session_id": s.session_id,
                "started": list(s.started),
                "done_before": list(s.done_before),
                "skipped": [{"burst": k.burst, "reason": k.reason} for k in s.skipped],
                "left_started": s.left_started,
                **cuts(s.session),
                "lease_lost": s.lost,
                "final_state": s.final_state,
                "lateness": s.lateness.as_dict(),
                "transitions": [
                    {"burst": t.burst, "state": t.state, "attempts": t.attempts,
                     "sent_ms": None if t.sent is None else round(t.sent * 1000, 3),
                     "ack_ms": None if t.ack is None else round(t.ack * 1000, 3),
                     "error": t.error, "recovery": t.recovery}
                    for t in s.transitions
                ],
            }
            for s in result.sessions
        ],
    }

