"""How long `--help` takes against `python -c "import typer"`, the floor of any Typer program.

    .venv/bin/python benchmarks/help.py [--runs 21]

Each command runs as a fresh process, the reference and the project alternating, `--runs` times each;
prints the median of each and their ratio (target: at most 1.5x), and which heavy modules `train --help`
imported (none of TensorFlow, pydantic or NumPy should be).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "import typer": [sys.executable, "-c", "import typer"],
    "circles-hinge --help": [str(BIN / "circles-hinge"), "--help"],
    "circles-hinge train --help": [str(BIN / "circles-hinge"), "train", "--help"],
}
HEAVY = ("tensorflow", "pydantic", "numpy", "matplotlib", "sklearn")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache
        timed(command)
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            seconds[name].append(timed(command))
    floor = statistics.median(seconds["import typer"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{name:30s} median {median * 1000:6.1f} ms  ({median / floor:.2f}x import typer)")
    probe = (
        "import sys; sys.argv = ['circles-hinge', 'train', '--help']\n"
        "from circles_hinge.cli.app import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stderr.strip()
    print(f"heavy modules `train --help` imported: {loaded}")


if __name__ == "__main__":
    main()
