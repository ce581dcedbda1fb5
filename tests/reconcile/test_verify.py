"""Apply's verifying re-read (real HTTP against the sandbox): it re-reads the campaigns it
wrote, a batch of whole campaigns at a time, and still fails when the control plane does not
keep what was written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from runner.compile import compile_campaigns
from runner.errors import PlanError
from runner.plan.apply import StateStore, apply_plan, make_plan, verify_batches
from runner.plan.model import Actual, PlanOptions, Writes

from .helpers import NOW, UTC, campaign
from .support import control_plane, converge, graphql

START = dt.datetime(2026, 12, 1, 8, tzinfo=UTC)


class Recorded:
    """The real adapter, remembering which campaigns each state read asked for and running
    `after_write` (a real GraphQL call: the platform rewriting a row) after each write."""

    def __init__(self, inner: StateStore, after_write: Any = None) -> None:
        self.inner = inner
        self.reads: list[tuple[str, ...]] = []
        self.after_write = after_write

    async def read_state(self, campaigns: tuple[str, ...],
                         cameras: tuple[tuple[str, str], ...]) -> Actual:
        self.reads.append(campaigns)
        return await self.inner.read_state(campaigns, cameras)

    async def write(self, writes: Writes, *, expected: Mapping[str, int],
                    tokens: Mapping[str, int], now: dt.datetime,
                    drop_versions: bool = False) -> None:
        await self.inner.write(writes, expected=expected, tokens=tokens, now=now,
                               drop_versions=drop_versions)
        if self.after_write is not None:
            self.after_write()


def three() -> list[Any]:
    return [campaign(name, start=START + dt.timedelta(days=index), hours=2)
            for index, name in enumerate(("alpha", "beta", "gamma"))]


async def test_verify_rereads_only_the_campaigns_written(sandbox: Any) -> None:
    campaigns = three()
    await converge(sandbox, campaigns, NOW)
    campaigns[1] = dataclasses.replace(campaigns[1], session=dataclasses.replace(
        campaigns[1].session, max_size_megabytes=500))
    desired = compile_campaigns(campaigns, NOW)
    async with control_plane(sandbox) as cp:
        store = Recorded(cp)
        plan = await make_plan(store, desired, NOW, PlanOptions())
        assert [c.address for c in plan.effective] == ["beta"]
        await apply_plan(store, plan)
    assert store.reads == [("alpha", "beta", "gamma"), ("beta",)]
    async with control_plane(sandbox) as cp:
        assert (await make_plan(cp, desired, NOW, PlanOptions())).writes.empty()


async def test_verify_fails_when_the_control_plane_rewrites_a_written_session(
    sandbox: Any
) -> None:
    campaigns = three()
    desired = compile_campaigns(campaigns, NOW)
    beta = next(s.id for s in desired.sessions if s.name == "beta")

    def platform_rewrites() -> None:
        graphql(sandbox, """mutation($id: uuid!) { updateRecordingSession(
            pk_columns: {id: $id}, _set: {maxTimeSeconds: 60}) { id } }""", {"id": beta})

    async with control_plane(sandbox) as cp:
        store = Recorded(cp, platform_rewrites)
        plan = await make_plan(store, desired, NOW, PlanOptions())
        with pytest.raises(PlanError, match=r"apply did not converge: 1 change\(s\) remain "
                                            r"after writing \(update session beta"):
            await apply_plan(store, plan)
    assert store.reads[1:] == [("alpha", "beta", "gamma")]  # all three written: one batch


def test_verify_batches_are_whole_campaigns_of_about_the_bound() -> None:
    days = frozenset(range(1, 8))
    campaigns = [campaign(f"c{i}", start=START, hours=1, recurring_days=days)
                 for i in range(5)]  # 4 sessions each in the horizon
    desired = compile_campaigns(campaigns, NOW)
    batches = verify_batches(desired, {"c0", "c1", "c2", "c4"}, 8)
    assert [b.campaigns for b in batches] == [("c0", "c1"), ("c2", "c4")]
    for batch in batches:
        assert {s.campaign for s in batch.sessions} == set(batch.campaigns)
        assert len(batch.sessions) == 8 and batch.cameras == desired.cameras
    assert [b.campaigns for b in verify_batches(desired, {"c3"}, 1)] == [("c3",)]
    assert verify_batches(desired, set(), 8) == []
