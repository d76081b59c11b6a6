"""Runs every row of the performance table on this machine; writes benchmarks/results.md and scaling.png.

Wall times: time.perf_counter around subprocess.run, the reference and the project commands alternating,
in rounds; the median of --repeats runs of each. Peak memory: each child runs under GNU time
(`/usr/bin/time -f %M -o FILE`), which reports that child's own maximum resident set size; without
GNU time, a small Python wrapper runs the child and reports getrusage(RUSAGE_CHILDREN), which in a fresh
wrapper is that one child's. The training phase and the scaling table are timed in one separate process
(benchmarks/inprocess.py); `train` and `compare` are profiled by benchmarks/profile_command.py.

Run: `make bench` (or `.venv/bin/python benchmarks/run.py [--repeats 3] [--quick]`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
CLI = str(BIN / "circles-hinge") if (BIN / "circles-hinge").exists() else "circles-hinge"
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

# What the project measures, against what, and the target ratio project / reference (at most).
TUTORIAL = "tutorial script"
TUTORIAL_ONE_BATCH = "tutorial script, one-batch predict"
ROWS = [
    ("train", "`circles-hinge train`, every file", ["train"], 0.4),
    ("compare", "`circles-hinge compare`, 2 losses", ["compare"], 0.5),
    ("compare100", "`compare --seeds 100`, 2 losses", ["compare", "--seeds", "100"], 0.8),
]
RUN_END = "<!-- run:end -->"  # results.md: this script's part above, others' below
IMPORT_FLOOR = "import tensorflow, keras"  # what any single run pays before its own work
FLOOR_TARGET = 1.5  # seconds of `train` above it
PROFILED = ["train", "compare"]  # the end-to-end rows whose time is mostly the project's own
HELP_TARGET = 1.5
MEMORY_TARGET = 1.2
TRAINING_TARGET = 0.1  # at least 10x faster


@dataclass
class Side:
    seconds: list[float] = field(default_factory=list)
    max_rss_kb: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def timed_run(cmd: list[str]) -> tuple[float, int | None, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS in KB of that one child, and the finished process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        if GNU_TIME:
            wrapped = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd]
        else:
            wrapper = (
                "import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]).returncode; "
                "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
                "sys.exit(r)"
            )
            wrapped = [PYTHON, "-c", wrapper, rss.name, *cmd]
        start = time.perf_counter()
        proc = subprocess.run(wrapped, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        text = Path(rss.name).read_text().strip().splitlines()
    try:
        kb = int(text[-1])
    except (IndexError, ValueError):
        kb = None
    return seconds, kb, proc


def failure(proc: subprocess.CompletedProcess) -> str:
    if "No such command" in proc.stderr:
        return "not available yet"
    lines = [
        line for line in proc.stderr.strip().splitlines() if line.strip() and "Command exited" not in line
    ]
    return f"failed (exit {proc.returncode}): {lines[-1].strip('│ ') if lines else ''}"


def measure(commands: dict[str, list[str]], repeats: int, label: str) -> dict[str, Side]:
    """Rounds of every command in turn (reference first); a command that fails is dropped."""
    sides = {name: Side() for name in commands}
    for r in range(repeats):
        for name, cmd in commands.items():
            side = sides[name]
            if side.error:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                full = [c.replace("{TMP}", tmp) for c in cmd]
                seconds, kb, proc = timed_run(full)
            if proc.returncode != 0:
                side.error = failure(proc)
                print(f"  {label} {name}: {side.error}", file=sys.stderr)
                continue
            side.seconds.append(seconds)
            if kb is not None:
                side.max_rss_kb.append(kb)
            print(f"  {label} round {r + 1}/{repeats} {name}: {seconds:.2f} s", file=sys.stderr)
    return sides


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    code = (
        "import json, importlib.metadata as m; "
        "print(json.dumps({p: m.version(p) for p in ('tensorflow', 'keras', 'numpy', 'scikit-learn', "
        "'matplotlib', 'mlxtend', 'typer')}))"
    )
    versions = json.loads(subprocess.run([PYTHON, "-c", code], capture_output=True, text=True).stdout)
    return {"cores": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(), **versions}


def child_json(script: str, args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        subprocess.run(
            [PYTHON, str(HERE / script), *args, "--json", str(out)],
            env=ENV,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def ratio_row(what: str, ref: Side, proj: Side, target: float, ref_name: str) -> list[str]:
    if proj.error or ref.error:
        why = proj.error or f"reference {ref.error}"
        return [what, f"{ref.median:.2f}" if ref.seconds else "-", why, "-", f"<= {target:g}x", "-"]
    ratio = proj.median / ref.median
    return [
        what + f" (vs {ref_name})",
        f"{ref.median:.2f}",
        f"{proj.median:.2f}",
        f"{ratio:.2f}x",
        f"<= {target:g}x",
        "yes" if ratio <= target else "**no**",
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plot_scaling(scaling: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    by_epochs = [s for s in scaling if s["k"] == 1]
    by_seeds = [s for s in scaling if s["epochs"] == 30]
    for ax, points, key, xlabel in (
        (axes[0], by_epochs, "epochs", "epochs (K = 1)"),
        (axes[1], by_seeds, "k", "seeds K (30 epochs)"),
    ):
        xs = [p[key] for p in points]
        ax.plot(xs, [p["median"] for p in points], "o-", color="#0072B2", label="trace + train")
        ax.plot(
            xs,
            [p["median"] - statistics.median(r["first_epoch"] for r in p["runs"]) for p in points],
            "s--",
            color="#D55E00",
            label="without epoch 1 (trace)",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("ReplicaTrainer training time (median)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def notes(pred: dict, det: float, project_median: float, tp: list[dict]) -> list[str]:
    """How each number was measured, and what the reference's predict batch size does to the ratios."""
    median = statistics.median
    memory = "GNU time (`/usr/bin/time -f %M`)" if GNU_TIME else "a wrapper's getrusage(RUSAGE_CHILDREN)"
    return [
        "- Reference: `benchmarks/tutorial.py`, the tutorial's script ported to Keras 3 with the fewest "
        "changes: `Adam(learning_rate=0.03)`, `make_circles(..., random_state=42)`, `fit(verbose=0)`, and "
        "each `plt.show()` replaced by `plt.savefig` + `plt.close` (writes data.png, decision_regions.png, "
        "loss.png). mlxtend 0.25 needs integer labels from `clf.predict`, so the model is wrapped in a "
        "classifier whose `predict` is `np.where(model.predict(X) >= 0, 1, -1)` at Keras' default predict "
        "batch size (32), as the tutorial's `clf=model` predicted.",
        f"- That choice matters: mlxtend's grid has {pred['grid_points']:,} points; predicting it in "
        f"batches of 32 costs the reference {pred['plot_default_batch']:.1f} s (in-process, one "
        f"measurement), against {pred['predict_one_batch']:.2f} s in one batch. The issue's 15-17 s for the "
        "tutorial leaves no room for that, so the second table measures the stricter reading "
        "too: the same script with `--predict-batch-size 0` (the whole grid in one batch).",
        "- The same tutorial runs are the reference for the three end-to-end rows: each round runs the "
        "tutorial (both variants), then `train`, `compare`, `compare --seeds 100`.",
        f"- Peak memory: maximum resident set size of each child, from {memory}; median over the runs.",
        "- Training phase: one process, alternating. Stock: the tutorial's model, freshly built, "
        "`model.fit(X, y, epochs=30, batch_size=5, validation_split=0.2, verbose=0)` (its tracing included). "
        "Project: a fresh `ReplicaTrainer` for K = 1 with the default config, construction + `fit` (the "
        "tf.function trace included). Data and initial weights are made before the clock starts on both "
        "sides. Op determinism is off on both sides; `run_experiment` turns it on, and with it the "
        f"project's phase takes {det:.2f} s (median) instead of {project_median:.2f} s.",
        f"- The project's phase, median: construction {median(r['construct'] for r in tp):.2f} s, "
        f"epoch 1 (trace + run) {median(r['first_epoch'] for r in tp):.2f} s, then "
        f"{1000 * median(r['per_later_epoch'] for r in tp):.1f} ms per epoch.",
        "- Scaling: seeds 42, 43, ..., each with its own data, initial weights and shuffling, as a seed "
        "study does; trainer construction + fit, median of the repeats.",
        "- Other work on the machine at the same time slows both sides of a round alike; the ratios are "
        "steadier than the seconds.",
    ]


def collect(repeats: int, quick: bool, profile: bool) -> dict:
    """Run every measurement; returns plain data (saved as results.json, rendered by `render`)."""
    started = time.perf_counter()
    info = machine()
    print(info, file=sys.stderr)
    # Warm the file cache, so the first timed run does not pay for reading TensorFlow from disk.
    subprocess.run([PYTHON, "-c", "import tensorflow"], env=ENV, capture_output=True)
    subprocess.run([CLI, "--help"], env=ENV, capture_output=True)

    tutorial = [PYTHON, str(HERE / "tutorial.py"), "--out", "{TMP}"]
    commands = {
        TUTORIAL: tutorial,
        TUTORIAL_ONE_BATCH: [*tutorial, "--predict-batch-size", "0"],
        IMPORT_FLOOR: [PYTHON, "-c", IMPORT_FLOOR],
    }
    for key, _, argv, _ in ROWS:
        commands[key] = [CLI, *argv, "--quiet", "--runs-dir", "{TMP}"]
    sides = measure(commands, repeats, "commands")
    sides.update(
        measure(
            {"import typer": [PYTHON, "-c", "import typer"], "--help": [CLI, "--help"]},
            repeats if quick else max(repeats, 5),
            "help",
        )
    )
    print("  timing the training phase and the scaling table in one process ...", file=sys.stderr)
    inproc = child_json("inprocess.py", ["--repeats", str(repeats), *(["--quick"] if quick else [])])
    prof = {}
    if profile:
        for command in PROFILED:
            print(f"  profiling circles-hinge {command} ...", file=sys.stderr)
            prof[command] = child_json(
                "profile_command.py",
                ["--command", command, *([] if command == "train" else ["--no-imports"])],
            )
    return {
        "machine": info,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "repeats": repeats,
        "quick": quick,
        "minutes": (time.perf_counter() - started) / 60,
        "sides": {name: asdict(side) for name, side in sides.items()},
        "inprocess": inproc,
        "profile": prof,
    }


def render(data: dict, folder: Path) -> tuple[str, str, str]:
    """(results.md, the main table, the scaling table) from collected data; draws folder/scaling.png."""
    info = data["machine"]
    machine_line = (
        f"{info['cores']} cores, {info['cpu']}; Python {info['python']}, TensorFlow {info['tensorflow']}, "
        f"Keras {info['keras']}, NumPy {info['numpy']}, scikit-learn {info['scikit-learn']}, "
        f"matplotlib {info['matplotlib']}, mlxtend {info['mlxtend']}, Typer {info['typer']}"
    )
    sides = {name: Side(**side) for name, side in data["sides"].items()}
    inproc = data["inprocess"]
    ref = sides[TUTORIAL]
    stock = Side(inproc["training_phase"]["stock"])
    project = Side([r["seconds"] for r in inproc["training_phase"]["project"]])

    row = ratio_row(
        "training phase, 30 epochs, tutorial config",
        stock,
        project,
        TRAINING_TARGET,
        "stock `model.fit`, same process",
    )
    if project.seconds:
        row[3] += f" ({stock.median / project.median:.1f}x faster)"
    rows = [row]
    rows += [ratio_row(what, ref, sides[key], target, TUTORIAL) for key, what, _, target in ROWS]
    rows.append(
        ratio_row(
            "`circles-hinge --help`",
            sides["import typer"],
            sides["--help"],
            HELP_TARGET,
            '`python -c "import typer"`',
        )
    )
    if IMPORT_FLOOR in sides:
        rows.append(floor_row(sides[IMPORT_FLOOR], sides["train"]))
    rows.append(memory_row(ref, sides["train"]))
    header = ["what", "reference (median s)", "project (median s)", "ratio", "target", "met?"]
    table = markdown_table(header, rows)
    one_batch = sides.get(TUTORIAL_ONE_BATCH)
    strict_table = "(not measured)"
    if one_batch is not None:
        strict = [
            ratio_row(what, one_batch, sides[key], target, TUTORIAL_ONE_BATCH)
            for key, what, _, target in ROWS
        ]
        strict_table = markdown_table(header, strict)

    scaling_rows = []
    for s in inproc["scaling"]:
        runs = s["runs"]
        scaling_rows.append(
            [
                str(s["epochs"]),
                str(s["k"]),
                f"{s['median']:.2f}",
                f"{statistics.median(r['first_epoch'] for r in runs):.2f}",
                f"{1000 * statistics.median(r['per_later_epoch'] for r in runs):.1f}",
                f"{s['median'] / (s['epochs'] * s['k']) * 1000:.2f}",
            ]
        )
    scaling_header = ["epochs", "seeds K", "total s (median)", "epoch 1 s (trace)", "ms per later epoch"]
    scaling_table = markdown_table([*scaling_header, "ms per replica-epoch"], scaling_rows)
    plot_scaling(inproc["scaling"], folder / "scaling.png")

    raw = {name: [round(x, 2) for x in side.seconds] for name, side in sides.items()}
    raw["stock model.fit"] = [round(x, 2) for x in stock.seconds]
    raw["ReplicaTrainer"] = [round(x, 2) for x in project.seconds]
    det = statistics.median(inproc["project_with_determinism"])
    md = [
        "# Benchmark results",
        "",
        f"Machine: {machine_line}.",
        "",
        f"Written by `benchmarks/run.py` ({'--quick, ' if data['quick'] else ''}{data['repeats']} run(s) of "
        "each side, in rounds alternating the reference and the project commands; "
        f"{data['minutes']:.1f} min in all) on {data['date']}. Ratio = project / reference; lower is better. "
        "Raw data: `results.json`.",
        "",
        table,
        "",
        "The stricter reading: the same end-to-end rows against the tutorial script with its decision-region "
        "grid predicted in one batch (`tutorial.py --predict-batch-size 0`; see the notes):",
        "",
        strict_table,
        "",
        "Every run, in seconds, in the order they ran:",
        "",
        *[f"- {name}: {values}" for name, values in raw.items()],
        "",
        "## Notes on the measurement",
        "",
        *notes(inproc["reference_predict"], det, project.median, inproc["training_phase"]["project"]),
        "",
        "## Scaling of the project's trainer",
        "",
        scaling_table,
        "",
        "![training time against epochs and seeds](scaling.png)",
    ]
    unmet = [r for r in rows + (strict if one_batch is not None else []) if r[-1] == "**no**"]
    md += ["", "## Targets not met", ""]
    md += [f"- {r[0]}: {r[3]}, target {r[4]}." for r in unmet] or ["- none."]
    if unmet:
        md.append(
            "- Where the time goes: the profiles below. What would close the gaps, with measured "
            "experiments: [README.md, Findings](README.md#findings)."
        )
    profiles = data.get("profile") or {}
    if profiles:
        sys.path.insert(0, str(HERE))
        from profile_command import format_profile

    for command, profile in profiles.items():
        md += [
            "",
            f"## Where `circles-hinge {command}` spends its time",
            "",
            f"One run of `circles-hinge {command} --quiet` in a fresh process, phases timed by wrapping the "
            "project's functions (`benchmarks/profile_command.py`); indented rows are inside the row above.",
            "",
            format_profile(profile),
        ]
    summary = f"{machine_line}\n{table}\n\nAgainst the tutorial with a one-batch predict:\n{strict_table}"
    return "\n".join(md) + "\n", summary, scaling_table


def floor_row(floor: Side, train: Side) -> list[str]:
    """`train` against the import floor, as seconds above it (the run's own work), not as a ratio."""
    what = f'`circles-hinge train` above the import floor (`python -c "{IMPORT_FLOOR}"`, same rounds)'
    if floor.error or train.error or not (floor.seconds and train.seconds):
        return [what, "-", floor.error or train.error or "not measured", "-", f"<= +{FLOOR_TARGET:g} s", "-"]
    above = train.median - floor.median
    met = "yes" if above <= FLOOR_TARGET else "**no**"
    return [
        what,
        f"{floor.median:.2f}",
        f"{train.median:.2f}",
        f"+{above:.2f} s",
        f"<= +{FLOOR_TARGET:g} s",
        met,
    ]


def memory_row(ref: Side, train: Side) -> list[str]:
    if not (train.max_rss_kb and ref.max_rss_kb):
        return [
            "peak memory of `train`",
            "-",
            train.error or "not measured",
            "-",
            f"<= {MEMORY_TARGET:g}x",
            "-",
        ]
    ref_mb, proj_mb = statistics.median(ref.max_rss_kb) / 1024, statistics.median(train.max_rss_kb) / 1024
    ratio = proj_mb / ref_mb
    return [
        f"peak memory of `train` (vs {TUTORIAL})",
        f"{ref_mb:.0f} MB",
        f"{proj_mb:.0f} MB",
        f"{ratio:.2f}x",
        f"<= {MEMORY_TARGET:g}x",
        "yes" if ratio <= MEMORY_TARGET else "**no**",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each side per row (median).")
    parser.add_argument("--quick", action="store_true", help="Smoke test: 1 repeat, fewer scaling points.")
    parser.add_argument("--no-profile", action="store_true", help="Skip profiling `train` and `compare`.")
    parser.add_argument(
        "--out",
        type=Path,
        help="Report path; results.json and scaling.png go beside it. Default: benchmarks/results.md, "
        "or a temporary folder with --quick (so a smoke test never overwrites the real results).",
    )
    parser.add_argument("--render-only", action="store_true", help="Re-write the report from results.json.")
    args = parser.parse_args()
    if args.out is None:
        quick_dir = Path(tempfile.gettempdir()) / "circles-hinge-bench"
        args.out = quick_dir / "results.md" if args.quick else HERE / "results.md"
    raw_path = args.out.with_suffix(".json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        data = json.loads(raw_path.read_text())
    else:
        data = collect(1 if args.quick else args.repeats, args.quick, not args.no_profile)
        raw_path.write_text(json.dumps(data, indent=1))
    md, table, scaling_table = render(data, args.out.parent)
    # the sections other scripts (studies.py, phases.py) and dated notes keep below this one's
    kept = args.out.read_text().partition(RUN_END)[2] if args.out.exists() else ""
    args.out.write_text(f"{md.rstrip()}\n\n{RUN_END}{kept or chr(10)}")
    print(table)
    print()
    print(scaling_table)
    print(f"\nwrote {args.out}, {raw_path} and {args.out.parent / 'scaling.png'}")


if __name__ == "__main__":
    main()
