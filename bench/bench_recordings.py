#!/usr/bin/env python3
"""Benchmark: post-recording rules over fleet recordings, ours vs the official SDK's loop.

    .venv/bin/python bench/bench_recordings.py [--rtt-ms 0,20] [--recordings 100000]
        [--changes 10000] [--baseline-recordings 5000] [--million 1000000]
        [--rate-limit 50] [--skip-baseline]

Every scenario starts `campaign sandbox serve` (its own process, loopback HTTP) on a copy of
a database seeded with direct SQLite inserts, with the sandbox's `--latency-ms` fault set to
the round trip under test (`--rtt-ms`, default 0 and 20 ms), and measures in the same run:
  - ours, per RTT: `plan_recordings` (time), `apply_recordings` (changes/s, and the GETs it
    sent per change: re-reading each page just before writing it, instead of a GET per
    recording), a re-plan + re-apply (must send zero PATCH), checked with the sandbox's stats;
  - baseline, per RTT: the vendor-docs way with the official `avala` SDK: per device, page
    through `client.fleet.recordings.list(device_id=..., limit=50, cursor=...)` and call
    `client.fleet.recordings.update(uid, status=..., tags=...)` one at a time. It is
    measured on `--baseline-recordings` (same mix) and extrapolated linearly to the full
    size (its cost is one request per 50 recordings plus one per change, both linear), and
    the output says so;
  - a rate-limited run (`--rate-limit` requests/s on the sandbox, 429 + Retry-After +
    X-RateLimit-*): failures (goal 0), 429s received, requests/s against the limit;
  - a plan over `--million` recordings in a child process: plan time and the child's peak
    RSS (`ru_maxrss` of the planning process itself, interpreter and imports included).
Goals (issue 15): at 20 ms >= 1,000 changes/s with nothing overwritten and < 1 extra GET per
change; zero failures under a 50 requests/s limit; 1,000,000 recordings planned in <= 60 s
with peak RSS <= 300 MB; a re-run sends zero PATCH.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.adapters.fleet import LANE_SIZE, MAX_IN_FLIGHT, FleetClient  # noqa: E402
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
    """`total` recordings over 10 devices; exactly `changes` of them need a PATCH.

    One INSERT ... SELECT over a recursive series (SQLite does the work: a million rows in
    seconds). `i * 7919 % total < changes` picks the ones that need changes: a permutation
    of 0..total-1 when 7919 (a prime) does not divide `total`, so exactly `changes` of them.
    Even rows ended 91-300 days ago (archive candidates), odd ones 1-89 days ago.
    """
    if total % 7919 == 0:
        raise SystemExit("--recordings must not be a multiple of 7919")
    conn = connect(db)
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                           "tbl_name = 'fleet_recording' AND sql IS NOT NULL").fetchall()
    with transaction(conn):
        for name, _ in indexes:  # built once at the end: faster than row by row
            conn.execute(f"DROP INDEX {name}")
        conn.execute("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :total),
            r AS (SELECT i, i % 2 = 0 AS old, (i * 7919) % :total < :changes AS need,
                         CASE WHEN i % 2 = 0 THEN 91 + (i * 31) % 209 ELSE 1 + (i * 31) % 88 END
                           + (i * 17) % 1000 / 1000.0 AS days_ago,
                         10 + (i * 13) % 590 AS secs FROM n),
            s AS (SELECT *, CASE WHEN need THEN 'completed' WHEN i % 97 = 0 THEN 'recording'
                                 WHEN old THEN 'archived' ELSE 'completed' END AS status,
                         strftime('%Y-%m-%dT%H:%M:%fZ', :now - days_ago - secs / 86400.0)
                           AS stamp FROM r)
            INSERT INTO fleet_recording (uid, device, status, duration_seconds, size_bytes,
                topics, tags, started_at, ended_at, created_at, updated_at)
            SELECT printf('rec_%07d', i), printf('dev_bench_%03d', i % 10), status, 60.0,
                   5000000, '[{"name":"/camera/color","message_count":900}]',
                   CASE WHEN need AND old THEN :tag_site WHEN need THEN '["site:lab"]'
                        WHEN status = 'recording' THEN '[]' WHEN old THEN :tag_site_archived
                        ELSE :tag_site END,
                   stamp,
                   CASE WHEN status = 'recording' THEN NULL
                        ELSE strftime('%Y-%m-%dT%H:%M:%fZ', :now - days_ago) END,
                   stamp, stamp
            FROM s""", {"total": total, "changes": changes,
                        "now": NOW.timestamp() / 86400.0 + 2440587.5,
                        "tag_site": json.dumps([TAG, "site:lab"]),
                        "tag_site_archived": json.dumps([TAG, "site:lab", ARCHIVED_TAG])})
        for _, sql in indexes:
            conn.execute(sql)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`campaign sandbox serve` in its own process."""

    def __init__(self, db: Path, latency_ms: float = 0.0, rate_limit: int = 0) -> None:
        self.log = db.with_suffix(".log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fleet_url = self.url + "/api/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "sandbox", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--db", str(db), "--admin-secret", ADMIN_SECRET,
             "--api-key", API_KEY, "--latency-ms", str(latency_ms),
             "--rate-limit", str(rate_limit)],
            stdout=subprocess.DEVNULL, stderr=self.log.open("wb"), cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.stats()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit("sandbox exited: " + self.log_tail()) from None
                time.sleep(0.1)
        raise SystemExit("sandbox did not start in 60 s")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/sandbox/v1/stats",
                                         headers={"x-hasura-admin-secret": ADMIN_SECRET})
        with urllib.request.urlopen(request, timeout=5) as response:
            data: dict[str, Any] = json.load(response)
            return data

    def requests(self) -> dict[str, int]:
        """Fleet requests received so far by method, and 429s answered."""
        stats = self.stats()
        counts = {k: int(v) for k, v in stats["fleet"]["by_method"].items()}
        counts["429"] = int(stats["faults"].get("rate_limited", 0))
        return counts

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


async def ours(server: Server, args: argparse.Namespace) -> dict[str, float]:
    """Plan, apply, re-plan + re-apply with our client; figures from the sandbox's stats."""
    campaign = the_campaign()
    figures: dict[str, float] = {}
    async with FleetClient(server.fleet_url, API_KEY, max_connections=args.max_in_flight,
                           lane_size=args.lane_size) as fleet:
        start = time.perf_counter()
        plans = await plan_recordings([campaign], fleet, now=NOW)
        figures["plan_s"] = time.perf_counter() - start
        figures["scanned"] = plans[0].scanned
        figures["planned"] = len(plans[0].changes)

        before = server.requests()
        start, cpu = time.perf_counter(), time.process_time()
        result = await apply_recordings(plans, fleet, allow_delete=False)
        figures["apply_s"] = time.perf_counter() - start
        figures["cpu_per_change_us"] = (time.process_time() - cpu) / max(1, result.changed) * 1e6
        sent = delta(server.requests(), before)
        figures["patches"] = sent["PATCH"]
        figures["gets"] = sent["GET"]
        figures["429"] = sent["429"]
        figures["failed"] = len(result.failed)
        figures["changed"] = result.changed
        figures["changes_per_s"] = result.changed / figures["apply_s"]
        figures["window"] = fleet.window.size

        replans = await plan_recordings([campaign], fleet, now=NOW)
        before = server.requests()
        await apply_recordings(replans, fleet, allow_delete=False)
        figures["rerun_changes"] = len(replans[0].changes)
        figures["rerun_patches"] = delta(server.requests(), before)["PATCH"]
    return figures


def baseline(server: Server) -> dict[str, float]:
    """The vendor-docs loop: list pages with the SDK, PATCH one recording at a time."""
    os.environ["AVALA_ALLOW_INSECURE_BASE_URL"] = "true"  # the SDK's switch for http://localhost
    from avala import Client

    figures: dict[str, float] = {}
    before = server.requests()
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
    figures["patches"] = delta(server.requests(), before)["PATCH"]
    figures["patch_calls"] = patched
    return figures


def seeded(work: Path, name: str, total: int, changes: int) -> Path:
    db = work / f"{name}.db"
    if not db.exists():
        t0 = time.perf_counter()
        seed(db, total, changes)
        print(f"  (seeded {total} recordings, {changes} needing changes, in "
              f"{time.perf_counter() - t0:.1f} s)")
    copy = work / f"{name}-{time.monotonic_ns()}.db"
    shutil.copy(db, copy)
    return copy


def speed_scenario(work: Path, args: argparse.Namespace, rtt_ms: float) -> None:
    label = f"rtt {rtt_ms:g} ms"
    total, changes = args.recordings, args.changes
    print(f"[{label}] {total} recordings ({changes} need changes), sandbox latency "
          f"{rtt_ms:g} ms per request")
    server = Server(seeded(work, "speed", total, changes), rtt_ms)
    try:
        mine = asyncio.run(ours(server, args))
    finally:
        server.stop()
    extra_gets = mine["gets"] / max(1.0, mine["changed"] + mine["failed"])
    print(f"[{label}] ours: plan {mine['plan_s']:.2f} s for {mine['scanned']:.0f} recordings "
          f"({mine['planned']:.0f} changes)")
    print(f"[{label}] ours: apply {mine['changed']:.0f} changes ({mine['patches']:.0f} PATCH, "
          f"{mine['gets']:.0f} GET = {extra_gets:.3f} GET per change) in {mine['apply_s']:.2f} s"
          f" = {mine['changes_per_s']:.0f} changes/s, {mine['failed']:.0f} failed, "
          f"{mine['429']:.0f} x 429; window ended at {mine['window']:.0f} in flight; client CPU "
          f"{mine['cpu_per_change_us']:.0f} us per change [goal at 20 ms: >= 1000 changes/s, "
          "< 1 GET per change]")
    print(f"[{label}] ours: re-run plans {mine['rerun_changes']:.0f} changes, sends "
          f"{mine['rerun_patches']:.0f} PATCH [goal 0]")
    if args.skip_baseline:
        return
    sub_total = args.baseline_recordings
    sub_changes = max(1, round(sub_total * changes / total))
    server = Server(seeded(work, "baseline", sub_total, sub_changes), rtt_ms)
    try:
        base = baseline(server)
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
    scale = total / sub_total
    estimate = base["total_s"] * scale
    ours_total = mine["plan_s"] + mine["apply_s"]
    print(f"[{label}] baseline (avala SDK, sequential list-then-PATCH, limit=50 as in the docs):"
          f" measured {base['total_s']:.2f} s for {sub_total} recordings ({base['patches']:.0f}"
          f" PATCH) = {base['patches'] / base['total_s']:.0f} changes/s; extrapolated linearly "
          f"x{scale:g} to {total}: {estimate:.1f} s")
    print(f"[{label}] ratio: ours plan+apply {ours_total:.2f} s vs baseline {estimate:.1f} s "
          f"(extrapolated) = {estimate / ours_total:.1f}x faster; changes/s "
          f"{mine['changes_per_s']:.0f} vs {base['patches'] / base['total_s']:.0f} = "
          f"{mine['changes_per_s'] * base['total_s'] / max(1.0, base['patches']):.1f}x")


def rate_limited_scenario(work: Path, args: argparse.Namespace) -> None:
    total, changes = args.rate_limited_recordings, args.rate_limited_recordings // 10
    label = f"rate limit {args.rate_limit}/s"
    print(f"[{label}] {total} recordings ({changes} need changes), sandbox answers 429 past "
          f"{args.rate_limit} fleet requests per second")
    server = Server(seeded(work, "limited", total, changes), 0.0, args.rate_limit)
    try:
        before = server.requests()
        start = time.perf_counter()
        mine = asyncio.run(ours(server, args))
        elapsed = time.perf_counter() - start
        sent = delta(server.requests(), before)
    finally:
        server.stop()
    requests = sent["GET"] + sent["PATCH"]
    print(f"[{label}] ours: plan + apply + re-run: {requests} requests ({sent['429']} answered "
          f"429) in {elapsed:.1f} s = {requests / elapsed:.1f} requests/s against a limit of "
          f"{args.rate_limit}/s; apply {mine['changed']:.0f} changes at "
          f"{mine['changes_per_s']:.1f} changes/s, {mine['failed']:.0f} failed [goal 0]; re-run "
          f"sends {mine['rerun_patches']:.0f} PATCH")


def million_scenario(work: Path, args: argparse.Namespace, rtt_ms: float) -> None:
    total = args.million
    label = f"{total} recordings, rtt {rtt_ms:g} ms"
    print(f"[{label}] plan only ({total // 10} need changes), in a child process")
    server = Server(seeded(work, "million", total, total // 10), rtt_ms)
    try:
        child = subprocess.run([sys.executable, __file__, "--plan-child", server.fleet_url,
                                "--max-in-flight", str(args.max_in_flight)],
                               capture_output=True, text=True, check=True, cwd=ROOT)
    finally:
        server.stop()
    got = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"[{label}] ours: plan {got['plan_s']:.1f} s for {got['scanned']} recordings "
          f"({got['planned']} changes) [goal <= 60 s]; peak RSS of the planning process "
          f"{got['maxrss_mb']:.0f} MB (interpreter and imports: {got['idle_rss_mb']:.0f} MB) "
          f"[goal <= 300 MB]")


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (Linux; ru_maxrss there also counts the forked copy of
    the parent before exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plan_child(url: str, max_in_flight: int) -> None:
    """Plan once in this process and print its figures as one JSON line."""
    idle = peak_rss_mb()

    async def go() -> dict[str, float]:
        async with FleetClient(url, API_KEY, max_connections=max_in_flight) as fleet:
            start = time.perf_counter()
            plans = await plan_recordings([the_campaign()], fleet, now=NOW)
            return {"plan_s": time.perf_counter() - start, "scanned": plans[0].scanned,
                    "planned": len(plans[0].changes)}

    figures = asyncio.run(go())
    figures["maxrss_mb"] = peak_rss_mb()
    figures["idle_rss_mb"] = idle
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rtt-ms", default="0,20",
                        help="round trips to measure at, comma-separated (the sandbox's "
                             "latency fault)")
    parser.add_argument("--recordings", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--baseline-recordings", type=int, default=5_000,
                        help="the SDK loop runs on this many (same mix), extrapolated")
    parser.add_argument("--million", type=int, default=1_000_000,
                        help="recordings of the plan-only scenario (0 skips it)")
    parser.add_argument("--million-rtt-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=50,
                        help="requests/s of the rate-limited scenario (0 skips it)")
    parser.add_argument("--rate-limited-recordings", type=int, default=5_000)
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT,
                        help="the fleet client's window maximum")
    parser.add_argument("--lane-size", type=int, default=LANE_SIZE,
                        help="connections per httpx pool (64 = one pool for all)")
    parser.add_argument("--skip-baseline", action="store_true", help="only measure ours")
    parser.add_argument("--plan-child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan_child:
        plan_child(args.plan_child, args.max_in_flight)
        return

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at start {load} on {os.cpu_count()} CPUs (figures move with it)")
    work = Path(tempfile.mkdtemp(prefix="bench-recordings-"))
    try:
        for rtt in (float(v) for v in args.rtt_ms.split(",") if v.strip()):
            speed_scenario(work, args, rtt)
        if args.rate_limit:
            rate_limited_scenario(work, args)
        if args.million:
            million_scenario(work, args, args.million_rtt_ms)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at end {load}")


if __name__ == "__main__":
    main()
