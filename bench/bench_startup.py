#!/usr/bin/env python3
"""Benchmark: start-up time of `campaign --help` and `campaign --version`.

    .venv/bin/python bench/bench_startup.py [--repeat 15]

Measures, in the same run and as fresh processes, the median wall time of
`campaign --help`, `campaign --version`, `campaign schema` and, as the baseline,
`python -c pass` (bare interpreter start-up). Goal: --help and --version <= 0.3 s.
Prints figures, the overhead over the baseline and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.3


def median_time(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the OS file cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("campaign")
    campaign = [str(script)] if script.exists() else [sys.executable, "-m", "runner"]
    baseline = median_time([sys.executable, "-c", "pass"], args.repeat)
    print(f"median of {args.repeat} runs; baseline `python -c pass`: {baseline:.3f} s")
    over = False
    for label, extra in (
        ("--help", ["--help"]),
        ("--version", ["--version"]),
        ("schema", ["schema"]),
    ):
        value = median_time([*campaign, *extra], args.repeat)
        goal = label in ("--help", "--version")
        verdict = ("OK" if value <= GOAL_SECONDS else "OVER GOAL") if goal else "(no goal)"
        over |= goal and value > GOAL_SECONDS
        print(
            f"  campaign {label:<10} {value:.3f} s  (+{value - baseline:.3f} s, "
            f"{value / baseline:.1f}x baseline)  {verdict}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
