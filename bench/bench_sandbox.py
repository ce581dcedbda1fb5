"""Sandbox throughput: GraphQL reads/s, fleet list calls/s, one 13,000-row nested insert.

Runs `campaign sandbox serve` in a subprocess (so client and server do not share a GIL),
drives it over loopback with concurrent httpx clients (threads), and prints each figure with its
ratio to the target and to a baseline measured in the same run (raw sqlite3 doing the
equivalent work, and the HTTP stack answering /healthz).

    .venv/bin/python bench/bench_sandbox.py [--requests 3000] [--threads 4] [--bulk 100000]
        [--rtt-ms 0,20]

At a round-trip time above 0 (the sandbox's latency fault, every GraphQL and fleet request
waits that long first) the request rates measure how well the server overlaps waiting
clients; /healthz has no latency fault and stays the HTTP stack's ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from runner.sandbox.app import create_app
from runner.sandbox.seed import insert_recordings
from runner.sandbox.store import transaction

READ_QUERY = "{ cameras { id model serial deviceId } }"
TARGET_READS = 1000.0
TARGET_LISTS = 1500.0
TARGET_INSERT_S = 2.0


def start_server(db: Path, secret: str, key: str) -> tuple[subprocess.Popen[str], str]:
    """Start the sandbox CLI on a free port; return the process and its base URL."""
    env = {**os.environ, "CAMPAIGN_SANDBOX_ADMIN_SECRET": secret,
           "CAMPAIGN_SANDBOX_API_KEY": key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "sandbox", "serve", "--port", "0", "--db", str(db),
         "--seed", "demo"], env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line}")
    return proc, match.group(0)


def hammer(url: str, n: int, threads: int, method: str, path: str,
           headers: dict[str, str], body: bytes | None = None) -> float:
    """n requests from `threads` threads, each with its own kept-alive httpx.Client;
    returns requests per second. (On this 2-core box the sync client costs less CPU per
    request than httpx.AsyncClient, so it measures the server, not the client, better.)"""
    counter = iter(range(n))
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                response = client.request(method, path, content=body)
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    return

    return _rate(worker, threads, n, errors)


def hammer_stdlib(url: str, n: int, threads: int, method: str, path: str,
                  headers: dict[str, str], body: bytes | None = None) -> float:
    """The same load from http.client (a much cheaper client): the server's capacity."""
    host, port = url.split("//", 1)[1].split(":")
    counter = iter(range(n))
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port))
        while True:
            with lock:
                if next(counter, None) is None:
                    conn.close()
                    return
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read()
            if response.status != 200:
                errors.append(f"{response.status}: {text[:200]!r}")
                conn.close()
                return

    return _rate(worker, threads, n, errors)


def _rate(worker: Callable[[], None], threads: int, n: int, errors: list[str]) -> float:
    """Run `worker` on `threads` threads; n over the elapsed seconds, or exit on an error."""
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(f"unexpected answer: {errors[0]}")
    return n / (time.perf_counter() - start)


def nested_insert_document(camera_ids: list[str], sessions: int) -> dict[str, Any]:
    """One insertRecordingSessions request: sessions x 4 records x 2 streams."""
    stream = {"alignTo": "color", "encoder": "HEVC", "width": 1280, "height": 720,
              "nearCut": 300, "farCut": 1000, "bitrate": 1_000_000, "frameRate": 15}
    objects = [{
        "name": f"bench-{i}", "startDate": "2027-01-01T08:00:00",
        "endDate": "2027-01-01T18:00:00", "mode": "Storage", "state": "Stopped",
        "maxTimeSeconds": 0, "maxSizeMegabytes": 0,
        "records": {"data": [{"cameraId": cam, "streams": {"data": [
            {**stream, "type": "color"}, {**stream, "type": "depth"}]}}
            for cam in camera_ids[:4]]},
    } for i in range(sessions)]
    query = ("mutation($objects: [RecordingSession_insert_input!]!) { "
             "insertRecordingSessions(objects: $objects) { affected_rows } }")
    return {"query": query, "variables": {"objects": objects}}


def sqlite_baselines(db: Path, n: int) -> dict[str, float]:
    """The same work on raw sqlite3: camera reads/s, 50-row list pages/s, 13,000-row insert s."""
    conn = sqlite3.connect(db, isolation_level=None)
    start = time.perf_counter()
    for _ in range(n):
        conn.execute('SELECT id, model, serial, "deviceId" FROM "Camera"').fetchall()
    reads = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("SELECT * FROM fleet_recording ORDER BY created_at DESC, seq DESC "
                     "LIMIT 51").fetchall()
    lists = n / (time.perf_counter() - start)
    conn.execute("CREATE TEMP TABLE s (id TEXT PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TEMP TABLE r (id TEXT PRIMARY KEY, s TEXT, c TEXT)")
    conn.execute("CREATE TEMP TABLE t (id TEXT PRIMARY KEY, r TEXT, type TEXT, w INT)")
    start = time.perf_counter()
    conn.execute("BEGIN")
    sessions = [(str(uuid.uuid4()), f"s{i}") for i in range(1000)]
    records = [(str(uuid.uuid4()), s[0], str(c)) for s in sessions for c in range(4)]
    streams = [(str(uuid.uuid4()), r[0], t, 1280) for r in records for t in ("color", "depth")]
    conn.executemany("INSERT INTO s VALUES (?, ?)", sessions)
    conn.executemany("INSERT INTO r VALUES (?, ?, ?)", records)
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", streams)
    conn.execute("COMMIT")
    insert = time.perf_counter() - start
    conn.close()
    return {"reads": reads, "lists": lists, "insert": insert}


def measure(url: str, gql: dict[str, str], fleet: dict[str, str], read_body: bytes, n: int,
            c: int) -> dict[str, float]:
    """Every figure against the running server (at whatever round-trip time it is set to)."""
    figures: dict[str, float] = {}
    hammer(url, 4 * c, c, "GET", "/healthz", {})  # warm-up
    figures["health"] = hammer(url, n, c, "GET", "/healthz", {})
    figures["reads"] = hammer(url, n, c, "POST", "/v1/graphql", gql, read_body)
    figures["lists"] = hammer(url, n, c, "GET", "/api/v1/fleet/recordings/", fleet)
    figures["reads_stdlib"] = hammer_stdlib(url, n, 4, "POST", "/v1/graphql", gql, read_body)
    figures["lists_stdlib"] = hammer_stdlib(url, n, 4, "GET", "/api/v1/fleet/recordings/",
                                            fleet)
    with httpx.Client(base_url=url, headers=gql, timeout=120) as client:
        cams = client.post("/v1/graphql", json={
            "query": "{ cameras(order_by: {serial: asc}) { id } }"}).json()
        ids = [x["id"] for x in cams["data"]["cameras"]]
        body = json.dumps(nested_insert_document(ids, 1000)).encode()
        start = time.perf_counter()
        response = client.post("/v1/graphql", content=body)
        figures["insert"] = time.perf_counter() - start
    affected = response.json()["data"]["insertRecordingSessions"]["affected_rows"]
    if affected != 13000:
        raise SystemExit(f"nested insert affected {affected} rows: {response.text[:300]}")
    return figures


def run(args: argparse.Namespace) -> None:
    """Start the server, measure at each round-trip time, print."""
    secret, key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    gql = {"x-hasura-admin-secret": secret, "content-type": "application/json"}
    fleet = {"X-Avala-Api-Key": key}
    read_body = json.dumps({"query": READ_QUERY}).encode()
    n, c = args.requests, args.threads
    rtts = [float(x) for x in args.rtt_ms.split(",") if x.strip()]
    by_rtt: dict[float, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        # Lists are measured over a realistic volume: the demo seed plus 100,000 recordings.
        conn = create_app(db, None, None, seed="demo").state.sandbox.conn
        start = time.perf_counter()
        with transaction(conn):
            insert_recordings(conn, args.bulk, seed=42)
        bulk_seed = time.perf_counter() - start
        conn.close()
        proc, url = start_server(db, secret, key)
        try:
            for rtt in rtts:
                # The round-trip time: the sandbox's latency fault delays every GraphQL and
                # fleet request (not /healthz).
                httpx.post(url + "/sandbox/v1/faults", json={"latency_ms": rtt}, timeout=10,
                           headers=gql).raise_for_status()
                by_rtt[rtt] = measure(url, gql, fleet, read_body, n, c)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        base = sqlite_baselines(db, n)

    print(f"sandbox bench: {n} requests per figure, httpx.Client x {c} threads, "
          f"{os.cpu_count()} CPUs, loopback, server (uvicorn) in a subprocess")
    print(f"  bulk seed {args.bulk:,} recordings: {bulk_seed:.2f} s "
          f"({args.bulk / bulk_seed:,.0f} rows/s)")
    for rtt, figures in by_rtt.items():
        health, reads, lists, insert_s = (figures["health"], figures["reads"],
                                          figures["lists"], figures["insert"])
        print(f"-- round-trip time {rtt:g} ms (sandbox latency fault; /healthz has none) --")
        print(f"  http stack /healthz        {health:8.0f} req/s  (same client; ceiling for the "
              "rows)")
        print(f"  graphql reads              {reads:8.0f} req/s  target {TARGET_READS:.0f}: "
              f"x{reads / TARGET_READS:.2f}  of /healthz x{reads / health:.2f}  "
              f"raw sqlite3 {base['reads']:.0f}/s (x{reads / base['reads']:.3f})")
        print(f"  fleet list (50 per page)   {lists:8.0f} req/s  target {TARGET_LISTS:.0f}: "
              f"x{lists / TARGET_LISTS:.2f}  of /healthz x{lists / health:.2f}  "
              f"raw sqlite3 {base['lists']:.0f}/s (x{lists / base['lists']:.3f})")
        print(f"  server capacity (http.client x 4 threads): graphql reads "
              f"{figures['reads_stdlib']:.0f} req/s "
              f"(x{figures['reads_stdlib'] / TARGET_READS:.2f}), fleet lists "
              f"{figures['lists_stdlib']:.0f} req/s "
              f"(x{figures['lists_stdlib'] / TARGET_LISTS:.2f})")
        print(f"  nested insert 13,000 rows  {insert_s:8.3f} s      target "
              f"{TARGET_INSERT_S:.1f} s: x{TARGET_INSERT_S / insert_s:.2f} headroom  raw sqlite3 "
              f"executemany {base['insert']:.3f} s (x{insert_s / base['insert']:.1f} slower)")


def main() -> None:
    """Parse flags and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--bulk", type=int, default=100_000,
                        help="extra fleet recordings seeded before measuring")
    parser.add_argument("--rtt-ms", default="0,20",
                        help="comma-separated round-trip times (the sandbox's latency fault)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
