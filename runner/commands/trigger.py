"""`campaign trigger start|stop`: switch a manual or standby campaign's session by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import click

from runner.commands._backend import backend_options, load
from runner.commands.run import Wiring
from runner.errors import CampaignError, UsageError
from runner.run.client import SessionStates
from runner.run.state import load_run_state, run_state_path, running_elsewhere
from runner.spec.model import Campaign, Trigger

# Where `stop` leaves a session: standby sessions stay ready for the next burst.
STOP_STATE = {Trigger.MANUAL: "Stopped", Trigger.STANDBY: "Standby"}


@click.command("trigger")
@click.argument("action", type=click.Choice(["start", "stop"]))
@click.argument("campaign")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--session", "session_name", metavar="NAME",
              help="The session to switch: its name (`<campaign>#<key>`) or occurrence key "
                   "(e.g. 2026-12-01). Default: the window open now, else the only one.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@backend_options
def trigger(action: str, campaign: str, paths: Sequence[str], session_name: str | None,
            output: str, sandbox: bool, insecure: bool, config_file: Path | None,
            timeout: float | None) -> int:
    """Start or stop CAMPAIGN's session by hand (campaigns in PATHS).

    For `trigger: manual` and `trigger: standby` campaigns. `start` sets the session
    Started; `stop` sets it Stopped (manual) or back to Standby (standby). Idempotent:
    starting a Started session (or stopping a stopped one) changes nothing and exits 0.

    Exit codes: 0 done or nothing to do; 1 error (session missing, backend failure,
    scheduled campaign); 2 usage error.
    """
    now = dt.datetime.now(dt.timezone.utc)
    chosen = _campaign(list(load(paths, now)), campaign)
    name, sid = _session(chosen, session_name, now)
    wanted = "Started" if action == "start" else STOP_STATE[chosen.trigger]
    wiring = Wiring.create(sandbox=sandbox, insecure=insecure, config_file=config_file,
                           timeout=timeout)
    state_path = run_state_path(wiring.state_dir, chosen.name)
    owner = running_elsewhere(load_run_state(state_path))
    if owner is not None:
        raise CampaignError(
            f"campaign {chosen.name!r} is being run by process {owner} ({state_path}); stop "
            "that run first (it puts its sessions back): switching by hand would fight it")
    before, after = asyncio.run(_switch(wiring, name, sid, wanted))
    if output == "json":
        click.echo(json.dumps({"campaign": chosen.name, "session": name, "session_id": sid,
                               "before": before, "after": after, "changed": before != after}))
    elif before == after:
        click.echo(f"{name}: already {after}; nothing to do")
    else:
        click.echo(f"{name}: {before} -> {after}")
    return 0


def _campaign(campaigns: list[Campaign], name: str) -> Campaign:
    found = next((c for c in campaigns if c.name == name), None)
    if found is None:
        known = ", ".join(sorted(c.name for c in campaigns)) or "none"
        raise UsageError(f"no campaign named {name!r} in the given files (found: {known})")
    if found.trigger not in STOP_STATE:
        raise CampaignError(
            f"{found.location}: campaign {name!r} has `trigger: {found.trigger.value}`; the "
            "platform starts and stops scheduled sessions itself. Use `trigger: manual` (or "
            "standby) to switch it by hand")
    return found


def _session(campaign: Campaign, wanted: str | None, now: dt.datetime) -> tuple[str, str]:
    """(name, id) of the session to switch, by the reconciler's naming and id rule."""
    from runner.compile import session_id, session_name
    from runner.spec.model import AbsoluteWindow
    from runner.spec.windows import all_occurrences, occurrences

    horizon = dt.timedelta(days=366)
    if isinstance(campaign.window, AbsoluteWindow):
        nearby = all_occurrences(campaign.window)  # its one session, however far away
    else:
        nearby = occurrences(campaign.window, now - horizon, now + horizon)
    names = {session_name(campaign.name, o.key): o for o in nearby}
    if wanted is not None:
        if wanted == campaign.name:
            key = ""
        elif wanted.startswith(f"{campaign.name}#"):
            key = wanted[len(campaign.name) + 1:]
        else:
            key = wanted  # the occurrence key alone
        name = session_name(campaign.name, key)
        if name not in names:
            raise UsageError(f"--session {wanted!r} is not a session of campaign "
                             f"{campaign.name!r} (within a year of now); sessions are named "
                             f"{campaign.name} or {campaign.name}#<YYYY-MM-DD>")
        return name, session_id(campaign.name, key)
    open_now = [o for o in nearby if o.start <= now < o.end]
    if len(open_now) == 1 or len(nearby) == 1:
        occurrence = (open_now or nearby)[0]
        return session_name(campaign.name, occurrence.key), session_id(campaign.name,
                                                                        occurrence.key)
    upcoming = [session_name(campaign.name, o.key) for o in nearby if o.end > now][:3]
    raise UsageError(f"campaign {campaign.name!r} has no window open now; name the session with "
                     f"--session (next: {', '.join(upcoming) or 'none'})")


async def _switch(wiring: Wiring, name: str, sid: str, wanted: str) -> tuple[str, str]:
    endpoint = wiring.endpoint()
    async with endpoint.client() as http:
        states = SessionStates(http, endpoint.url)
        rows = await states.read([sid], timeout=wiring.timeout)
        row = rows.get(sid)
        if row is None:
            raise CampaignError(f"session {name!r} does not exist on the control plane; run "
                                "`campaign apply` for its campaign first")
        if row.state == wanted:
            return row.state, row.state
        after = await states.set_state(sid, wanted, timeout=wiring.timeout)
        return row.state, after
