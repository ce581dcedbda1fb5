"""Plan: diff the campaigns against the control plane, and plan their recording rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from runner.compile import Desired
from runner.errors import PlanError
from runner.ops.backends import Backends, ControlPlaneAPI
from runner.plan.apply import make_plan
from runner.plan.enums import enum_problems
from runner.plan.model import Plan, PlanOptions
from runner.recordings import RecordingPlan, plan_recordings
from runner.spec.model import Campaign

NO_FLEET_NOTE = ("note: campaigns declare recording rules but no fleet API is configured "
                 "($AVALA_BASE_URL, $AVALA_API_KEY); skipping them")


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and the notes a user should see beside it."""

    plan: Plan
    notes: tuple[str, ...] = ()


async def plan_campaigns(
    backends: Backends, campaigns: Sequence[Campaign], desired: Desired, now: dt.datetime,
    options: PlanOptions,
) -> PlanOutcome:
    """What apply would change on the control plane and (unless destroying) in the fleet."""
    async with backends.control_plane() as cp:
        return await plan_with(cp, backends, campaigns, desired, now, options)


async def plan_with(
    cp: ControlPlaneAPI, backends: Backends, campaigns: Sequence[Campaign], desired: Desired,
    now: dt.datetime, options: PlanOptions,
) -> PlanOutcome:
    """`plan_campaigns` on a connection that is already open (apply keeps it for writing)."""
    if not options.destroy:
        problems = enum_problems(campaigns, await cp.offered_enums())
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise PlanError(problems[0] + more + "; `campaign doctor` lists what the control "
                            "plane offers")
    plan = await make_plan(cp, desired, now, options)
    if options.destroy:
        return PlanOutcome(plan)
    return await with_recordings(backends, plan, campaigns, now)


async def with_recordings(
    backends: Backends, plan: Plan, campaigns: Sequence[Campaign], now: dt.datetime
) -> PlanOutcome:
    """The plan with the recording changes of the campaigns that declare rules."""
    plans, notes = await plan_fleet(backends, campaigns, now)
    return PlanOutcome(dataclasses.replace(plan, recordings=plans), notes)


async def plan_fleet(
    backends: Backends, campaigns: Sequence[Campaign], now: dt.datetime
) -> tuple[tuple[RecordingPlan, ...], tuple[str, ...]]:
    """Recording plans for campaigns that declare `spec.recordings`, and notes."""
    if not any(c.recordings is not None for c in campaigns):
        return (), ()
    fleet = backends.fleet()
    if fleet is None:
        return (), (NO_FLEET_NOTE,)
    async with fleet:
        return tuple(await plan_recordings(campaigns, fleet, now=now)), ()
