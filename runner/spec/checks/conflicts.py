"""Checks across campaigns (every file given): camera conflicts and USB bandwidth per device.

Codes CMP610 (error: two sessions book one camera at the same time) and CMP612 (warning: the
streams a fleet device records at once exceed the USB limit of its cameras). Not part of
`load_campaigns`: `campaign timeline` loads conflicting campaigns to show the conflicts;
`campaign validate` and `campaign plan` run these checks and fail on their errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from runner.compile import DesiredSession, compile_campaigns, utc_text
from runner.plan.conflicts import (
    Conflict,
    SessionRef,
    declared_bookings,
    find_conflicts,
    first_per_pair,
)
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.checks.usage import CampaignUse, campaign_use, wire_rate
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import AbsoluteWindow, Campaign, Location, RecurringWindow, Window
from runner.spec.windows import occurrence_length, zone

# How far past the last start an open-ended recurring window is checked: two weeks see every
# weekday twice, so a weekly pattern's overlaps all show. The whole span is at most a year.
OPEN_ENDED = dt.timedelta(days=14)
MAX_SPAN = dt.timedelta(days=366)


def check_span(campaigns: Sequence[Campaign], now: dt.datetime | None
               ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) the cross-campaign checks cover: from `now` (else the earliest window)
    to the last bounded window's end, or two weeks past the last start; at most a year."""
    return _span([c.window for c in campaigns], now)


def _span(windows: Iterable[Window], now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for w in windows:
        if isinstance(w, AbsoluteWindow):
            starts.append(w.start)
            ends.append(w.end)
            continue
        first = dt.datetime.combine(w.start, dt.time(0), dt.timezone.utc) - dt.timedelta(days=1)
        starts.append(first)
        if w.until is not None:
            ends.append(dt.datetime.combine(w.until, dt.time(0), dt.timezone.utc)
                        + dt.timedelta(days=2))
    if not starts:
        moment = now or dt.datetime.now(dt.timezone.utc)
        return moment, moment
    begin = now if now is not None else min(starts)
    finish = max([*ends, max(max(starts), begin) + OPEN_ENDED])
    return begin, min(finish, begin + MAX_SPAN)


def declared_sessions(campaigns: Sequence[Campaign], now: dt.datetime | None
                      ) -> tuple[DesiredSession, ...]:
    """The sessions the campaigns declare over `check_span`."""
    begin, end = check_span(campaigns, now)
    if end <= begin:
        return ()
    try:
        return compile_campaigns(campaigns, begin, end - begin).sessions
    except OverflowError:  # windows at the edge of datetime's range: nothing to compare
        return ()


def check_campaign_set(
    campaigns: Sequence[Campaign], now: dt.datetime | None = None,
    capabilities: Capabilities | None = None,
) -> tuple[Diagnostic, ...]:
    """CMP610 camera conflicts and CMP612 bandwidth warnings across `campaigns`.

    Only the campaigns that can take part are expanded into sessions: those booking a camera
    another campaign books too, those whose own occurrences can overlap (DST), and those on a
    device whose cameras could exceed its USB limit. The rest cannot yield a diagnostic, and
    expanding 10,000 campaigns over the check span is most of the time `validate` takes.
    """
    return check_campaign_uses(
        [campaign_use(c) for c in campaigns], lambda chosen: [campaigns[i] for i in chosen],
        now, capabilities,
    )


def check_campaign_uses(
    uses: Sequence[CampaignUse], campaigns: Callable[[Sequence[int]], Sequence[Campaign]],
    now: dt.datetime | None = None, capabilities: Capabilities | None = None,
) -> tuple[Diagnostic, ...]:
    """`check_campaign_set` from each campaign's `CampaignUse`; `campaigns(indexes)` gives
    the whole campaigns at those indexes (ascending), asked for only those that can take part."""
    caps = capabilities if capabilities is not None else default_capabilities()
    begin, end = _span([u.window for u in uses], now)
    if begin.year <= 2 or end.year >= 9998:  # near datetime's edges: the plain way
        every = campaigns(range(len(uses)))
        sessions = declared_sessions(every, now)
        return _diagnostics(every, sessions, None, None, caps)
    cameras = _conflict_cameras(uses, begin, end)
    devices = _crowded_devices(uses, caps)
    wanted = cameras | {(model, serial) for u in uses for model, serial, device, _ in u.cameras
                        if device in devices}
    chosen = [i for i, u in enumerate(uses)
              if any((model, serial) in wanted for model, serial, _, _ in u.cameras)]
    subset = campaigns(chosen) if chosen else ()
    sessions = _sessions_over(subset, begin, end) if subset else ()
    return _diagnostics(subset, sessions, cameras, devices, caps)


def _diagnostics(
    campaigns: Sequence[Campaign], sessions: Sequence[DesiredSession],
    cameras: set[tuple[str, str]] | None, devices: set[str] | None, caps: Capabilities,
) -> tuple[Diagnostic, ...]:
    bookings = declared_bookings(sessions)
    if cameras is not None:
        bookings = [b for b in bookings if (b.model, b.serial) in cameras]
    conflicts = find_conflicts(bookings)
    diags = [conflict_diagnostic(c, count) for c, count in first_per_pair(conflicts)]
    diags += bandwidth_diagnostics(campaigns, sessions, caps, devices=devices)
    return tuple(diags)


def _sessions_over(campaigns: Sequence[Campaign], begin: dt.datetime, end: dt.datetime
                   ) -> tuple[DesiredSession, ...]:
    if end <= begin:
        return ()
    try:
        return compile_campaigns(campaigns, begin, end - begin).sessions
    except OverflowError:  # pragma: no cover - the span is away from datetime's edges
        return ()


def _conflict_cameras(uses: Sequence[CampaignUse], begin: dt.datetime, end: dt.datetime
                      ) -> set[tuple[str, str]]:
    """Cameras that can have a conflict: booked by two campaigns, or by one whose own
    occurrences can overlap each other (a camera named twice in one session counts once)."""
    owners: dict[tuple[str, str], set[int]] = {}
    for i, u in enumerate(uses):
        for model, serial, _, _ in u.cameras:
            owners.setdefault((model, serial), set()).add(i)
    overlapping = {i for i, u in enumerate(uses)
                   if isinstance(u.window, RecurringWindow)
                   and _may_overlap_itself(u.window, begin, end)}
    return {camera for camera, who in owners.items()
            if len(who) > 1 or not who.isdisjoint(overlapping)}


def _may_overlap_itself(window: RecurringWindow, begin: dt.datetime, end: dt.datetime) -> bool:
    """False when no two occurrences of `window` around [begin, end) can overlap.

    Occurrence d ends at wall time `start + nominal` (d or d + 1) and d + 1 starts 24 h of wall
    time after d does; each wall time becomes an instant minus an offset the zone has near
    it. So d's end passes d + 1's start only if nominal + (largest - smallest offset) > 24 h.
    """
    low, high = _offset_range(window.timezone, begin, end)
    return occurrence_length(window) + (high - low) > dt.timedelta(hours=24)


@lru_cache(maxsize=256)
def _offset_range(tz: str, begin: dt.datetime, end: dt.datetime
                  ) -> tuple[dt.timedelta, dt.timedelta]:
    """The smallest and largest UTC offset of `tz` from three days before `begin` to three
    days after `end`, sampled every 30 minutes (no offset in the tz database lasts less
    than two hours: checked over every zone's transitions)."""
    info = zone(tz)
    moment, last = begin - dt.timedelta(days=3), end + dt.timedelta(days=3)
    step = dt.timedelta(minutes=30)
    offsets = set()
    while moment <= last:
        offsets.add(moment.astimezone(info).utcoffset() or dt.timedelta(0))
        moment += step
    return min(offsets), max(offsets)


def _crowded_devices(uses: Sequence[CampaignUse], caps: Capabilities) -> set[str]:
    """Devices whose cameras, all streaming at once at their highest rate, could exceed the
    smallest USB limit among them: the only ones CMP612 can flag."""
    rates: dict[tuple[str, str], int] = {}
    on_device: dict[str, set[tuple[str, str]]] = {}
    for u in uses:
        for model, serial, device, rate in u.cameras:
            camera = (model, serial)
            rates[camera] = max(rates.get(camera, 0), rate)
            on_device.setdefault(device, set()).add(camera)
    crowded = set()
    for device, cams in on_device.items():
        limits = [limit for model, _ in cams
                  if (limit := getattr(caps.get(model), "usb_bytes_per_second", None))]
        if limits and sum(rates[cam] for cam in cams) > min(limits):
            crowded.add(device)
    return crowded


def conflict_diagnostic(conflict: Conflict, count: int = 1) -> Diagnostic:
    """CMP610 (two declared sessions) or CMP611 (one is the control plane's), at the second
    session's camera, naming both sessions, where they are, and the overlap."""
    first, second = conflict.first, conflict.second
    live = "live" in (first.source, second.source)
    declared = second if second.source == "declared" else first
    other = first if declared is second else second
    more = (f" (and {count - 1} more overlapping occurrence{'s' if count > 2 else ''})"
            if count > 1 else "")
    message = (
        f"camera {conflict.model} {conflict.serial} is booked by {_ref(declared)} and by "
        f"{_ref(other)} over {utc_text(conflict.start)}–{utc_text(conflict.end)} UTC{more}"
    )
    hint = "one camera records one session at a time: move one window, or use another camera"
    if live:
        remove = (f"`campaign destroy --campaign {other.campaign}`" if other.campaign
                  else "by hand: no campaign made it")
        hint = ("one camera records one session at a time: move the window, or remove the "
                f"other session ({remove})")
    return Diagnostic(_location(declared.location), "error", "CMP611" if live else "CMP610",
                      message, hint)


def _ref(ref: SessionRef) -> str:
    if ref.source == "live":
        return f"control-plane session {ref.name!r} (id {ref.id})"
    return f"{ref.name} ({ref.location})"


def _location(text: str) -> Location | None:
    file, _, rest = text.rpartition(":")
    file, _, line = file.rpartition(":")
    if not (file and line.isdigit() and rest.isdigit()):
        return None
    return Location(file, int(line), int(rest))


def bandwidth_diagnostics(
    campaigns: Sequence[Campaign], sessions: Sequence[DesiredSession],
    capabilities: Capabilities | None = None, *, devices: set[str] | None = None,
) -> list[Diagnostic]:
    """CMP612 per fleet device: the most its cameras stream at once (raw USB payload) against
    the smallest USB limit the capability table knows for those cameras' models.

    `devices`: check only these (the campaigns and sessions must include every one naming
    their cameras)."""
    caps = capabilities if capabilities is not None else default_capabilities()
    where = {(cam.model, cam.serial): cam.location for c in campaigns for cam in c.cameras}
    rates: dict[tuple[str, str], int] = {}
    events: dict[str, list[tuple[dt.datetime, int, tuple[str, str]]]] = {}
    for s in sessions:
        for r in s.records:
            camera = (r.model, r.serial)
            rates[camera] = max(rates.get(camera, 0), wire_rate(r.streams))
            if devices is not None and r.device not in devices:
                continue
            events.setdefault(r.device, []).extend([(s.start, 1, camera), (s.end, -1, camera)])
    diags: list[Diagnostic] = []
    for device, items in sorted(events.items()):
        items.sort(key=lambda e: (e[0], e[1]))  # ends before starts at one instant
        active: dict[tuple[str, str], int] = {}
        peak, peak_at = 0, None
        peak_cams: tuple[tuple[str, str], ...] = ()
        total = 0  # the rates of the cameras in `active`, kept as they come and go
        for moment, delta, camera in items:
            was = camera in active
            count = active.get(camera, 0) + delta
            if count > 0:
                active[camera] = count
                if not was:
                    total += rates[camera]
            elif was:
                del active[camera]
                total -= rates[camera]
            if total > peak:
                peak, peak_at, peak_cams = total, moment, tuple(sorted(active))
        limits = [limit for model, _ in peak_cams
                  if (limit := getattr(caps.get(model), "usb_bytes_per_second", None))]
        if peak_at is None or not limits or peak <= min(limits):
            continue
        diags.append(Diagnostic(
            where.get(peak_cams[0]), "warning", "CMP612",
            f"device {device} streams about {peak / 1e6:.0f} MB/s from {len(peak_cams)} "
            f"camera{'s' if len(peak_cams) != 1 else ''} at once (from {utc_text(peak_at)} UTC: "
            f"{', '.join(f'{m} {s}' for m, s in peak_cams)}), more than the "
            f"{min(limits) / 1e6:.0f} MB/s USB limit of its cameras",
            "lower resolution or frame rate, record fewer streams at once, or spread the "
            "cameras over devices",
        ))
    return diags
