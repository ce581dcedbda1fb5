"""Apply against the real sandbox over HTTP: convergence, idempotence, ownership, safety."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from runner.compile import compile_campaigns, session_id
from runner.errors import PlanError
from runner.plan.model import PlanOptions
from runner.spec.model import Trigger

from .helpers import D405_A, D435_B, D435_LAB, NOW, UTC, camera, campaign, stream
from .support import (
    assert_no_duplicates_or_orphans,
    control_plane,
    converge,
    graphql,
    mutation_count,
    plan_for,
    rows,
)


async def test_apply_creates_then_nothing_changes_and_sends_no_mutation(sandbox) -> None:
    c = campaign(cameras=(camera(), camera(D405_A, line=12)))
    result = await converge(sandbox, [c], NOW)
    assert result.plan.counts() == (1 + 2 + 4, 0, 0)
    assert result.write_requests == 1
    data = rows(sandbox)
    assert [s["name"] for s in data["recordingSessions"]] == ["lab"]
    assert data["recordingSessions"][0]["state"] == "Scheduled"
    assert len(data["records"]) == 2 and len(data["streams"]) == 4
    before = mutation_count(sandbox)
    again = await converge(sandbox, [c], NOW)
    assert again.plan.writes.empty() and again.write_requests == 0
    assert mutation_count(sandbox) == before


async def test_read_is_one_query_and_apply_three_round_trips(sandbox) -> None:
    c = campaign(cameras=(camera(), camera(D435_B, line=12)))
    sandbox.reset()
    async with control_plane(sandbox) as cp:
        from runner.plan.apply import apply_plan, make_plan

        plan = await make_plan(cp, compile_campaigns([c], NOW), NOW, PlanOptions())
        assert cp.round_trips == 1
        await apply_plan(cp, plan)
        assert cp.round_trips == 3  # read, one write transaction, verifying read
    stats = sandbox.stats()["graphql"]
    assert stats["requests"] == 3 and stats["mutations"] == 1


async def test_update_in_place_changes_streams_without_touching_ids(sandbox) -> None:
    c = campaign()
    await converge(sandbox, [c], NOW)
    first = rows(sandbox)
    changed = campaign(cameras=(camera(streams=(stream("color", bitrate=3_000_000),)),),
                       max_size=5000)
    result = await converge(sandbox, [changed], NOW)
    assert result.plan.counts() == (0, 2, 1)  # session limit + stream bitrate; depth deleted
    after = rows(sandbox)
    assert after["recordingSessions"][0]["id"] == first["recordingSessions"][0]["id"]
    assert [s["bitrate"] for s in after["streams"]] == [3_000_000]
    assert (await plan_for(sandbox, [changed], NOW)).writes.empty()


async def test_started_session_is_left_alone_and_restart_needs_flag(sandbox) -> None:
    c = campaign()
    await converge(sandbox, [c], NOW)
    sid = session_id("lab", "")
    graphql(sandbox, 'mutation($id: uuid!) { updateRecordingSession(pk_columns: {id: $id}, '
                     '_set: {state: Started}) { id } }', {"id": sid})
    assert (await plan_for(sandbox, [c], NOW)).writes.empty()  # Started is runtime, not drift
    bigger = campaign(cameras=(camera(), camera(D435_B, line=12)))
    with pytest.raises(PlanError, match="--allow-restart"):
        await converge(sandbox, [bigger], NOW)
    assert len(rows(sandbox)["records"]) == 1  # refused before writing anything
    await converge(sandbox, [bigger], NOW, PlanOptions(allow_restart=True))
    data = rows(sandbox)
    assert len(data["records"]) == 2
    assert data["recordingSessions"][0]["state"] == "Scheduled"


async def test_prune_and_destroy_never_touch_neighbours_sharing_a_prefix(sandbox) -> None:
    lab = campaign("lab", recurring_days=frozenset({1, 2, 3, 4, 5}),
                   start=dt.datetime(2026, 11, 2, 8, tzinfo=UTC), hours=2)
    lab2 = campaign("lab-2", recurring_days=frozenset({1, 2, 3, 4, 5}),
                    start=dt.datetime(2026, 11, 2, 8, tzinfo=UTC), hours=2)
    await converge(sandbox, [lab, lab2], NOW)
    # Hand-made sessions that look like ours by name but were not made by the tool.
    foreign = graphql(sandbox, """mutation { insertRecordingSessions(objects: [
      {name: "lab#2026-11-24", startDate: "2026-11-24T08:00:00", endDate: "2026-11-24T10:00:00",
       mode: Storage, state: Scheduled, maxTimeSeconds: 0, maxSizeMegabytes: 0},
      {name: "lab", startDate: "2026-11-23T08:00:00", endDate: "2026-11-23T10:00:00",
       mode: Storage, state: Scheduled, maxTimeSeconds: 0, maxSizeMegabytes: 0},
      {name: "lab-extra", startDate: "2026-11-23T08:00:00", endDate: "2026-11-23T10:00:00",
       mode: Storage, state: Scheduled, maxTimeSeconds: 0, maxSizeMegabytes: 0}
    ]) { returning { id } } }""")["insertRecordingSessions"]["returning"]
    foreign_ids = {f["id"] for f in foreign}

    def by_id() -> dict[str, str]:
        return {s["id"]: s["name"] for s in rows(sandbox)["recordingSessions"]}

    lab2 = {i: n for i, n in by_id().items() if n.startswith("lab-2#")}
    assert len(lab2) == 10  # weekdays over the 14-day horizon
    # Mondays only now: without --prune the others stay (and are shown), with it they go.
    mondays = dataclasses.replace(lab, window=dataclasses.replace(lab.window, days=frozenset({1})))
    kept = await converge(sandbox, [mondays], NOW)
    assert kept.plan.writes.empty()
    assert any("--prune" in c.reason for c in kept.plan.changes)
    pruned = await converge(sandbox, [mondays], NOW, PlanOptions(prune=True))
    assert pruned.plan.counts()[2] == 8 * 4  # 8 sessions with 1 record and 2 streams each
    now_there = by_id()
    assert lab2.items() <= now_there.items() and foreign_ids <= set(now_there)
    ours = {n for i, n in now_there.items() if i not in foreign_ids and n.startswith("lab#")}
    assert ours == {"lab#2026-11-23", "lab#2026-11-30"}
    await converge(sandbox, [mondays], NOW, PlanOptions(destroy=True))
    left = by_id()
    assert lab2.items() <= left.items()
    assert set(left) - set(lab2) == foreign_ids  # only the neighbour's and the hand-made ones
    assert not any(s["name"] == "lab#version"
                   for s in rows(sandbox, versions=True)["recordingSessions"])
    assert_no_duplicates_or_orphans(sandbox)


async def test_missing_camera_is_an_error_with_the_file_line(sandbox) -> None:
    c = campaign(cameras=(camera(("REALSENSE_D435", "000000000000", "dev_x"), line=33),))
    with pytest.raises(PlanError, match=r"test\.yaml:33:1: camera REALSENSE_D435 000000000000"):
        await plan_for(sandbox, [c], NOW)


async def test_four_concurrent_applies_leave_exactly_one_version(sandbox) -> None:
    sandbox.faults(latency_ms=15)  # widen the read -> write window so the applies overlap
    versions = [
        campaign(cameras=(camera(streams=(stream("color", bitrate=b),)),
                          camera(D435_LAB, streams=(stream("color", bitrate=b),), line=12)),
                 recurring_days=frozenset({1, 2, 3, 4, 5}),
                 start=dt.datetime(2026, 11, 2, 8, tzinfo=UTC), hours=2)
        for b in (1_000_000, 2_000_000, 3_000_000, 4_000_000)
    ]
    results = await asyncio.gather(*(converge(sandbox, [v], NOW) for v in versions))
    assert sum(r.write_requests for r in results) >= 1
    sandbox.faults()
    matching = [v for v in versions if (await plan_for(sandbox, [v], NOW)).writes.empty()]
    assert len(matching) == 1  # one whole version, never a mix
    bitrates = {s["bitrate"] for s in rows(sandbox)["streams"]}
    assert len(bitrates) == 1
    assert len(rows(sandbox)["recordingSessions"]) == 10
    assert_no_duplicates_or_orphans(sandbox)


async def test_standby_and_manual_triggers(sandbox) -> None:
    standby = campaign("bursty", trigger=Trigger.STANDBY)
    manual = campaign("by-hand", trigger=Trigger.MANUAL, cameras=(camera(D435_B),))
    await converge(sandbox, [standby, manual], NOW)
    states = {s["name"]: s["state"] for s in rows(sandbox)["recordingSessions"]}
    assert states["bursty"] == "Standby" and states["by-hand"] == "Stopped"


async def test_record_made_by_hand_for_a_declared_camera_is_replaced(sandbox) -> None:
    c = campaign()
    await converge(sandbox, [c], NOW)
    data = rows(sandbox)
    session = data["recordingSessions"][0]["id"]
    camera_id = data["records"][0]["cameraId"]
    # Someone swaps our record for their own one of the same camera (random id).
    graphql(sandbox, 'mutation($s: uuid!, $c: uuid!) { deleteRecords(where: {recordingId: '
                     '{_eq: $s}}) { affected_rows } insertRecord(object: {recordingId: $s, '
                     'cameraId: $c}) { id } }', {"s": session, "c": camera_id})
    plan = await plan_for(sandbox, [c], NOW)
    assert [(ch.action, ch.kind) for ch in plan.effective] == [
        ("replace", "record"), ("create", "stream"), ("create", "stream")]
    assert plan.counts() == (3, 0, 1)
    await converge(sandbox, [c], NOW)
    assert (await plan_for(sandbox, [c], NOW)).writes.empty()
    assert_no_duplicates_or_orphans(sandbox)


async def test_plans_past_the_size_bound_are_chunked_and_still_converge(
    sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runner.plan.apply

    monkeypatch.setattr(runner.plan.apply, "MAX_ROWS_PER_REQUEST", 20)
    c = campaign(cameras=(camera(), camera(D435_B, line=12)),
                 recurring_days=frozenset({1, 2, 3, 4, 5}),
                 start=dt.datetime(2026, 11, 2, 8, tzinfo=UTC), hours=2)
    result = await converge(sandbox, [c], NOW)
    assert result.write_requests == 5  # 10 sessions of 7 rows: 2 per 20-row chunk
    assert len(rows(sandbox)["recordingSessions"]) == 10
    assert (await plan_for(sandbox, [c], NOW)).writes.empty()
    assert_no_duplicates_or_orphans(sandbox)


async def test_lost_compare_and_set_replans_or_fails_as_asked(sandbox) -> None:
    from runner.errors import LockError
    from runner.plan.apply import apply_plan, make_plan

    mine = campaign(cameras=(camera(streams=(stream("color", bitrate=1_000_000),)),))
    theirs = campaign(cameras=(camera(streams=(stream("color", bitrate=2_000_000),)),))
    await converge(sandbox, [mine], NOW)
    desired = compile_campaigns([theirs], NOW)
    async with control_plane(sandbox) as cp:
        stale = await make_plan(cp, desired, NOW, PlanOptions())
        # Another apply commits between our read and our write.
        other = compile_campaigns([campaign()], NOW)
        await apply_plan(cp, await make_plan(cp, other, NOW, PlanOptions()))
        with pytest.raises(PlanError, match="stale"):
            await apply_plan(cp, stale, replan=False)
        with pytest.raises(LockError, match="--lock-timeout"):
            await apply_plan(cp, stale, lock_timeout=0)
        result = await apply_plan(cp, stale, lock_timeout=30)  # re-plans, then wins
        assert result.conflicts == 1
    assert {s["bitrate"] for s in rows(sandbox)["streams"]} == {2_000_000}
    assert_no_duplicates_or_orphans(sandbox)


async def test_the_read_of_a_thousand_campaigns_is_a_query_per_chunk_of_bounded_filters(
        sandbox) -> None:
    from runner.adapters.controlplane.wire import FILTER_CHUNK
    from tests.reconcile.support import control_plane, converge

    await converge(sandbox, [campaign("c-517")], NOW)
    names = tuple(f"c-{i}" for i in range(1000))
    sandbox.reset()
    async with control_plane(sandbox) as cp:
        actual = await cp.read_state(names, ())
        assert cp.round_trips == 1000 // FILTER_CHUNK  # sent together, parsed as they come
    assert [s.name for s in actual.sessions] == ["c-517"]
    assert [c for c, _token in actual.versions] == ["c-517"]
    assert sandbox.stats()["graphql"]["requests"] == 1000 // FILTER_CHUNK
