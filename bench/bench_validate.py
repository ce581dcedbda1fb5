#!/usr/bin/env python3
"""Benchmark: `campaign validate` over 1,000 generated campaign files.

    .venv/bin/python bench/bench_validate.py [--files 1000] [--repeat 3]

Generates N campaign files (variations of the shipped examples: absolute and recurring
windows, bursts, recording rules, one or two documents per file) in a temp dir and measures,
in the same run, as separate processes (interpreter start-up included in both):
  - ours: `campaign validate DIR` (YAML with positions, safe-loader checks, JSON Schema,
    semantic checks, text report); goal <= 2 s wall;
  - baseline: `yaml.safe_load_all` + `jsonschema.validate` over the same files, the least a
    tool could do (no positions, no semantic checks).
Prints the median wall time of each and the ratio ours / baseline.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 2.0

BASELINE = """
import json, sys, pathlib, yaml, jsonschema
schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
validator = jsonschema.Draft202012Validator(schema)
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
bad = 0
for path in sorted(pathlib.Path(sys.argv[2]).rglob("*.yaml")):
    for doc in yaml.load_all(path.read_text(), Loader=loader):
        doc = json.loads(json.dumps(doc, default=str))
        bad += not validator.is_valid(doc)
print(bad)
"""


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
            renamed.append(f"{head}{marker}{name}-{i:04d}-{j}\n{tail}")
        documents += len(parts)
        sub = directory / f"team-{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"campaign-{i:04d}.yaml").write_text("\n---\n".join(renamed))
    return documents


def timed(cmd: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    times = []
    proc = None
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - started)
    assert proc is not None
    return statistics.median(times), proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    campaign = Path(sys.executable).with_name("campaign")
    ours_cmd = [str(campaign)] if campaign.exists() else [sys.executable, "-m", "runner"]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        documents = generate(directory, args.files)
        ours, proc = timed(
            [*ours_cmd, "validate", "--now", "2026-11-22T00:00:00Z", str(directory)], args.repeat
        )
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            print("FAILED: generated files did not validate")
            return 1
        base, bproc = timed(
            [
                sys.executable,
                "-c",
                BASELINE,
                str(ROOT / "schemas" / "campaign.schema.json"),
                str(directory),
            ],
            args.repeat,
        )
        if bproc.returncode != 0 or bproc.stdout.strip() != "0":
            print("baseline failed:", bproc.stdout[-500:], bproc.stderr[-2000:])
            return 1
    print(f"files: {args.files}, campaign documents: {documents} (median of {args.repeat} runs)")
    print(f"  campaign validate:              {ours:6.3f} s   ({summary})")
    print(f"  baseline safe_load+jsonschema:  {base:6.3f} s")
    print(f"  ratio ours/baseline:            {ours / base:6.2f}x")
    print(f"  per file (ours):                {ours / args.files * 1000:6.2f} ms")
    verdict = "OK" if ours <= GOAL_SECONDS else "OVER GOAL"
    print(f"  goal <= {GOAL_SECONDS:.1f} s:                  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
