"""The timeline for a terminal: one character cell per slice of time, a line per camera.

Colour is the caller's decision (a TTY and no NO_COLOR); `unicode=False` draws with ASCII
only, for terminals and logs that cannot show block characters.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from runner.timeline.axis import fraction, marks, wall, wall_interval
from runner.timeline.model import Bar, Row, Timeline

LABEL_MIN, LABEL_MAX, CHART_MIN = 24, 44, 20
RESET = "\x1b[0m"
TO_ASCII = str.maketrans({"→": "->", "–": "-", "…": "..."})  # punctuation outside the chart


@dataclass(frozen=True)
class Glyphs:
    """Characters for each thing a cell can show."""

    scheduled: str
    standby: str
    manual: str
    burst: str
    conflict: str
    started: str
    stopped: str
    now: str
    now_head: str
    empty: str = " "


UNICODE = Glyphs("█", "░", "▒", "┃", "!", "●", "·", "│", "▼")
ASCII = Glyphs("#", "-", "~", "|", "!", "*", ".", ":", "v")
COLOURS = {"scheduled": "32", "standby": "36", "manual": "33", "burst": "1;34",
           "conflict": "1;31", "started": "35", "stopped": "2", "now": "33"}
STATE_KIND = {"Scheduled": "scheduled", "Standby": "standby", "Stopped": "manual"}
LIVE_KIND = {"Scheduled": "scheduled", "Standby": "standby", "Started": "started",
             "Stopped": "stopped"}


def render_text(timeline: Timeline, *, width: int = 100, color: bool = False,
                unicode: bool = True) -> str:
    """The chart, then conflicts and (with --live) the live sessions, then a legend."""
    glyphs = UNICODE if unicode else ASCII
    label_width = min(LABEL_MAX, max([LABEL_MIN] + [len(r.camera) + 6 for r in timeline.rows]))
    cells = max(CHART_MIN, width - label_width - 1)
    chart = _Chart(timeline, cells, glyphs, color)
    tz = timeline.zone
    lines = [f"Timeline {wall(timeline.start, tz)} → {wall(timeline.end, tz)} "
             f"(times in {tz}); now {wall(timeline.now, tz)}"]
    if timeline.note:
        lines.append(f"note: {timeline.note}")
    lines.append("")
    if chart.now_cell is not None:
        head = f"{glyphs.now_head} now"
        at = chart.now_cell if chart.now_cell + len(head) <= cells else chart.now_cell - 4
        lines.append(" " * (label_width + at) + chart.paint(
            "now", head if at == chart.now_cell else f"now {glyphs.now_head}"))
    lines.append(" " * label_width + chart.axis())
    if not timeline.rows:
        lines.append("(no campaign declares a camera)")
    for device, campaigns in timeline.groups():
        lines.append(device or "(unknown device)")
        for campaign, rows in campaigns:
            trigger = rows[0].trigger
            name = campaign or "(sessions no given campaign owns)"
            lines.append(f"  {name}" + (f" ({trigger})" if trigger else ""))
            for row in rows:
                label = _fit(f"    {row.camera}", label_width)
                if row.trigger:
                    lines.append(label + chart.declared(row))
                if timeline.live:
                    lines.append(_fit("      live" if row.trigger else label, label_width)
                                 + chart.live(row))
    lines.append("")
    lines.extend(_conflict_lines(timeline))
    if timeline.live:
        lines.extend(_live_lines(timeline))
    lines.append(_legend(glyphs, timeline.live, chart))
    text = "\n".join(line.rstrip() for line in lines).rstrip("\n") + "\n"
    return text if unicode else text.translate(TO_ASCII)


class _Chart:
    """Maps times to cells and paints rows."""

    def __init__(self, timeline: Timeline, cells: int, glyphs: Glyphs, color: bool) -> None:
        self.timeline = timeline
        self.cells = cells
        self.glyphs = glyphs
        self.color = color
        now = fraction(timeline.start, timeline.end, timeline.now)
        self.now_cell = int(now * cells) if 0 <= now < 1 else None

    def span(self, start: dt.datetime, end: dt.datetime) -> range:
        """The cells [start, end) touches (at least one when it is inside the range)."""
        tl = self.timeline
        first = math.floor(fraction(tl.start, tl.end, start) * self.cells)
        last = math.ceil(fraction(tl.start, tl.end, end) * self.cells)
        first, last = max(first, 0), min(last, self.cells)
        if last <= first and 0 <= first < self.cells:
            last = first + 1
        return range(first, last)

    def paint(self, kind: str, text: str) -> str:
        if not self.color or kind == "empty":
            return text
        return f"\x1b[{COLOURS[kind]}m{text}{RESET}"

    def axis(self) -> str:
        cells = [" "] * self.cells
        slots = max(1, self.cells // 8)
        for mark in marks(self.timeline.start, self.timeline.end, self.timeline.zone, slots):
            col = int(fraction(self.timeline.start, self.timeline.end, mark.at) * self.cells)
            if any(c != " " for c in cells[max(0, col - 1):col + len(mark.label)]):
                continue  # no room: the previous label is too close
            for i, char in enumerate(mark.label[: self.cells - col]):
                cells[col + i] = char
        return "".join(cells).rstrip()

    def declared(self, row: Row) -> str:
        kinds = ["empty"] * self.cells
        for bar in row.bars:
            for i in self.span(bar.start, bar.end):
                kinds[i] = STATE_KIND.get(bar.state, "scheduled")
        for tick in row.ticks:
            for i in self.span(tick.start, tick.stop):
                kinds[i] = "burst"
        for start, end in row.conflicts:
            for i in self.span(start, end):
                kinds[i] = "conflict"
        return self._draw(kinds)

    def live(self, row: Row) -> str:
        kinds = ["empty"] * self.cells
        for bar in row.live:
            for i in self.span(bar.start, bar.end):
                kinds[i] = "conflict" if bar.conflict else LIVE_KIND.get(bar.state, "stopped")
        return self._draw(kinds)

    def _draw(self, kinds: list[str]) -> str:
        if self.now_cell is not None and kinds[self.now_cell] == "empty":
            kinds[self.now_cell] = "now"
        out: list[str] = []
        for kind in kinds:
            out.append(self.paint(kind, getattr(self.glyphs, kind)))
        return "".join(out).rstrip()


def _fit(text: str, width: int) -> str:
    return text[: width - 2] + "… " if len(text) >= width else text.ljust(width)


def _conflict_lines(timeline: Timeline) -> list[str]:
    if not timeline.conflicts:
        return ["No camera conflicts in this range.", ""]
    lines = [f"Camera conflicts in this range ({len(timeline.conflicts)}):"]
    for c in timeline.conflicts:
        lines.append(f"  {c.model} {c.serial}: {c.first.name} ({c.first.location}) and "
                     f"{c.second.name} ({c.second.location}) overlap "
                     f"{wall_interval(c.start, c.end, timeline.zone)}")
    return [*lines, ""]


def _live_lines(timeline: Timeline) -> list[str]:
    live: dict[str, Bar] = {}
    declared: dict[str, Bar] = {}
    for row in timeline.rows:
        live.update((b.session_id, b) for b in row.live)
        declared.update((b.session_id, b) for b in row.bars)
    lines = [f"Control-plane sessions in this range ({len(live)}):"]
    for bar in sorted(live.values(), key=lambda b: (b.start, b.session)):
        extra = "" if bar.session_id in declared else "  [not declared]"
        lines.append(f"  {bar.session}  {bar.state}  "
                     f"{wall_interval(bar.start, bar.end, timeline.zone)}{extra}")
    missing = sorted(b.session for k, b in declared.items() if k not in live)
    if missing:
        lines.append(f"  declared, not in the control plane (run `campaign apply`): "
                     f"{', '.join(missing)}")
    return [*lines, ""]


def _legend(glyphs: Glyphs, live: bool, chart: _Chart) -> str:
    items = [("scheduled", "scheduled"), ("standby", "standby"), ("manual", "manual"),
             ("burst", "bursts"), ("conflict", "conflict"), ("now", "now")]
    if live:
        items[5:5] = [("started", "live Started"), ("stopped", "live Stopped")]
    return "  ".join(f"{chart.paint(k, getattr(glyphs, k))} {label}" for k, label in items)
