"""`campaign status PATH...`: sessions, states, windows and next transitions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from runner.commands._exit import EXIT_OK
from runner.commands._now import parse_now
from runner.commands._options import (
    backend_options,
    backends_from,
    campaign_options,
    load,
    parse_horizon,
    selector_option,
)
from runner.compile import compile_campaigns
from runner.ops.status import campaign_status


@click.command("status")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@campaign_options
@selector_option
@backend_options
def status(
    paths: tuple[str, ...], output: str, now_text: str | None, horizon: str, sandbox: bool,
    insecure: bool, config_file: Path | None, timeout: float | None,
) -> int:
    """Show the campaigns' sessions: state, window, next transition, storage used."""
    now = parse_now(now_text)
    campaigns = load(paths, now)
    desired = compile_campaigns(campaigns, now, parse_horizon(horizon))
    backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                             timeout=timeout)
    rows = asyncio.run(campaign_status(backends, campaigns, desired, now))
    if output == "json":
        click.echo(json.dumps({"now": now.isoformat(), "campaigns": rows}, indent=2))
    else:
        click.echo(render_status(rows), nl=False)
    return EXIT_OK


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
        if entry.get("open_without_session"):
            lines.append(f"  WARNING: window open now and NO SESSION: "
                         f"{', '.join(entry['open_without_session'])} (nothing is recording; "
                         "run `campaign apply` or `campaign agent`)")
        if entry.get("missed"):
            lines.append(f"  WARNING: MISSED (the window passed with no session): "
                         f"{', '.join(entry['missed'])}")
        if entry.get("horizon_note"):
            lines.append(f"  {entry['horizon_note'].removeprefix('note: ')}")
        lines.append("")
    return "\n".join(lines)
