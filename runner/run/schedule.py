"""Pure burst schedule: absolute deadlines of a burst pattern and where `now` falls in it.

Burst i of an occurrence starts at `anchor + i * (record + pause)` and stops `record` later.
`anchor` is the occurrence's start plus the pattern's offset, or the moment a runner began
if the window was already open (see `choose_anchor`). Everything here is a plain function of
its arguments (no clock, no I/O), so resume decisions are tested with made-up times.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from runner.spec.model import BurstPattern, Occurrence
from runner.states import SessionState


class Phase(str, enum.Enum):
    """Where a moment falls relative to a schedule."""

    BEFORE = "before"  # the first burst has not started yet
    RECORD = "record"  # inside burst `burst`'s record time
    PAUSE = "pause"  # between bursts; `burst` is the next one
    DONE = "done"  # the last burst has stopped


class Action(str, enum.Enum):
    """A transition the runner sends; the value is the session state it sets."""

    START = SessionState.STARTED.value
    STOP = SessionState.STANDBY.value


@dataclass(frozen=True)
class Burst:
    """One burst: record from `start` to `stop` (aware datetimes)."""

    index: int  # 0-based
    start: dt.datetime
    stop: dt.datetime


@dataclass(frozen=True)
class BurstSchedule:
    """Every burst of one session (one window occurrence), in order."""

    session: str  # session name, `<campaign>` or `<campaign>#<key>`
    occurrence: Occurrence
    anchor: dt.datetime
    record: dt.timedelta
    pause: dt.timedelta
    bursts: tuple[Burst, ...]
    cut: int = 0  # bursts of the pattern that do not fit before the window's end


@dataclass(frozen=True)
class Position:
    """Where `now` falls: `burst` is the burst recording (RECORD) or the next one (BEFORE/PAUSE)."""

    phase: Phase
    burst: int | None


@dataclass(frozen=True)
class Step:
    """One transition to send at `deadline`; `recovery` steps fix a state left by a crash."""

    action: Action
    burst: int
    deadline: dt.datetime
    recovery: bool = False


@dataclass(frozen=True)
class Skip:
    """A burst the runner will not record, and why (reported, never silently shifted)."""

    burst: int
    reason: str


@dataclass(frozen=True)
class ResumePlan:
    """What a runner does from `now`: the remaining steps, and bursts it will not record."""

    steps: tuple[Step, ...]
    skipped: tuple[Skip, ...]
    done: tuple[int, ...]  # bursts already recorded by an earlier run
    in_progress: int | None  # burst found Started that this run only has to stop
    started_before: tuple[int, ...] = ()  # every burst an earlier run started (never again)


def choose_anchor(
    pattern: BurstPattern, occurrence: Occurrence, now: dt.datetime
) -> dt.datetime:
    """The first burst's start: window start + offset, or `now` if that moment has passed.

    "At once if the window is open": a runner started late records the full pattern from now
    (cut at the window's end) rather than pretending the early bursts happened.
    """
    planned = occurrence.start + pattern.offset
    return max(planned, now) if now < occurrence.end else planned


def build_schedule(
    session: str, pattern: BurstPattern, occurrence: Occurrence, anchor: dt.datetime
) -> BurstSchedule:
    """Absolute start/stop times of every burst; bursts that would start at or after the
    window's end are cut, and a burst running past the end stops at the end."""
    period = pattern.record + pattern.pause
    bursts: list[Burst] = []
    for index in range(pattern.count):
        start = anchor + index * period
        if start >= occurrence.end:
            break
        bursts.append(Burst(index, start, min(start + pattern.record, occurrence.end)))
    return BurstSchedule(
        session=session,
        occurrence=occurrence,
        anchor=anchor,
        record=pattern.record,
        pause=pattern.pause,
        bursts=tuple(bursts),
        cut=pattern.count - len(bursts),
    )


def position_at(schedule: BurstSchedule, now: dt.datetime) -> Position:
    """Which burst is recording at `now`, or which comes next."""
    if not schedule.bursts or now >= schedule.bursts[-1].stop:
        return Position(Phase.DONE, None)
    if now < schedule.bursts[0].start:
        return Position(Phase.BEFORE, 0)
    for burst in schedule.bursts:
        if now < burst.start:
            return Position(Phase.PAUSE, burst.index)
        if now < burst.stop:
            return Position(Phase.RECORD, burst.index)
    raise AssertionError("unreachable: now is before the last stop")  # pragma: no cover


def resume_plan(
    schedule: BurstSchedule,
    now: dt.datetime,
    *,
    session_started: bool,
    started_bursts: Iterable[int] = (),
    max_lateness: dt.timedelta = dt.timedelta(seconds=1),
) -> ResumePlan:
    """Steps left to run from `now`, given the backend's state and the bursts an earlier run
    recorded as started. Never starts a burst twice; never shifts one.

    - A session found `Started` inside a burst's record time: that burst is in progress, keep
      its stop deadline. Found `Started` outside any burst: stop it at once (recovery).
    - A burst an earlier run started (now `Standby`, e.g. after SIGTERM): not restarted.
    - A burst whose start is more than `max_lateness` ago: skipped and reported.
    """
    started = set(started_bursts)
    position = position_at(schedule, now)
    steps: list[Step] = []
    skipped: list[Skip] = []
    done: list[int] = []
    in_progress: int | None = None

    if session_started and position.phase is not Phase.RECORD:
        # Left Started by a crash (or by hand) while no burst should record: undo it now.
        last = _last_started_before(schedule, now)
        steps.append(Step(Action.STOP, last, now, recovery=True))
        if last >= 0:
            started.add(last)

    for burst in schedule.bursts:
        if burst.stop <= now:
            if burst.index in started:
                done.append(burst.index)
            else:
                skipped.append(Skip(burst.index, "window passed while no runner was running"))
            continue
        if burst.start <= now:  # the burst that is recording right now
            if session_started:
                in_progress = burst.index
                started.add(burst.index)
                steps.append(Step(Action.STOP, burst.index, burst.stop))
            elif burst.index in started:
                skipped.append(Skip(burst.index, "interrupted earlier; not started twice"))
            elif now - burst.start > max_lateness:
                late = (now - burst.start).total_seconds()
                skipped.append(Skip(burst.index, f"would start {late:.3f}s late"))
            else:
                steps.append(Step(Action.START, burst.index, burst.start))
                steps.append(Step(Action.STOP, burst.index, burst.stop))
            continue
        if burst.index in started:  # only if the wall clock went back: still never twice
            skipped.append(Skip(burst.index, "already started by an earlier run"))
            continue
        steps.append(Step(Action.START, burst.index, burst.start))
        steps.append(Step(Action.STOP, burst.index, burst.stop))
    return ResumePlan(tuple(steps), tuple(skipped), tuple(done), in_progress,
                      tuple(sorted(started)))


def next_burst_start(schedule: BurstSchedule, now: dt.datetime) -> dt.datetime | None:
    """The start of the first burst after `now`, or None when the pattern is over."""
    return next((b.start for b in schedule.bursts if b.start > now), None)


def _last_started_before(schedule: BurstSchedule, now: dt.datetime) -> int:
    """Index of the last burst that began before `now` (-1 if none did)."""
    last = -1
    for burst in schedule.bursts:
        if burst.start <= now:
            last = burst.index
    return last
