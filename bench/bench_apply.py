#!/usr/bin/env python3
"""Benchmark: apply N sessions (10 per campaign) x 4 cameras x 2 streams to the sandbox, then
a no-op plan, at each round-trip time; against a naive one-request-per-object client.

Figures per round-trip time (the sandbox's `latency_ms` fault, added to every GraphQL
request): apply wall time and GraphQL round trips, no-op plan wall time (the state read and
diff, then `campaign plan`'s findings read), the client's peak RSS, cost per session against
a 1,000-session run in the same invocation, and the ratio against the naive client (the
vendor scripts' style: one request per object, sequential). The naive client runs on
`--naive-sessions` sessions and its time is extrapolated linearly (it is linear: one request
per object). Every run gets a fresh `campaign sandbox serve` process, and every client runs
in its own process too, so RSS and CPU are the client's alone.

    .venv/bin/python bench/bench_apply.py [--sessions 10000] [--rtt-ms 0,20]
        [--naive-sessions 50] [--reference 1000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import resource
import secrets
import socket
import statistics
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
from runner.ops.plan import cross_check
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
OBJECTS_PER_SESSION = 1 + 4 + 4 * 2


def bench_campaign(name: str, first_day: dt.date, days: int) -> Campaign:
    """A daily campaign of `days` sessions of 4 cameras x 2 streams from `first_day` on."""
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
                               start=first_day, until=first_day + dt.timedelta(days=days - 1),
                               location=here),
        trigger=Trigger.SCHEDULED, bursts=None, recordings=None, location=here,
    )


def bench_campaigns(prefix: str, sessions: int, per_campaign: int) -> list[Campaign]:
    """ceil(sessions / per_campaign) campaigns one after the other in time (they share the
    four cameras, so overlapping ones would be camera conflicts), `sessions` in all."""
    tomorrow = NOW.date() + dt.timedelta(days=1)
    out = []
    for index, first in enumerate(range(0, sessions, per_campaign)):
        days = min(per_campaign, sessions - first)
        out.append(bench_campaign(f"{prefix}-{index:05d}", tomorrow + dt.timedelta(days=first),
                                  days))
    return out


def compile_bench(prefix: str, sessions: int, per_campaign: int) -> tuple[list[Campaign],
                                                                            Desired]:
    campaigns = bench_campaigns(prefix, sessions, per_campaign)
    desired = compile_campaigns(campaigns, NOW, dt.timedelta(days=sessions + 2))
    assert len(desired.sessions) == sessions, len(desired.sessions)
    return campaigns, desired


class Sandbox:
    """`campaign sandbox serve` in a child process on a free loopback port."""

    def __init__(self, directory: Path, rtt_ms: float) -> None:
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
        self.headers = {"x-hasura-admin-secret": self.secret}
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/sandbox/v1/stats", timeout=1, headers=self.headers)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("sandbox did not start") from None
                time.sleep(0.1)
        # The round-trip time: the sandbox's latency fault delays every GraphQL request.
        httpx.post(self.url + "/sandbox/v1/faults", json={"latency_ms": rtt_ms}, timeout=10,
                   headers=self.headers).raise_for_status()

    def peak_rss_mb(self) -> float:
        """The server process's peak RSS so far (Linux /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# -- the clients, each run in a child process (`--client reconciler|naive`) -----------------

def control_plane(url: str, secret: str, state_dir: Path) -> ControlPlane:
    # The schema cache of a state dir: introspected once, as on every run after the first.
    return ControlPlane(ControlPlaneConfig(url + "/v1/graphql", secret, timeout=300.0),
                        schema_cache=SchemaCache(state_dir / "schema"))


def stats(url: str, secret: str) -> int:
    response = httpx.get(url + "/sandbox/v1/stats", timeout=30,
                         headers={"x-hasura-admin-secret": secret})
    requests: int = response.json()["graphql"]["requests"]
    return requests


def own_peak_rss_mb() -> float:
    """This process's peak RSS since start or the last reset_peak_rss() (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start the peak RSS afresh (Linux: `5` to /proc/self/clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the figures a loaded
    machine changes least."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def reconciler(url: str, secret: str, state_dir: Path, sessions: int,
                     per_campaign: int, server_pid: int) -> dict[str, float]:
    start = time.perf_counter()
    campaigns, desired = compile_bench("bench", sessions, per_campaign)
    compile_seconds = time.perf_counter() - start
    async with control_plane(url, secret, state_dir) as cp:  # first contact: introspect
        await cp.dialect()
    before = stats(url, secret)
    cpu, server_cpu = time.process_time(), cpu_seconds(server_pid)
    start = time.perf_counter()
    async with control_plane(url, secret, state_dir) as cp:
        plan = await make_plan(cp, desired, NOW, PlanOptions())
        result = await apply_plan(cp, plan)
    apply_seconds = time.perf_counter() - start
    apply_cpu = time.process_time() - cpu
    apply_server_cpu = cpu_seconds(server_pid) - server_cpu
    trips = stats(url, secret) - before
    objects = sum(result.plan.counts())
    apply_rss = own_peak_rss_mb()
    del plan, result  # `campaign plan` runs in a process of its own
    gc.collect()
    reset_peak_rss()
    cpu, server_cpu = time.process_time(), cpu_seconds(server_pid)
    start = time.perf_counter()
    async with control_plane(url, secret, state_dir) as cp:
        noop = await make_plan(cp, desired, NOW, PlanOptions())
        read_seconds = time.perf_counter() - start
        findings = await cross_check(cp, campaigns, noop)
    noop_seconds = time.perf_counter() - start
    noop_cpu = time.process_time() - cpu
    noop_server_cpu = cpu_seconds(server_pid) - server_cpu
    assert noop.writes.empty(), "the no-op plan is not empty"
    assert not [f for f in findings if f.severity == "error"], findings[:3]
    return {"apply_s": apply_seconds, "round_trips": trips, "noop_read_s": read_seconds,
            "noop_s": noop_seconds, "objects": objects, "rss_mb": apply_rss,
            "noop_rss_mb": own_peak_rss_mb(),
            "compile_s": compile_seconds, "campaigns": len(campaigns),
            "apply_cpu_s": apply_cpu, "apply_server_cpu_s": apply_server_cpu,
            "noop_cpu_s": noop_cpu, "noop_server_cpu_s": noop_server_cpu}


INSERT_SESSION = """mutation($o: RecordingSession_insert_input!) {
  insertRecordingSession(object: $o) { id } }"""
INSERT_RECORD = """mutation($o: Record_insert_input!) { insertRecord(object: $o) { id } }"""
INSERT_STREAM = """mutation($o: Stream_insert_input!) { insertStream(object: $o) { id } }"""
CAMERA_IDS = """query { cameras { id model serial } }"""


def naive(url: str, secret: str, sessions: int, per_campaign: int) -> dict[str, float]:
    """One request per object, sequential, like the vendor's example scripts."""
    _, desired = compile_bench("naive", sessions, per_campaign)
    requests = 0
    start = time.perf_counter()
    with httpx.Client(base_url=url, headers={"x-hasura-admin-secret": secret},
                      timeout=60) as client:
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


def client_main(args: argparse.Namespace) -> int:
    """The child process: run one client, print its figures and peak RSS as JSON."""
    if args.client == "reconciler":
        out = asyncio.run(reconciler(args.url, args.secret, Path(args.state_dir), args.sessions,
                                     args.per_campaign, args.server_pid))
    else:
        out = naive(args.url, args.secret, args.sessions, args.per_campaign)
    out.setdefault("rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))
    return 0


def run_client(kind: str, rtt_ms: float, sessions: int, per_campaign: int) -> dict[str, float]:
    """A fresh sandbox and one client process against it; the client's figures."""
    with tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(Path(tmp), rtt_ms)
        try:
            child = subprocess.run(
                [sys.executable, __file__, "--client", kind, "--url", box.url,
                 f"--secret={box.secret}", "--state-dir", str(box.state_dir),
                 "--sessions", str(sessions),
                 "--per-campaign", str(per_campaign), "--server-pid", str(box.proc.pid)],
                capture_output=True, text=True, check=False)
            if child.returncode != 0:
                raise SystemExit(f"{kind} client failed:\n{child.stderr[-3000:]}")
            result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
            result["server_rss_mb"] = box.peak_rss_mb()
            return result
        finally:
            box.stop()


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the fastest apply, plus the median of each timing over the runs."""
    top = dict(min(runs, key=lambda r: r["apply_s"]))
    for key in ("apply_s", "noop_s", "noop_read_s"):
        if key in top:
            top[key + "_median"] = statistics.median(r[key] for r in runs)
            top[key + "_best"] = min(r[key] for r in runs)
    return top


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--per-campaign", type=int, default=10,
                        help="sessions per campaign (10: 10,000 sessions are 1,000 campaigns)")
    parser.add_argument("--reference", type=int, default=1000,
                        help="sessions of the run the cost per session is compared with "
                             "(0: none)")
    parser.add_argument("--rtt-ms", default="0,20",
                        help="comma-separated round-trip times (the sandbox's latency fault)")
    parser.add_argument("--naive-sessions", type=int, default=50,
                        help="sessions the naive client really writes (extrapolated linearly)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure (best shown)")
    # The child process's side.
    parser.add_argument("--client", choices=("reconciler", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client_main(args)
    rtts = [float(x) for x in args.rtt_ms.split(",") if x.strip()]
    sizes = [args.sessions]
    if args.reference and args.reference != args.sessions:
        sizes.insert(0, args.reference)
    naive_n = min(args.naive_sessions, args.sessions)
    print(f"workload: N sessions in N/{args.per_campaign} campaigns x 4 cameras x 2 streams "
          f"= {OBJECTS_PER_SESSION} objects per session; sandbox and each client in their own "
          f"processes; {os.cpu_count()} CPUs; best of {args.repeat} (median in brackets)")
    for rtt in rtts:
        print(f"\n== round-trip time {rtt:g} ms (sandbox latency fault) ==")
        base = run_client("naive", rtt, naive_n, args.per_campaign)
        per_session_naive = base["apply_s"] / naive_n
        print(f"naive client (measured): {naive_n} sessions, {base['round_trips']:.0f} "
              f"requests, {base['apply_s']:.2f} s = {per_session_naive * 1000:.1f} ms/session")
        results: dict[int, dict[str, float]] = {}
        for n in sizes:
            r = results[n] = best([run_client("reconciler", rtt, n, args.per_campaign)
                                   for _ in range(args.repeat)])
            naive_s = per_session_naive * n
            label = "measured" if n == naive_n else f"EXTRAPOLATED linearly from {naive_n}"
            print(f"-- {n:,} sessions, {r['campaigns']:.0f} campaigns, "
                  f"{n * OBJECTS_PER_SESSION:,} objects --")
            print(f"  apply        : {r['apply_s']:.2f} s [{r['apply_s_median']:.2f}] in "
                  f"{r['round_trips']:.0f} GraphQL round trips")
            print(f"  no-op plan   : {r['noop_s']:.2f} s [{r['noop_s_median']:.2f}] (state read "
                  f"+ diff {r['noop_read_s']:.2f} s, then the findings read)")
            print(f"  CPU seconds (what load changes least): apply client "
                  f"{r['apply_cpu_s']:.2f} + sandbox {r['apply_server_cpu_s']:.2f}; no-op plan "
                  f"client {r['noop_cpu_s']:.2f} + sandbox {r['noop_server_cpu_s']:.2f}")
            print(f"  client peak RSS: apply {r['rss_mb']:.0f} MB, no-op plan "
                  f"{r['noop_rss_mb']:.0f} MB (peak reset between them); sandbox peak RSS "
                  f"{r['server_rss_mb']:.0f} MB; compile {r['compile_s']:.2f} s (not timed)")
            print(f"  naive client : {naive_s:.1f} s ({label}); ratio naive/reconciler "
                  f"{naive_s / r['apply_s']:.0f}x wall time, "
                  f"{base['round_trips'] / naive_n * n / r['round_trips']:.0f}x round trips")
        if len(sizes) == 2:
            small, large = (results[n] for n in sizes)
            for key, what in (("apply_s", "apply"), ("noop_s", "no-op plan")):
                ratio = (large[key] / sizes[1]) / (small[key] / sizes[0])
                print(f"  cost per session, {what}: {large[key] / sizes[1] * 1e3:.3f} ms at "
                      f"{sizes[1]:,} vs {small[key] / sizes[0] * 1e3:.3f} ms at {sizes[0]:,}: "
                      f"x{ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
