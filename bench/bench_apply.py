#!/usr/bin/env python3
"""Benchmark: apply 1,000 sessions x 4 cameras x 2 streams to the sandbox, then a no-op plan.

Figures: wall time and GraphQL round trips of `apply` (goal: <= 4 round trips, <= 5 s), wall
time of a no-op plan (goal: <= 1 s), and the ratio against a naive client that sends one
request per object (the vendor scripts' style) against the same kind of sandbox in the same
run. The sandbox runs as a separate process (`campaign sandbox serve`), as it would in CI.

    .venv/bin/python bench/bench_apply.py [--sessions 1000] [--naive-sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from runner.adapters.controlplane import ControlPlane, ControlPlaneConfig
from runner.adapters.controlplane.introspect import SchemaCache
from runner.compile import Desired, compile_campaigns
from runner.plan.apply import apply_plan, make_plan
from runner.plan.model import PlanOptions
from runner.spec.model import (
    Camera,
    Campaign,
    Location,
    RecurringWindow,
    SessionSettings,
    Stream,
    Trigger,
)

# The sandbox server runs on the real clock: plan with it too (sessions start tomorrow).
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
CAMERAS = [("REALSENSE_D435", "844212070924", "dev_vehicle_001"),
           ("REALSENSE_D435", "844212071131", "dev_vehicle_002"),
           ("REALSENSE_D435", "936322070512", "dev_lab_001"),
           ("REALSENSE", "218622272031", "dev_vehicle_001")]


def bench_campaign(name: str) -> Campaign:
    """A daily campaign: with an N-day horizon it declares N sessions of 4 cameras x 2 streams."""
    here = Location("bench.yaml", 1, 1)
    streams = tuple(
        Stream(type=t, align_to="color", encoder="HEVC" if t == "color" else "Classic",
               width=1280, height=720, frame_rate=15, bitrate=b, near_cut=300, far_cut=8000,
               location=here)
        for t, b in (("color", 1_000_000), ("depth", 5_000_000))
    )
    return Campaign(
        name=name, labels=(), description=None,
        cameras=tuple(Camera(m, s, d, streams, here) for m, s, d in CAMERAS),
        session=SessionSettings(mode="Storage", max_size_megabytes=0, max_time_seconds=0),
        window=RecurringWindow(days=frozenset(range(1, 8)), start_time=dt.time(8),
                               end_time=dt.time(18), timezone="Europe/Oslo",
                               start=NOW.date() + dt.timedelta(days=1), until=None, location=here),
        trigger=Trigger.SCHEDULED, bursts=None, recordings=None, location=here,
    )


def exactly(desired: Desired, sessions: int) -> Desired:
    """The first `sessions` occurrences (the horizon is a little longer than needed)."""
    assert len(desired.sessions) >= sessions
    return dataclasses.replace(desired, sessions=desired.sessions[:sessions])


class Sandbox:
    """`campaign sandbox serve` in a child process on a free loopback port."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.secret = secrets.token_urlsafe(16)
        self.state_dir = directory / "state"
        env = {**os.environ, "CAMPAIGN_SANDBOX_ADMIN_SECRET": self.secret,
               "CAMPAIGN_SANDBOX_API_KEY": secrets.token_urlsafe(16)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "sandbox", "serve", "--port", str(self.port),
             "--db", str(directory / "sandbox.db"), "--seed", "demo"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/sandbox/v1/stats", timeout=1,
                          headers={"x-hasura-admin-secret": self.secret})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("sandbox did not start") from None
                time.sleep(0.1)

    def stats(self) -> dict[str, Any]:
        response = httpx.get(self.url + "/sandbox/v1/stats", timeout=10,
                             headers={"x-hasura-admin-secret": self.secret})
        result: dict[str, Any] = response.json()["graphql"]
        return result

    def control_plane(self) -> ControlPlane:
        # The schema cache of a state dir: introspected once, as on every run after the first.
        return ControlPlane(ControlPlaneConfig(self.url + "/v1/graphql", self.secret,
                                               timeout=120.0),
                            schema_cache=SchemaCache(self.state_dir / "schema"))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def reconciler(sandbox: Sandbox, sessions: int) -> dict[str, float]:
    desired = exactly(compile_campaigns([bench_campaign("bench")], NOW,
                                        dt.timedelta(days=sessions + 2)), sessions)
    start = time.perf_counter()
    async with sandbox.control_plane() as cp:  # first contact: introspect (then cached)
        await cp.dialect()
    introspect_seconds = time.perf_counter() - start
    before = sandbox.stats()["requests"]
    start = time.perf_counter()
    async with sandbox.control_plane() as cp:
        plan = await make_plan(cp, desired, NOW, PlanOptions())
        result = await apply_plan(cp, plan)
    apply_seconds = time.perf_counter() - start
    trips = sandbox.stats()["requests"] - before
    start = time.perf_counter()
    async with sandbox.control_plane() as cp:
        noop = await make_plan(cp, desired, NOW, PlanOptions())
    noop_seconds = time.perf_counter() - start
    assert noop.writes.empty(), "the no-op plan is not empty"
    return {"apply_s": apply_seconds, "round_trips": trips, "noop_s": noop_seconds,
            "objects": sum(result.plan.counts()), "introspect_s": introspect_seconds}


INSERT_SESSION = """mutation($o: RecordingSession_insert_input!) {
  insertRecordingSession(object: $o) { id } }"""
INSERT_RECORD = """mutation($o: Record_insert_input!) { insertRecord(object: $o) { id } }"""
INSERT_STREAM = """mutation($o: Stream_insert_input!) { insertStream(object: $o) { id } }"""
CAMERA_IDS = """query { cameras { id model serial } }"""


def naive(sandbox: Sandbox, sessions: int) -> dict[str, float]:
    """One request per object, sequential, like the vendor's example scripts."""
    desired = exactly(compile_campaigns([bench_campaign("naive")], NOW,
                                        dt.timedelta(days=sessions + 2)), sessions)
    headers = {"x-hasura-admin-secret": sandbox.secret}
    requests = 0
    start = time.perf_counter()
    with httpx.Client(base_url=sandbox.url, headers=headers, timeout=60) as client:
        def call(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            nonlocal requests
            requests += 1
            body = client.post("/v1/graphql", json={"query": query,
                                                    "variables": variables or {}}).json()
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        cameras = {(c["model"], c["serial"]): c["id"] for c in call(CAMERA_IDS)["cameras"]}
        for session in desired.sessions:
            sid = call(INSERT_SESSION, {"o": {**session.columns(), "state": session.state}})[
                "insertRecordingSession"]["id"]
            for record in session.records:
                rid = call(INSERT_RECORD, {"o": {
                    "recordingId": sid, "cameraId": cameras[(record.model, record.serial)]}})[
                    "insertRecord"]["id"]
                for stream in record.streams:
                    call(INSERT_STREAM, {"o": {"recordId": rid, **stream.columns()}})
    return {"apply_s": time.perf_counter() - start, "round_trips": requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--naive-sessions", type=int, default=None,
                        help="sessions for the naive client (default: same as --sessions)")
    args = parser.parse_args()
    naive_sessions = args.naive_sessions or args.sessions
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        ours_box = Sandbox(Path(tmp) / "a")
        try:
            ours = asyncio.run(reconciler(ours_box, args.sessions))
        finally:
            ours_box.stop()
        (Path(tmp) / "b").mkdir()
        naive_box = Sandbox(Path(tmp) / "b")
        try:
            base = naive(naive_box, naive_sessions)
        finally:
            naive_box.stop()
    per_object = args.sessions * (1 + 4 + 8)
    scale = args.sessions / naive_sessions
    naive_seconds = base["apply_s"] * scale
    print(f"workload: {args.sessions} sessions x 4 cameras x 2 streams = {per_object} objects")
    print(f"reconciler apply : {ours['apply_s']:.2f} s, {ours['round_trips']:.0f} GraphQL "
          f"round trips (goal <= 4 and <= 5 s)")
    print(f"reconciler no-op plan: {ours['noop_s']:.2f} s (goal <= 1 s)")
    print(f"first contact (introspection, once per endpoint, then cached): "
          f"{ours['introspect_s']:.2f} s")
    print(f"naive client     : {base['apply_s']:.2f} s, {base['round_trips']:.0f} requests for "
          f"{naive_sessions} sessions" + (f" (x{scale:g} -> {naive_seconds:.1f} s)"
                                          if scale != 1 else ""))
    print(f"ratio naive/reconciler wall time: {naive_seconds / ours['apply_s']:.1f}x; "
          f"round trips: {base['round_trips'] * scale / ours['round_trips']:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
