"""The cross-file checks expand only campaigns that can be flagged: the same diagnostics as
expanding every campaign, on random sets rich in conflicts, DST nights and crowded devices."""

from __future__ import annotations

import datetime as dt
import random

import pytest

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
