"""`campaign plan PATH...`: show what apply would change (text, JSON or Markdown)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from runner.commands._exit import EXIT_CHANGES, EXIT_ERROR, EXIT_OK
from runner.commands._now import parse_now
from runner.commands._options import (
    backend_options,
    backends_from,
    campaign_options,
    load,
    parse_horizon,
    recordings_option,
    selector_option,
)
from runner.commands._render import emit, note
from runner.compile import compile_campaigns
from runner.ops.plan import plan_campaigns
from runner.plan.horizon import horizon_note
from runner.plan.model import PlanOptions


@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="text for people, json for tools, markdown for PR comments.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes (0: none, 1: error).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the plan (JSON) for a later `campaign apply FILE`.")
@click.option("--prune", is_flag=True,
              help="Plan deleting sessions the campaigns own but no longer declare.")
@click.option("--destroy", is_flag=True, help="Plan removing everything the campaigns own.")
@click.option("--allow-restart", is_flag=True,
              help="Plan restarting Started sessions whose change needs it.")
@click.option("--force", is_flag=True, help="Plan deleting Started sessions too.")
@recordings_option
@campaign_options
@selector_option
@backend_options
def plan(
    paths: tuple[str, ...], output: str, detailed_exitcode: bool, out_file: Path | None,
    prune: bool, destroy: bool, allow_restart: bool, force: bool, no_recordings: bool,
    now_text: str | None,
    horizon: str, sandbox: bool, insecure: bool, config_file: Path | None,
    timeout: float | None,
) -> int:
    """Show what `campaign apply` would change on the control plane (and the fleet).

    Exit code 0 on success (1 on error); with --detailed-exitcode, 2 when there are changes.
    """
    now = parse_now(now_text)
    campaigns = load(paths, now, output=output)
    desired = compile_campaigns(campaigns, now, parse_horizon(horizon))
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    options = PlanOptions(prune=prune, destroy=destroy, allow_restart=allow_restart, force=force)
    outcome = asyncio.run(plan_campaigns(backends, campaigns, desired, now, options,
                                           recordings=not no_recordings))
    for text in outcome.notes:
        note(text)
    result = outcome.plan
    emit(result, output, outcome.findings)
    horizon_end = horizon_note(campaigns, ((d.campaign, d.end) for d in desired.sessions),
                               applied=False)
    if horizon_end and not destroy:
        note(horizon_end)
    if out_file is not None:
        from runner.plan.saved import save_plan

        save_plan(result, out_file, endpoint=backends.label,
                  fleet_endpoint=backends.fleet_label if result.recordings else None)
        click.echo(f"Saved the plan to {out_file}; apply it with `campaign apply {out_file}`.",
                   err=True)
    errors = sum(d.severity == "error" for d in outcome.findings)
    if errors:
        note(f"error: {errors} camera conflict(s) (CMP610/CMP611); see the findings")
        return EXIT_ERROR
    return EXIT_CHANGES if detailed_exitcode and result.has_changes() else EXIT_OK
