"""Where a `circles-hinge` command spends its wall time: phase time stamps, plus the slowest imports.

Phases are timed by wrapping the project's own functions (nothing in the package is changed) and then
running the real command line, e.g. `circles-hinge train --quiet --runs-dir TMP`, in this process.
A wrapped function that no longer exists is skipped. Imports are measured separately with
`python -X importtime`. Run: `python benchmarks/profile_command.py --json OUT.json [--command compare]`
(prints a summary).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
START_EPOCH = time.time()  # wall clock, comparable across processes: start-up and exit cost

# (module, attribute, label): each is timed when called; nested calls are shown indented.
WRAPPED = [
    ("circles_hinge.cli.app", "_load", "load and validate config"),
    ("circles_hinge.store.folders", "prepare_runs_dir", "prepare runs dir"),
    ("circles_hinge.studies.comparison", "_side_by_side", "compare: side-by-side runs"),
    ("circles_hinge.studies.comparison", "_seed_study", "compare: seed study"),
    ("circles_hinge.studies.comparison", "train_studies", "train the studies"),
    ("circles_hinge.studies.sweeps", "train_studies", "train the studies"),
    ("circles_hinge.studies.comparison", "_draw_comparison", "comparison figures"),
    ("circles_hinge.studies.experiment", "run_experiment", "run_experiment (one run folder)"),
    ("circles_hinge.studies.experiment", "load_tensorflow", "import TensorFlow + Keras"),
    ("circles_hinge.studies.experiment", "seed_everything", "seed_everything"),
    ("circles_hinge.engine.data", "load_split", "make data (imports scikit-learn)"),
    ("circles_hinge.studies.experiment", "load_split", "make data (imports scikit-learn)"),
    ("circles_hinge.engine.trainer", "matmul_roundings", "record the matmuls' rounding"),
    ("circles_hinge.engine.model", "initial_weights", "initial weights"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.__init__", "build trainer"),
    ("circles_hinge.engine.trainer", "ReplicaTrainer.fit", "train (all epochs)"),
    ("circles_hinge.engine.model", "build_model", "build Keras model"),
    ("circles_hinge.studies.experiment", "evaluate_replica", "evaluate on test set"),
    ("circles_hinge.studies.experiment", "save_model", "save model.keras"),
    ("circles_hinge.studies.experiment", "write_csv", "write history.csv"),
    ("circles_hinge.studies.experiment", "_write_plots", "all plots"),
    ("circles_hinge.outputs.plots", "plot_data", "data.png"),
    ("circles_hinge.outputs.plots", "plot_loss_curve", "loss_curve.png"),
    ("circles_hinge.outputs.plots", "plot_decision_regions_png", "decision_regions.png"),
    ("circles_hinge.outputs.plots", "plot_margins", "margins.png"),
    ("circles_hinge.engine.model", "hidden_activations", "hidden activations"),
    ("circles_hinge.outputs.hidden_plots", "plot_hidden_layer", "hidden_layer.png"),
    ("circles_hinge.outputs.background", "FigureWorker.wait", "wait for the second process's figures"),
    ("circles_hinge.studies.experiment", "build_model", "build Keras model"),
    ("circles_hinge.studies.experiment", "hidden_activations", "hidden activations"),
    ("circles_hinge.studies.experiment", "machine", "machine record"),
    ("circles_hinge.studies.experiment", "versions", "library versions"),
    ("circles_hinge.studies.experiment", "write_json", "write metrics.json"),
    ("circles_hinge.studies.experiment", "write_run_report", "report.html"),
]

records: list[dict] = []
depth = [0]


def timed(fn, label: str):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        record = {"label": label, "depth": depth[0], "start": time.perf_counter() - START}
        records.append(record)
        depth[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            record["seconds"] = time.perf_counter() - START - record["start"]

    return wrapper


def install() -> list[str]:
    missing = []
    # Epoch time stamps: the first epoch includes tracing the compiled epoch function.
    try:
        from circles_hinge.engine.trainer import ReplicaTrainer

        fit = ReplicaTrainer.fit

        def fit_with_stamps(self, seeds, on_epoch=None, **options):
            stamps = [time.perf_counter()]

            def stamp(epoch, logs):
                stamps.append(time.perf_counter())
                if on_epoch is not None:
                    on_epoch(epoch, logs)

            try:
                return fit(self, seeds, on_epoch=stamp, **options)
            finally:
                if len(stamps) > 1:
                    d = depth[0]
                    first = stamps[1] - stamps[0]
                    rest = stamps[-1] - stamps[1]
                    records.append(
                        {
                            "label": "epoch 1 (traces the epoch function)",
                            "depth": d,
                            "seconds": first,
                            "start": stamps[0] - START,
                        }
                    )
                    records.append(
                        {
                            "label": f"epochs 2-{len(stamps) - 1}",
                            "depth": d,
                            "seconds": rest,
                            "start": stamps[1] - START,
                        }
                    )

        ReplicaTrainer.fit = fit_with_stamps
    except (ImportError, AttributeError):
        missing.append("circles_hinge.engine.trainer.ReplicaTrainer.fit (epoch stamps)")
    for module_name, attribute, label in WRAPPED:
        try:
            owner = importlib.import_module(module_name)
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, name, timed(getattr(owner, name), label))
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{attribute}")
    return missing


def phases(command: list[str], runs_dir: Path, json_path: Path) -> None:
    """Run the command in this process and write the phase records to json_path.

    The console script may end the process with os._exit (skipping TensorFlow's teardown), so the
    records are written just before that happens, and the process exits exactly as the command would.
    """
    before_cli = time.perf_counter()
    cli = importlib.import_module("circles_hinge.cli.app")  # the package's `app` names the Typer app

    records.append(
        {
            "label": "import circles_hinge.cli.app (typer)",
            "depth": 0,
            "start": before_cli - START,
            "seconds": time.perf_counter() - before_cli,
        }
    )
    before_install = time.perf_counter()
    missing = install()
    records.append(
        {
            "label": "import project modules (pydantic, numpy)",
            "depth": 0,
            "start": before_install - START,
            "seconds": time.perf_counter() - before_install,
        }
    )

    def report() -> None:
        records.sort(key=lambda r: r["start"])
        result = {
            "records": records,
            "in_process_total": time.perf_counter() - START,
            "not_wrapped": missing,
            "start_epoch": START_EPOCH,
            "end_epoch": time.time(),
        }
        json_path.write_text(json.dumps(result, indent=1))

    real_exit = os._exit

    def report_then_exit(code: int) -> None:
        report()
        real_exit(code)

    os._exit = report_then_exit
    sys.argv = ["circles-hinge", *command, "--quiet", "--runs-dir", str(runs_dir)]
    try:
        cli.main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    report()


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
# Heavy modules that `import tensorflow` pulls in; reported with the module that imported them.
NESTED = [
    "tensorflow.python.pywrap_tensorflow",
    "tensorflow._api.v2.__internal__",
    "tensorflow._api.v2.compat",
    "keras._tf_keras",
    "matplotlib.pyplot",
    "sklearn",
    "pandas",
    "scipy.sparse",
]


def import_times(command: list[str], runs_dir: Path, top: int = 10) -> dict:
    """Imports of the command by cumulative time (python -X importtime): the top-level ones,
    and the heavy ones nested inside TensorFlow's import.

    TF_CPP_MIN_LOG_LEVEL=1 stops the project from sending stderr to /dev/null while TensorFlow loads,
    so TensorFlow's imports are reported too.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1"}
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "circles_hinge",
        *command,
        "--quiet",
        "--runs-dir",
        str(runs_dir),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    rows = []  # (module, cumulative seconds, indent), children before their parent, as importtime prints
    for line in proc.stderr.splitlines():
        m = IMPORT_LINE.match(line)
        if m:
            rows.append((m.group(4), int(m.group(2)) / 1e6, len(m.group(3))))
    top_level = sorted(
        ({"module": r[0], "seconds": r[1]} for r in rows if r[2] == 1), key=lambda r: -r["seconds"]
    )
    nested = []
    for name in NESTED:
        for i, (module, seconds, indent) in enumerate(rows):
            if module == name:
                parent = next((r[0] for r in rows[i + 1 :] if r[2] < indent), "")
                nested.append({"module": module, "seconds": seconds, "imported_by": parent})
                break
    return {"top_level": top_level[:top], "nested": nested}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--command", default="train", help="The circles-hinge command and its options.")
    parser.add_argument("--no-imports", action="store_true", help="Skip the -X importtime run.")
    parser.add_argument("--phases-only", type=Path, metavar="RUNS_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    command = shlex.split(args.command)
    if args.phases_only:
        phases(command, args.phases_only, args.json)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Phases in a fresh child, so nothing this process imported is already loaded.
        child = Path(tmp) / "phases.json"
        launched = time.time()
        wall = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--phases-only",
                str(Path(tmp) / "phases"),
                "--json",
                str(child),
                "--command",
                args.command,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        result = json.loads(child.read_text())
        result["command"] = args.command
        result["wall"] = time.perf_counter() - wall
        result["startup"] = result["start_epoch"] - launched
        result["exit"] = time.time() - result["end_epoch"]
        result["imports"] = None if args.no_imports else import_times(command, Path(tmp) / "imports")
    args.json.write_text(json.dumps(result, indent=1))
    print(format_profile(result))


def format_profile(result: dict) -> str:
    lines = ["| phase | seconds |", "| --- | ---: |"]
    lines.append(f"| Python start-up (to the first line of this script) | {result['startup']:.2f} |")
    for r in result["records"]:
        indent = "&nbsp;&nbsp;" * 2 * r["depth"]
        lines.append(f"| {indent}{r['label']} | {r['seconds']:.2f} |")
    top = sum(r["seconds"] for r in result["records"] if r["depth"] == 0)
    lines.append(f"| other (not inside a wrapped function) | {result['in_process_total'] - top:.2f} |")
    lines.append(f"| process exit (after the command returned) | {result['exit']:.2f} |")
    lines.append(f"| **total wall** | **{result['wall']:.2f}** |")
    if result.get("not_wrapped"):
        lines.append(f"\n(not found, so not timed: {', '.join(result['not_wrapped'])})")
    imports = result.get("imports")
    if not imports:
        return "\n".join(lines)
    lines += [
        "",
        "Slowest top-level imports (`python -X importtime`, cumulative; importtime itself slows them):",
        "",
        "| module | seconds |",
        "| --- | ---: |",
    ]
    lines += [f"| {r['module']} | {r['seconds']:.2f} |" for r in imports["top_level"]]
    lines += [
        "",
        "Heavy imports inside `import tensorflow` (cumulative):",
        "",
        "| module | imported by | seconds |",
        "| --- | --- | ---: |",
    ]
    lines += [f"| {r['module']} | {r['imported_by']} | {r['seconds']:.2f} |" for r in imports["nested"]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
