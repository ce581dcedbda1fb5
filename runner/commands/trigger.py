"""`campaign trigger start|stop`: switch a manual or standby campaign's session by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import click

from runner.commands._exit import EXIT_OK
from runner.commands._options import backend_options, backends_from, load, selector_option
from runner.ops.trigger import choose_campaign, choose_session, trigger_session


@click.command("trigger")
@click.argument("action", type=click.Choice(["start", "stop"]))
@click.argument("campaign")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--session", "session_name", metavar="NAME",
              help="The session to switch: its name (`<campaign>#<key>`) or occurrence key "
                   "(e.g. 2026-12-01). Default: the window open now, else the only one.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@selector_option
@backend_options
def trigger(action: str, campaign: str, paths: Sequence[str], session_name: str | None,
            output: str, sandbox: bool, insecure: bool, config_file: Path | None,
            timeout: float | None) -> int:
    """Start or stop CAMPAIGN's session by hand (campaigns in PATHS).

    For `trigger: manual` and `trigger: standby` campaigns. `start` sets the session
    Started; `stop` sets it Stopped (manual) or back to Standby (standby). Idempotent:
    starting a Started session (or stopping a stopped one) changes nothing and exits 0.

    Refused while another process (`campaign run`, an agent, on any machine) holds the
    campaign's lease: stop that run first.

    Exit codes: 0 done or nothing to do; 1 error (session missing, backend failure,
    scheduled campaign, campaign driven elsewhere); 2 usage error.
    """
    now = dt.datetime.now(dt.timezone.utc)
    campaigns = load(paths, now)
    # Name errors first: they need no backend.
    choose_session(choose_campaign(campaigns, campaign), session_name, now)
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    done = asyncio.run(trigger_session(backends, campaigns, campaign, action, now,
                                       session=session_name))
    if output == "json":
        click.echo(json.dumps({"campaign": done.campaign, "session": done.session,
                               "session_id": done.session_id, "before": done.before,
                               "after": done.after, "changed": done.changed}))
    elif not done.changed:
        click.echo(f"{done.session}: already {done.after}; nothing to do")
    else:
        click.echo(f"{done.session}: {done.before} -> {done.after}")
    return EXIT_OK
