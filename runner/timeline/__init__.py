"""The timeline: campaigns' sessions, bursts and camera conflicts over a time range.

- `build`: campaigns (+ live sessions) -> a `Timeline` value; `find_conflicts` on bookings.
- `axis`: where a moment falls and which marks to label (shared by every renderer).
- `text`, `svg`, `html`, `mermaid`: renderers, pure functions returning strings.

Values in, values out: no printing, no environment, no clock (callers pass `now`).
"""

from runner.timeline.build import (
    Booking,
    build_timeline,
    default_range,
    display_zone,
    find_conflicts,
)
from runner.timeline.model import Bar, Conflict, LiveSession, Row, SessionRef, Tick, Timeline

__all__ = [
    "Bar",
    "Booking",
    "Conflict",
    "LiveSession",
    "Row",
    "SessionRef",
    "Tick",
    "Timeline",
    "build_timeline",
    "default_range",
    "display_zone",
    "find_conflicts",
]
