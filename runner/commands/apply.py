"""`campaign apply PATH...` / `campaign apply PLAN.json`: make the control plane match."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from runner.commands._backend import (
    Backends,
    backend_options,
    campaign_options,
    confirm,
    load,
    parse_horizon,
    plan_fleet,
    resolve_backends,
    use_color,
    write_options,
)
from runner.commands._now import parse_now
from runner.commands.plan import emit
from runner.compile import Desired, compile_campaigns
from runner.errors import PlanError
from runner.plan.model import Plan, PlanOptions
from runner.spec.model import Campaign


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--prune", is_flag=True,
              help="Delete sessions the campaigns own but no longer declare (not finished ones).")
@click.option("--allow-restart", is_flag=True,
              help="Restart Started sessions whose change needs it (stop, change, re-arm).")
@click.option("--force", is_flag=True, help="With --prune: delete Started sessions too.")
@click.option("--allow-empty", is_flag=True,
              help="Accept an empty desired set (no campaigns, or --prune with no sessions).")
@click.option("--allow-delete", is_flag=True,
              help="Let post-recording rules delete fleet recordings.")
@write_options("Apply")
@campaign_options
@backend_options
def apply(
    paths: tuple[str, ...], auto_approve: bool, prune: bool, allow_restart: bool, force: bool,
    allow_empty: bool, allow_delete: bool, lock_timeout: float, output: str,
    now_text: str | None, horizon: str, sandbox: bool, insecure: bool,
    config_file: Path | None, timeout: float | None,
) -> int:
    """Make the control plane match the campaign files (or apply a saved plan FILE).

    Shows the plan, asks for confirmation on a terminal (refuses without one unless
    --auto-approve), writes all changes in one transaction, then re-reads and verifies.
    """
    if len(paths) == 1 and _is_saved_plan(Path(paths[0])):
        backends = resolve_backends(sandbox=sandbox, insecure=insecure,
                                    config_file=config_file, timeout=timeout)
        return asyncio.run(_apply_saved(Path(paths[0]), backends, auto_approve, allow_delete,
                                        lock_timeout, output))
    now = parse_now(now_text)
    campaigns = load(paths, now)
    desired = compile_campaigns(campaigns, now, parse_horizon(horizon))
    if not campaigns and not allow_empty:
        raise PlanError(f"no campaigns found in {' '.join(paths)}; nothing to apply "
                         "(pass --allow-empty if that is intended)")
    if prune and campaigns and not desired.sessions and not allow_empty:
        raise PlanError("the campaigns declare no sessions in the horizon and --prune would "
                        "delete every session they own; pass --allow-empty if that is intended")
    backends = resolve_backends(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                timeout=timeout)
    options = PlanOptions(prune=prune, allow_restart=allow_restart, force=force)
    return asyncio.run(_apply(backends, desired, campaigns, now, options, auto_approve,
                              allow_delete, lock_timeout, output))


async def _apply(
    backends: Backends, desired: Desired, campaigns: tuple[Campaign, ...], now: dt.datetime,
    options: PlanOptions, auto_approve: bool, allow_delete: bool, lock_timeout: float,
    output: str,
) -> int:
    from runner.apply import apply_plan, make_plan, refuse_blocked

    async with backends.control_plane() as cp:
        plan = await make_plan(cp, desired, now, options)
        fleet_plans = await plan_fleet(campaigns, backends, now)
        plan = dataclasses.replace(plan, recordings=fleet_plans)
        emit(plan, output)
        if not plan.has_changes():
            return 0
        refuse_blocked(plan)
        if fleet_plans and not allow_delete:
            from runner.recordings import check_deletions

            check_deletions(fleet_plans, allow_delete=False)
        confirm("Apply these changes?", auto_approve)
        result = await apply_plan(cp, plan, lock_timeout=lock_timeout)
    _report(result.plan, result.conflicts, output)
    if fleet_plans:
        await _apply_fleet(backends, fleet_plans, allow_delete, output)
    return 0


async def _apply_saved(path: Path, backends: Backends, auto_approve: bool, allow_delete: bool,
                       lock_timeout: float, output: str) -> int:
    """Apply a saved plan: the control-plane part (refused whole if stale), then the saved
    recording changes (each one refused if the recording changed since the plan)."""
    from runner.apply import apply_plan, make_plan
    from runner.plan.saved import load_plan

    saved = load_plan(path)
    if saved.endpoint and saved.endpoint != backends.label:
        raise PlanError(f"{path} was made against {saved.endpoint}, not {backends.label}; "
                        "make the plan again against this control plane")
    fleet_plans = saved.recordings
    if saved.recording_changes:
        # Every check that can refuse the recordings part runs before anything is written.
        _check_saved_fleet(path, saved.fleet_endpoint, saved.recording_changes, backends)
        from runner.recordings import check_deletions

        check_deletions(fleet_plans, allow_delete=allow_delete)
    async with backends.control_plane() as cp:
        plan = await make_plan(cp, saved.desired, saved.now, saved.options)
        if plan.fingerprint != saved.fingerprint:
            raise PlanError(f"{path} is stale: the control plane changed since the plan was "
                            "made; run `campaign plan --out` again and review it")
        plan = dataclasses.replace(plan, recordings=fleet_plans)
        emit(plan, output)
        if not plan.has_changes():
            return 0
        confirm("Apply this saved plan?", auto_approve)
        result = await apply_plan(cp, plan, lock_timeout=lock_timeout, replan=False)
    _report(result.plan, result.conflicts, output)
    if fleet_plans:
        await _apply_fleet(backends, fleet_plans, allow_delete, output)
    return 0


def _check_saved_fleet(path: Path, planned_at: str, changes: int, backends: Backends) -> None:
    """Refuse a saved plan's recording changes without the fleet API they were planned on."""
    from runner.backends.config import redact_url

    if not backends.fleet_url or not backends.fleet_key:
        raise PlanError(f"{path} changes {changes} fleet recording(s) but no fleet API is "
                        "configured; set $AVALA_BASE_URL and $AVALA_API_KEY and apply it again")
    here = redact_url(backends.fleet_url)
    if planned_at and planned_at != here:
        raise PlanError(f"{path} changes recordings on {planned_at}, not {here}; make the plan "
                        "again against this fleet API")


def _report(plan: Plan, conflicts: int, output: str) -> None:
    add, change, destroy = plan.counts()
    note = f" (after {conflicts} concurrent update(s) re-planned)" if conflicts else ""
    message = f"Apply complete! Objects: {add} added, {change} changed, {destroy} destroyed.{note}"
    # With -o json/markdown stdout holds exactly the document; the outcome goes to stderr.
    to_stderr = output != "text"
    colour = use_color(sys.stderr if to_stderr else sys.stdout)
    click.echo(click.style(message, fg="green") if colour else message, err=to_stderr)


async def _apply_fleet(backends: Backends, plans: tuple[Any, ...], allow_delete: bool,
                       output: str) -> None:
    from runner.recordings import apply_recordings, progress_bar, render_apply_summary

    fleet = backends.fleet()
    if fleet is None:
        return
    total = sum(len(plan.changes) for plan in plans)
    async with fleet:
        with progress_bar(total, enabled=sys.stderr.isatty()) as progress:
            result = await apply_recordings(plans, fleet, allow_delete=allow_delete,
                                            progress=progress)
    to_stderr = output != "text"
    click.echo(render_apply_summary(result, color=use_color(sys.stderr if to_stderr
                                                            else sys.stdout)), err=to_stderr)
    if not result.ok:
        raise PlanError(f"{len(result.failed)} recording change(s) failed; re-run apply to "
                        "retry them (the control plane part is done)")


def _is_saved_plan(path: Path) -> bool:
    from runner.plan.saved import is_saved_plan

    return is_saved_plan(path)
