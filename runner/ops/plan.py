"""Plan: diff the campaigns against the control plane, and plan their recording rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from runner.collector import paused_gc
from runner.compile import Desired
from runner.errors import ConfigError, PlanError
from runner.ops.backends import Backends, ControlPlaneAPI
from runner.plan.apply import make_plan
from runner.plan.conflicts import NeighbourReader, SkippingNeighbourReader
from runner.plan.enums import enum_problems
from runner.plan.findings import plan_findings
from runner.plan.model import Plan, PlanOptions
from runner.recordings import RecordingPlan, plan_recordings
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign

NO_RECORDINGS_NOTE = "note: skipping the campaigns' recording rules (--no-recordings)"


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and the notes a user should see beside it."""

    plan: Plan
    notes: tuple[str, ...] = ()
    findings: tuple[Diagnostic, ...] = ()  # conflicts, bandwidth, orphans, strangers


async def plan_campaigns(
    backends: Backends, campaigns: Sequence[Campaign], desired: Desired, now: dt.datetime,
    options: PlanOptions, *, recordings: bool = True,
) -> PlanOutcome:
    """What apply would change on the control plane and (unless destroying, or not
    `recordings`) in the fleet."""
    check_fleet(backends, campaigns, recordings=recordings and not options.destroy)
    async with backends.control_plane() as cp:
        outcome = await plan_with(cp, backends, campaigns, desired, now, options,
                                  recordings=recordings)
        if options.destroy:  # removing the campaigns: their conflicts go with them
            return outcome
        findings = await cross_check(cp, campaigns, outcome.plan)
    return dataclasses.replace(outcome, findings=findings)


async def cross_check(
    cp: NeighbourReader, campaigns: Sequence[Campaign], plan: Plan
) -> tuple[Diagnostic, ...]:
    """The plan's findings: camera conflicts (with every session on the same cameras in the
    plan's span, whoever owns it), bandwidth, orphans and strangers; one more read."""
    desired = plan.desired
    starts = [s.start for s in desired.sessions]
    start = min(starts, default=plan.now)
    end = max((s.end for s in desired.sessions), default=plan.now)
    with paused_gc():
        if isinstance(cp, SkippingNeighbourReader):
            # The campaigns' own sessions were just read, and every finding skips them.
            neighbours = await cp.read_neighbours_except(desired.cameras, start, end,
                                                         plan.owned_ids)
        else:
            neighbours = await cp.read_neighbours(desired.cameras, start, end)
        return plan_findings(campaigns, plan, neighbours)


async def plan_with(
    cp: ControlPlaneAPI, backends: Backends, campaigns: Sequence[Campaign], desired: Desired,
    now: dt.datetime, options: PlanOptions, *, recordings: bool = True,
) -> PlanOutcome:
    """`plan_campaigns` on a connection that is already open (apply keeps it for writing)."""
    check_fleet(backends, campaigns, recordings=recordings and not options.destroy)
    if not options.destroy:
        problems = enum_problems(campaigns, await cp.offered_enums())
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise PlanError(problems[0] + more + "; `campaign doctor` lists what the control "
                            "plane offers")
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
