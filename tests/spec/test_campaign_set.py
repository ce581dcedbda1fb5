"""The cross-file checks expand only campaigns that can be flagged: the same diagnostics as
expanding every campaign, on random sets rich in conflicts, DST nights and crowded devices."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from runner.compile import DesiredSession
from runner.spec import load_sources
from runner.spec.capabilities import default_capabilities
from runner.spec.checks import conflicts
from runner.spec.diagnostics import Diagnostic
from runner.spec.model import Campaign
from tests.conflicts.test_validate import campaign

ZONES = ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Tokyo"]
TIMES = [("06:00", "22:00"), ("22:00", "06:00"), ("00:00", "24:00"), ("02:30", "02:00"),
         ("10:00", "18:00"), ("01:30", "01:00"), ("03:00", "02:30"), ("08:00", "07:59")]
STREAMS = ["[color-720p]", "[depth-848, infra-848]", "[color-720p, depth-848, infra-848]"]
NOWS = [None, dt.datetime(2026, 12, 1, 4, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.timezone.utc)]


def random_window(rnd: random.Random) -> str:
    tz = rnd.choice(ZONES)
    if rnd.random() < 0.4:
        start = dt.datetime(2026, 12, 1, rnd.randint(0, 22)) + dt.timedelta(
            days=rnd.randint(-30, 150))
        end = start + dt.timedelta(hours=rnd.randint(1, 30))
        return f"{{start: {start.isoformat()}, end: {end.isoformat()}, timezone: {tz}}}"
    days = rnd.choice(["daily", "weekdays", "[mon, wed, fri]", "[sat, sun]"])
    begin, end = rnd.choice(TIMES)
    first = dt.date(2026, rnd.randint(1, 12), rnd.randint(1, 28))
    last = first + dt.timedelta(days=rnd.randint(1, 300))
    until = f", until: {last}" if rnd.random() < 0.5 else ""
    return (f'{{every: {{days: {days}, from: "{begin}", to: "{end}"}}, timezone: {tz}, '
            f"start: {first}{until}}}")


def random_set(rnd: random.Random) -> dict[str, str]:
    serials = [str(844212070924 + i) for i in range(6)]
    devices = [f"dev_{i}" for i in range(4)]
    files = {}
    for i in range(rnd.randint(1, 8)):
        more = ""
        if rnd.random() < 0.3:
            more = (f'    - {{model: REALSENSE_D435, serial: "{rnd.choice(serials)}", '
                    f"device: {rnd.choice(devices)}, streams: {rnd.choice(STREAMS)}}}\n")
        files[f"f{i}.yaml"] = campaign(
            f"c{i}", random_window(rnd), rnd.choice(serials), streams=rnd.choice(STREAMS),
            device=rnd.choice(devices), more_cameras=more)
    return files


def every_session_expanded(campaigns: list[Campaign], now: dt.datetime | None
                           ) -> tuple[Diagnostic, ...]:
    sessions = conflicts.declared_sessions(campaigns, now)
    return conflicts._diagnostics(campaigns, sessions, None, None, default_capabilities())


@pytest.mark.parametrize("seed", range(2))
def test_pruned_checks_equal_expanding_every_campaign(seed: int) -> None:
    rnd = random.Random(seed)
    found: set[str] = set()
    for _ in range(30):
        files = random_set(rnd)
        for now in NOWS:
            campaigns = list(load_sources(files, now=now).campaigns)
            expected = every_session_expanded(campaigns, now)
            assert conflicts.check_campaign_set(campaigns, now) == expected, (files, now)
            found |= {d.code for d in expected}
    assert found == {"CMP610", "CMP612"}  # the sets do exercise both checks


def reference_peaks(sessions: list[DesiredSession]
                    ) -> dict[str, tuple[int, dt.datetime | None, tuple[tuple[str, str], ...]]]:
    """Per device, the largest sum of camera rates active at once, summed afresh at every
    event (the obvious quadratic way CMP612's running total must agree with)."""
    rates: dict[tuple[str, str], int] = {}
    events: dict[str, list[tuple[dt.datetime, int, tuple[str, str]]]] = {}
    for s in sessions:
        for r in s.records:
            camera = (r.model, r.serial)
            rates[camera] = max(rates.get(camera, 0), conflicts.wire_rate(r.streams))
            events.setdefault(r.device, []).extend([(s.start, 1, camera), (s.end, -1, camera)])
    peaks = {}
    for device, items in events.items():
        items.sort(key=lambda e: (e[0], e[1]))
        active: dict[tuple[str, str], int] = {}
        best: tuple[int, dt.datetime | None, tuple[tuple[str, str], ...]] = (0, None, ())
        for moment, delta, camera in items:
            active[camera] = active.get(camera, 0) + delta
            if active[camera] <= 0:
                del active[camera]
            total = sum(rates[cam] for cam in active)
            if total > best[0]:
                best = (total, moment, tuple(sorted(active)))
        peaks[device] = best
    return peaks


def test_bandwidth_peaks_equal_summing_afresh_at_every_event() -> None:
    rnd = random.Random(15)
    flagged = 0
    for _ in range(60):
        files = random_set(rnd)
        for now in NOWS:
            campaigns = list(load_sources(files, now=now).campaigns)
            sessions = conflicts.declared_sessions(campaigns, now)
            found = conflicts.bandwidth_diagnostics(campaigns, sessions)
            peaks = reference_peaks(list(sessions))
            for diagnostic in found:
                peak, at, cams = peaks[diagnostic.message.split()[1]]
                assert f"about {peak / 1e6:.0f} MB/s from {len(cams)} camera" in (
                    diagnostic.message)
                assert ", ".join(f"{m} {s}" for m, s in cams) in diagnostic.message
                assert at is not None and at.strftime("%Y-%m-%dT%H:%M") in diagnostic.message
            flagged += len(found)
    assert flagged  # the random sets do crowd some devices
