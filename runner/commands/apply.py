"""`campaign apply PATH...` / `campaign apply PLAN.json`: make the backends match."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from runner.commands._exit import EXIT_OK
from runner.commands._now import parse_now
from runner.commands._options import (
    backend_options,
    backends_from,
    campaign_options,
    confirm,
    load,
    parse_horizon,
    recordings_option,
    selector_option,
    write_options,
)
from runner.commands._render import emit, note, outcome, progress, recordings_summary
from runner.compile import compile_campaigns
from runner.errors import PlanError
from runner.ops.apply import ApplyHooks, ApplyOutcome, apply_campaigns, apply_saved
from runner.plan.apply import ApplyResult
from runner.plan.horizon import horizon_note
from runner.plan.model import PlanOptions
from runner.plan.saved import is_saved_plan, load_plan


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
@recordings_option
@write_options("Apply")
@campaign_options
@selector_option
@backend_options
def apply(
    paths: tuple[str, ...], auto_approve: bool, prune: bool, allow_restart: bool, force: bool,
    allow_empty: bool, allow_delete: bool, no_recordings: bool, lock_timeout: float,
    output: str,
    now_text: str | None, horizon: str, sandbox: bool, insecure: bool,
    config_file: Path | None, timeout: float | None,
) -> int:
    """Make the control plane match the campaign files (or apply a saved plan FILE).

    Shows the plan, asks for confirmation on a terminal (refuses without one unless
    --auto-approve), writes all changes in one transaction, then re-reads and verifies.
    """
    hooks = ApplyHooks(show=lambda plan: emit(plan, output),
                       confirm=lambda question: confirm(question, auto_approve),
                       applied=lambda result: _report(result, output),
                       progress=progress, notes=note)
    if len(paths) == 1 and is_saved_plan(Path(paths[0])):
        backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                 timeout=timeout)
        path = Path(paths[0])
        return _finish(asyncio.run(apply_saved(backends, load_plan(path), path, hooks,
                                               allow_delete=allow_delete,
                                               lock_timeout=lock_timeout)), output)
    now = parse_now(now_text)
    # No campaigns at all: refused below, naming --allow-empty.
    campaigns = load(paths, now, require=False, output=output)
    desired = compile_campaigns(campaigns, now, parse_horizon(horizon))
    if not campaigns and not allow_empty:
        raise PlanError(f"no campaigns found in {' '.join(paths)}; nothing to apply "
                        "(pass --allow-empty if that is intended)")
    if prune and campaigns and not desired.sessions and not allow_empty:
        raise PlanError("the campaigns declare no sessions in the horizon and --prune would "
                        "delete every session they own; pass --allow-empty if that is intended")
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    options = PlanOptions(prune=prune, allow_restart=allow_restart, force=force)
    code = _finish(asyncio.run(apply_campaigns(backends, campaigns, desired, now, options, hooks,
                                               allow_delete=allow_delete,
                                               lock_timeout=lock_timeout,
                                               recordings=not no_recordings)), output)
    horizon_end = horizon_note(campaigns, ((d.campaign, d.end) for d in desired.sessions),
                               applied=True)
    if horizon_end:
        note(horizon_end)
    return code


def _report(result: ApplyResult, output: str) -> None:
    add, change, destroy = result.plan.counts()
    conflicts = result.conflicts
    extra = f" (after {conflicts} concurrent update(s) re-planned)" if conflicts else ""
    outcome(f"Apply complete! Objects: {add} added, {change} changed, {destroy} destroyed."
            f"{extra}", output)


def _finish(done: ApplyOutcome, output: str) -> int:
    if done.recordings is not None:
        recordings_summary(done.recordings, output)
    if done.failed_recordings:
        raise PlanError(f"{done.failed_recordings} recording change(s) failed; re-run apply to "
                        "retry them (the control plane part is done)")
    return EXIT_OK
