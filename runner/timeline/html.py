"""The timeline as one self-contained HTML page: the SVG chart inline, then conflicts and
sessions as tables. No scripts, and a Content-Security-Policy that forbids loading anything,
so the file shows the same offline, attached to a CI run or opened from a mail."""

from __future__ import annotations

from html import escape

from runner.timeline.axis import wall, wall_interval
from runner.timeline.model import Bar, Timeline
from runner.timeline.svg import Geometry, render_svg

CSP = "default-src 'none'; style-src 'unsafe-inline'"  # nothing may load
STYLE = """
body { margin: 0; padding: 16px 24px; font: 14px/1.4 "DejaVu Sans", Helvetica, Arial,
       sans-serif; color: #1f2933; background: #ffffff; }
h2 { font-size: 15px; margin: 24px 0 8px; }
.chart { overflow-x: auto; }
.chart svg { display: block; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #e4e7eb;
         vertical-align: top; }
td.conflict { color: #d32f2f; font-weight: bold; }
code { font-size: 13px; }
"""


def render_html(timeline: Timeline, geometry: Geometry | None = None) -> str:
    """A complete HTML document (UTF-8 text)."""
    tz = timeline.zone
    svg = render_svg(timeline, geometry)
    svg = svg[svg.index("<svg"):]  # inline: no XML declaration inside HTML
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>campaign timeline {escape(wall(timeline.start, tz))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<div class="chart">{svg}</div>',  # its first lines say range, zone and now
        *_conflicts(timeline),
        *_sessions(timeline),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _conflicts(timeline: Timeline) -> list[str]:
    if not timeline.conflicts:
        return ["<h2>Camera conflicts</h2>", "<p>None in this range.</p>"]
    rows = [
        f'<tr><td class="conflict">{escape(c.model)} {escape(c.serial)}</td>'
        f"<td><code>{escape(c.first.name)}</code><br>{escape(c.first.location)}</td>"
        f"<td><code>{escape(c.second.name)}</code><br>{escape(c.second.location)}</td>"
        f"<td>{escape(wall_interval(c.start, c.end, timeline.zone))}</td></tr>"
        for c in timeline.conflicts
    ]
    return [f"<h2>Camera conflicts ({len(timeline.conflicts)})</h2>",
            "<table><tr><th>Camera</th><th>Session</th><th>Session</th><th>Overlap</th></tr>",
            *rows, "</table>"]


def _sessions(timeline: Timeline) -> list[str]:
    seen: dict[tuple[str, str], tuple[Bar, list[str]]] = {}
    for row in timeline.rows:
        for bar in (*row.bars, *row.live):
            _, cameras = seen.setdefault((bar.source, bar.session_id), (bar, []))
            cameras.append(row.camera)
    rows = [
        f"<tr><td><code>{escape(bar.session)}</code></td><td>{bar.source}</td>"
        f"<td>{escape(bar.state)}</td>"
        f"<td>{escape(wall_interval(bar.start, bar.end, timeline.zone))}</td>"
        f"<td>{escape(', '.join(cameras))}</td></tr>"
        for bar, cameras in sorted(seen.values(), key=lambda v: (v[0].start, v[0].session,
                                                                 v[0].source))
    ]
    return ["<h2>Sessions</h2>",
            "<table><tr><th>Session</th><th>Source</th><th>State</th>"
            f"<th>Window ({escape(timeline.zone)})</th><th>Cameras</th></tr>",
            *rows, "</table>"]
