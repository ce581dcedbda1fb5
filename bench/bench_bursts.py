#!/usr/bin/env python3
"""Benchmark: burst transition lateness against the sandbox served on loopback.

    .venv/bin/python bench/bench_bursts.py [--bursts 200] [--drift-bursts 100] [--quick]
        [--rtt-ms 0,20]

Starts `campaign sandbox serve` (a separate process, real HTTP on 127.0.0.1) and measures,
in the same run:
  1. the hot path alone: one state mutation as a pre-serialised body posted with httpx vs
     the same mutation through gql (pre-parsed document + variables), same httpx transport;
  2. ours, 200 bursts (50 ms record / 50 ms pause): p50/p99/max lateness of the `Started`
     acknowledgement (goal: p99 <= 10 ms);
  3. ours, 100 bursts of 0.2 s record / 0.1 s pause: lateness of the last transition
     (goal: <= 10 ms, i.e. no drift);
  4. the naive loop the vendor's script uses (`time.sleep(record)`, mutation, `time.sleep(pause)`,
     python_graphql_client per call) on the same two patterns, against the same deadlines.
Everything is repeated at each `--rtt-ms` (the sandbox's latency fault: that many ms added to
every request, default 0 and 20). An acknowledgement arrives a round trip after its deadline
at best, so the 10 ms goals are judged on the ack minus the added round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from runner.adapters.controlplane import Endpoint, SessionStates  # noqa: E402
from runner.run.driver import SessionRun, SystemClock, drive  # noqa: E402
from runner.run.schedule import build_schedule, resume_plan  # noqa: E402
from runner.run.stats import percentile  # noqa: E402
from runner.spec.model import BurstPattern, Location, Occurrence  # noqa: E402

UTC = dt.timezone.utc
ADMIN_SECRET = "bench-admin-secret"
API_KEY = "bench-api-key-" + "x" * 16
HERE = Location("bench", 1, 1)
CAMERAS = (("REALSENSE_D435", "844212070924"), ("REALSENSE", "218622272031"))
SET_STATE = ("mutation($id: uuid!, $state: RecordingSessionState_enum!) {"
             " updateRecordingSession(pk_columns: {id: $id}, _set: {state: $state}) { state } }")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`campaign sandbox serve` on a free loopback port; returns (process, base URL)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "sandbox", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--db", str(workdir / "sandbox.sqlite3"),
         "--admin-secret", ADMIN_SECRET, "--api-key", API_KEY, "--seed", "demo"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"sandbox exited: {detail}")
        try:
            httpx.post(f"{url}/v1/graphql", json={"query": "{cameras(limit: 1) {id}}"},
                       headers={"x-hasura-admin-secret": ADMIN_SECRET}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("sandbox did not come up within 30 s")


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = httpx.post(f"{url}/v1/graphql", json={"query": query, "variables": variables or {}},
                        headers={"x-hasura-admin-secret": ADMIN_SECRET}, timeout=10).json()
    if answer.get("errors"):
        raise SystemExit(f"sandbox refused a bench set-up request: {answer['errors']}")
    return dict(answer["data"])


def standby_session(url: str, name: str) -> str:
    """Insert a Standby session recording the demo cameras of dev_vehicle_001; return its id."""
    cameras = graphql(url, "query($s: [String!]!) {cameras(where: {serial: {_in: $s}}) {id}}",
                      {"s": [serial for _, serial in CAMERAS]})["cameras"]
    sid = str(uuid.uuid4())
    now = dt.datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    graphql(url, "mutation($o: RecordingSession_insert_input!) {insertRecordingSession(object: $o)"
                 " {id}}",
            {"o": {"id": sid, "name": name, "startDate": (now - dt.timedelta(hours=1)).isoformat(),
                   "endDate": (now + dt.timedelta(hours=2)).isoformat(), "mode": "Storage",
                   "state": "Standby", "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
                   "records": {"data": [{"cameraId": c["id"], "streams": {"data": [
                       {"type": "color", "alignTo": "color", "encoder": "HEVC", "width": 1280,
                        "height": 720, "nearCut": 300, "farCut": 1000, "bitrate": 1000000,
                        "frameRate": 15}]}} for c in cameras]}}})
    return sid


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def figures(samples: list[float]) -> str:
    return (f"p50 {ms(percentile(samples, 50))}  p99 {ms(percentile(samples, 99))}  "
            f"max {ms(max(samples))}  (n={len(samples)})")


async def hot_path(url: str, sid: str, calls: int) -> tuple[list[float], list[float]]:
    """Per-call round trip, pre-serialised bytes vs gql, interleaved call by call (A, B, A,
    B...) on two kept-alive clients so machine noise hits both alike."""
    from gql import Client, gql
    from gql.transport.httpx import HTTPXAsyncTransport

    endpoint = Endpoint(f"{url}/v1/graphql", {"x-hasura-admin-secret": ADMIN_SECRET})
    transport = HTTPXAsyncTransport(url=endpoint.url, headers=dict(endpoint.headers))
    document = gql(SET_STATE)  # parsed once, as the rest of the tool does
    raw: list[float] = []
    via_gql: list[float] = []
    async with endpoint.client() as http, Client(transport=transport) as session:
        states = SessionStates(http, endpoint.url)
        await states.read([sid])
        for i in range(calls):
            state = "Started" if i % 2 == 0 else "Standby"
            began = time.perf_counter()
            await states.set_state(sid, state)
            raw.append(time.perf_counter() - began)
            state = "Standby" if state == "Started" else "Started"
            began = time.perf_counter()
            await session.execute(document, variable_values={"id": sid, "state": state})
            via_gql.append(time.perf_counter() - began)
    return raw, via_gql


async def client_overhead(calls: int) -> tuple[list[float], list[float]]:
    """Client-side cost alone: both paths against an httpx.MockTransport that answers at once
    (no server, no network), so only request building and answer parsing are timed."""
    from gql import Client, gql
    from gql.transport.httpx import HTTPXAsyncTransport

    answer = b'{"data":{"updateRecordingSession":{"state":"Started"}}}'

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer, headers={"content-type": "application/json"})

    sid = str(uuid.uuid4())
    endpoint = Endpoint("http://bench.invalid/v1/graphql", {}, httpx.MockTransport(respond))
    raw: list[float] = []
    via_gql: list[float] = []
    async with endpoint.client() as http:
        states = SessionStates(http, endpoint.url)
        for _ in range(calls):
            began = time.perf_counter()
            await states.set_state(sid, "Started")
            raw.append(time.perf_counter() - began)
    transport = HTTPXAsyncTransport(url=endpoint.url, transport=httpx.MockTransport(respond))
    document = gql(SET_STATE)
    async with Client(transport=transport) as session:
        for _ in range(calls):
            began = time.perf_counter()
            await session.execute(document, variable_values={"id": sid, "state": "Started"})
            via_gql.append(time.perf_counter() - began)
    return raw, via_gql


async def ours(url: str, sid: str, count: int, record: float, pause: float) -> list[Any]:
    """Drive `count` bursts with the runner's driver; return its transition records."""
    endpoint = Endpoint(f"{url}/v1/graphql", {"x-hasura-admin-secret": ADMIN_SECRET})
    clock = SystemClock()
    async with endpoint.client() as http:
        states = SessionStates(http, endpoint.url)
        await states.read([sid])
        now = clock.now()
        occurrence = Occurrence("", now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))
        pattern = BurstPattern(count, dt.timedelta(seconds=record), dt.timedelta(seconds=pause),
                               dt.timedelta(0), HERE)
        schedule = build_schedule("bench", pattern, occurrence, now + dt.timedelta(seconds=0.3))
        plan = resume_plan(schedule, now, session_started=False)
        result = await drive(states, [SessionRun(schedule, sid, plan, "bench")], clock=clock)
    session = result.sessions[0]
    for problem in [*session.skipped, *session.failed]:
        print(f"   (problem in this run: {problem})")
    return [t for t in session.transitions if t.ack is not None]


def naive(url: str, sid: str, count: int, record: float, pause: float) -> list[tuple[str, float]]:
    """The vendor script's loop: mutation, sleep(record), mutation, sleep(pause), ...

    Returns (state, ack lateness) against the same ideal deadlines ours is held to.
    """
    from python_graphql_client import GraphqlClient

    client = GraphqlClient(endpoint=f"{url}/v1/graphql",
                           headers={"x-hasura-admin-secret": ADMIN_SECRET})
    out: list[tuple[str, float]] = []
    anchor = time.monotonic() + 0.3
    time.sleep(0.3)
    for i in range(count):
        for state, offset, hold in (("Started", 0.0, record), ("Standby", record, pause)):
            client.execute(query=SET_STATE, variables={"id": sid, "state": state})
            out.append((state, time.monotonic() - (anchor + i * (record + pause) + offset)))
            time.sleep(hold)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=200)
    parser.add_argument("--drift-bursts", type=int, default=100)
    parser.add_argument("--hot-path-calls", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="20/10 bursts, 100 calls (smoke)")
    parser.add_argument("--rtt-ms", default="0,20",
                        help="comma-separated round-trip delays the sandbox adds (ms)")
    parser.add_argument("--priority", type=int, default=0, metavar="N",
                        help="raise this process's and the sandbox's CPU priority by N (nice -N;"
                             " needs root): on a shared machine, keeps other jobs' CPU bursts "
                             "out of the figures, for ours and the naive loop alike")
    args = parser.parse_args()
    if args.quick:
        args.bursts, args.drift_bursts, args.hot_path_calls = 20, 10, 100
    workdir = Path(tempfile.mkdtemp(prefix="bench-bursts-"))
    proc, url = serve(workdir)
    if args.priority:
        try:
            for pid in (0, proc.pid):
                os.setpriority(os.PRIO_PROCESS, pid, -args.priority)
            print(f"priority: nice -{args.priority} for the bench and the sandbox")
        except PermissionError:
            print("priority: not allowed (needs root); measuring at normal priority")
    try:
        for rtt in [float(x) for x in args.rtt_ms.split(",") if x.strip()]:
            httpx.post(f"{url}/sandbox/v1/faults", json={"latency_ms": rtt},
                       headers={"x-hasura-admin-secret": ADMIN_SECRET},
                       timeout=10).raise_for_status()
            print(f"\n=== round trip +{rtt:g} ms (sandbox latency fault) ===")
            run(url, args, rtt / 1000)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def run(url: str, args: argparse.Namespace, rtt: float) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"sandbox: {url} (separate process, loopback); python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {load} (noisy neighbours widen every figure)")
    sid = standby_session(url, "bench-hot-path")
    raw, via_gql = asyncio.run(hot_path(url, sid, args.hot_path_calls))
    print(f"\n1a. hot path round trip, {args.hot_path_calls} state mutations each, interleaved")
    print(f"   pre-serialised httpx : {figures(raw)}  mean {ms(statistics.fmean(raw))}")
    print(f"   gql (parsed once)    : {figures(via_gql)}  mean {ms(statistics.fmean(via_gql))}")
    print(f"   gql / pre-serialised : {statistics.median(via_gql) / statistics.median(raw):.2f}x "
          "median round trip")
    raw, via_gql = asyncio.run(client_overhead(args.hot_path_calls * 5))
    print(f"1b. client-side cost per request (httpx.MockTransport, no server), "
          f"{len(raw)} each")
    print(f"   pre-serialised httpx : {figures(raw)}")
    print(f"   gql (parsed once)    : {figures(via_gql)}")
    print(f"   gql / pre-serialised : {statistics.median(via_gql) / statistics.median(raw):.2f}x "
          "median")

    n = args.bursts
    sid = standby_session(url, "bench-ours-200")
    records = asyncio.run(ours(url, sid, n, 0.05, 0.05))
    start_ack = [r.ack for r in records if r.state == "Started"]
    all_sent = [r.sent for r in records]
    sid = standby_session(url, "bench-naive-200")
    base = naive(url, sid, n, 0.05, 0.05)
    base_start = [late for state, late in base if state == "Started"]
    print(f"\n2. {n} bursts of 50 ms record / 50 ms pause: lateness of the Started ack")
    print(f"   ours   : {figures(start_ack)}   (sent: {figures(all_sent)})")
    print(f"   naive  : {figures(base_start)}")
    p99_ours, p99_naive = percentile(start_ack, 99), percentile(base_start, 99)
    beyond = " (beyond the added round trip)" if rtt else ""
    print(f"   goal p99 <= 10 ms{beyond}: {'MET' if p99_ours - rtt <= 0.010 else 'MISSED'}; "
          "naive p99 is "
          f"{p99_naive / max(p99_ours, 1e-6):.0f}x ours")

    m = args.drift_bursts
    sid = standby_session(url, "bench-ours-drift")
    records = asyncio.run(ours(url, sid, m, 0.2, 0.1))
    last = records[-1]
    sid = standby_session(url, "bench-naive-drift")
    base = naive(url, sid, m, 0.2, 0.1)
    print(f"\n3. {m} bursts of 0.2 s record / 0.1 s pause: lateness of the last transition")
    print(f"   ours   : sent {ms(last.sent)}  ack {ms(last.ack)}  "
          f"(all acks: {figures([r.ack for r in records])})")
    print(f"   naive  : ack {ms(base[-1][1])}  (all acks: {figures([b[1] for b in base])})")
    print(f"   goal last <= 10 ms{beyond}: {'MET' if last.ack - rtt <= 0.010 else 'MISSED'}; "
          "naive drifted "
          f"{base[-1][1] / max(last.ack, 1e-6):.0f}x as far")


if __name__ == "__main__":
    main()
