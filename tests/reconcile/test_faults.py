"""Convergence under injected faults, SIGKILL of `campaign apply`, and a property over states."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.plan.model import PlanOptions
from runner.spec.model import Trigger
from tests.fakes import FakeTime

from .helpers import CAMERAS, NOW, UTC, camera, campaign, stream
from .support import (
    assert_no_duplicates_or_orphans,
    converge,
    mutation_count,
    plan_for,
    rows,
)

WEEKDAYS = frozenset({1, 2, 3, 4, 5})


def _version(bitrate: int, days: frozenset[int] = WEEKDAYS):
    return campaign(
        "yard", cameras=(camera(streams=(stream("color", bitrate=bitrate), stream("depth"))),
                         camera(CAMERAS[2], line=12)),
        recurring_days=days, start=dt.datetime(2026, 11, 2, 8, tzinfo=UTC), hours=2)


async def test_fifty_of_fifty_applies_converge_under_5xx_and_lost_responses(sandbox) -> None:
    versions = [_version(1_000_000), _version(2_000_000, frozenset({1, 3, 5}))]
    for run in range(50):
        sandbox.faults(error_rate=0.2, timeout_after_commit_rate=0.1, timeout_hang_ms=20,
                       seed=run)
        wanted = versions[run % 2]
        await converge(sandbox, [wanted], NOW, PlanOptions(prune=True), timeout=5.0,
                       attempts=15)
        sandbox.faults()  # inspect without faults
        assert (await plan_for(sandbox, [wanted], NOW, PlanOptions(prune=True))).writes.empty()
        assert_no_duplicates_or_orphans(sandbox)
        expected = 10 if run % 2 == 0 else 6
        assert len(rows(sandbox)["recordingSessions"]) == expected
    injected = sandbox.stats()["faults"]
    assert injected.get("error", 0) > 0 and injected.get("timeout_after_commit", 0) > 0


CAMPAIGN_YAML = """\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: killme}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "844212070924", device: dev_vehicle_001,
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: {bitrate}}}]}}
    - {{model: REALSENSE_D435, serial: "936322070512", device: dev_lab_001,
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  window:
    every: {{days: [mon, tue, wed, thu, fri, sat, sun], from: "08:00", to: "10:00"}}
    timezone: Europe/Oslo
    start: 2026-11-01
  trigger: scheduled
"""


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "runner", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_at_random_points_then_apply_converges(sandbox, tmp_path: Path) -> None:
    env = {**os.environ, **sandbox.env}
    env.pop("CI", None)
    rng = random.Random(4)
    sandbox.faults(latency_ms=30)  # stretch the run so kills land before, during and after
    args = ["apply", "--auto-approve", "--horizon", "30d", "--now", NOW.isoformat(),
            str(tmp_path / "c.yaml")]
    for attempt in range(6):
        (tmp_path / "c.yaml").write_text(CAMPAIGN_YAML.format(bitrate=1_000_000 * (attempt + 1)))
        proc = _cli(args, env, tmp_path)
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_no_duplicates_or_orphans(sandbox)
    final = _cli(args, env, tmp_path)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()
    data = rows(sandbox)
    assert len(data["recordingSessions"]) == 30 and len(data["records"]) == 60
    assert {s["bitrate"] for s in data["streams"]} == {6_000_000, 1_000_000}
    assert_no_duplicates_or_orphans(sandbox)


names = st.sampled_from(["lab", "lab-2", "yard"])
bitrates = st.sampled_from([500_000, 1_000_000, 4_000_000])


@st.composite
def campaigns(draw: st.DrawFn) -> list:
    chosen = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    out = []
    for name in chosen:
        cams = draw(st.lists(st.sampled_from(CAMERAS), min_size=1, max_size=3, unique=True))
        cameras = tuple(
            camera(spec, streams=tuple(stream(kind, bitrate=draw(bitrates)) for kind in draw(
                st.lists(st.sampled_from(["color", "depth", "infra"]), min_size=1, max_size=3,
                         unique=True))), line=10 + i)
            for i, spec in enumerate(cams)
        )
        recurring = draw(st.booleans())
        out.append(campaign(
            name, cameras=cameras,
            start=dt.datetime(2026, 11, draw(st.integers(2, 30)), draw(st.integers(0, 20)),
                              tzinfo=UTC),
            hours=draw(st.sampled_from([1, 2, 8])),
            trigger=draw(st.sampled_from(list(Trigger))),
            max_size=draw(st.sampled_from([0, 100, 100_000])),
            mode=draw(st.sampled_from(["Storage", "Streaming"])),
            recurring_days=draw(st.sets(st.integers(1, 7), min_size=1)) if recurring else None,
        ))
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(previous=campaigns(), wanted=campaigns(), started=st.lists(st.integers(0, 50), max_size=3),
       prune=st.booleans())
async def test_property_apply_then_plan_is_empty_and_reapply_sends_nothing(
    sandbox, previous, wanted, started, prune
) -> None:
    # One sandbox for all examples: states pile up, so each example starts from whatever
    # the earlier ones (and the random `previous` apply) left behind.
    await converge(sandbox, previous, NOW, PlanOptions(prune=True, allow_restart=True, force=True))
    sessions = rows(sandbox)["recordingSessions"]
    for index in started:  # the platform started some sessions meanwhile
        if sessions:
            _start(sandbox, sessions[index % len(sessions)]["id"])
    options = PlanOptions(prune=prune, allow_restart=True, force=True)
    await converge(sandbox, wanted, NOW, options)
    assert (await plan_for(sandbox, wanted, NOW, options)).writes.empty()
    before = mutation_count(sandbox)
    again = await converge(sandbox, wanted, NOW, options)
    assert again.write_requests == 0 and mutation_count(sandbox) == before
    assert_no_duplicates_or_orphans(sandbox)


def _start(sandbox, session_id: str) -> None:
    from .support import graphql

    graphql(sandbox, 'mutation($id: uuid!) { updateRecordingSession(pk_columns: {id: $id}, '
                     '_set: {state: Started}) { id } }', {"id": session_id})



def test_four_concurrent_cli_applies_of_one_campaign_leave_one_set(sandbox, tmp_path: Path) -> None:
    env = {**os.environ, **sandbox.env}
    env.pop("CI", None)
    (tmp_path / "c.yaml").write_text(CAMPAIGN_YAML.format(bitrate=2_000_000))
    sandbox.faults(latency_ms=10)
    args = ["apply", "--auto-approve", "--horizon", "10d", "--now", NOW.isoformat(), "c.yaml"]
    procs = [_cli(args, env, tmp_path) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    data = rows(sandbox)
    assert len(data["recordingSessions"]) == 10 and len(data["records"]) == 20
    assert len(data["streams"]) == 20
    assert_no_duplicates_or_orphans(sandbox)


@pytest.mark.parametrize("body, words", [
    ({"errors": [{"message": "x", "extensions": "bad"}]}, "rejected the request"),
    ({"data": {"foo": 1}}, "unexpected shape"),
    ({"data": {"sessions": [{"id": 1}], "cameras": []}}, "unexpected shape"),
])
def test_odd_control_plane_answers_are_one_line_errors(body: dict[str, Any], words: str) -> None:
    import httpx

    from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
    from runner.errors import ControlPlaneError
    from tests.reconcile.helpers import sdl_introspection

    def answer(request: httpx.Request) -> httpx.Response:
        if b"__schema" in request.content:  # introspection: the real schema, then the odd body
            return httpx.Response(200, json={"data": sdl_introspection()})
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(answer)

    async def read() -> None:
        config = ControlPlaneConfig("http://127.0.0.1:9/v1/graphql", None, 2.0)
        async with ControlPlane(config, transport=transport) as cp:
            await cp.read_state(("c",), ())

    with pytest.raises(ControlPlaneError, match=words):
        asyncio.run(read())


class ThrottlingGateway(httpx.AsyncBaseTransport):
    """A rate-limiting gateway in front of the sandbox's Hasura (the sandbox's own 429 fault
    covers its fleet API only): answers 429 with the given `Retry-After` values, one per
    request, then lets requests through."""

    def __init__(self, *retry_after: str | None) -> None:
        self.pending = list(retry_after)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.pending:
            value = self.pending.pop(0)
            return httpx.Response(429, headers={"Retry-After": value} if value else {},
                                  json={"message": "API rate limit exceeded"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_control_plane_waits_out_429s_from_a_gateway(sandbox) -> None:
    from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
    from runner.adapters.controlplane.transport import GraphQLClient
    from runner.errors import ControlPlaneError
    from tests.reconcile.support import warm_schema_cache

    config = ControlPlaneConfig(sandbox.graphql_url, sandbox.admin_secret, 10.0)
    cache = warm_schema_cache(sandbox)
    sandbox.reset()  # count only this test's requests
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)

    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    # One try against failures: the 429s must not use it up, only their own budget.
    async with GraphQLClient(config, transport=ThrottlingGateway("2", later, None),
                             attempts=1, sleep=recorded_sleep, rng=random.Random(3)) as client:
        data = await client.execute("{ cameras(limit: 1) { id } }", {})
    assert len(data["cameras"]) == 1 and client.round_trips == 4
    assert waits[0] == 2.0 and 25 <= waits[1] <= 30  # delta-seconds, then an HTTP-date
    assert 0 <= waits[2] <= 0.4  # no Retry-After: full jitter (third 429: ceiling 0.1 * 2**2)
    assert sandbox.stats()["graphql"]["requests"] == 1  # the gateway held the rest back

    async with GraphQLClient(config, transport=ThrottlingGateway("0.25", "500", "1"),
                             rate_limited=2, retry_after_max=0.5, sleep=recorded_sleep) as client:
        with pytest.raises(ControlPlaneError) as err:
            await client.execute("{ cameras(limit: 1) { id } }", {})
    assert str(err.value) == (f"control plane {sandbox.graphql_url} still rate limited after 3 "
                              "HTTP 429 answers; try again later")
    assert waits[3:] == [0.25, 0.5] and client.round_trips == 3  # "500" s capped at 0.5 s

    # The adapter as the commands build it (real sleeps: a gateway asking for 0 s).
    async with ControlPlane(config, transport=ThrottlingGateway("0", "0"),
                            schema_cache=cache) as cp:
        actual = await cp.read_state(("nothing-here",), ())
        assert cp.round_trips == 3
    assert actual.sessions == ()


class RivalApplies:
    """The control plane, with another apply committing its own version of the campaigns
    just before each of our first `times` writes (so each of them loses the race)."""

    def __init__(self, cp: Any, rivals: list[Any], times: int) -> None:
        self.cp, self.rivals, self.left = cp, rivals, times

    async def read_state(self, campaigns: Any, cameras: Any) -> Any:
        return await self.cp.read_state(campaigns, cameras)

    async def write(self, writes: Any, **kwargs: Any) -> None:
        from runner.plan.apply import apply_plan, make_plan

        if self.left:
            self.left -= 1
            rival = self.rivals[self.left % 2]
            await apply_plan(self.cp, await make_plan(self.cp, rival, NOW, PlanOptions()))
        await self.cp.write(writes, **kwargs)


async def test_lost_races_back_off_with_full_jitter_until_the_lock_timeout(sandbox) -> None:
    from runner.compile import compile_campaigns
    from runner.errors import LockError
    from runner.plan.apply import apply_plan, make_plan

    from .support import control_plane

    def bitrate(value: int) -> Any:
        return campaign("yard", cameras=(camera(streams=(stream("color", bitrate=value),)),))

    await converge(sandbox, [bitrate(1_000_000)], NOW)
    rivals = [compile_campaigns([bitrate(b)], NOW) for b in (2_000_000, 3_000_000)]
    ours, again = (compile_campaigns([bitrate(b)], NOW) for b in (4_000_000, 5_000_000))
    async with control_plane(sandbox) as cp:
        clock = FakeTime()
        store = RivalApplies(cp, rivals, times=4)
        result = await apply_plan(store, await make_plan(cp, ours, NOW, PlanOptions()),
                                  lock_timeout=60, rng=random.Random(8), sleep=clock.sleep,
                                  monotonic=clock.monotonic)
        assert result.conflicts == 4
        # Full jitter under a doubling ceiling (0.1 s first, 2 s at most).
        ceilings = (0.1, 0.2, 0.4, 0.8)
        assert all(0 <= w <= cap for w, cap in zip(clock.sleeps, ceilings, strict=True))
        assert {s["bitrate"] for s in rows(sandbox)["streams"]} == {4_000_000}

        clock = FakeTime()
        store = RivalApplies(cp, rivals, times=1000)
        with pytest.raises(LockError, match=r"for 1s \(--lock-timeout\)"):
            await apply_plan(store, await make_plan(cp, again, NOW, PlanOptions()),
                             lock_timeout=1, rng=random.Random(8), sleep=clock.sleep,
                             monotonic=clock.monotonic)
        # No try started after the deadline; the one before it still did.
        assert clock.now >= 1 and sum(clock.sleeps[:-1]) < 1 and store.left > 900
    assert_no_duplicates_or_orphans(sandbox)
