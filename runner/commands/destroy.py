"""`campaign destroy PATH...`: remove everything the given campaigns own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from runner.commands._exit import EXIT_OK
from runner.commands._now import parse_now
from runner.commands._options import backend_options, backends_from, confirm, load, write_options
from runner.commands._render import emit, outcome
from runner.compile import compile_campaigns
from runner.ops.apply import ApplyHooks, destroy_campaigns


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
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    hooks = ApplyHooks(show=lambda plan: emit(plan, output),
                       confirm=lambda question: confirm(question, auto_approve))
    done = asyncio.run(destroy_campaigns(backends, desired, now, hooks, force=force,
                                         lock_timeout=lock_timeout))
    if done.applied is not None:
        outcome(f"Destroy complete! Objects: {done.applied.plan.counts()[2]} destroyed.", "text")
    return EXIT_OK
