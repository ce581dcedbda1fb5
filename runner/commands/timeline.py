"""`campaign timeline PATH...`: the campaigns' sessions, bursts and camera conflicts over time.

Parse options -> build the Timeline (runner.timeline) -> render it. Without `--live` no backend
is touched; with it, `runner.ops.timeline.live_sessions` reads the control plane.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sys
from pathlib import Path

import click

from runner.commands._now import parse_now
from runner.commands._options import (
    backend_options,
    backends_from,
    load,
    selector_option,
    use_color,
)
from runner.errors import UsageError
from runner.ops.timeline import live_sessions
from runner.spec.model import Campaign
from runner.timeline import build_timeline, default_range, display_zone
from runner.timeline.build import local_midnight

FORMATS = ("text", "svg", "html", "mermaid")


@click.command("timeline")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--from", "from_text", metavar="TIME",
              help="Start of the chart: ISO 8601 (a date or a time without offset is read in "
                   "the chart's zone). Default: today 00:00, or the declared windows' span "
                   "when nothing falls in the next 7 days.")
@click.option("--to", "to_text", metavar="TIME|DURATION",
              help="End of the chart: a time like --from (a date alone includes that day), "
                   "or a duration after the start (36h, 3d, P2W). Default: 7 days after the "
                   "start.")
@click.option("-o", "--output", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal; svg and html are self-contained files; mermaid is a "
                   "gantt for Markdown (GitHub renders it).")
@click.option("--tz", "tz_name", metavar="ZONE",
              help="Show times in this IANA zone (or UTC). Default: the zone the campaigns "
                   "name when they all name the same one, else UTC.")
@click.option("--live", is_flag=True,
              help="Also read the control plane and show its sessions and states beside the "
                   "declared ones.")
@click.option("--now", "now_text", metavar="TIMESTAMP",
              help="Draw `now` (and validate the files) as of this ISO 8601 time with offset "
                   "(default: the real clock).")
@selector_option
@backend_options
def timeline(
    paths: tuple[str, ...], from_text: str | None, to_text: str | None, output: str,
    tz_name: str | None, live: bool, now_text: str | None, sandbox: bool, insecure: bool,
    config_file: Path | None, timeout: float | None,
) -> int:
    """Draw the campaigns' windows, occurrences and bursts: a row per camera, grouped by
    fleet device and campaign, with camera conflicts and `now` marked.

    Output goes to stdout: `campaign timeline campaigns/ -o html > timeline.html`.
    """
    now = parse_now(now_text)
    campaigns = load(paths, now)
    tz = _zone(tz_name) if tz_name else display_zone(campaigns)
    start, end, note = _range(campaigns, now, tz, from_text, to_text)
    sessions = None
    if live:
        backends = backends_from(sandbox=sandbox, insecure=insecure, config_file=config_file,
                                 timeout=timeout)
        sessions = asyncio.run(live_sessions(backends, campaigns, start, end))
    chart = build_timeline(campaigns, start, end, now, tz=tz, live=sessions, note=note)
    if output == "text":
        from runner.timeline.text import render_text

        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        click.echo(render_text(chart, width=shutil.get_terminal_size((100, 24)).columns,
                               color=use_color(), unicode=_can_encode("█▼│", encoding)),
                   nl=False)
        return 0
    if output == "svg":
        from runner.timeline.svg import render_svg

        click.echo(render_svg(chart), nl=False)
    elif output == "html":
        from runner.timeline.html import render_html

        click.echo(render_html(chart), nl=False)
    else:
        from runner.timeline.mermaid import timeline_gantt

        click.echo(timeline_gantt(chart), nl=False)
    if chart.conflicts:
        count = len(chart.conflicts)
        click.echo(f"note: {count} camera conflict{'s' if count > 1 else ''} in this range, "
                   "marked in red (`-o text` lists them)", err=True)
    return 0


def _range(campaigns: tuple[Campaign, ...], now: dt.datetime, tz: str, from_text: str | None,
           to_text: str | None) -> tuple[dt.datetime, dt.datetime, str]:
    """--from/--to as aware datetimes, with the defaults and their note."""
    start, end, note = default_range(campaigns, now, tz)
    if from_text is None and to_text is None:
        return start, end, note
    span = end - start
    if from_text is not None:
        start = _time("--from", from_text, tz, now)
    if to_text is None:
        end = start + span
    else:
        duration = _duration(to_text)
        end = start + duration if duration is not None else _time("--to", to_text, tz, now)
        if duration is None and _is_date(to_text):  # `--to 2026-12-07`: through that day
            end = local_midnight(end, tz, days=1)
        if from_text is None and end <= start:
            start = end - span
    if end <= start:
        raise UsageError(f"--to ({end.isoformat()}) must be after --from ({start.isoformat()})")
    return start, end, ""


def _time(option: str, text: str, tz: str, now: dt.datetime) -> dt.datetime:
    """`now`, or an ISO 8601 date or time; without an offset it is read in the chart's zone."""
    from runner.spec.windows import fixed_offset, zone

    raw = text.strip()
    if raw == "now":
        return now
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an ISO 8601 date or time; write e.g. "
                         "2026-12-07 or 2026-12-07T08:00:00+01:00") from None
    if value.tzinfo is None:
        return fixed_offset(value.replace(tzinfo=zone(tz)))
    return value


def _is_date(text: str) -> bool:
    return len(text.strip()) == 10 and text.strip()[4] == "-"


def _duration(text: str) -> dt.timedelta | None:
    """`36h`, `3d`, `P2W` as a positive timedelta; None when the text is not a duration."""
    from runner.spec.durations import parse_duration

    raw = text.strip().lstrip("+")
    if not raw or (raw[0].isdigit() and ("-" in raw or ":" in raw or "T" in raw)):
        return None  # a date or a time
    try:
        value = parse_duration(raw)
    except ValueError:
        return None
    if value <= dt.timedelta(0):
        raise UsageError(f"--to {text!r}: a duration must be positive, e.g. 3d")
    return value


def _zone(name: str) -> str:
    from runner.spec.windows import zone

    try:
        zone(name)
    except (ValueError, KeyError, OSError):
        raise UsageError(f"--tz {name!r} is not an IANA time zone; write e.g. Europe/Oslo or "
                         "UTC") from None
    return name


def _can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
