"""The async burst driver: sends each session's transitions at their absolute deadlines.

Wall-clock deadlines are mapped once onto the monotonic clock when the run begins, so a late
transition never pushes later ones back (no accumulated drift). Each session runs as its own
task; all share one kept-alive httpx client. On a stop request (the command wires SIGINT and
SIGTERM to it) or any error, every session this run may have started is put back into
`Standby` (or `Stopped`) within about a second. The clock and sleep function are injected.
A session whose transition is refused with `LeaseLost` (another driver holds its campaign's
lease now) is abandoned: nothing more is sent to it, not even on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from runner.errors import LeaseLost, TransitionError
from runner.run.schedule import Action, BurstSchedule, ResumePlan, Skip, Step
from runner.run.stats import SessionLateness, TransitionRecord, session_lateness
from runner.states import SessionState

EXIT_BUDGET = 0.9  # seconds to put sessions back on exit (the promise is "within 1 s")
WARM_LEAD = 0.25  # refresh an idle connection this long before a deadline...
WARM_IDLE = 2.0  # ...if nothing was sent for this long (servers drop idle keep-alives)
STOP_RETRY_FLOOR = 5.0  # a failing stop is retried at least this long
# Per attempt. Never shorter than the burst: abandoning a slow `Started` and sending `Standby`
# on another connection could let the server apply them in the wrong order.
REQUEST_TIMEOUT = 2.0


@dataclass(frozen=True)
class SessionRow:
    """A recording session as the runner needs it."""

    id: str
    name: str
    state: str


class StateSwitch(Protocol):
    """What the driver needs from the control plane: read and set session states fast
    (`runner.adapters.controlplane.SessionStates` is one)."""

    async def read(
        self, session_ids: Sequence[str], timeout: float = 10.0
    ) -> dict[str, SessionRow]:
        """The current name and state of each existing session, by id."""
        ...

    async def set_state(self, session_id: str, state: str, timeout: float = 2.0) -> str:
        """Set the state; return the one the backend acknowledged (TransitionError if not)."""
        ...


class Clock(Protocol):
    """Time source for the driver. `spin` is how long before a deadline to stop sleeping and
    yield-spin instead (event-loop sleeps wake up to a millisecond late); 0 for fake clocks."""

    spin: float

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps."""

    def now(self) -> dt.datetime:
        """The aware wall-clock time."""

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` (never negative)."""


class SystemClock:
    """The real clock: time.monotonic, UTC wall time, asyncio.sleep."""

    spin = 0.002

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.timezone.utc)

    async def sleep(self, seconds: float) -> None:
        """asyncio.sleep."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class SessionRun:
    """One session to drive: its schedule, its control-plane id, and what is left to do."""

    schedule: BurstSchedule
    session_id: str
    plan: ResumePlan
    campaign: str = ""


EventKind = Literal["started", "stopped", "skipped", "failed", "stuck", "lost"]


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to a burst, as it happens (the command persists and prints)."""

    session: str
    burst: int
    kind: EventKind
    detail: str = ""


@dataclass(frozen=True)
class SessionResult:
    """How one session's run went."""

    session: str
    session_id: str
    campaign: str
    transitions: tuple[TransitionRecord, ...]
    skipped: tuple[Skip, ...]
    started: tuple[int, ...]  # bursts this run started (acknowledged)
    done_before: tuple[int, ...]  # bursts an earlier run had recorded
    left_started: bool  # the runner could not confirm the session is out of `Started`
    final_state: str | None  # the last state the backend acknowledged, if any
    lateness: SessionLateness
    lost: str | None = None  # why the run stopped driving it (its lease went elsewhere)

    @property
    def failed(self) -> tuple[TransitionRecord, ...]:
        """Transitions that did not go through."""
        return tuple(t for t in self.transitions if t.error is not None)


@dataclass(frozen=True)
class RunResult:
    """How the whole run went; `ok` is what the exit code reflects."""

    sessions: tuple[SessionResult, ...]
    interrupted: bool
    exit_state: str
    exit_seconds: float = 0.0  # how long putting sessions back took (the promise: < 1 s)

    @property
    def ok(self) -> bool:
        """No interruption, skip, failure, or session left `Started`."""
        return not self.interrupted and all(
            not s.skipped and not s.failed and not s.left_started and s.lost is None
            for s in self.sessions
        )


@dataclass
class _Session:
    run: SessionRun
    records: list[TransitionRecord] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    possibly_started: bool = False
    left_started: bool = False
    final_state: str | None = None
    # The state change on the wire, if any. Interrupting a run never cancels it: a request
    # cut off mid-flight may still be applied by the server after the exit's `Standby`.
    inflight: asyncio.Future[str] | None = None
    lost: str | None = None  # abandoned: another driver holds the campaign's lease


async def drive(
    states: StateSwitch,
    runs: Sequence[SessionRun],
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    max_lateness: float = 1.0,
    exit_state: str = SessionState.STANDBY,
    on_event: Callable[[RunEvent], None] | None = None,
) -> RunResult:
    """Run every session's remaining steps concurrently; put sessions back on exit.

    `exit_state` "Standby" returns only sessions this run may have left `Started`;
    "Stopped" sets every driven session to `Stopped` at the end (--stop-on-exit).
    """
    driver = _Driver(states, clock or SystemClock(), max_lateness, on_event)
    sessions = [_Session(run, skipped=list(run.plan.skipped),
                         possibly_started=run.plan.in_progress is not None
                         or any(s.recovery for s in run.plan.steps))
                for run in runs]
    interrupted = False
    tasks = [asyncio.create_task(driver.run_session(s)) for s in sessions]
    everything = asyncio.gather(*tasks)
    try:
        waiters: set[asyncio.Future[Any]] = {everything}
        stop_wait = asyncio.ensure_future(stop.wait()) if stop is not None else None
        if stop_wait is not None:
            waiters.add(stop_wait)
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if stop_wait is not None and stop_wait.done() and not everything.done():
            interrupted = True
        if stop_wait is not None:
            stop_wait.cancel()
        if everything.done():
            everything.result()  # re-raise a bug in a session task, after the finally below
    finally:
        everything.cancel()  # cancels every session task that is still waiting
        await asyncio.gather(everything, return_exceptions=True)
        # Shielded so a second Ctrl-C cannot abandon sessions half-way through the undo.
        began = driver.clock.monotonic()
        await asyncio.shield(driver.put_back(sessions, exit_state))
        exit_seconds = driver.clock.monotonic() - began
    return RunResult(
        sessions=tuple(
            SessionResult(
                session=s.run.schedule.session,
                session_id=s.run.session_id,
                campaign=s.run.campaign,
                transitions=tuple(s.records),
                skipped=tuple(sorted(s.skipped, key=lambda k: k.burst)),
                started=tuple(s.started),
                done_before=s.run.plan.done,
                left_started=s.left_started,
                final_state=s.final_state,
                lateness=session_lateness(s.records),
                lost=s.lost,
            )
            for s in sessions
        ),
        interrupted=interrupted,
        exit_state=exit_state,
        exit_seconds=exit_seconds,
    )


class _Driver:
    def __init__(
        self,
        states: StateSwitch,
        clock: Clock,
        max_lateness: float,
        on_event: Callable[[RunEvent], None] | None,
    ) -> None:
        self.states = states
        self.clock = clock
        self.max_lateness = max_lateness
        self.on_event = on_event
        # The one wall -> monotonic mapping of this run.
        self.mono0 = clock.monotonic()
        self.wall0 = clock.now()
        self.last_io = self.mono0

    def mono(self, moment: dt.datetime) -> float:
        return self.mono0 + (moment - self.wall0).total_seconds()

    def emit(self, session: _Session, burst: int, kind: EventKind, detail: str = "") -> None:
        if self.on_event is not None:
            self.on_event(RunEvent(session.run.schedule.session, burst, kind, detail))

    async def run_session(self, session: _Session) -> None:
        steps = session.run.plan.steps
        dropped: set[int] = set()
        for position, step in enumerate(steps):
            if step.burst in dropped:
                continue
            target = self.mono(step.deadline)
            await self.wait_until(target, session)
            if step.action is Action.START:
                late = self.clock.monotonic() - target
                if late > self.max_lateness:
                    # Skipped, not shifted: a shifted burst would overlap the schedule's others.
                    dropped.add(step.burst)
                    reason = f"would start {late:.3f}s late (max {self.max_lateness:g}s)"
                    session.skipped.append(Skip(step.burst, reason))
                    self.emit(session, step.burst, "skipped", reason)
                    continue
                give_up = self.mono(session.run.schedule.bursts[step.burst].stop)
                sent = await self.send(session, step, target, give_up)
                if session.lost is not None:
                    return
                if not sent:
                    # The stop step stays: a start that timed out may still have committed.
                    session.skipped.append(Skip(step.burst, "could not be started"))
            else:
                following = next((s for s in steps[position + 1:] if s.action is Action.START),
                                 None)
                give_up = max(target + STOP_RETRY_FLOOR,
                              self.mono(following.deadline) if following else 0.0)
                sent = await self.send(session, step, target, give_up)
                if session.lost is not None:
                    return
                if not sent:
                    session.left_started = True
                    self.emit(session, step.burst, "stuck",
                              "could not put the session back to Standby; it may be recording")

    async def wait_until(self, target: float, session: _Session) -> None:
        clock = self.clock
        warmed = False
        while True:
            now = clock.monotonic()
            remaining = target - now
            if remaining <= clock.spin:
                break
            if (not warmed and remaining > WARM_LEAD
                    and target - WARM_LEAD - self.last_io > WARM_IDLE):
                await clock.sleep(remaining - WARM_LEAD)
                await self.warm(session)
                warmed = True
                continue
            await clock.sleep(remaining - clock.spin)
        while clock.monotonic() < target:
            await asyncio.sleep(0)  # yield-spin: other sessions' tasks still run

    async def warm(self, session: _Session) -> None:
        """Re-open an idle keep-alive connection before a deadline (a cheap read)."""
        with contextlib.suppress(TransitionError):
            await self.states.read([session.run.session_id], timeout=WARM_LEAD)
        self.last_io = self.clock.monotonic()

    async def send(self, session: _Session, step: Step, target: float, give_up: float) -> bool:
        state = step.action.value
        sid = session.run.session_id
        if step.action is Action.START:
            session.possibly_started = True
        attempts = 0
        delay = 0.02
        first_sent: float | None = None
        error = ""
        while True:
            attempts += 1
            sent = self.clock.monotonic()
            first_sent = sent if first_sent is None else first_sent
            try:
                session.inflight = asyncio.ensure_future(
                    self.states.set_state(sid, state, timeout=REQUEST_TIMEOUT))
                acked = await asyncio.shield(session.inflight)
            except LeaseLost as exc:
                self.abandon(session, step.burst, str(exc))
                return False
            except TransitionError as exc:
                error = str(exc)
                if not exc.retryable or self.clock.monotonic() + delay >= give_up:
                    break
                await self.clock.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            ack = self.clock.monotonic()
            self.last_io = ack
            session.final_state = acked
            session.records.append(TransitionRecord(
                session=session.run.schedule.session, burst=step.burst, state=state,
                deadline_offset=target - self.mono0, sent=first_sent - target,
                ack=ack - target, attempts=attempts, recovery=step.recovery))
            detail = f"ack {(ack - target) * 1000:+.1f} ms"
            if step.action is Action.START:
                session.started.append(step.burst)
                self.emit(session, step.burst, "started", detail)
            else:
                session.possibly_started = False
                session.left_started = False
                self.emit(session, step.burst, "stopped", detail)
            return True
        session.records.append(TransitionRecord(
            session=session.run.schedule.session, burst=step.burst, state=state,
            deadline_offset=target - self.mono0, sent=None, ack=None, attempts=attempts,
            error=error, recovery=step.recovery))
        self.emit(session, step.burst, "failed", error)
        return False

    def abandon(self, session: _Session, burst: int, why: str) -> None:
        """Stop driving the session: its campaign's lease is someone else's now."""
        session.lost = why
        session.inflight = None
        self.emit(session, burst, "lost", f"{why}; stopped driving this session")

    async def put_back(self, sessions: Sequence[_Session], exit_state: str) -> None:
        """Set `exit_state` on every session that may be `Started` (all, for `Stopped`)."""
        for session in sessions:  # answers nobody waits for any more: retrieve, ignore
            if session.inflight is not None:
                session.inflight.add_done_callback(_ignore_outcome)
        targets = [s for s in sessions if s.lost is None
                   and (s.possibly_started or exit_state != SessionState.STANDBY)]
        if not targets:
            return
        give_up = self.clock.monotonic() + EXIT_BUDGET
        await asyncio.gather(*(self._put_back_one(s, exit_state, give_up) for s in targets))

    async def _put_back_one(self, session: _Session, state: str, give_up: float) -> None:
        if session.inflight is not None and not session.inflight.done():
            # Let the interrupted transition land first, so `state` is applied after it.
            budget = max(0.0, give_up - self.clock.monotonic() - 0.2)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(session.inflight), budget)
        delay = 0.02
        while True:
            now = self.clock.monotonic()
            try:
                session.final_state = await self.states.set_state(
                    session.run.session_id, state, timeout=max(0.05, give_up - now))
            except LeaseLost as exc:
                self.abandon(session, -1, str(exc))
                return
            except TransitionError as exc:
                if exc.retryable and self.clock.monotonic() + delay < give_up:
                    await self.clock.sleep(delay)
                    delay = min(delay * 2, 0.2)
                    continue
                session.left_started = session.possibly_started
                if session.left_started:
                    self.emit(session, -1, "stuck", f"could not set {state} on exit: {exc}")
                return
            session.possibly_started = False
            session.left_started = False
            return


def _ignore_outcome(future: asyncio.Future[str]) -> None:
    """Mark a request's outcome as seen (its exception is not news after an interrupt)."""
    if not future.cancelled():
        future.exception()
