#!/usr/bin/env python3
"""Benchmark: `campaign agent` over 1,000 campaigns, idle passes and burst lateness.

1. Idle pass: CPU time of this process (the agent; the sandbox runs as a child process) and
   control-plane requests of one idle pass (goal: one read, <= 0.5 s CPU), beside a baseline
   measured in the same run: what `campaign plan` does for the same files (load + compile +
   one plan over the same ops), in-process.
2. Burst lateness under the agent vs `campaign run`, same run (goal: agent p99 <= 1.2x run's):
   one standby campaign of `--bursts` bursts (50 ms record / 50 ms pause), driven by the ops
   `campaign run` uses, then by an agent that also reconciles the 1,000 campaigns, with an
   `--agent-interval` short enough that its passes fall inside the bursts (the worst case: a
   real agent passes every 5 minutes). Alternated `--rounds` times (every other round in
   reverse order) so machine noise hits both; the p99 ratio comes with a 95% bootstrap
   interval, since a p99 of a few hundred bursts rests on its few latest.

Every figure is reported at each `--rtt-ms` (the sandbox's latency fault: that many ms added
to every request; default 0 and 20).

    .venv/bin/python bench/bench_agent.py [--campaigns 1000] [--passes 5] [--bursts 100]
        [--rounds 2] [--agent-interval 1s] [--rtt-ms 0,20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_apply import Sandbox, stats

from runner.compile import compile_campaigns
from runner.ops.agent import Agent, AgentConfig, load_files
from runner.ops.backends import Backends
from runner.ops.plan import plan_campaigns
from runner.ops.run import drive_bursts
from runner.plan.model import PlanOptions
from runner.run.driver import RunResult, SystemClock
from runner.run.prepare import burst_targets
from runner.run.stats import percentile
from runner.spec.durations import parse_duration
from runner.wiring import resolve_backends

CAMERAS = [("REALSENSE_D435", "844212070924", "dev_vehicle_001"),
           ("REALSENSE_D435", "844212071131", "dev_vehicle_002"),
           ("REALSENSE_D435", "936322070512", "dev_lab_001"),
           ("REALSENSE", "218622272031", "dev_vehicle_001")]
# The burst campaigns' cameras (demo seed): one device for `campaign run`, one for the agent,
# so neither books the other's cameras.
BURST_CAMERAS = {"run": ("dev_vehicle_001", "844212070924"),
                 "agent": ("dev_lab_001", "936322070512")}
MAX_LATENESS = dt.timedelta(seconds=1)


def write_campaigns(directory: Path, count: int, now: dt.datetime) -> None:
    """`count` scheduled campaigns, one window each (tomorrow), one camera, one stream."""
    start = (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT08:00:00Z")
    end = (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT18:00:00Z")
    for index in range(count):
        model, serial, device = CAMERAS[index % len(CAMERAS)]
        (directory / f"c{index:04d}.yaml").write_text(f"""\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: bench-{index:04d}, labels: {{site: lab-{index % 4}}}}}
spec:
  cameras:
    - {{model: {model}, serial: "{serial}", device: {device},
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  window: {{start: {start}, end: {end}}}
  trigger: scheduled
""", encoding="utf-8")


def write_burst_campaign(path: Path, name: str, who: str, bursts: int,
                         now: dt.datetime) -> Path:
    """A standby campaign whose window is open now, bursts of 50 ms record / 50 ms pause."""
    device, serial = BURST_CAMERAS[who]
    start = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(f"""\
apiVersion: campaign/v1
kind: Campaign
metadata: {{name: {name}}}
spec:
  cameras:
    - {{model: REALSENSE_D435, serial: "{serial}", device: {device},
       streams: [{{type: color, encoder: HEVC, width: 1280, height: 720, frameRate: 15,
                  bitrate: 1000000}}]}}
  window: {{start: {start}, end: {end}}}
  trigger: standby
  bursts: {{count: {bursts}, record: 50ms, pause: 50ms}}
""", encoding="utf-8")
    return path


def requests(sandbox: Sandbox) -> int:
    return stats(sandbox.url, sandbox.secret)


def set_rtt(sandbox: Sandbox, rtt_ms: float) -> None:
    httpx.post(sandbox.url + "/sandbox/v1/faults", json={"latency_ms": rtt_ms}, timeout=10,
               headers={"x-hasura-admin-secret": sandbox.secret}).raise_for_status()


def started_lateness(result: RunResult) -> list[float]:
    """Lateness (s) of every acknowledged Started transition of a run's sessions."""
    return [t.ack for s in result.sessions for t in s.transitions
            if t.ack is not None and t.state == "Started" and not t.recovery]


async def idle_passes(backends: Backends, files: Path, sandbox: Sandbox, count: int,
                      passes: int, now: dt.datetime) -> bool:
    agent = Agent(backends, AgentConfig(paths=(str(files),)), clock=SystemClock())
    began = time.perf_counter()
    first = await agent.run_pass(now)
    if not first.ok:
        print(f"   first pass over {count} campaigns FAILED: {first.error}")
        return False
    print(f"   first pass (applies {sum(first.changes.values())} changes): "
          f"{time.perf_counter() - began:.2f} s wall")
    cpu: list[float] = []
    trips: list[int] = []
    walls: list[float] = []
    for _ in range(passes):
        before, cpu0, wall0 = requests(sandbox), time.process_time(), time.perf_counter()
        report = await agent.run_pass(now)
        # The pass runs in the agent's pass process (its CPU is in the report); this process
        # only sent `now` and started no driver.
        cpu.append(report.cpu_seconds + time.process_time() - cpu0)
        walls.append(time.perf_counter() - wall0)
        trips.append(requests(sandbox) - before)
        assert report.ok and not report.changes, report
    agent.close()
    base_cpu: list[float] = []
    base_trips: list[int] = []
    for _ in range(passes):
        before, cpu0 = requests(sandbox), time.process_time()
        campaigns, errors = load_files([str(files)], now)
        assert not errors
        desired = compile_campaigns(campaigns, now)
        outcome = await plan_campaigns(backends, campaigns, desired, now, PlanOptions())
        base_cpu.append(time.process_time() - cpu0)
        base_trips.append(requests(sandbox) - before)
        assert not outcome.plan.has_changes()
    agent_cpu, plan_cpu = statistics.median(cpu), statistics.median(base_cpu)
    print(f"   idle agent pass over {count} campaigns: CPU {agent_cpu:.3f} s, wall "
          f"{statistics.median(walls):.3f} s (medians of {passes}), control-plane requests "
          f"{max(trips)}: one state read, a query per 200 campaigns (goal: 1 read, <= 0.5 s CPU)")
    print(f"   baseline `campaign plan` (load + compile + plan), same files, same run: CPU "
          f"{plan_cpu:.3f} s, control-plane requests {max(base_trips)}")
    print(f"   ratio agent / plan CPU: {agent_cpu / plan_cpu:.2f}x")
    return True


async def run_bursts(backends: Backends, path: Path) -> list[float]:
    """What `campaign run FILE` does: take the lease, apply, drive, release."""
    campaigns, errors = load_files([str(path)], dt.datetime.now(dt.timezone.utc))
    assert not errors, errors
    targets = burst_targets(campaigns, dt.datetime.now(dt.timezone.utc))
    result = await drive_bursts(backends, targets, clock=SystemClock(), stop=asyncio.Event(),
                                max_lateness=MAX_LATENESS)
    assert result.ok, result
    return started_lateness(result)


async def agent_bursts(backends: Backends, files: Path, interval: dt.timedelta,
                       name: str) -> tuple[list[float], int]:
    """An agent over `files` (the burst campaign among the others) until its driver is
    done; returns the bursts' lateness and how many passes ran meanwhile."""
    agent = Agent(backends, AgentConfig(paths=(str(files),), interval=interval,
                                        max_lateness=MAX_LATENESS), clock=SystemClock())
    stop, reload = asyncio.Event(), asyncio.Event()
    loop = asyncio.create_task(agent.run(stop, reload))
    first_pass = agent.passes
    while not any(s.session.startswith(name) for r in agent.results for s in r.sessions):
        if loop.done():
            loop.result()
            raise RuntimeError("the agent stopped before its driver finished")
        await asyncio.sleep(0.05)
    passes = agent.passes - first_pass
    stop.set()
    await loop  # Agent.run closes its pass process on the way out
    (result,) = [r for r in agent.results if any(s.session.startswith(name) for s in r.sessions)]
    assert result.ok, result
    return started_lateness(result), passes


def figures(samples: list[float]) -> str:
    return (f"p50 {percentile(samples, 50) * 1000:7.2f} ms  p99 "
            f"{percentile(samples, 99) * 1000:7.2f} ms  max {max(samples) * 1000:7.2f} ms "
            f"(n={len(samples)})")


class LoadAgent:
    """`campaign agent` over the scheduled campaigns in a process of its own: the same passes
    (same files, same interval) hitting the same control plane while `campaign run` drives,
    so the baseline meets the backend load the agent's own passes make."""

    def __init__(self, sandbox: Sandbox, root: Path, files: Path, interval: str) -> None:
        env = {**os.environ, "HASURA_GRAPHQL_ENDPOINT": sandbox.url + "/v1/graphql",
               "HASURA_GRAPHQL_ADMIN_SECRET": sandbox.secret}
        env.pop("CI", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "agent", str(files), "--interval", interval,
             "--listen", "127.0.0.1:0", "-o", "json"], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        url = first["listen"]
        deadline = time.monotonic() + 120
        while "campaign_passes_total 1.0" not in httpx.get(f"{url}/metrics").text:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the load agent did not finish its first pass")
            time.sleep(0.1)  # warm: its first pass (a full reload) is done

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


async def lateness(backends: Backends, sandbox: Sandbox, root: Path, files: Path,
                   args: argparse.Namespace, rtt: float) -> None:
    samples: dict[str, list[float]] = {"alone": [], "loaded": [], "agent": []}
    passes = 0
    interval = parse_duration(args.agent_interval)

    async def alone(tag: str) -> None:
        path = write_burst_campaign(root / f"run-{tag}.yaml", f"bench-run-{tag}", "run",
                                    args.bursts, dt.datetime.now(dt.timezone.utc))
        samples["alone"].extend(await run_bursts(backends, path))

    async def loaded(tag: str) -> None:
        load = LoadAgent(sandbox, root, files, args.agent_interval)
        try:
            path = write_burst_campaign(root / f"run-load-{tag}.yaml", f"bench-load-{tag}",
                                        "run", args.bursts, dt.datetime.now(dt.timezone.utc))
            samples["loaded"].extend(await run_bursts(backends, path))
        finally:
            load.stop()

    async def agent(tag: str) -> None:
        nonlocal passes
        name = f"bench-agent-{tag}"
        burst_file = write_burst_campaign(files / f"{name}.yaml", name, "agent", args.bursts,
                                          dt.datetime.now(dt.timezone.utc))
        got, seen = await agent_bursts(backends, files, interval, name)
        burst_file.unlink()
        samples["agent"].extend(got)
        passes += seen

    order = [alone, loaded, agent]
    for round_ in range(args.rounds):
        # Every other round in reverse order: a drift of the machine's load over the run
        # (neighbours starting or stopping) then falls on both sides alike.
        for variant in (order if round_ % 2 == 0 else order[::-1]):
            await variant(f"{int(rtt)}-{round_}")
    print(f"   `campaign run` alone             : {figures(samples['alone'])}")
    print(f"   `campaign run` + the same passes : {figures(samples['loaded'])}  (an agent over "
          f"the {args.campaigns} scheduled campaigns in another process, same interval)")
    print(f"   agent                            : {figures(samples['agent'])}  ({passes} "
          f"pass(es) over {args.campaigns} campaigns ran during its bursts)")
    ratio = p99_ratio(samples["agent"], samples["loaded"])
    low, high = bootstrap_ratio(samples["agent"], samples["loaded"])
    print(f"   agent / run at p99, same backend load: {ratio:.2f}x, 95% bootstrap interval "
          f"{low:.2f}x .. {high:.2f}x (goal <= 1.2x: {'MET' if ratio <= 1.2 else 'MISSED'}); "
          f"agent / run alone: {p99_ratio(samples['agent'], samples['alone']):.2f}x")


def p99_ratio(ours: list[float], base: list[float]) -> float:
    return percentile(ours, 99) / max(percentile(base, 99), 1e-6)


def bootstrap_ratio(ours: list[float], base: list[float], draws: int = 2000
                    ) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the p99 ratio over resamples of both sides: how
    far the ratio itself moves with which bursts happened to be late (p99 of a few hundred
    samples rests on its few largest)."""
    rng = random.Random(15)
    ratios = sorted(
        p99_ratio(rng.choices(ours, k=len(ours)), rng.choices(base, k=len(base)))
        for _ in range(draws))
    return ratios[int(draws * 0.025)], ratios[int(draws * 0.975) - 1]


async def main(args: argparse.Namespace) -> None:
    rtts = [float(x) for x in args.rtt_ms.split(",") if x.strip()]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} "
          "(noisy neighbours widen every figure); sandbox in its own process")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = root / "campaigns"
        files.mkdir()
        write_campaigns(files, args.campaigns, now)
        sandbox = Sandbox(root, rtts[0] if rtts else 0.0)
        try:
            env = {"HASURA_GRAPHQL_ENDPOINT": sandbox.url + "/v1/graphql",
                   "HASURA_GRAPHQL_ADMIN_SECRET": sandbox.secret}
            backends = resolve_backends(env=env, workdir=root, timeout=120.0)
            for rtt in rtts:
                set_rtt(sandbox, rtt)
                print(f"\nround trip +{rtt:g} ms (sandbox latency fault)")
                print("1. idle passes")
                if not await idle_passes(backends, files, sandbox, args.campaigns,
                                         args.passes, now):
                    return
                print(f"2. burst lateness of the Started ack, {args.bursts} bursts x "
                      f"{args.rounds} round(s) each, agent interval {args.agent_interval}")
                await lateness(backends, sandbox, root, files, args, rtt)
        finally:
            sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--bursts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--agent-interval", default="1s",
                        help="the agent's --interval during the bursts (default 1s: passes "
                             "fall inside them)")
    parser.add_argument("--rtt-ms", default="0,20",
                        help="comma-separated round-trip delays the sandbox adds (ms)")
    asyncio.run(main(parser.parse_args()))
