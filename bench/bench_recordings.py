#!/usr/bin/env python3
"""Benchmark: post-recording rules over 100,000 fleet recordings, 10,000 of which need changes.

    .venv/bin/python bench/bench_recordings.py [--recordings 100000] [--changes 10000]

Starts two sandbox servers (`campaign sandbox serve`, separate processes, loopback HTTP) on
two copies of one seeded database, then measures, in the same run:
  - ours: `plan_recordings` (time, peak traced memory), `apply_recordings` (PATCH/s),
    a re-plan + re-apply (must send zero PATCH, checked with the sandbox's stats);
  - baseline: the vendor-docs way with the official `avala` SDK: for each device, page
    through `client.fleet.recordings.list(device_id=..., limit=50, cursor=...)` and call
    `client.fleet.recordings.update(uid, status=..., tags=...)` one at a time.
Goals: plan <= 10 s, apply >= 500 PATCH/s, plan peak memory < 300 MB, re-run zero PATCH.

A second, smaller scenario repeats both with the sandbox adding 5 ms to every request (its
`--latency-ms` fault): on bare loopback the single-process sandbox is the bottleneck and
concurrency buys little; with any network latency the sequential loop pays it per request.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.adapters.fleet import LANE_SIZE, FleetClient  # noqa: E402
from runner.recordings import apply_recordings, plan_recordings  # noqa: E402
from runner.sandbox.store import connect, transaction  # noqa: E402
from runner.spec.model import (  # noqa: E402
    AbsoluteWindow,
    Camera,
    Campaign,
    Location,
    RecordingPolicy,
    RecordingRule,
    RecordingSelector,
    RuleCondition,
    SessionSettings,
    Trigger,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEVICES = tuple(f"dev_bench_{i:03d}" for i in range(10))
HERE = Location("bench", 1, 1)
API_KEY = "bench-api-key-" + "x" * 16
ADMIN_SECRET = "bench-admin-secret"
TAG = "campaign:bench"
ARCHIVED_TAG = "auto-archived"
AGE = dt.timedelta(days=90)


def the_campaign() -> Campaign:
    """Two rules: tag every recording with the campaign; archive completed ones after 90 days."""
    rules = (
        RecordingRule("tag-campaign", RuleCondition(), (TAG,), (), None, False, HERE),
        RecordingRule("archive-after-90d", RuleCondition(status=("completed",), older_than=AGE),
                      (ARCHIVED_TAG,), (), "archived", False, HERE),
    )
    cameras = tuple(Camera("REALSENSE_D435", f"s{i}", d, (), HERE) for i, d in enumerate(DEVICES))
    window = AbsoluteWindow(dt.datetime(2025, 1, 1, tzinfo=UTC),
                            dt.datetime(2027, 1, 1, tzinfo=UTC), None, HERE)
    return Campaign("bench", (), None, cameras, SessionSettings(), window, Trigger.SCHEDULED, None,
                    RecordingPolicy(RecordingSelector(), rules, HERE), HERE)


def baseline_wants(rec: Any) -> tuple[str | None, list[str]] | None:
    """The same two rules as a user script would write them inline (for the SDK loop)."""
    status, tags = rec.status, list(rec.tags)
    if status == "recording":
        return None
    if TAG not in tags:
        tags.append(TAG)
    reference = rec.ended_at or rec.created_at
    if status == "completed" and reference is not None and NOW - reference >= AGE:
        status = "archived"
        if ARCHIVED_TAG not in tags:
            tags.append(ARCHIVED_TAG)
    if status == rec.status and tags == list(rec.tags):
        return None
    return status, tags


def seed(db: Path, total: int, changes: int) -> None:
    """`total` recordings over 10 devices; exactly `changes` of them need a PATCH."""
    rng = random.Random(42)
    rows = []
    need = set(rng.sample(range(total), changes))
    for i in range(total):
        device = DEVICES[i % len(DEVICES)]
        old = i % 2 == 0
        ended = NOW - dt.timedelta(days=rng.uniform(91, 300) if old else rng.uniform(1, 89))
        started = ended - dt.timedelta(seconds=rng.uniform(10, 600))
        if i in need:  # half: old + completed (archive); half: missing the campaign tag
            status, tags = ("completed", [TAG, "site:lab"]) if old else ("completed", ["site:lab"])
        elif i % 97 == 0:
            status, tags = "recording", []  # still recording: never touched
        else:
            status, tags = ("archived", [TAG, "site:lab", ARCHIVED_TAG]) if old else \
                           ("completed", [TAG, "site:lab"])
        stamp = started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rows.append((f"rec_{i:07d}", device, status, 60.0, 5_000_000,
                     json.dumps([{"name": "/camera/color", "message_count": 900}]),
                     json.dumps(tags), stamp,
                     None if status == "recording" else ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                     stamp, stamp))
    conn = connect(db)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO fleet_recording (uid, device, status, duration_seconds, size_bytes,"
            " topics, tags, started_at, ended_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`campaign sandbox serve` in its own process."""

    def __init__(self, db: Path, latency_ms: float = 0.0) -> None:
        self.log = db.with_suffix(".log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fleet_url = self.url + "/api/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "sandbox", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--db", str(db), "--admin-secret", ADMIN_SECRET,
             "--api-key", API_KEY, "--latency-ms", str(latency_ms)],
            stdout=subprocess.DEVNULL, stderr=self.log.open("wb"), cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.stats()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit("sandbox exited: " + self.log_tail()) from None
                time.sleep(0.1)
        raise SystemExit("sandbox did not start in 30 s")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/sandbox/v1/stats",
                                         headers={"x-hasura-admin-secret": ADMIN_SECRET,
                                                  "X-Avala-Api-Key": API_KEY})
        with urllib.request.urlopen(request, timeout=5) as response:
            data: dict[str, Any] = json.load(response)
            return data

    def patches(self) -> int:
        return int(self.stats()["fleet"]["by_method"]["PATCH"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def ours(server: Server, lane_size: int) -> dict[str, float]:
    campaign = the_campaign()
    figures: dict[str, float] = {}
    async with FleetClient(server.fleet_url, API_KEY, lane_size=lane_size) as fleet:
        start = time.perf_counter()
        plans = await plan_recordings([campaign], fleet, now=NOW)
        figures["plan_s"] = time.perf_counter() - start
        figures["scanned"] = plans[0].scanned
        figures["planned"] = len(plans[0].changes)

        # Peak memory of a second, identical plan (read-only) under tracemalloc.
        tracemalloc.start()
        await plan_recordings([campaign], fleet, now=NOW)
        figures["plan_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

        before = server.patches()
        start = time.perf_counter()
        result = await apply_recordings(plans, fleet, allow_delete=False, concurrency=16)
        figures["apply_s"] = time.perf_counter() - start
        figures["patches"] = server.patches() - before
        figures["failed"] = len(result.failed)
        figures["patch_per_s"] = figures["patches"] / figures["apply_s"]

        replans = await plan_recordings([campaign], fleet, now=NOW)
        before = server.patches()
        await apply_recordings(replans, fleet, allow_delete=False)
        figures["rerun_changes"] = len(replans[0].changes)
        figures["rerun_patches"] = server.patches() - before
    figures["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def baseline(server: Server) -> dict[str, float]:
    """The vendor-docs loop: list pages with the SDK, PATCH one recording at a time."""
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"  # the SDK's switch for http://localhost
    from avala import Client

    figures: dict[str, float] = {}
    before = server.patches()
    start = time.perf_counter()
    patched = 0
    with Client(api_key=API_KEY, base_url=server.fleet_url) as client:
        for device in DEVICES:
            cursor = None
            while True:
                page = client.fleet.recordings.list(device_id=device, limit=50, cursor=cursor)
                for rec in page.items:
                    wanted = baseline_wants(rec)
                    if wanted is not None:
                        status, tags = wanted
                        client.fleet.recordings.update(rec.uid, status=status, tags=tags)
                        patched += 1
                if not page.has_more:
                    break
                cursor = page.next_cursor
    figures["total_s"] = time.perf_counter() - start
    figures["patches"] = server.patches() - before
    figures["patch_calls"] = patched
    return figures


def scenario(work: Path, label: str, total: int, changes: int, latency_ms: float,
             lane_size: int, skip_baseline: bool) -> None:
    """Seed one database, copy it, run ours on one copy and the baseline on the other."""
    ours_db, base_db = work / f"{label}-ours.db", work / f"{label}-baseline.db"
    t0 = time.perf_counter()
    seed(ours_db, total, changes)
    shutil.copy(ours_db, base_db)
    print(f"[{label}] {total} recordings ({changes} need changes), sandbox latency "
          f"{latency_ms:g} ms per request; seeded in {time.perf_counter() - t0:.1f} s")

    server = Server(ours_db, latency_ms)
    try:
        mine = asyncio.run(ours(server, lane_size))
    finally:
        server.stop()
    print(f"[{label}] ours: plan {mine['plan_s']:.2f} s for {mine['scanned']:.0f} recordings "
          f"({mine['planned']:.0f} changes) [goal <= 10 s]")
    print(f"[{label}] ours: plan peak traced memory {mine['plan_peak_mb']:.1f} MB "
          f"[goal < 300 MB]; process max RSS {mine['maxrss_mb']:.0f} MB")
    print(f"[{label}] ours: apply {mine['patches']:.0f} PATCH in {mine['apply_s']:.2f} s = "
          f"{mine['patch_per_s']:.0f} PATCH/s, {mine['failed']:.0f} failed "
          "[goal >= 500 PATCH/s]")
    print(f"[{label}] ours: re-run plans {mine['rerun_changes']:.0f} changes, sends "
          f"{mine['rerun_patches']:.0f} PATCH [goal 0]")
    ours_total = mine["plan_s"] + mine["apply_s"]
    if skip_baseline:
        return

    server = Server(base_db, latency_ms)
    try:
        base = baseline(server)
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
    print(f"[{label}] baseline (avala SDK, sequential list-then-PATCH, limit=50 as in the "
          f"docs): {base['total_s']:.2f} s, {base['patches']:.0f} PATCH")
    print(f"[{label}] ratio: ours plan+apply {ours_total:.2f} s vs baseline "
          f"{base['total_s']:.2f} s = {base['total_s'] / ours_total:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--latency-recordings", type=int, default=20_000,
                        help="size of the second scenario (0 skips it)")
    parser.add_argument("--latency-ms", type=float, default=5.0,
                        help="per-request latency the sandbox adds in the second scenario")
    parser.add_argument("--skip-baseline", action="store_true", help="only measure ours")
    parser.add_argument("--lane-size", type=int, default=LANE_SIZE,
                        help="connections per httpx pool (16 = one pool for all 16)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-recordings-"))
    try:
        scenario(work, "loopback", args.recordings, args.changes, 0.0, args.lane_size,
                 args.skip_baseline)
        if args.latency_recordings:
            scenario(work, f"latency-{args.latency_ms:g}ms", args.latency_recordings,
                     args.latency_recordings // 10, args.latency_ms, args.lane_size,
                     args.skip_baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
