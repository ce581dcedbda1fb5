"""Leases against the served sandbox (real GraphQL through the real adapter), fake clocks.

Each holder has its own clock: expiry is compared with the acting process's wall time, so
"later" is simply a clock further on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from runner.adapters.controlplane import ControlPlaneLeases, SessionStates
from runner.errors import LeaseHeld, LeaseLost
from runner.run.driver import RunEvent, SessionRow, drive
from runner.run.lease import Holder, LeaseKeeper, acquire_leases, expiry, held_message
from tests.reconcile.support import control_plane
from tests.run.helpers import insert_standby_session, lease_row, session_state
from tests.run.test_driver import T0, FakeClock, endpoint, one_run

TTL = dt.timedelta(seconds=30)
A = Holder("host-a", 101, "aaaa")
B = Holder("host-b", 202, "bbbb")


def clock_at(seconds: float, stalls: dict[float, float] | None = None) -> FakeClock:
    clock = FakeClock(stalls)
    clock.t = seconds
    return clock


@contextlib.asynccontextmanager
async def store(sandbox: Any) -> AsyncIterator[ControlPlaneLeases]:
    async with control_plane(sandbox) as cp:
        yield ControlPlaneLeases(cp)


def test_expiry_is_rounded_up_to_a_second_and_the_message_is_one_line() -> None:
    now = dt.datetime(2026, 12, 1, 10, 0, 0, 400_000, tzinfo=dt.timezone.utc)
    assert expiry(now, TTL) == dt.datetime(2026, 12, 1, 10, 0, 31, tzinfo=dt.timezone.utc)
    from runner.run.lease import Lease

    lease = Lease("x", A, now, dt.datetime(2026, 12, 1, 10, 0, 30, tzinfo=dt.timezone.utc))
    assert held_message({"x": lease}) == (
        "campaign 'x' is driven by host-a:101 (lease expires 2026-12-01T10:00:30Z); stop that "
        "run first, or wait for the lease to expire")


async def test_second_holder_is_refused_until_expiry_then_takes_over(sandbox: Any) -> None:
    async with store(sandbox) as leases:
        mine = await acquire_leases(leases, ["lz"], A, clock_at(0), TTL)
        row = lease_row(sandbox, "lz")
        assert row is not None and row["state"] == "Stopped"
        assert row["name"] == "lz#lease host-a:101 aaaa"
        with pytest.raises(LeaseHeld) as refused:
            await acquire_leases(leases, ["lz"], B, clock_at(29), TTL)
        assert str(refused.value).startswith("campaign 'lz' is driven by host-a:101 (lease "
                                             "expires ")
        assert refused.value.holders == {"lz": "host-a:101"}
        # Re-acquiring our own lease is fine (a retried request whose answer was lost).
        await acquire_leases(leases, ["lz"], A, clock_at(1), TTL)
        # A dead holder: nobody renews, the lease runs out, the next driver takes it over.
        theirs = await acquire_leases(leases, ["lz"], B, clock_at(32), TTL)
        assert lease_row(sandbox, "lz")["name"].startswith("lz#lease host-b:202")  # type: ignore[index]
        assert await leases.renew(["lz"], A, expiry(T0, TTL)) == frozenset()
        await mine.release()  # releasing what is not ours any more leaves it alone
        assert lease_row(sandbox, "lz") is not None
        assert await theirs.release()
        assert lease_row(sandbox, "lz") is None


async def test_leases_are_all_or_nothing(sandbox: Any) -> None:
    async with store(sandbox) as leases:
        await acquire_leases(leases, ["l1"], A, clock_at(0), TTL)
        with pytest.raises(LeaseHeld, match="campaign 'l1' is driven by host-a:101"):
            await acquire_leases(leases, ["l1", "l2"], B, clock_at(1), TTL)
        assert await leases.leases(["l1", "l2"]) == {"l1": (await leases.leases(["l1"]))["l1"]}


class StepClock(FakeClock):
    """A fake clock whose keeper sleeps are counted; it blocks after `limit` of them."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.sleeps: list[float] = []
        self.limit = limit

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.limit:
            await asyncio.Event().wait()
        await super().sleep(seconds)


async def test_keeper_renews_every_third_of_the_ttl(sandbox: Any) -> None:
    async with store(sandbox) as leases:
        clock = StepClock(limit=3)
        keeper = await acquire_leases(leases, ["lr"], A, clock, TTL)
        task = asyncio.create_task(keeper.keep())
        while len(clock.sleeps) <= 3:
            await asyncio.sleep(0.01)
        task.cancel()
        assert clock.sleeps[:3] == [10.0, 10.0, 10.0] and clock.t == 30.0
        row = lease_row(sandbox, "lr")
        assert row is not None
        assert dt.datetime.fromisoformat(row["endDate"]).replace(tzinfo=dt.timezone.utc) == (
            expiry(T0 + dt.timedelta(seconds=30), TTL))
        assert keeper.valid("lr") and not keeper.lost


class Recorder:
    """A StateSwitch that only records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def read(self, session_ids: Sequence[str],
                   timeout: float = 10.0) -> dict[str, SessionRow]:
        return {}

    async def set_state(self, session_id: str, state: str, timeout: float = 2.0) -> str:
        self.sent.append((session_id, state))
        return state


async def test_a_stall_past_the_expiry_loses_the_lease_and_nothing_more_is_sent(
    sandbox: Any
) -> None:
    async with store(sandbox) as leases:
        lost: list[tuple[str, str]] = []
        # The first keeper sleep (to t=10) oversleeps by 40 s: the process was stopped.
        keeper = await acquire_leases(leases, ["ls"], A, clock_at(0, {10: 40}), TTL)
        await acquire_leases(leases, ["ls"], B, clock_at(31), TTL)  # meanwhile, a take-over
        await keeper.keep(lambda campaign, why: lost.append((campaign, why)))
        assert [c for c, _ in lost] == ["ls"]
        assert "now driven by host-b:202" in lost[0][1]
        switch = Recorder()
        with pytest.raises(LeaseLost, match="host-b:202"):
            await keeper.fence(switch, {"sid": "ls"}).set_state("sid", "Standby")
        assert switch.sent == []


async def test_a_stall_without_a_take_over_is_confirmed_and_goes_on(sandbox: Any) -> None:
    async with store(sandbox) as leases:
        clock = clock_at(0)
        keeper: LeaseKeeper = await acquire_leases(leases, ["lc"], A, clock, TTL)
        clock.t = 45  # past the local trust and the expiry, but nobody took the lease
        switch = Recorder()
        assert await keeper.fence(switch, {"sid": "lc"}).set_state("sid", "Started") == "Started"
        assert switch.sent == [("sid", "Started")] and keeper.valid("lc")


async def test_driver_abandons_a_session_whose_lease_was_taken_over(sandbox: Any) -> None:
    sid = insert_standby_session(sandbox, "drv-lease", T0)
    async with store(sandbox) as leases:
        clock = FakeClock()
        keeper = await acquire_leases(leases, ["drv-lease"], A, clock, TTL)
        # B takes over once A's lease expired (A never renews here: a stalled renewal task).
        await acquire_leases(leases, ["drv-lease"], B, clock_at(31), TTL)
        events: list[RunEvent] = []
        async with endpoint(sandbox).client() as http:
            states = keeper.fence(SessionStates(http, sandbox.graphql_url), {sid: "drv-lease"})
            # Bursts at 1..11, 16..26, 31..41: burst 2's stop (t=26) is past A's trust (25 s).
            result = await drive(states, [one_run(sid, 3)], clock=clock,
                                 on_event=events.append)
        session = result.sessions[0]
        assert not result.ok and session.lost is not None and "host-b:202" in session.lost
        assert session.started == (0, 1) and not session.left_started
        assert [t.state for t in session.transitions] == ["Started", "Standby", "Started"]
        assert [e.kind for e in events][-1] == "lost"
        # Nothing was sent after the loss, not even the exit's Standby: B drives it now.
        assert session_state(sandbox, sid) == "Started"


async def test_plan_prune_and_destroy_never_show_or_touch_a_held_lease(sandbox: Any) -> None:
    import dataclasses

    from runner.plan.model import PlanOptions
    from tests.reconcile.helpers import NOW, campaign
    from tests.reconcile.support import converge, plan_for

    lab = campaign("lab", recurring_days=frozenset({1, 2, 3, 4, 5}),
                   start=dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc), hours=2)
    sandbox.set_clock(NOW)  # the platform would stop Scheduled sessions in the past
    await converge(sandbox, [lab], NOW)
    async with store(sandbox) as leases:
        keeper = await acquire_leases(leases, ["lab"], A, clock_at(0), TTL)
        plan = await plan_for(sandbox, [lab], NOW)
        assert plan.writes.empty()
        assert all("lease" not in (c.address + c.reason) for c in plan.changes)
        mondays = dataclasses.replace(lab, window=dataclasses.replace(lab.window,
                                                                      days=frozenset({1})))
        pruned = await converge(sandbox, [mondays], NOW, PlanOptions(prune=True))
        assert all("lease" not in c.address for c in pruned.plan.changes)
        await converge(sandbox, [mondays], NOW, PlanOptions(destroy=True))
        row = lease_row(sandbox, "lab")
        assert row is not None and row["name"] == "lab#lease host-a:101 aaaa"
        assert await keeper.release()
        assert lease_row(sandbox, "lab") is None


async def test_an_unreachable_control_plane_gives_the_lease_up_when_its_trust_runs_out(
    sandbox: Any
) -> None:
    async with control_plane(sandbox, attempts=1) as cp:
        leases = ControlPlaneLeases(cp)
        clock = clock_at(0)
        keeper = await acquire_leases(leases, ["lu"], A, clock, TTL)
        sandbox.faults(error_rate=1.0)  # every request answers 5xx from now on
        lost: list[str] = []
        await keeper.keep(lambda _campaign, why: lost.append(why))
        sandbox.faults(error_rate=0.0)
        assert len(lost) == 1 and "could not renew the lease of campaign 'lu' in time" in lost[0]
        # Renewals were retried (every second after the first failure) until the trust ran out.
        assert 25.0 <= clock.t < 27.0 and not keeper.valid("lu")


async def test_a_holder_known_dead_is_taken_over_at_once_and_only_that_one(
    sandbox: Any
) -> None:
    async with store(sandbox) as leases:
        await acquire_leases(leases, ["ld"], A, clock_at(0), TTL)
        with pytest.raises(LeaseHeld):  # someone else "known dead" is not A
            await acquire_leases(leases, ["ld"], B, clock_at(1), TTL,
                                 dead={"ld": Holder("host-a", 101, "other")})
        await acquire_leases(leases, ["ld"], B, clock_at(1), TTL, dead={"ld": A})
        row = lease_row(sandbox, "ld")
        assert row is not None and row["name"] == "ld#lease host-b:202 bbbb"


def test_crashed_holder_is_a_running_run_whose_process_is_gone() -> None:
    import subprocess
    import sys

    from runner.run.state import crashed_holder

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(gone.stdout)
    state = {"status": "running", "pid": pid, "lease_holder": ["h", pid, "t"]}
    assert crashed_holder(state) == ("h", pid, "t")
    assert crashed_holder({**state, "status": "completed"}) is None
    import os

    alive = {"status": "running", "pid": os.getpid(), "lease_holder": ["h", os.getpid(), "t"]}
    assert crashed_holder(alive) is None
    assert crashed_holder({"status": "running", "pid": pid}) is None  # written before leases
