"""The timeline as a self-contained SVG: no fonts, scripts or images from anywhere else.

Geometry is fixed in CSS pixels (`Geometry`), so a page that shows the SVG at 1:1 puts every
bar where its times are: x = plot left + (t - start) / (end - start) * plot width.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from runner.timeline.axis import fraction, marks, wall, wall_interval
from runner.timeline.model import Bar, Row, Tick, Timeline

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"  # local fonts only, generic fallback
# Fills (solid, so a screenshot can find them by exact colour).
PLOT = "#f4f6f8"
GRID, GRID_MAJOR = "#dde3ea", "#b8c2cc"
DECLARED = {"Scheduled": "#2e7d32", "Standby": "#1565c0", "Stopped": "#8d6e63"}
LIVE = {"Scheduled": "#81c784", "Standby": "#64b5f6", "Started": "#ef6c00",
        "Stopped": "#9e9e9e"}
TICK = "#0b2e59"
CONFLICT = "#d32f2f"
NOW = "#f9a825"
TEXT, MUTED = "#1f2933", "#52606d"


@dataclass(frozen=True)
class Geometry:
    """Pixel layout of the chart."""

    width: int = 1200
    label_width: int = 300  # the plot starts here
    margin: int = 16
    title_height: int = 52
    axis_height: int = 24
    group_height: int = 20
    row_height: int = 28
    legend_height: int = 36
    bar_top, bar_height = 4, 12  # within a row
    live_top, live_height = 18, 6
    conflict_top, conflict_height = 24, 4

    @property
    def plot_left(self) -> float:
        return float(self.label_width)

    @property
    def plot_right(self) -> float:
        return float(self.width - self.margin)

    def x(self, timeline: Timeline, moment: dt.datetime) -> float:
        """The x of `moment`, clipped to the plot."""
        f = min(1.0, max(0.0, fraction(timeline.start, timeline.end, moment)))
        return round(self.plot_left + f * (self.plot_right - self.plot_left), 2)

    def line_x(self, timeline: Timeline, moment: dt.datetime) -> float:
        """The x of a 1 px vertical line at `moment`: a pixel's centre, so it stays crisp."""
        return math.floor(self.x(timeline, moment)) + 0.5


def render_svg(timeline: Timeline, geometry: Geometry | None = None) -> str:
    """The whole chart as an SVG document (UTF-8 text)."""
    return _Svg(timeline, geometry or Geometry()).document()


class _Svg:
    def __init__(self, timeline: Timeline, geometry: Geometry) -> None:
        self.tl = timeline
        self.g = geometry
        self.out: list[str] = []

    def document(self) -> str:
        g, tl = self.g, self.tl
        top = g.title_height + g.axis_height
        body: list[tuple[str, str, Row | None]] = []  # (kind, label, row)
        for device, campaigns in tl.groups():
            body.append(("device", device or "(unknown device)", None))
            for campaign, rows in campaigns:
                trigger = rows[0].trigger
                name = campaign or "(sessions no given campaign owns)"
                body.append(("campaign", name + (f" ({trigger})" if trigger else ""), None))
                body.extend(("row", row.camera, row) for row in rows)
        heights = [g.row_height if kind == "row" else g.group_height for kind, _, _ in body]
        plot_height = max(sum(heights), g.row_height)
        height = top + plot_height + g.legend_height
        self.out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{g.width}" height="{height}" '
            f'viewBox="0 0 {g.width} {height}" font-family={quoteattr(FONT)} font-size="12" '
            f'role="img">')
        self.out.append(f"<title>{escape(self._title())}</title>")
        self.out.append(f'<rect width="{g.width}" height="{height}" fill="#ffffff"/>')
        self._title_block()
        self.out.append(f'<rect class="plot" x="{g.plot_left}" y="{top}" '
                        f'width="{g.plot_right - g.plot_left}" height="{plot_height}" '
                        f'fill="{PLOT}"/>')
        self._grid(top, plot_height)
        y = top
        for (kind, label, row), h in zip(body, heights, strict=True):
            self._group_or_row(kind, label, row, y)
            y += h
        self._now(top, plot_height)
        self._legend(top + plot_height + 14)
        self.out.append("</svg>")
        return "\n".join(self.out) + "\n"

    def _title(self) -> str:
        tz = self.tl.zone
        return (f"campaign timeline {wall(self.tl.start, tz)} to {wall(self.tl.end, tz)} "
                f"(times in {tz})")

    def _title_block(self) -> None:
        g, tl = self.g, self.tl
        self._text(g.margin, 22, self._title(), size=15, weight="bold")
        count = len(tl.conflicts)
        parts = [f"now {wall(tl.now, tl.zone)}",
                 f"{count} camera conflict{'s' if count != 1 else ''}" if count
                 else "no camera conflicts"]
        if tl.live:
            parts.append("live: control-plane sessions under the declared ones")
        if tl.note:
            parts.append(tl.note)
        self._text(g.margin, 40, " · ".join(parts), fill=MUTED)

    def _grid(self, top: int, plot_height: int) -> None:
        g, tl = self.g, self.tl
        slots = int((g.plot_right - g.plot_left) // 70)
        for mark in marks(tl.start, tl.end, tl.zone, slots):
            x = g.line_x(tl, mark.at)
            colour = GRID_MAJOR if mark.major else GRID
            self.out.append(f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" '
                            f'y2="{top + plot_height}" stroke="{colour}" stroke-width="1"/>')
            self._text(x + 3, top - 8, mark.label, fill=MUTED, size=11)

    def _group_or_row(self, kind: str, label: str, row: Row | None, y: int) -> None:
        g = self.g
        if kind == "device":
            self._text(g.margin, y + 14, label, weight="bold")
            return
        if kind == "campaign":
            self._text(g.margin + 12, y + 14, label, fill=MUTED)
            return
        assert row is not None
        self._text(g.margin + 24, y + 15, label)
        for bar in row.bars:
            self._bar(bar, y + g.bar_top, g.bar_height, DECLARED.get(bar.state, "#616161"))
        for tick in row.ticks:
            x = self.g.line_x(self.tl, tick.start)
            bottom = y + g.bar_top + g.bar_height + 1
            self.out.append(
                f'<line class="tick" x1="{x}" y1="{y + 1}" x2="{x}" y2="{bottom}" '
                f'stroke="{TICK}" stroke-width="1">'
                f"<title>{escape(self._tick_title(tick))}</title></line>")
        for bar in row.live:
            self._bar(bar, y + g.live_top, g.live_height, LIVE.get(bar.state, "#616161"))
        for start, end in row.conflicts:
            x1, x2 = g.x(self.tl, start), g.x(self.tl, end)
            title = f"camera conflict {wall_interval(start, end, self.tl.zone)}"
            self.out.append(
                f'<rect class="conflict" x="{x1}" y="{y + g.conflict_top}" '
                f'width="{round(max(x2 - x1, 2.0), 2)}" height="{g.conflict_height}" '
                f'fill="{CONFLICT}"><title>{escape(title)}</title></rect>')

    def _tick_title(self, tick: Tick) -> str:
        return (f"{tick.session} burst {tick.index + 1}: "
                f"{wall_interval(tick.start, tick.stop, self.tl.zone)}")

    def _bar(self, bar: Bar, y: int, height: int, fill: str) -> None:
        x1, x2 = self.g.x(self.tl, bar.start), self.g.x(self.tl, bar.end)
        if x2 <= x1 and not (self.tl.start <= bar.start < self.tl.end):
            return
        conflict = " (camera conflict)" if bar.conflict else ""
        title = (f"{bar.session} [{bar.source} {bar.state}] "
                 f"{wall_interval(bar.start, bar.end, self.tl.zone)}{conflict}")
        self.out.append(
            f'<rect class="bar {bar.source}" x="{x1}" y="{y}" '
            f'width="{round(max(x2 - x1, 2.0), 2)}" height="{height}" fill="{fill}" '
            f"data-session={quoteattr(bar.session)}><title>{escape(title)}</title></rect>")

    def _now(self, top: int, plot_height: int) -> None:
        tl, g = self.tl, self.g
        if not tl.start <= tl.now < tl.end:
            return
        x = round(g.x(tl, tl.now))  # 2 px wide: centred on a pixel edge stays crisp
        self.out.append(f'<line class="now" x1="{x}" y1="{top - 4}" x2="{x}" '
                        f'y2="{top + plot_height}" stroke="{NOW}" stroke-width="2"/>')
        self._text(x + 3, top + 11, "now", fill="#8a6100", size=11, weight="bold")

    def _legend(self, y: int) -> None:
        items = [(DECLARED["Scheduled"], "scheduled"), (DECLARED["Standby"], "standby"),
                 (DECLARED["Stopped"], "manual"), (TICK, "burst"),
                 (CONFLICT, "camera conflict"), (NOW, "now")]
        if self.tl.live:
            items += [(LIVE["Scheduled"], "live Scheduled"), (LIVE["Standby"], "live Standby"),
                      (LIVE["Started"], "live Started"), (LIVE["Stopped"], "live Stopped")]
        x = float(self.g.margin)
        for colour, label in items:
            self.out.append(f'<rect x="{x}" y="{y - 9}" width="14" height="10" fill="{colour}"/>')
            self._text(x + 19, y, label, fill=MUTED, size=11)
            x += 30 + 6.5 * len(label)

    def _text(self, x: float, y: float, text: str, *, fill: str = TEXT, size: int = 12,
              weight: str = "normal") -> None:
        self.out.append(f'<text x="{round(x, 2)}" y="{y}" fill="{fill}" font-size="{size}" '
                        f'font-weight="{weight}">{escape(text)}</text>')
