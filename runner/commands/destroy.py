"""`campaign destroy PATH...` / `campaign destroy --campaign NAME`: remove everything the
given campaigns own (by name: a campaign whose file is gone, as `plan` lists orphans)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import click

from runner.commands._exit import EXIT_OK
from runner.commands._now import parse_now
from runner.commands._options import (
    backend_options,
    backends_from,
    confirm,
    load,
    selector_option,
    write_options,
)
from runner.commands._render import emit, outcome
from runner.compile import compile_campaigns
from runner.errors import UsageError
from runner.ops.apply import ApplyHooks, destroy_campaigns, destroy_campaigns_by_name


@click.command("destroy")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--campaign", "names", multiple=True, metavar="NAME",
              help="Destroy the campaign NAME without its file (renamed or deleted; `campaign "
                   "plan` lists them as orphans). Repeatable; not with PATHS.")
@click.option("--force", is_flag=True, help="Also delete sessions that are Started right now.")
@write_options("Destroy")
@click.option("--now", "now_text", metavar="TIMESTAMP",
              help="Validate the files as of this ISO 8601 time (default: the real clock).")
@selector_option
@backend_options
def destroy(
    paths: tuple[str, ...], names: tuple[str, ...], auto_approve: bool, force: bool,
    lock_timeout: float, output: str,
    now_text: str | None, sandbox: bool, insecure: bool, config_file: Path | None,
    timeout: float | None,
) -> int:
    """Delete every session (with its records and streams) the campaigns in PATH (or named
    by --campaign) own.

    Only sessions whose name and id follow the ownership rule are touched: never a
    neighbour whose name shares a prefix, never objects the tool did not create.
    """
    if bool(paths) == bool(names):
        raise UsageError("give campaign files (PATHS) or --campaign NAME, not both or neither")
    now = parse_now(now_text)
    _check_names(names)
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    hooks = ApplyHooks(show=lambda plan: emit(plan, output),
                       confirm=lambda question: confirm(question, auto_approve))
    if names:
        done = asyncio.run(destroy_campaigns_by_name(backends, names, now, hooks, force=force,
                                                     lock_timeout=lock_timeout))
    else:
        desired = compile_campaigns(load(paths, now), now)
        done = asyncio.run(destroy_campaigns(backends, desired, now, hooks, force=force,
                                             lock_timeout=lock_timeout))
    if done.applied is not None:  # None: nothing to destroy, or not confirmed
        outcome(f"Destroy complete! Objects: {done.applied.plan.counts()[2]} destroyed.", "text")
    return EXIT_OK



def _check_names(names: tuple[str, ...]) -> None:
    """--campaign names are checked like `metadata.name` (so `a#b` or `` never match)."""
    from runner.spec.schema import schema

    rule = schema()["$defs"]["metadata"]["properties"]["name"]["pattern"]
    for name in names:
        if not re.fullmatch(rule, name):
            raise UsageError(f"--campaign {name!r} is not a campaign name (lowercase letters, "
                             "digits and '-', at most 63 characters)")
