"""The diff's shortcuts (equal sessions and streams skip the column-by-column comparison)
must answer exactly as the comparison does, over many kinds of drift."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from runner.compile import compile_campaigns
from runner.plan import PlanOptions, plan_changes
from runner.plan.model import Actual, ActualSession, ActualStream, Plan

from .helpers import D435_B, NOW, camera, campaign, stream
from .test_compile_diff import actual_from


def _session_variants(have: ActualSession) -> list[ActualSession]:
    start = have.start
    return [
        have,
        dataclasses.replace(have, start=start + dt.timedelta(microseconds=7)),  # same text
        dataclasses.replace(have, start=start.astimezone(dt.timezone(dt.timedelta(hours=3)))),
        dataclasses.replace(have, start=start.replace(tzinfo=None)),  # naive: compared as text
        dataclasses.replace(have, end=have.end + dt.timedelta(hours=1)),
        dataclasses.replace(have, name=have.name + "x"),
        dataclasses.replace(have, mode="Streaming"),
        dataclasses.replace(have, max_time_seconds=60),
        dataclasses.replace(have, max_size_megabytes=float(have.max_size_megabytes)),
        dataclasses.replace(have, records=have.records[1:]),
        dataclasses.replace(have, records=()),
    ]


def _stream_variants(columns: dict[str, object]) -> list[dict[str, object]]:
    return [
        columns,
        dict(columns),
        {**columns, "bitrate": 7},
        {**columns, "width": float(columns["width"])},  # type: ignore[arg-type]
        {**columns, "extra": 1},  # a column the tool does not write: not compared
        {k: v for k, v in columns.items() if k != "farCut"},
    ]


def _actuals(desired_sessions: tuple, rng: random.Random) -> list[Actual]:  # type: ignore[type-arg]
    out = []
    for state in ("Scheduled", "Standby", "Started", "Stopped"):
        base = actual_from(desired_sessions, state=state)
        for _ in range(12):
            sessions = []
            for have in base.sessions:
                have = rng.choice(_session_variants(have))
                records = []
                for record in have.records:
                    streams = tuple(ActualStream(id=s.id, columns=rng.choice(
                        _stream_variants(s.columns))) for s in record.streams)
                    records.append(dataclasses.replace(record, streams=streams))
                sessions.append(dataclasses.replace(have, records=tuple(records)))
            out.append(dataclasses.replace(base, sessions=tuple(sessions)))
    return out


def _answer(plan: Plan) -> tuple[object, ...]:
    return (plan.changes, plan.writes, plan.warnings, plan.blocked, plan.fingerprint)


@pytest.mark.parametrize("options", [PlanOptions(), PlanOptions(allow_restart=True)])
def test_shortcuts_answer_as_the_full_comparison(
        options: PlanOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    declared = [
        campaign(),
        campaign(cameras=(camera(), camera(D435_B, line=12)), recurring_days=frozenset({1, 3})),
        campaign(cameras=(camera(streams=(stream("color", bitrate=2_000_000),)),)),
    ]
    compared = 0
    for spec in declared:
        desired = compile_campaigns([spec], NOW)
        original = compile_campaigns([declared[0]], NOW)
        for sessions in (desired.sessions, original.sessions):
            for actual in _actuals(sessions, rng):
                for now in (NOW, NOW + dt.timedelta(days=30)):
                    quick = plan_changes(desired, actual, now, options)
                    with monkeypatch.context() as m:
                        m.setattr("runner.plan.diff._same_columns", lambda *a: False)
                        m.setattr("runner.plan.diff._same_stream", lambda *a: False)
                        full = plan_changes(desired, actual, now, options)
                    assert _answer(quick) == _answer(full)
                    compared += 1
    assert compared > 500
