"""Build a Timeline from campaigns: sessions over a range, bursts, camera conflicts, live state.

Plain functions of their arguments (no clock, no I/O): the command passes `now`, the range,
and with `--live` the sessions it read from the control plane.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from runner.compile import DesiredSession, compile_campaigns
from runner.plan.conflicts import Booking, find_conflicts  # the one overlap rule, shared
from runner.run.schedule import build_schedule
from runner.spec.model import AbsoluteWindow, Campaign, Occurrence
from runner.spec.windows import occurrences, resolve_local, zone
from runner.timeline.model import (
    Bar,
    Conflict,
    LiveSession,
    Row,
    SessionRef,
    Tick,
    Timeline,
)

__all__ = ["Booking", "build_timeline", "default_range", "display_zone", "find_conflicts",
           "local_midnight"]

UTC = dt.timezone.utc
DEFAULT_SPAN = dt.timedelta(days=7)
LIVE_LOCATION = "control plane"


def display_zone(campaigns: Sequence[Campaign]) -> str:
    """The zone every time is shown in: the one IANA zone the campaigns name, else UTC.

    Campaigns whose absolute window is written with offsets only name no zone and do not
    count; two different zones mean UTC, so a chart never mixes them.
    """
    zones = {c.window.timezone for c in campaigns if c.window.timezone}
    return zones.pop() if len(zones) == 1 else "UTC"


def local_midnight(moment: dt.datetime, tz: str, days: int = 0) -> dt.datetime:
    """00:00 in zone `tz` of the day `moment` falls on, plus `days` days (DST-correct)."""
    day = moment.astimezone(zone(tz)).date() + dt.timedelta(days=days)
    return resolve_local(day, dt.time(0), tz)


def default_range(
    campaigns: Sequence[Campaign], now: dt.datetime, tz: str, span: dt.timedelta = DEFAULT_SPAN
) -> tuple[dt.datetime, dt.datetime, str]:
    """(start, end, note): today 00:00 in `tz` for `span`; when no declared window falls in
    that, the span of the declared windows (day-aligned), with a note saying so."""
    start = local_midnight(now, tz)
    end = local_midnight(now, tz, days=max(1, span.days))
    if not campaigns or any(occurrences(c.window, start, end) for c in campaigns):
        return start, end, ""
    spans = [s for s in (_declared_span(c) for c in campaigns) if s is not None]
    if not spans:
        return start, end, ""
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    midnight = local_midnight(last, tz)
    finish = midnight if midnight == last else local_midnight(last, tz, days=1)
    note = f"no window in the {span.days} days from today; showing the declared windows' span"
    return local_midnight(first, tz), finish, note


def _declared_span(campaign: Campaign) -> tuple[dt.datetime, dt.datetime] | None:
    """An absolute window, or a recurring window's first week from its start date."""
    window = campaign.window
    if isinstance(window, AbsoluteWindow):
        return window.start, window.end
    first_day = resolve_local(window.start, dt.time(0), window.timezone)
    found = occurrences(window, first_day, first_day + DEFAULT_SPAN)
    if not found:
        return None
    return found[0].start, max(o.end for o in found)


def build_timeline(
    campaigns: Sequence[Campaign],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    *,
    tz: str = "UTC",
    live: Sequence[LiveSession] | None = None,
    note: str = "",
) -> Timeline:
    """Rows per (device, campaign, camera) with the sessions overlapping [start, end), their
    bursts, camera conflicts (declared sessions, and live ones no campaign declares), and
    with `live` the control plane's sessions beside the declared ones."""
    if end <= start:
        raise ValueError("the timeline's end must be after its start")
    desired = compile_campaigns(campaigns, start, end - start)
    declared_ids = {s.id for s in desired.sessions}
    sessions = [s for s in desired.sessions if s.start < end and s.end > start]
    live_sessions = [s for s in (live or ()) if s.start < end and s.end > start]
    by_name = {c.name: c for c in campaigns}

    bookings = [
        Booking(r.model, r.serial, _declared_ref(s, by_name[s.campaign]), s.start, s.end)
        for s in sessions for r in s.records
    ]
    bookings += [
        Booking(model, serial, _live_ref(s), s.start, s.end)
        for s in live_sessions if s.id not in declared_ids for model, serial, _ in s.cameras
    ]
    conflicts = find_conflicts(bookings)
    in_conflict: dict[tuple[str, str], set[str]] = {}
    for c in conflicts:
        in_conflict.setdefault((c.model, c.serial), set()).update({c.first.id, c.second.id})

    rows: dict[tuple[str, str, str, str], Row] = {}
    for campaign in campaigns:
        own = [s for s in sessions if s.campaign == campaign.name]
        ticks = _ticks(campaign, own, start, end)
        for camera in campaign.cameras:
            ids = in_conflict.get((camera.model, camera.serial), set())
            bars = tuple(
                Bar(s.name, s.id, s.start, s.end, s.state, "declared", conflict=s.id in ids)
                for s in own
            )
            rows[(camera.device, campaign.name, camera.model, camera.serial)] = Row(
                camera.device, campaign.name, camera.model, camera.serial,
                campaign.trigger.value, bars, ticks)
    if live is not None:
        _add_live(rows, live_sessions, declared_ids, in_conflict)

    ordered = [
        dataclasses.replace(row, conflicts=_row_overlaps(row, conflicts))
        for row in sorted(rows.values(), key=lambda r: (
            r.device == "", r.device, r.campaign == "", r.campaign, r.model, r.serial))
    ]
    return Timeline(start, end, now, tz, tuple(ordered), conflicts, live is not None, note)


def _row_overlaps(
    row: Row, conflicts: Sequence[Conflict]
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The overlapping intervals of the conflicts a session on this row takes part in."""
    ids = {b.session_id for b in row.bars} | {b.session_id for b in row.live if b.conflict}
    return tuple(
        (c.start, c.end) for c in conflicts
        if (c.model, c.serial) == (row.model, row.serial) and {c.first.id, c.second.id} & ids
    )


def _declared_ref(session: DesiredSession, campaign: Campaign) -> SessionRef:
    return SessionRef(session.name, session.id, session.campaign, "declared",
                      str(campaign.window.location))


def _live_ref(session: LiveSession) -> SessionRef:
    return SessionRef(session.name, session.id, session.campaign, "live", LIVE_LOCATION)


def _ticks(campaign: Campaign, sessions: Sequence[DesiredSession], start: dt.datetime,
           end: dt.datetime) -> tuple[Tick, ...]:
    """The planned bursts (anchor = occurrence start + offset, as a runner started in time
    records them) that overlap [start, end)."""
    pattern = campaign.bursts
    if pattern is None:
        return ()
    ticks: list[Tick] = []
    for session in sessions:
        occurrence = Occurrence(session.key, session.start, session.end)
        schedule = build_schedule(session.name, pattern, occurrence,
                                  occurrence.start + pattern.offset)
        ticks.extend(Tick(session.name, b.index, b.start, b.stop)
                     for b in schedule.bursts if b.start < end and b.stop > start)
    return tuple(ticks)


def _add_live(
    rows: dict[tuple[str, str, str, str], Row],
    live: Sequence[LiveSession],
    declared_ids: set[str],
    in_conflict: dict[tuple[str, str], set[str]],
) -> None:
    """Put each live session on the row of its campaign and camera (a new row if none).

    Only live sessions no campaign declares can be in conflict themselves: a declared one is
    the same session as its declared bar, which carries the mark."""
    keys = {(campaign, model, serial): key for key in rows for (_, campaign, model, serial)
            in [key]}
    for session in sorted(live, key=lambda s: (s.start, s.name)):
        owner = session.campaign or ""
        for model, serial, device in session.cameras:
            key = keys.setdefault((owner, model, serial), (device, owner, model, serial))
            row = rows.get(key) or Row(device, owner, model, serial, "", ())
            conflict = (session.id not in declared_ids
                        and session.id in in_conflict.get((model, serial), set()))
            bar = Bar(session.name, session.id, session.start, session.end, session.state,
                      "live", conflict=conflict)
            rows[key] = dataclasses.replace(row, live=(*row.live, bar))
