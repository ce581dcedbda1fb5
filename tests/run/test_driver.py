"""The async driver against the served sandbox, with a fake clock: no sleeping, no timing.

The clock is injected; HTTP is real (loopback). Faults come from the sandbox's injection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

from runner.adapters.controlplane import Endpoint, SessionStates
from runner.run.driver import RunEvent, SessionRun, drive
from runner.run.schedule import build_schedule, resume_plan
from runner.spec.model import BurstPattern, Location, Occurrence
from tests.run.helpers import UTC, fleet_recordings, insert_standby_session, session_state

T0 = dt.datetime.now(UTC).replace(microsecond=0)


class FakeClock:
    """Monotonic and wall time that move only when the driver sleeps (plus `stalls`)."""

    spin = 0.0

    def __init__(self, stalls: dict[float, float] | None = None) -> None:
        self.t = 0.0
        # moment -> extra seconds: the sleep that reaches that moment oversleeps (a blocked
        # event loop, a suspended laptop).
        self.stalls = dict(stalls or {})

    def monotonic(self) -> float:
        return self.t

    def now(self) -> dt.datetime:
        return T0 + dt.timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        for moment in [m for m in self.stalls if m <= self.t]:
            self.t += self.stalls.pop(moment)
        await asyncio.sleep(0)


def one_run(sid: str, count: int, *, record: float = 10, pause: float = 5) -> SessionRun:
    pattern = BurstPattern(count, dt.timedelta(seconds=record), dt.timedelta(seconds=pause),
                           dt.timedelta(0), Location("t.yaml", 1, 1))
    occurrence = Occurrence("", T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1))
    schedule = build_schedule("s", pattern, occurrence, T0 + dt.timedelta(seconds=1))
    return SessionRun(schedule, sid, resume_plan(schedule, T0, session_started=False), "c")


def endpoint(sandbox: Any) -> Endpoint:
    return Endpoint(sandbox.graphql_url, {"x-hasura-admin-secret": sandbox.admin_secret})


async def run_with(sandbox: Any, runs: list[SessionRun], clock: FakeClock, **kwargs: Any) -> Any:
    async with endpoint(sandbox).client() as http:
        return await drive(SessionStates(http, sandbox.graphql_url), runs, clock=clock, **kwargs)


async def test_transitions_land_on_their_deadlines_and_stats_cover_them(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-plain", T0)
    events: list[RunEvent] = []
    result = await run_with(sandbox, [one_run(sid, 3)], FakeClock(), on_event=events.append)
    session = result.sessions[0]
    assert result.ok and session.started == (0, 1, 2)
    # Fake time stands still during HTTP, so every transition is exactly on its deadline.
    assert [(t.state, t.deadline_offset, t.sent) for t in session.transitions] == [
        ("Started", 1.0, 0.0), ("Standby", 11.0, 0.0), ("Started", 16.0, 0.0),
        ("Standby", 26.0, 0.0), ("Started", 31.0, 0.0), ("Standby", 41.0, 0.0)]
    assert session.lateness.start_ack is not None and session.lateness.start_ack.count == 3
    assert [(e.burst, e.kind) for e in events] == [
        (0, "started"), (0, "stopped"), (1, "started"), (1, "stopped"), (2, "started"),
        (2, "stopped")]
    assert session_state(sandbox, sid) == "Standby"


async def test_a_burst_that_would_start_too_late_is_skipped_not_shifted(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-late", T0)
    # The loop stalls 3 s while waiting for burst 2's start (deadline 16 s).
    clock = FakeClock(stalls={15.9: 3.0})
    result = await run_with(sandbox, [one_run(sid, 3)], clock, max_lateness=1.0)
    session = result.sessions[0]
    assert session.started == (0, 2)
    assert [s.burst for s in session.skipped] == [1] and "late" in session.skipped[0].reason
    # Burst 3 still starts at its own deadline: nothing after the skip moved.
    assert [(t.burst, t.deadline_offset) for t in session.transitions
            if t.state == "Started"] == [(0, 1.0), (2, 31.0)]
    assert not result.ok


async def test_failed_transitions_are_retried_within_the_burst(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-retry", T0)
    sandbox.faults(error_rate=0.6, seed=11)
    result = await run_with(sandbox, [one_run(sid, 4)], FakeClock())
    sandbox.faults(error_rate=0)
    session = result.sessions[0]
    assert result.ok and session.started == (0, 1, 2, 3)
    assert sum(t.attempts for t in session.transitions) > len(session.transitions)
    assert sandbox.stats()["faults"]["error"] > 0
    assert session_state(sandbox, sid) == "Standby"


async def test_a_started_session_that_cannot_be_undone_is_reported(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-stuck", T0)
    events: list[RunEvent] = []

    def break_backend(event: RunEvent) -> None:
        events.append(event)
        if event.kind == "started":
            httpx.post(f"{sandbox.url}/sandbox/v1/faults", json={"error_rate": 1.0},
                       headers={"x-hasura-admin-secret": sandbox.admin_secret})

    result = await run_with(sandbox, [one_run(sid, 1)], FakeClock(), on_event=break_backend)
    sandbox.faults(error_rate=0)
    session = result.sessions[0]
    assert session.left_started and not result.ok
    assert session.failed[0].state == "Standby" and "HTTP 500" in (session.failed[0].error or "")
    assert any(e.kind == "stuck" for e in events)
    assert session_state(sandbox, sid) == "Started"  # the report told the truth


async def test_stop_request_puts_started_sessions_back_to_standby(sandbox: Any) -> None:
    sids = [insert_standby_session(sandbox, f"drv-stop-{i}", T0) for i in range(2)]
    stop = asyncio.Event()

    def interrupt_after_first_start(event: RunEvent) -> None:
        if event.kind == "started" and event.burst == 0:
            stop.set()

    runs = [one_run(sid, 3) for sid in sids]
    result = await run_with(sandbox, runs, FakeClock(), stop=stop,
                            on_event=interrupt_after_first_start)
    assert result.interrupted and not result.ok
    assert all(session_state(sandbox, sid) == "Standby" for sid in sids)
    assert all(not s.left_started for s in result.sessions)
    assert sum(len(s.started) for s in result.sessions) >= 1
    recordings = [r for r in fleet_recordings(sandbox) if r["status"] == "recording"]
    assert recordings == []


async def test_stop_on_exit_leaves_every_driven_session_stopped(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-stopped", T0)
    result = await run_with(sandbox, [one_run(sid, 1)], FakeClock(), exit_state="Stopped")
    assert result.ok and result.sessions[0].final_state == "Stopped"
    assert session_state(sandbox, sid) == "Stopped"


async def test_answers_lost_after_commit_are_retried_without_double_recordings(
    sandbox: Any,
) -> None:
    sid = insert_standby_session(sandbox, "drv-lost", T0)
    before = {r["uid"] for r in fleet_recordings(sandbox)}
    sandbox.faults(timeout_after_commit_rate=0.5, seed=5)
    result = await run_with(sandbox, [one_run(sid, 4)], FakeClock())
    sandbox.faults(timeout_after_commit_rate=0)
    session = result.sessions[0]
    assert result.ok and session.started == (0, 1, 2, 3)
    assert sum(t.attempts for t in session.transitions) > len(session.transitions)
    # A retried `Started` that had already committed does not open a second recording.
    new = [r for r in fleet_recordings(sandbox) if r["uid"] not in before]
    assert [r["status"] for r in new] == ["completed"] * 4
    assert session_state(sandbox, sid) == "Standby"
