"""`plan`'s findings read leaves out the sessions the state read already found owned (real
HTTP against the sandbox): fewer rows, the same findings, hand-made look-alikes still seen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from runner.compile import compile_campaigns
from runner.ops.plan import cross_check
from runner.plan.apply import make_plan
from runner.plan.findings import plan_findings
from runner.plan.model import PlanOptions
from tests.reconcile.helpers import NOW, UTC, campaign
from tests.reconcile.support import control_plane, converge, graphql, warm_schema_cache

START = dt.datetime(2026, 12, 1, 8, tzinfo=UTC)


async def test_the_findings_read_skips_owned_sessions_and_finds_the_same(sandbox: Any) -> None:
    sandbox.set_clock(NOW)
    warm_schema_cache(sandbox)
    lab = campaign("lab", start=START, hours=4, recurring_days=frozenset(range(1, 8)))
    gone = campaign("gone", start=START + dt.timedelta(days=30), hours=2)
    await converge(sandbox, [lab, gone], NOW)
    camera_id = graphql(sandbox, 'query { cameras(where: {serial: {_eq: "844212070924"}}) '
                                 "{ id } }")["cameras"][0]["id"]
    # Named like lab's first session, random id, on lab's camera at the same time.
    stranger = graphql(sandbox, """mutation($c: uuid!) { insertRecordingSession(object: {
        name: "lab#2026-12-01", startDate: "2026-12-01T08:00:00", endDate: "2026-12-01T09:00:00",
        mode: Storage, state: Stopped, maxTimeSeconds: 0, maxSizeMegabytes: 0,
        records: {data: [{cameraId: $c}]}}) { id } }""",
                       {"c": camera_id})["insertRecordingSession"]["id"]

    campaigns = [lab]  # `gone` is no longer given: its session is an orphan
    desired = compile_campaigns(campaigns, NOW)
    async with control_plane(sandbox) as cp:
        plan = await make_plan(cp, desired, NOW, PlanOptions())
        start = min(s.start for s in desired.sessions)
        end = max(s.end for s in desired.sessions)
        everything = await cp.read_neighbours(desired.cameras, start, end)
        skipping = await cp.read_neighbours_except(desired.cameras, start, end, plan.owned_ids)
        findings = await cross_check(cp, campaigns, plan)

    lab_ids = {s.id for s in desired.sessions}
    assert lab_ids <= plan.owned_ids and len(lab_ids) == 4  # Dec 1-4 in the horizon
    seen = {s.id for s in (*skipping.booked, *skipping.named)}
    assert not seen & plan.owned_ids
    assert {s.id for s in everything.booked} - {s.id for s in skipping.booked} == lab_ids
    assert stranger in {s.id for s in skipping.booked} and stranger in seen
    assert {s.name for s in skipping.named} >= {"gone", "lab#2026-12-01"}

    same = plan_findings(campaigns, plan, everything)
    assert plan_findings(campaigns, plan, skipping) == same == findings
    assert sorted(f.code for f in findings) == ["CMP611", "CMP613", "CMP614"]
