"""Mermaid gantt charts (GitHub renders them in Markdown): the timeline's, and any list of
`GanttTask`s (the plan's Markdown embeds one of the sessions it changes).

Mermaid reads dates as wall times and shows them unchanged, so every date is written in one
zone, named in the title. Task and section names cannot hold `:`, `#` or `;` (Mermaid's gantt
grammar ends a name there), so those become spaces.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from runner.timeline.axis import local, wall
from runner.timeline.model import Timeline

DATE_FORMAT = "YYYY-MM-DD HH:mm"  # Mermaid (dayjs) syntax; `_date` writes this form
TAGS = ("active", "done", "crit", "milestone")
_UNSAFE = re.compile(r"[:#;\n\r]+")


@dataclass(frozen=True)
class GanttTask:
    """One bar of a gantt chart; `tags` among active, done, crit, milestone."""

    section: str
    label: str
    start: dt.datetime
    end: dt.datetime
    tags: tuple[str, ...] = ()


def render_gantt(tasks: Sequence[GanttTask], *, title: str, tz: str) -> str:
    """The chart's Mermaid source (without the ```mermaid fence); tasks keep their order
    within a section, sections appear in the order first seen."""
    lines = ["gantt", f"    title {_safe(title, title=True)}", f"    dateFormat {DATE_FORMAT}"]
    first = min((t.start for t in tasks), default=None)
    last = max((t.end for t in tasks), default=None)
    lines.append(f"    axisFormat {_axis_format(first, last)}")
    lines.append("    todayMarker off")  # the viewer's clock is not the `now` we planned at
    sections: dict[str, list[GanttTask]] = {}
    for task in tasks:
        sections.setdefault(_safe(task.section) or "sessions", []).append(task)
    number = 0
    for section, items in sections.items():
        lines.append(f"    section {section}")
        for task in items:
            number += 1
            tags = [t for t in task.tags if t in TAGS]
            start = _date(task.start, tz)
            if "milestone" in tags:
                end = "0m"
            else:
                # Mermaid draws whole minutes: a shorter task still gets one.
                end = _date(max(task.end, task.start + dt.timedelta(minutes=1)), tz)
            data = ", ".join([*tags, f"t{number}", start, end])
            lines.append(f"    {_safe(task.label) or 'session'} :{data}")
    return "\n".join(lines) + "\n"


def timeline_gantt(timeline: Timeline) -> str:
    """The timeline as a gantt: a section per device and campaign, a task per camera and
    session (declared, then live), conflicting ones `crit`, and `now` as a milestone."""
    tasks: list[GanttTask] = []
    for row in timeline.rows:
        section = f"{row.device or 'unknown device'} · {row.campaign or 'not declared'}"
        for bar in row.bars:
            tags = ("crit",) if bar.conflict else ("active",) if bar.state == "Standby" else ()
            tasks.append(GanttTask(section, _label(row.camera, bar.session, bursts=sum(
                1 for t in row.ticks if t.session == bar.session)),
                _clip(bar.start, timeline), _clip(bar.end, timeline), tags))
        for bar in row.live:
            tags = ("crit",) if bar.conflict else ("done",)
            tasks.append(GanttTask(section, f"{_label(row.camera, bar.session)} live "
                                   f"{bar.state}", _clip(bar.start, timeline),
                                   _clip(bar.end, timeline), tags))
    if timeline.start <= timeline.now < timeline.end:
        tasks.append(GanttTask("now", f"now {wall(timeline.now, timeline.zone)}",
                               timeline.now, timeline.now, ("milestone",)))
    title = (f"campaign timeline {wall(timeline.start, timeline.zone)} to "
             f"{wall(timeline.end, timeline.zone)} (times in {timeline.zone})")
    return render_gantt(tasks, title=title, tz=timeline.zone)


def _label(camera: str, session: str, bursts: int = 0) -> str:
    _, _, key = session.partition("#")
    text = f"{camera} {key}" if key else camera
    return f"{text} ({bursts} bursts)" if bursts else text


def _clip(moment: dt.datetime, timeline: Timeline) -> dt.datetime:
    return min(max(moment, timeline.start), timeline.end)


def _date(moment: dt.datetime, tz: str) -> str:
    return local(moment, tz).strftime("%Y-%m-%d %H:%M")


def _axis_format(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None or end - start <= dt.timedelta(days=2):
        return "%d %H:%M"
    return "%a %d"


def _safe(text: str, *, title: bool = False) -> str:
    """Text Mermaid's gantt grammar keeps whole (a title may hold colons)."""
    if title:
        return re.sub(r"[#;\n\r]+", " ", text).strip()
    return re.sub(r"\s+", " ", _UNSAFE.sub(" ", text)).strip()
