"""`campaign status PATH...`: sessions, states, windows and next transitions."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from runner.commands._backend import (
    backend_options,
    campaign_options,
    load,
    parse_horizon,
    resolve_backends,
)
from runner.commands._now import parse_now
from runner.compile import Desired, compile_campaigns
from runner.plan.model import Actual, ActualSession
from runner.run import burst_status
from runner.spec.model import Campaign


@click.command("status")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@campaign_options
@backend_options
def status(
    paths: tuple[str, ...], output: str, now_text: str | None, horizon: str, sandbox: bool,
    insecure: bool, config_file: Path | None, timeout: float | None,
) -> int:
    """Show the campaigns' sessions: state, window, next transition, storage used."""
    now = parse_now(now_text)
    campaigns = load(paths, now)
    desired = compile_campaigns(campaigns, now, parse_horizon(horizon))
    backends = resolve_backends(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                timeout=timeout)
    actual = asyncio.run(_read(backends, desired))
    rows = status_rows(campaigns, desired, actual, now, backends.state_dir)
    if output == "json":
        click.echo(json.dumps({"now": now.isoformat(), "campaigns": rows}, indent=2))
    else:
        click.echo(render_status(rows), nl=False)
    return 0


async def _read(backends: Any, desired: Desired) -> Actual:
    from runner.apply import read_actual

    async with backends.control_plane() as cp:
        return await read_actual(cp, desired)


def next_transition(session: ActualSession, now: dt.datetime) -> str:
    """What happens to the session next, as far as the control plane's state tells."""
    if session.state == "Scheduled":
        if now < session.start:
            return f"starts {session.start.isoformat()}"
        if now < session.end:
            return "starting now (window open)"
        return "window over"
    if session.state == "Started":
        return f"stops by {session.end.isoformat()}" if now < session.end else "overdue stop"
    if session.state == "Standby":
        return "bursts driven by `campaign run`" if now < session.end else "window over"
    return "finished" if session.end <= now else "stopped (manual trigger: `campaign trigger`)"


def status_rows(campaigns: tuple[Campaign, ...], desired: Desired, actual: Actual,
                now: dt.datetime, state_dir: Path) -> list[dict[str, Any]]:
    """One entry per campaign with its sessions (declared and existing)."""
    declared = {s.id for s in desired.sessions}
    out: list[dict[str, Any]] = []
    for campaign in campaigns:
        sessions = [s for s in actual.sessions if s.campaign == campaign.name]
        existing = {s.id for s in sessions}
        missing = [s.name for s in desired.sessions
                   if s.campaign == campaign.name and s.id not in existing]
        entry: dict[str, Any] = {
            "campaign": campaign.name,
            "trigger": campaign.trigger.value,
            "sessions": [
                {
                    "name": s.name, "id": s.id, "state": s.state,
                    "start": s.start.isoformat(), "end": s.end.isoformat(),
                    "next": next_transition(s, now),
                    "declared": s.id in declared,
                    "storage_bytes": s.storage_total,
                }
                for s in sorted(sessions, key=lambda s: (s.start, s.name))
            ],
            "not_applied": missing,
        }
        bursts = burst_status(campaign, now, state_dir)
        if bursts is not None:
            entry["bursts"] = {"summary": bursts.summary(), **bursts.as_dict()}
        out.append(entry)
    return out


def render_status(rows: list[dict[str, Any]]) -> str:
    """The text table of `campaign status`."""
    lines: list[str] = []
    for entry in rows:
        lines.append(f"{entry['campaign']} (trigger: {entry['trigger']})")
        if entry.get("bursts"):
            lines.append(f"  bursts: {entry['bursts']['summary']}")
        if not entry["sessions"]:
            lines.append("  no sessions in the control plane (run `campaign apply`)")
        width = max((len(s["name"]) for s in entry["sessions"]), default=0)
        for s in entry["sessions"]:
            extra = "" if s["declared"] else "  [not declared]"
            storage = (f"  {s['storage_bytes'] / 1e6:,.0f} MB" if s["storage_bytes"] else "")
            lines.append(f"  {s['name']:<{width}}  {s['state']:<9}  {s['start'][:16]} -> "
                         f"{s['end'][:16]} UTC  {s['next']}{storage}{extra}")
        if entry["not_applied"]:
            lines.append(f"  not applied yet: {', '.join(entry['not_applied'])}")
        lines.append("")
    return "\n".join(lines)
