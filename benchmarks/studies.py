"""Studies at scale and for scripts: the five rows of their performance table, each measured against its
reference in one run, written to the "Studies at scale" section of results.md (and studies.json).

    python benchmarks/studies.py [--repeats 3] [--quick]

| row | reference | project |
| --- | --- | --- |
| 10,000 trainings, every file | - (target: 180 s) | `sweep --grid data.noise=(5 values) --seeds 1000` |
| `--workers 2` on a grid of 4 groups | the same with `--workers 1` | `--workers 2` |
| training phase, tutorial config | stock `model.fit`, same process | a fresh `ReplicaTrainer`, K = 1 |
| second `circles_hinge.train` in one process | the first | the second |
| `circles-hinge train --help` | `python -c "import typer"` | `circles-hinge train --help` |

Commands run in fresh processes, reference and project alternating; medians of --repeats runs (the
10,000-training row runs once per repeat, at most twice). --quick: 100 seeds instead of 1,000 and one
repeat, to check the script, not to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
START, END = "<!-- studies:start -->", "<!-- studies:end -->"
NOISE = "data.noise=0,0.05,0.1,0.15,0.2"
FOUR_GROUPS = ["--grid", "training.batch_size=5,10", "--grid", "data.noise=0,0.1"]
SEEDS_SMALL, SEEDS_LARGE = "200", "1000"  # the row's grid, and the same grid 5x larger (one run each)

PHASE_CHILD = """
import json, sys
sys.path.insert(0, {here!r})
import inprocess, tutorial
from circles_hinge.engine.runtime import load_tensorflow
load_tensorflow()
stock, project = [], []
for _ in range({repeats}):
    stock.append(tutorial.stock_fit_seconds())
    project.append(inprocess.project_fit(inprocess.project_setup())["seconds"])
print(json.dumps({{"stock": stock, "project": project}}))
"""

API_CHILD = """
import json, tempfile, time
import circles_hinge as ch
out = tempfile.mkdtemp()
times = []
for seed in (42, 43):
    start = time.perf_counter()
    ch.train(seed=seed, runs_dir=out, overrides={"training.restarts": 0}, quiet=True)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def imported_from(env: dict) -> str:
    """Where `python -m circles_hinge` imports the package from, with this environment, from the
    directory `timed` runs commands in. From a checkout's root, `-m` puts the working directory ahead
    of PYTHONPATH, so a reference run there silently measured this checkout (a 10,000-training "reference"
    of 35 s that takes 91 s from elsewhere)."""
    code = "import circles_hinge; print(circles_hinge.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def timed(cmd: list[str], pythonpath: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB, GNU time's maximum RSS) of one command in a fresh process
    (with PYTHONPATH=pythonpath: another checkout's package)."""
    env = {**os.environ, **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    if pythonpath is not None:  # the checkout's package, not this one's (see `imported_from`)
        found = imported_from(env)
        if Path(found).resolve().parent.parent != pythonpath.resolve():
            raise SystemExit(f"--ref {pythonpath}: the reference would import circles_hinge from {found}")
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-o", rss.name, "-f", "%M", *cmd],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=tempfile.gettempdir(),
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        return seconds, int(rss.read().split()[-1]) // 1024


def child(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect(repeats: int, quick: bool, ref: Path | None, only_ten_k: bool) -> dict:
    seeds = "100" if quick else "1000"
    out: dict = {"repeats": repeats, "quick": quick}
    with tempfile.TemporaryDirectory() as runs:
        cli = [str(BIN / "circles-hinge")]
        big = [*cli, "sweep", "--grid", NOISE, "--seeds", seeds, "--losses", "hinge,squared_hinge"]
        out["ten_k"], out["ten_k_ref"] = [], []
        for i in range(min(repeats, 2)):
            if ref is not None:  # the reference first, then the project, in rounds
                ref_big = [sys.executable, "-m", "circles_hinge", *big[1:]]
                seconds, mib = timed([*ref_big, "--runs-dir", runs, "--name", f"ref{i}", "--quiet"], ref)
                out["ten_k_ref"].append({"seconds": seconds, "mib": mib})
                print(f"  reference: {seconds:.1f} s, {mib:,} MiB", file=sys.stderr)
            seconds, mib = timed([*big, "--runs-dir", runs, "--name", f"big{i}", "--quiet"])
            report = json.loads((Path(runs) / f"big{i}" / "sweep.json").read_text())
            trainings = sum(r["seeds"] for r in report["results"])
            out["ten_k"].append(
                {"seconds": seconds, "mib": mib, "trainings": trainings, "workers": report["workers"]}
            )
            print(f"  {trainings:,} trainings: {seconds:.1f} s, {mib:,} MiB", file=sys.stderr)
        if only_ten_k:
            return out
        grid = [*cli, "sweep", *FOUR_GROUPS, "--losses", "hinge,squared_hinge", "--runs-dir", runs, "--quiet"]
        out["workers_1"], out["workers_2"] = [], []
        for i in range(repeats):
            out["workers_1"].append(
                timed([*grid, "--seeds", SEEDS_SMALL, "--workers", "1", "--name", f"w1-{i}"])[0]
            )
            out["workers_2"].append(
                timed([*grid, "--seeds", SEEDS_SMALL, "--workers", "2", "--name", f"w2-{i}"])[0]
            )
            print(
                f"  workers 1: {out['workers_1'][-1]:.1f} s, 2: {out['workers_2'][-1]:.1f} s", file=sys.stderr
            )
        seeds = "200" if quick else SEEDS_LARGE
        out["large_1"] = timed([*grid, "--seeds", seeds, "--workers", "1", "--name", "l1"])[0]
        out["large_2"] = timed([*grid, "--seeds", seeds, "--workers", "2", "--name", "l2"])[0]
        print(f"  larger grid, workers 1: {out['large_1']:.1f} s, 2: {out['large_2']:.1f} s", file=sys.stderr)
        worker = "import circles_hinge.studies.sweeps, circles_hinge.engine.runtime as r; r.load_tensorflow()"
        out["worker_start"] = med_of([sys.executable, "-c", worker])
        same = all(
            (Path(runs) / "w1-0" / f).read_bytes() == (Path(runs) / "w2-0" / f).read_bytes()
            for f in ("sweep.csv", "seeds.csv")
        )
        out["workers_same_bytes"] = same
    out["phase"] = child(PHASE_CHILD.format(here=str(HERE), repeats=repeats))
    print(f"  training phase: {out['phase']}", file=sys.stderr)
    out["api"] = [child(API_CHILD) for _ in range(repeats)]
    print(f"  ch.train first/second: {out['api']}", file=sys.stderr)
    out["help"], out["typer"] = [], []
    for _ in range(max(5, repeats)):
        out["typer"].append(timed([sys.executable, "-c", "import typer"])[0])
        out["help"].append(timed([str(BIN / "circles-hinge"), "train", "--help"])[0])
    return out


def med_of(cmd: list[str], n: int = 3) -> float:
    return statistics.median(timed(cmd)[0] for _ in range(n))


def render(data: dict) -> str:
    med = statistics.median
    ten_k = med(r["seconds"] for r in data["ten_k"])
    ten_k_ref = med(r["seconds"] for r in data["ten_k_ref"]) if data.get("ten_k_ref") else None
    trainings = data["ten_k"][0]["trainings"]
    w1, w2 = med(data["workers_1"]), med(data["workers_2"])
    stock, proj = med(data["phase"]["stock"]), med(data["phase"]["project"])
    first, second = med(a for a, _ in data["api"]), med(b for _, b in data["api"])
    typer_s, help_s = med(data["typer"]), med(data["help"])

    def row(what, ref, ours, ratio, target, met):
        return f"| {what} | {ref} | {ours} | {ratio} | {target} | {'yes' if met else '**no**'} |"

    rows = [
        row(
            f"{trainings:,} trainings: 2 losses x 5 noise levels x {trainings // 10:,} seeds, every file "
            f"(`--workers {data['ten_k'][0]['workers']}`; peak {max(r['mib'] for r in data['ten_k']):,} MiB)",
            "-" if ten_k_ref is None else f"{ten_k_ref:.1f}",
            f"{ten_k:.1f}",
            "-" if ten_k_ref is None else f"{ten_k / ten_k_ref:.2f}x",
            "<= 180 s" if ten_k_ref is None else "<= 0.4x and <= 180 s",
            ten_k <= 180 and (ten_k_ref is None or ten_k / ten_k_ref <= 0.4),
        ),
        row(
            "`sweep --workers 2` on a grid of 4 groups (vs `--workers 1`)"
            + ("; identical sweep.csv and seeds.csv" if data["workers_same_bytes"] else "; **files differ**"),
            f"{w1:.2f}",
            f"{w2:.2f}",
            f"{w2 / w1:.2f}x",
            "<= 0.6x",
            w2 / w1 <= 0.6 and data["workers_same_bytes"],
        ),
        row(
            "training phase, tutorial config (vs stock `model.fit`, same process)",
            f"{stock:.2f}",
            f"{proj:.2f}",
            f"{proj / stock:.3f}x ({stock / proj:.1f}x faster)",
            "<= 0.05x (20x faster)",
            proj / stock <= 0.05,
        ),
        row(
            "second `circles_hinge.train` in one process (vs the first)",
            f"{first:.2f}",
            f"{second:.2f}",
            f"{second / first:.2f}x",
            "<= 0.4x and < 1 s",
            second / first <= 0.4 and second < 1,
        ),
        row(
            '`circles-hinge train --help` (vs `python -c "import typer"`)',
            f"{typer_s:.2f}",
            f"{help_s:.2f}",
            f"{help_s / typer_s:.2f}x",
            "<= 1.5x",
            help_s / typer_s <= 1.5,
        ),
    ]
    when = time.strftime("%Y-%m-%d %H:%M")
    lines = [
        START,
        "## Studies at scale and for scripts",
        "",
        f"Written by `benchmarks/studies.py` on {when} ({data['repeats']} repeat(s); "
        + (
            "only the first row measured in this run, the reference (today's main) and the project "
            "alternating; the other rows are the previous run's; "
            if data.get("only_ten_k")
            else ""
        )
        + f"{'QUICK: fewer seeds, not for quoting; ' if data['quick'] else ''}raw data: `studies.json`).",
        "",
        "| what | reference (median s) | project (median s) | ratio | target | met? |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Every run: "
        + "; ".join(
            f"{k}: {[round(x, 2) if isinstance(x, float) else x for x in v]}"
            for k, v in (
                ("10,000 trainings s", [r["seconds"] for r in data["ten_k"]]),
                ("reference", [r["seconds"] for r in data.get("ten_k_ref", [])]),
                ("workers 1", data["workers_1"]),
                ("workers 2", data["workers_2"]),
                ("larger grid, workers 1 and 2", [data["large_1"], data["large_2"]]),
                ("stock fit", data["phase"]["stock"]),
                ("ReplicaTrainer", data["phase"]["project"]),
                ("ch.train first, second", data["api"]),
                ("import typer", data["typer"]),
                ("train --help", data["help"]),
            )
        ),
        "",
        "Where the unmet targets stand:",
        "",
        "- Training phase: a fresh `ReplicaTrainer` traces its epoch function and compiles its FMA sums "
        "with XLA in its first epoch (about 0.5 s), then runs an epoch of 120 batches in about 20 ms: one "
        "`tf.while_loop` step of a few hundred small ops, each a fraction of a microsecond to a few "
        "microseconds of TensorFlow dispatch. 20x would leave less than the trace alone. XLA over the whole "
        "step would fuse those ops but changes the float32 rounding of everything that is not an explicit "
        "float64 sum (its contraction of a product and a sum, its own tanh), which breaks the fidelity to "
        "stock Keras; the speed-up that matters is per training in a study, where K replicas share each op "
        "(results.md's scaling table).",
        "- Second `circles_hinge.train` in one process: it builds a new trainer, so it traces its epoch "
        "function again, and it draws its figures in this process (a second process is forked only before "
        "TensorFlow loads; see outputs/background.py). Under 1 s would take an epoch function shared by "
        "trainers of one shape and a figure process kept for the process's life.",
        f"- `--workers 2`: each worker process starts its own Python and TensorFlow "
        f"({data['worker_start']:.1f} s here, both at once on the 2 cores), where `--workers 1` starts one; "
        f"so a fixed cost of a few seconds stands against half the training. On this grid (200 seeds a "
        f"cell, {w1:.0f} s with one worker) that gives {w2 / w1:.2f}x; on the same grid with "
        f"{SEEDS_LARGE} seeds a cell (one run each) {data['large_2']:.1f} s against {data['large_1']:.1f} s, "
        f"{data['large_2'] / data['large_1']:.2f}x. The files are the same bytes for any number of workers.",
        f"- `train --help`: {med(data['help']):.2f} s against {typer_s:.2f} s for `import typer`: Typer's "
        "subcommand parsing imports more of itself (and, in some Typer versions, pydantic) than "
        "`import typer`; `python -X importtime -m circles_hinge train --help` shows where.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ref", type=Path, help="a checkout of the reference revision, for the 10,000 row")
    parser.add_argument(
        "--only-ten-k",
        action="store_true",
        help="measure only the 10,000-training row; the other rows keep studies.json's numbers",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and studies.json")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    data = collect(args.repeats, args.quick, args.ref, args.only_ten_k)
    previous = args.out / "studies.json"
    if args.only_ten_k and previous.exists():
        data = {**json.loads(previous.read_text()), **data, "only_ten_k": time.strftime("%Y-%m-%d %H:%M")}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "studies.json").write_text(json.dumps(data, indent=1) + "\n")
    section = render(data)
    results = args.out / "results.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
