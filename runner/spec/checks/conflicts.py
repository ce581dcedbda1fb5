"""Checks across campaigns (every file given): camera conflicts and USB bandwidth per device.

Codes CMP610 (error: two sessions book one camera at the same time) and CMP612 (warning: the
streams a fleet device records at once exceed the USB limit of its cameras). Not part of
`load_campaigns`: `campaign timeline` loads conflicting campaigns to show the conflicts;
`campaign validate` and `campaign plan` run these checks and fail on their errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from runner.compile import DesiredSession, compile_campaigns, utc_text
from runner.plan.conflicts import (
    Conflict,
    SessionRef,
    declared_bookings,
    find_conflicts,
    first_per_pair,
)
from runner.spec.capabilities import Capabilities, default_capabilities
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import AbsoluteWindow, Campaign, Location

# How far past the last start an open-ended recurring window is checked: two weeks see every
# weekday twice, so a weekly pattern's overlaps all show. The whole span is at most a year.
OPEN_ENDED = dt.timedelta(days=14)
MAX_SPAN = dt.timedelta(days=366)
# Bytes per pixel on the USB wire: depth Z16, infrared Y8, colour YUYV (RGB is made on the
# host); the same estimate `validate --probe` makes for one camera (runner/cameras/probe.py).
WIRE_BYTES_PER_PIXEL = {"depth": 2, "infra": 1, "color": 2}


def check_span(campaigns: Sequence[Campaign], now: dt.datetime | None
               ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) the cross-campaign checks cover: from `now` (else the earliest window)
    to the last bounded window's end, or two weeks past the last start; at most a year."""
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for c in campaigns:
        w = c.window
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
    """CMP610 camera conflicts and CMP612 bandwidth warnings across `campaigns`."""
    sessions = declared_sessions(campaigns, now)
    conflicts = find_conflicts(declared_bookings(sessions))
    diags = [conflict_diagnostic(c, count) for c, count in first_per_pair(conflicts)]
    diags += bandwidth_diagnostics(campaigns, sessions, capabilities)
    return tuple(diags)


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
    capabilities: Capabilities | None = None,
) -> list[Diagnostic]:
    """CMP612 per fleet device: the most its cameras stream at once (raw USB payload) against
    the smallest USB limit the capability table knows for those cameras' models."""
    caps = capabilities if capabilities is not None else default_capabilities()
    where = {(cam.model, cam.serial): cam.location for c in campaigns for cam in c.cameras}
    rates: dict[tuple[str, str], int] = {}
    events: dict[str, list[tuple[dt.datetime, int, tuple[str, str]]]] = {}
    for s in sessions:
        for r in s.records:
            camera = (r.model, r.serial)
            rates[camera] = max(rates.get(camera, 0), sum(
                st.width * st.height * st.frame_rate * WIRE_BYTES_PER_PIXEL.get(st.type, 2)
                for st in r.streams))
            events.setdefault(r.device, []).extend([(s.start, 1, camera), (s.end, -1, camera)])
    diags: list[Diagnostic] = []
    for device, items in sorted(events.items()):
        items.sort(key=lambda e: (e[0], e[1]))  # ends before starts at one instant
        active: dict[tuple[str, str], int] = {}
        peak, peak_at = 0, None
        peak_cams: tuple[tuple[str, str], ...] = ()
        for moment, delta, camera in items:
            active[camera] = active.get(camera, 0) + delta
            if active[camera] <= 0:
                del active[camera]
            total = sum(rates[cam] for cam in active)
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
