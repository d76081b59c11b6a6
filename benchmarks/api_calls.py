"""First and second `circles_hinge.api.train` in one process: what a notebook user waits for.

    python benchmarks/api_calls.py [--repeats 3]

Each repeat is a fresh process that trains the default config twice (seed 42, then 43, into a
temporary folder) and reports both wall times; prints the medians and their ratio (target: the
second at most 0.4x the first).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = """
import json, sys, tempfile, time
import circles_hinge as ch
out = tempfile.mkdtemp()
times = []
for seed in (42, 43):
    start = time.perf_counter()
    ch.train(seed=seed, runs_dir=out, overrides={"training.restarts": 0})
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    firsts, seconds = [], []
    for _ in range(args.repeats):
        done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        first, second = json.loads(done.stdout.strip().splitlines()[-1])
        firsts.append(first)
        seconds.append(second)
    a, b = statistics.median(firsts), statistics.median(seconds)
    print(f"first ch.api.train: {a:.2f} s, second: {b:.2f} s (medians of {args.repeats}); ratio {b / a:.2f}x")
    print(f"raw: first {[round(x, 2) for x in firsts]}, second {[round(x, 2) for x in seconds]}")


if __name__ == "__main__":
    main()
