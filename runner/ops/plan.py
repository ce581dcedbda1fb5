"""Plan: diff the campaigns against the control plane, and plan their recording rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from runner.compile import Desired
from runner.errors import ConfigError
from runner.ops.backends import Backends, ControlPlaneAPI
from runner.plan.apply import make_plan
from runner.plan.model import Plan, PlanOptions
from runner.recordings import RecordingPlan, plan_recordings
from runner.spec.model import Campaign

NO_RECORDINGS_NOTE = "note: skipping the campaigns' recording rules (--no-recordings)"


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and the notes a user should see beside it."""

    plan: Plan
    notes: tuple[str, ...] = ()


async def plan_campaigns(
    backends: Backends, campaigns: Sequence[Campaign], desired: Desired, now: dt.datetime,
    options: PlanOptions, *, recordings: bool = True,
) -> PlanOutcome:
    """What apply would change on the control plane and (unless destroying, or not
    `recordings`) in the fleet."""
    check_fleet(backends, campaigns, recordings=recordings and not options.destroy)
    async with backends.control_plane() as cp:
        plan = await make_plan(cp, desired, now, options)
    if options.destroy:
        return PlanOutcome(plan)
    return await with_recordings(backends, plan, campaigns, now, recordings=recordings)


async def plan_with(
    cp: ControlPlaneAPI, backends: Backends, campaigns: Sequence[Campaign], desired: Desired,
    now: dt.datetime, options: PlanOptions, *, recordings: bool = True,
) -> PlanOutcome:
    """`plan_campaigns` on a connection that is already open (apply keeps it for writing)."""
    check_fleet(backends, campaigns, recordings=recordings and not options.destroy)
    plan = await make_plan(cp, desired, now, options)
    if options.destroy:
        return PlanOutcome(plan)
    return await with_recordings(backends, plan, campaigns, now, recordings=recordings)


async def with_recordings(
    backends: Backends, plan: Plan, campaigns: Sequence[Campaign], now: dt.datetime, *,
    recordings: bool = True,
) -> PlanOutcome:
    """The plan with the recording changes of the campaigns that declare rules."""
    plans, notes = await plan_fleet(backends, campaigns, now, recordings=recordings)
    return PlanOutcome(dataclasses.replace(plan, recordings=plans), notes)


def check_fleet(backends: Backends, campaigns: Sequence[Campaign], *, recordings: bool) -> None:
    """Refuse, before anything is read or written, campaigns whose recording rules could not
    run: a CI job without the fleet API must fail, not stay green while its rules never run.
    (The embedded sandbox always serves a fleet API, so this is a real backend's problem.)"""
    if not recordings or backends.fleet_label is not None:
        return
    ruled = [c.name for c in campaigns if c.recordings is not None]
    if ruled:
        raise ConfigError(
            f"campaign(s) {', '.join(ruled)} declare recording rules but no fleet API is "
            "configured; set $AVALA_BASE_URL and $AVALA_API_KEY, or pass --no-recordings to skip "
            "the rules")


async def plan_fleet(
    backends: Backends, campaigns: Sequence[Campaign], now: dt.datetime, *,
    recordings: bool = True,
) -> tuple[tuple[RecordingPlan, ...], tuple[str, ...]]:
    """Recording plans for campaigns that declare `spec.recordings`, and notes."""
    if not any(c.recordings is not None for c in campaigns):
        return (), ()
    if not recordings:
        return (), (NO_RECORDINGS_NOTE,)
    check_fleet(backends, campaigns, recordings=True)
    fleet = backends.fleet()
    assert fleet is not None  # check_fleet: a fleet API is configured
    async with fleet:
        return tuple(await plan_recordings(campaigns, fleet, now=now)), ()
