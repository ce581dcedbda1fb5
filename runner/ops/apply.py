"""Apply: campaigns or a saved plan to the control plane (one transaction), then the fleet.

The caller supplies the user interface as hooks: `show` renders the plan before anything is
written, `confirm` asks (and raises to refuse), `progress` draws the recordings' progress.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from runner.compile import Desired
from runner.errors import PlanError
from runner.ops.backends import Backends
from runner.ops.plan import plan_with
from runner.plan.apply import ApplyResult, apply_plan, make_plan, refuse_blocked
from runner.plan.model import Plan, PlanOptions
from runner.plan.saved import LoadedPlan
from runner.recordings import RecordingApplyResult, RecordingPlan, apply_recordings, check_deletions
from runner.spec.model import Campaign

Progress = Callable[[int, int], None]
ProgressFactory = Callable[[int], AbstractContextManager[Progress | None]]


@contextlib.contextmanager
def no_progress(_total: int) -> Iterator[Progress | None]:
    """The progress hook of callers that draw none."""
    yield None


@dataclass(frozen=True)
class ApplyHooks:
    """How apply talks to its user."""

    show: Callable[[Plan], None]  # the plan, before anything is written
    confirm: Callable[[str], None]  # ask; raise to refuse (PlanError, click.Abort...)
    applied: Callable[[ApplyResult], None] = lambda _result: None  # control plane written
    progress: ProgressFactory = no_progress
    notes: Callable[[str], None] = lambda _note: None


@dataclass(frozen=True)
class ApplyOutcome:
    """What apply did: `applied` is None when there was nothing to do."""

    plan: Plan
    applied: ApplyResult | None = None
    recordings: RecordingApplyResult | None = None

    @property
    def failed_recordings(self) -> int:
        """Recording changes that failed (the control-plane part is done)."""
        return len(self.recordings.failed) if self.recordings else 0


async def apply_campaigns(
    backends: Backends, campaigns: Sequence[Campaign], desired: Desired, now: dt.datetime,
    options: PlanOptions, hooks: ApplyHooks, *, allow_delete: bool = False,
    lock_timeout: float = 60.0, question: str = "Apply these changes?", recordings: bool = True,
) -> ApplyOutcome:
    """Plan, show, confirm, write the control plane in one transaction, verify, then the
    recording changes (not `recordings`: the rules are skipped, with a note)."""
    async with backends.control_plane() as cp:
        outcome = await plan_with(cp, backends, campaigns, desired, now, options,
                                  recordings=recordings)
        for note in outcome.notes:
            hooks.notes(note)
        plan = outcome.plan
        hooks.show(plan)
        if not plan.has_changes():
            return ApplyOutcome(plan)
        refuse_blocked(plan)
        if plan.recordings and not allow_delete:
            check_deletions(plan.recordings, allow_delete=False)
        hooks.confirm(question)
        result = await apply_plan(cp, plan, lock_timeout=lock_timeout)
    hooks.applied(result)
    return ApplyOutcome(result.plan, result, await _apply_fleet(backends, plan.recordings,
                                                               allow_delete, hooks))


async def apply_saved(
    backends: Backends, saved: LoadedPlan, path: Path, hooks: ApplyHooks, *,
    allow_delete: bool = False, lock_timeout: float = 60.0,
) -> ApplyOutcome:
    """Apply a saved plan: the control-plane part (refused whole if stale), then the saved
    recording changes (each one refused if the recording changed since the plan)."""
    if saved.endpoint and saved.endpoint != backends.label:
        raise PlanError(f"{path} was made against {saved.endpoint}, not {backends.label}; "
                        "make the plan again against this control plane")
    fleet_plans = saved.recordings
    if saved.recording_changes:
        # Every check that can refuse the recordings part runs before anything is written.
        _check_saved_fleet(path, saved.fleet_endpoint, saved.recording_changes, backends)
        check_deletions(fleet_plans, allow_delete=allow_delete)
    async with backends.control_plane() as cp:
        plan = await make_plan(cp, saved.desired, saved.now, saved.options)
        if plan.fingerprint != saved.fingerprint:
            raise PlanError(f"{path} is stale: the control plane changed since the plan was "
                            "made; run `campaign plan --out` again and review it")
        plan = dataclasses.replace(plan, recordings=fleet_plans)
        hooks.show(plan)
        if not plan.has_changes():
            return ApplyOutcome(plan)
        hooks.confirm("Apply this saved plan?")
        result = await apply_plan(cp, plan, lock_timeout=lock_timeout, replan=False)
    hooks.applied(result)
    return ApplyOutcome(result.plan, result, await _apply_fleet(backends, fleet_plans,
                                                               allow_delete, hooks))


async def destroy_campaigns(
    backends: Backends, desired: Desired, now: dt.datetime, hooks: ApplyHooks, *,
    force: bool = False, lock_timeout: float = 60.0,
) -> ApplyOutcome:
    """Delete every session (with its records and streams) the campaigns own."""
    return await apply_campaigns(backends, (), desired, now,
                                 PlanOptions(destroy=True, force=force), hooks,
                                 lock_timeout=lock_timeout, question="Destroy these objects?")


async def destroy_campaigns_by_name(
    backends: Backends, names: Sequence[str], now: dt.datetime, hooks: ApplyHooks, *,
    force: bool = False, lock_timeout: float = 60.0,
) -> ApplyOutcome:
    """`destroy_campaigns` for campaigns without their files (renamed or deleted): every
    session the ownership rule gives each name, version rows included."""
    desired = Desired(campaigns=tuple(dict.fromkeys(names)), sessions=(), cameras=(),
                      camera_locations={})
    return await destroy_campaigns(backends, desired, now, hooks, force=force,
                                   lock_timeout=lock_timeout)


def _check_saved_fleet(path: Path, planned_at: str, changes: int, backends: Backends) -> None:
    """Refuse a saved plan's recording changes without the fleet API they were planned on."""
    here = backends.fleet_label
    if here is None:
        raise PlanError(f"{path} changes {changes} fleet recording(s) but no fleet API is "
                        "configured; set $AVALA_BASE_URL and $AVALA_API_KEY and apply it again")
    if planned_at and planned_at != here:
        raise PlanError(f"{path} changes recordings on {planned_at}, not {here}; make the plan "
                        "again against this fleet API")


async def _apply_fleet(backends: Backends, plans: tuple[RecordingPlan, ...], allow_delete: bool,
                       hooks: ApplyHooks) -> RecordingApplyResult | None:
    if not plans:
        return None
    fleet = backends.fleet()
    if fleet is None:
        return None
    total = sum(len(plan.changes) for plan in plans)
    async with fleet:
        with hooks.progress(total) as progress:
            return await apply_recordings(plans, fleet, allow_delete=allow_delete,
                                          progress=progress)
