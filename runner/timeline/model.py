"""Values of the timeline: rows of bars and ticks over a time range, with conflicts and `now`.

Every time is an aware datetime (UTC); `Timeline.zone` names the one zone every renderer shows
times in, so a chart never mixes zones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from runner.plan.conflicts import Conflict, SessionRef, Source

__all__ = ["Bar", "Conflict", "LiveSession", "Row", "SessionRef", "Source", "Tick", "Timeline"]


@dataclass(frozen=True)
class LiveSession:
    """A session as the control plane has it (for `--live`), in the timeline's own terms.

    `cameras` holds (model, serial, fleet device or "") of its records; `campaign` is the owning
    campaign, or None for a session the tool did not create.
    """

    id: str
    name: str
    campaign: str | None
    start: dt.datetime
    end: dt.datetime
    state: str
    cameras: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Bar:
    """One session of one camera: a window (absolute) or one occurrence (recurring)."""

    session: str  # session name, `<campaign>` or `<campaign>#<key>`
    session_id: str
    start: dt.datetime
    end: dt.datetime
    state: str  # declared: the state the trigger asks for; live: the control plane's state
    source: Source
    conflict: bool = False  # overlaps another session of the same camera


@dataclass(frozen=True)
class Tick:
    """One burst of a standby session: recording from `start` to `stop`."""

    session: str
    index: int  # 0-based burst number
    start: dt.datetime
    stop: dt.datetime


@dataclass(frozen=True)
class Row:
    """One camera of one campaign (or of the live sessions nobody declares)."""

    device: str  # fleet device ("" when unknown)
    campaign: str  # campaign name ("" for sessions no given campaign owns)
    model: str
    serial: str
    trigger: str  # scheduled | standby | manual ("" for live-only rows)
    bars: tuple[Bar, ...]  # declared sessions, by start
    ticks: tuple[Tick, ...] = ()  # bursts, by start
    live: tuple[Bar, ...] = ()  # the control plane's sessions of this camera and campaign
    conflicts: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # overlapping intervals

    @property
    def camera(self) -> str:
        """`MODEL serial`, the row's label."""
        return f"{self.model} {self.serial}"


@dataclass(frozen=True)
class Timeline:
    """Everything a renderer draws: rows grouped by device then campaign, over [start, end)."""

    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    zone: str  # IANA name or "UTC": every time is shown in it
    rows: tuple[Row, ...]
    conflicts: tuple[Conflict, ...]
    live: bool = False  # the control plane was read (`--live`)
    note: str = ""  # why the range is what it is, when it is not what was asked

    def groups(self) -> list[tuple[str, list[tuple[str, list[Row]]]]]:
        """Rows as [(device, [(campaign, rows)])], in row order."""
        out: list[tuple[str, list[tuple[str, list[Row]]]]] = []
        for row in self.rows:
            if not out or out[-1][0] != row.device:
                out.append((row.device, []))
            campaigns = out[-1][1]
            if not campaigns or campaigns[-1][0] != row.campaign:
                campaigns.append((row.campaign, []))
            campaigns[-1][1].append(row)
        return out
