"""`campaign destroy PATH...`: remove everything the given campaigns own."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import click

from runner.commands._backend import (
    Backends,
    backend_options,
    confirm,
    load,
    resolve_backends,
    use_color,
    write_options,
)
from runner.commands._now import parse_now
from runner.commands.plan import emit
from runner.compile import Desired, compile_campaigns
from runner.plan.model import PlanOptions


@click.command("destroy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--force", is_flag=True, help="Also delete sessions that are Started right now.")
@write_options("Destroy")
@click.option("--now", "now_text", metavar="TIMESTAMP",
              help="Validate the files as of this ISO 8601 time (default: the real clock).")
@backend_options
def destroy(
    paths: tuple[str, ...], auto_approve: bool, force: bool, lock_timeout: float, output: str,
    now_text: str | None, sandbox: bool, insecure: bool, config_file: Path | None,
    timeout: float | None,
) -> int:
    """Delete every session (with its records and streams) the campaigns in PATH own.

    Only sessions whose name and id follow the ownership rule are touched: never a
    neighbour whose name shares a prefix, never objects the tool did not create.
    """
    now = parse_now(now_text)
    campaigns = load(paths, now)
    desired = compile_campaigns(campaigns, now)
    backends = resolve_backends(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                timeout=timeout)
    options = PlanOptions(destroy=True, force=force)
    return asyncio.run(_destroy(backends, desired, now, options, auto_approve, lock_timeout,
                                output))


async def _destroy(backends: Backends, desired: Desired, now: dt.datetime, options: PlanOptions,
                   auto_approve: bool, lock_timeout: float, output: str) -> int:
    from runner.apply import apply_plan, make_plan, refuse_blocked

    async with backends.control_plane() as cp:
        plan = await make_plan(cp, desired, now, options)
        emit(plan, output)
        if plan.writes.empty():
            return 0
        refuse_blocked(plan)
        confirm("Destroy these objects?", auto_approve)
        result = await apply_plan(cp, plan, lock_timeout=lock_timeout)
    destroyed = result.plan.counts()[2]
    message = f"Destroy complete! Objects: {destroyed} destroyed."
    click.echo(click.style(message, fg="green") if use_color() else message)
    return 0
