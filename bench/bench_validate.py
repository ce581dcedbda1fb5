#!/usr/bin/env python3
"""Benchmark: `campaign validate` over 1,000 (or 10,000) generated campaign files.

    .venv/bin/python bench/bench_validate.py [--files 1000] [--repeat 3] [--ref main]

Generates N campaign files (variations of the shipped examples: absolute and recurring
windows, bursts, recording rules, one or two documents per file, each booking its own
cameras) in a temp dir and measures, in the same run, as separate processes (interpreter
start-up included in all):
  - ours: `campaign validate DIR` (YAML with positions, safe-loader checks, JSON Schema,
    semantic checks, cross-file checks, text report) with its default --jobs (one worker
    process per CPU core from 200 files on); goal <= 2 s wall at 1,000 files, <= 5 s at
    10,000;
  - ours with --jobs 1 (everything in one process), and the ratio;
  - with --ref REF: the code of git revision REF (`git archive` of runner/ and schemas/ into
    a temp dir), on the same files: before/after figures from one run;
  - baseline: `yaml.safe_load_all` (libyaml) + python-jsonschema over the same files, the
    least a tool could do (no positions, no semantic checks);
  - fast baseline: the same with jsonschema-rs (compiled) instead of python-jsonschema;
  - ours again on the same files with 10% of them broken (the error path builds detailed
    diagnostics with python-jsonschema).
Prints the median wall time of each and the ratios ours / baselines.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {1000: 2.0, 10000: 5.0}  # files -> seconds (issue 15)

BASELINE = """
import json, sys, pathlib, yaml, jsonschema
schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
if sys.argv[3] == "rs":
    import jsonschema_rs
    validator = jsonschema_rs.validator_for(schema)
else:
    validator = jsonschema.Draft202012Validator(schema)
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
bad = 0
for path in sorted(pathlib.Path(sys.argv[2]).rglob("*.yaml")):
    for doc in yaml.load_all(path.read_text(), Loader=loader):
        doc = json.loads(json.dumps(doc, default=str))
        bad += not validator.is_valid(doc)
print(bad)
"""


_SERIAL = re.compile(r'(serial: )"([^"]+)"')
_DEVICE = re.compile(r"(device: )(dev_[A-Za-z0-9_]+)")


def generate(directory: Path, count: int) -> int:
    """Write `count` files from the examples with unique campaign names; returns documents."""
    templates = [p.read_text() for p in sorted((ROOT / "campaigns").glob("*.yaml"))]
    documents = 0
    for i in range(count):
        text = templates[i % len(templates)]
        parts = text.split("\n---\n")
        renamed = []
        for j, part in enumerate(parts):
            marker = "metadata:\n  name: "
            head, _, rest = part.partition(marker)
            name, _, tail = rest.partition("\n")
            renamed.append(f"{head}{marker}{name}-{i:05d}-{j}\n{tail}")
        # Each file books its own cameras on its own devices, as distinct teams' campaigns
        # would: shared cameras at the same hours would all conflict (CMP610) pairwise.
        text = "\n---\n".join(renamed)
        text = _SERIAL.sub(rf'\1"\2-{i:05d}"', text)
        text = _DEVICE.sub(rf"\1\2-{i:05d}", text)
        documents += len(parts)
        sub = directory / f"team-{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"campaign-{i:05d}.yaml").write_text(text)
    return documents


def alias_bomb() -> tuple[float, float, str]:
    """Time and peak memory to reject a billion-laughs file (10**12 values if expanded)."""
    import tracemalloc

    sys.path.insert(0, str(ROOT))
    from runner.spec.yamlsafe import load_documents

    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    data = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    _, diags = load_documents(data, "bomb.yaml")
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second run for memory: tracing slows it down several times
    load_documents(data, "bomb.yaml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / 1e6, ",".join(d.code for d in diags)


def break_some(directory: Path, every: int) -> int:
    """Introduce a typical mistake (typo'd key, unquoted serial, bad enum) into every n-th file."""
    mistakes = [
        ("frameRate", "framerate"),
        ('serial: "', "serial: 0"),
        ("encoder: HEVC", "encoder: HVEC"),
    ]
    files = sorted(directory.rglob("*.yaml"))
    changed = 0
    for i, path in enumerate(files[::every]):
        text = path.read_text()
        for old, new in mistakes[i % len(mistakes) :] + mistakes[: i % len(mistakes)]:
            if old in text:  # the first mistake this file can have
                path.write_text(text.replace(old, new, 1))
                changed += 1
                break
    return changed


def timed(cmd: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Median wall time of `cmd` over `repeat` runs (and the last run); the median CPU time
    of the process and its workers goes to CPU[cmd], a figure that other load on a shared
    machine disturbs less than the wall time."""
    times, cpu = [], []
    proc = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    assert proc is not None
    CPU[" ".join(cmd)] = statistics.median(cpu)
    return statistics.median(times), proc


CPU: dict[str, float] = {}


def checkout(ref: str, into: Path) -> Path:
    """runner/ and schemas/ of git revision `ref`, extracted under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "runner", "schemas"],
        capture_output=True, check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ref", help="also time this git revision's code (before/after)")
    args = parser.parse_args()
    # `python -m runner` run from ROOT imports this tree's runner (the venv's `campaign`
    # script imports wherever the package was installed from, another worktree maybe).
    ours_cmd = [sys.executable, "-m", "runner"]
    now = ["--now", "2026-11-22T00:00:00Z"]
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as old:
        directory = Path(tmp)
        documents = generate(directory, args.files)
        load_before = os.getloadavg()[0]
        ours_run = [*ours_cmd, "validate", *now, str(directory)]
        ours, proc = timed(ours_run, args.repeat)
        serial_run = [*ours_cmd, "validate", "--jobs", "1", *now, str(directory)]
        serial, sproc = timed(serial_run, args.repeat)
        if sproc.stdout != proc.stdout or sproc.returncode != proc.returncode:
            print("FAILED: --jobs 1 and the default printed different reports")
            return 1
        before = None
        if args.ref:
            # `python -m runner` run from the extracted tree imports that tree's runner.
            code = checkout(args.ref, Path(old))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "runner", "validate", *now, str(directory)],
                           capture_output=True, check=False, cwd=code)
            before = time.perf_counter() - started  # once: the old code can take a while
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            print("FAILED: generated files did not validate")
            return 1
        schema = str(ROOT / "schemas" / "campaign.schema.json")
        base, bproc = timed(
            [sys.executable, "-c", BASELINE, schema, str(directory), "py"], args.repeat
        )
        fast, fproc = timed(
            [sys.executable, "-c", BASELINE, schema, str(directory), "rs"], args.repeat
        )
        for proc_ in (bproc, fproc):
            if proc_.returncode != 0 or proc_.stdout.strip() != "0":
                print("baseline failed:", proc_.stdout[-500:], proc_.stderr[-2000:])
                return 1
        broken = break_some(directory, every=10)
        bad, badproc = timed([*ours_cmd, "validate", *now, str(directory)], args.repeat)
        bad_summary = badproc.stdout.strip().splitlines()[-1]
        if badproc.returncode != 1:
            print("FAILED: broken files were not reported", badproc.stderr[-2000:])
            return 1
    print(f"files: {args.files}, campaign documents: {documents} (median of {args.repeat} runs)")
    print(f"  load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
          f"on {_cpus()} CPU cores")
    print(f"  campaign validate:              {ours:6.3f} s   ({summary}; "
          f"CPU {CPU[' '.join(ours_run)]:.2f} s)")
    print(f"  campaign validate --jobs 1:     {serial:6.3f} s   (jobs 1 / default "
          f"{serial / ours:.2f}x; CPU {CPU[' '.join(serial_run)]:.2f} s)")
    if before is not None:
        print(f"  code of {args.ref} (once):{' ' * max(1, 17 - len(args.ref))}{before:6.3f} s   "
              f"(before / after {before / ours:.2f}x)")
    print(f"  baseline safe_load+jsonschema:  {base:6.3f} s   (ours/baseline {ours / base:.2f}x)")
    print(f"  baseline safe_load+jsonschema-rs: {fast:4.3f} s   (ours/baseline {ours / fast:.2f}x)")
    print(f"  ours, {broken} files broken:      {bad:6.3f} s   ({bad_summary})")
    print(f"  per file (ours):                {ours / args.files * 1000:6.2f} ms")
    bomb_s, bomb_mb, codes = alias_bomb()
    print(
        f"  alias bomb (10**12 values) rejected in {bomb_s * 1000:.0f} ms, peak {bomb_mb:.1f} MB "
        f"({codes})"
    )
    goal = GOALS.get(args.files)
    if goal is not None:
        verdict = "OK" if ours <= goal else "OVER GOAL"
        print(f"  goal <= {goal:.1f} s at {args.files} files:  {verdict}")
    return 0


def _cpus() -> int:
    sched = getattr(os, "sched_getaffinity", None)
    return len(sched(0)) if sched is not None else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
