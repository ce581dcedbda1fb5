"""Pure schedule logic with made-up times: deadlines, position, resume decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.run.schedule import (
    Action,
    Phase,
    build_schedule,
    choose_anchor,
    next_burst_start,
    position_at,
    resume_plan,
)
from runner.run.stats import percentile, summarize
from runner.spec.model import BurstPattern, Location, Occurrence

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
S = dt.timedelta(seconds=1)


def pattern(
    count: int = 5, record: float = 10, pause: float = 5, offset: float = 0
) -> BurstPattern:
    return BurstPattern(count, record * S, pause * S, offset * S, Location("c.yaml", 1, 1))


def window(hours: float = 1) -> Occurrence:
    return Occurrence("", T0, T0 + dt.timedelta(hours=hours))


def test_deadlines_are_absolute_from_the_anchor() -> None:
    schedule = build_schedule("c", pattern(offset=60), window(), T0 + 60 * S)
    starts = [(b.start - T0).total_seconds() for b in schedule.bursts]
    stops = [(b.stop - T0).total_seconds() for b in schedule.bursts]
    assert starts == [60, 75, 90, 105, 120]
    assert stops == [70, 85, 100, 115, 130]
    assert schedule.cut == 0


def test_bursts_past_the_window_end_are_cut_and_the_last_stops_at_the_end() -> None:
    occurrence = Occurrence("", T0, T0 + 32 * S)
    schedule = build_schedule("c", pattern(), occurrence, T0)
    assert [(b.start - T0).total_seconds() for b in schedule.bursts] == [0, 15, 30]
    assert schedule.bursts[-1].stop == occurrence.end
    assert schedule.cut == 2


def test_anchor_is_window_start_plus_offset_or_now_when_open() -> None:
    p = pattern(offset=30)
    occurrence = window()
    assert choose_anchor(p, occurrence, T0 - 3600 * S) == T0 + 30 * S
    assert choose_anchor(p, occurrence, T0 + 10 * S) == T0 + 30 * S
    assert choose_anchor(p, occurrence, T0 + 100 * S) == T0 + 100 * S  # open: at once
    # After the window there is nothing to start "at once": keep the planned anchor.
    assert choose_anchor(p, occurrence, T0 + 7200 * S) == T0 + 30 * S


@pytest.mark.parametrize(
    ("seconds", "phase", "burst"),
    [(-1, Phase.BEFORE, 0), (0, Phase.RECORD, 0), (9.999, Phase.RECORD, 0), (10, Phase.PAUSE, 1),
     (15, Phase.RECORD, 1), (64, Phase.RECORD, 4), (70, Phase.DONE, None), (1e6, Phase.DONE, None)],
)
def test_position_at(seconds: float, phase: Phase, burst: int | None) -> None:
    schedule = build_schedule("c", pattern(), window(), T0)
    position = position_at(schedule, T0 + seconds * S)
    assert (position.phase, position.burst) == (phase, burst)


def test_fresh_plan_is_start_stop_pairs_on_the_deadlines() -> None:
    schedule = build_schedule("c", pattern(count=3), window(), T0)
    plan = resume_plan(schedule, T0 - S, session_started=False)
    assert [(s.action, s.burst, (s.deadline - T0).total_seconds()) for s in plan.steps] == [
        (Action.START, 0, 0), (Action.STOP, 0, 10), (Action.START, 1, 15), (Action.STOP, 1, 25),
        (Action.START, 2, 30), (Action.STOP, 2, 40)]
    assert plan.skipped == () and plan.in_progress is None


def test_started_mid_burst_keeps_its_stop_deadline_and_never_restarts_it() -> None:
    schedule = build_schedule("c", pattern(count=3), window(), T0)
    plan = resume_plan(schedule, T0 + 17 * S, session_started=True, started_bursts={0, 1})
    assert plan.in_progress == 1
    assert plan.done == (0,)
    assert [(s.action, s.burst) for s in plan.steps] == [
        (Action.STOP, 1), (Action.START, 2), (Action.STOP, 2)]
    assert plan.steps[0].deadline == T0 + 25 * S
    assert plan.started_before == (0, 1)


def test_interrupted_bursts_stay_marked_started_across_restarts() -> None:
    schedule = build_schedule("c", pattern(count=3), window(), T0)
    # Run 2 found burst 1 interrupted; what it hands on still says burst 1 was started.
    plan = resume_plan(schedule, T0 + 16 * S, session_started=False, started_bursts={0, 1})
    assert plan.started_before == (0, 1) and plan.done == (0,)


def test_standby_mid_burst_that_was_started_is_not_started_again() -> None:
    # SIGTERM during burst 1 put the session back to Standby; the restart must not redo it.
    schedule = build_schedule("c", pattern(count=3), window(), T0)
    plan = resume_plan(schedule, T0 + 16 * S, session_started=False, started_bursts={0, 1})
    assert [s.burst for s in plan.skipped] == [1]
    assert "not started twice" in plan.skipped[0].reason
    assert [(s.action, s.burst) for s in plan.steps] == [(Action.START, 2), (Action.STOP, 2)]


def test_burst_not_yet_started_within_max_lateness_starts_late_beyond_is_skipped() -> None:
    schedule = build_schedule("c", pattern(count=2), window(), T0)
    within = resume_plan(schedule, T0 + 0.5 * S, session_started=False)
    assert [(s.action, s.burst) for s in within.steps][:1] == [(Action.START, 0)]
    assert within.steps[0].deadline == T0  # not shifted: the driver sends it late
    beyond = resume_plan(schedule, T0 + 2 * S, session_started=False)
    assert [s.burst for s in beyond.skipped] == [0]
    assert "late" in beyond.skipped[0].reason
    assert [(s.action, s.burst) for s in beyond.steps] == [(Action.START, 1), (Action.STOP, 1)]


def test_started_during_a_pause_is_stopped_at_once_as_recovery() -> None:
    schedule = build_schedule("c", pattern(count=3), window(), T0)
    now = T0 + 12 * S  # pause after burst 0: a crash left the session Started
    plan = resume_plan(schedule, now, session_started=True, started_bursts=set())
    first = plan.steps[0]
    assert (first.action, first.burst, first.deadline) == (Action.STOP, 0, now)
    assert first.recovery
    assert plan.done == (0,)  # it did record, just too long
    assert [(s.action, s.burst) for s in plan.steps[1:]] == [
        (Action.START, 1), (Action.STOP, 1), (Action.START, 2), (Action.STOP, 2)]


def test_bursts_missed_while_down_are_reported() -> None:
    schedule = build_schedule("c", pattern(count=4), window(), T0)
    plan = resume_plan(schedule, T0 + 32 * S, session_started=False, started_bursts={0})
    assert plan.done == (0,)
    assert [s.burst for s in plan.skipped] == [1, 2]  # 1 missed while down, 2 begun 2 s ago
    assert "no runner" in plan.skipped[0].reason and "late" in plan.skipped[1].reason
    assert [(s.action, s.burst) for s in plan.steps] == [(Action.START, 3), (Action.STOP, 3)]


def test_after_the_last_burst_nothing_is_left() -> None:
    schedule = build_schedule("c", pattern(count=2), window(), T0)
    plan = resume_plan(schedule, T0 + 100 * S, session_started=False, started_bursts={0, 1})
    assert plan.steps == () and plan.skipped == () and plan.done == (0, 1)
    assert next_burst_start(schedule, T0 + 100 * S) is None
    assert next_burst_start(schedule, T0 + 1 * S) == T0 + 15 * S


@given(
    count=st.integers(1, 50),
    record=st.floats(0.01, 100),
    pause=st.floats(0, 100),
    now=st.floats(-10, 10_000),
    started=st.booleans(),
    done=st.sets(st.integers(0, 49)),
)
def test_resume_never_starts_a_burst_twice_nor_shifts_one(
    count: int, record: float, pause: float, now: float, started: bool, done: set[int]
) -> None:
    schedule = build_schedule("c", pattern(count, record, pause), window(hours=100), T0)
    moment = T0 + now * S
    plan = resume_plan(schedule, moment, session_started=started, started_bursts=done)
    starts = [s.burst for s in plan.steps if s.action is Action.START]
    assert len(starts) == len(set(starts))
    assert not set(starts) & done
    by_index = {b.index: b for b in schedule.bursts}
    for step in plan.steps:
        if step.recovery:
            continue
        burst = by_index[step.burst]
        assert step.deadline == (burst.start if step.action is Action.START else burst.stop)
        # Every start is followed by its stop; nothing is scheduled for a past stop.
        assert burst.stop > moment
    for step in plan.steps:
        if step.action is Action.START:
            assert any(s.action is Action.STOP and s.burst == step.burst for s in plan.steps)
    # Each burst is accounted for exactly once: done, skipped, in progress or planned.
    accounted = (set(plan.done) | {s.burst for s in plan.skipped} | set(starts)
                 | ({plan.in_progress} if plan.in_progress is not None else set()))
    assert accounted == set(by_index)


def test_nearest_rank_percentiles() -> None:
    samples = [float(i) for i in range(1, 201)]
    assert percentile(samples, 50) == 100
    assert percentile(samples, 99) == 198
    assert percentile([3.0], 99) == 3.0
    figures = summarize([0.004, 0.001, 0.002])
    assert figures is not None and (figures.p50, figures.max, figures.count) == (0.002, 0.004, 3)
    assert summarize([]) is None
