"""Re-derive every result the README quotes: run the commands it shows, on this machine, and print the
numbers it cites, with the machine they came from. The pictures it shows are copied to docs/images.

    python benchmarks/readme_figures.py [--runs-dir /tmp/readme-runs] [--images docs/images] [--out F.md]
    python benchmarks/readme_figures.py --summarise-only   # rewrite the .md from the runs already there

Writes benchmarks/readme_figures.md (every figure with the code it ran, then the machine). About 5
minutes on 2 cores. `--only` runs some keys and leaves the other runs in --runs-dir alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMES = "command_seconds.json"  # in --runs-dir: each command's wall time, for --summarise-only
CLI = [sys.executable, "-m", "circles_hinge"]

# (key, command after `circles-hinge`, {file in the folder: name in docs/images})
RUNS = [
    (
        "hinge",
        ["train", "--loss", "hinge", "--animate"],
        {
            "decision_regions.png": "hinge_decision_regions.png",
            "loss_curve.png": "hinge_loss_curve.png",
            "hidden_layer.png": "hinge_hidden_layer.png",
            "margins.png": "hinge_margins.png",
            "training.gif": "hinge_training.gif",
        },
    ),
    (
        "squared_hinge",
        ["train", "--loss", "squared_hinge"],
        {
            "decision_regions.png": "squared_hinge_decision_regions.png",
            "loss_curve.png": "squared_hinge_loss_curve.png",
        },
    ),
    ("binary_crossentropy", ["train", "--loss", "binary_crossentropy"], {}),
    (
        "categorical_hinge_blobs",
        ["train", "--loss", "categorical_hinge", "--set", "data.dataset=blobs"],
        {
            "decision_regions.png": "blobs_categorical_hinge_decision_regions.png",
            "hidden_layer.png": "blobs_categorical_hinge_hidden_layer.png",
        },
    ),
    ("multiclass_svm_blobs", ["train", "--loss", "multiclass_svm", "--set", "data.dataset=blobs"], {}),
    ("compare", ["compare"], {"comparison.png": "comparison.png"}),
    (
        "study50",
        ["compare", "--seeds", "50", "--losses", "hinge,squared_hinge,binary_crossentropy"],
        {"comparison.png": "study50_comparison.png"},
    ),
    (
        "blobs_study50",
        [
            "compare",
            "--seeds",
            "50",
            "--losses",
            "categorical_hinge,multiclass_svm",
            "--set",
            "data.dataset=blobs",
        ],
        {"comparison.png": "blobs_study_comparison.png"},
    ),
    (
        "sweep_factor",
        [
            "sweep",
            "--param",
            "data.factor",
            "--values",
            "0.1,0.3,0.5,0.7,0.8,0.9",
            "--seeds",
            "10",
            "--losses",
            "hinge,squared_hinge,binary_crossentropy",
        ],
        {"sweep.png": "sweep_factor.png"},
    ),
    (
        "sweep_noise",
        [
            "sweep",
            "--param",
            "data.noise",
            "--values",
            "0,0.05,0.1,0.2,0.3",
            "--seeds",
            "10",
            "--losses",
            "hinge,squared_hinge,binary_crossentropy",
        ],
        {"sweep.png": "sweep_noise.png"},
    ),
    (
        "grid_noise_factor",
        [
            "sweep",
            "--grid",
            "data.noise=0,0.05,0.1,0.15",
            "--grid",
            "data.factor=0.1,0.3,0.5,0.7",
            "--seeds",
            "100",
            "--losses",
            "hinge,squared_hinge,binary_crossentropy",
        ],
        {"sweep.png": "sweep_grid_noise_factor.png"},
    ),
]


def run(argv: list[str], runs_dir: Path) -> tuple[Path, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [*CLI, *argv, "--runs-dir", str(runs_dir), "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return Path(done.stdout.strip().splitlines()[-1]), seconds


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def num(x: float | None, spec: str = ".3g") -> str:
    return "—" if x is None else format(x, spec)


def code_state(machine: dict | None) -> str:
    """The commit a run's code came from, and whether tracked files differed from it then."""
    if not machine or not machine.get("git_commit"):
        return "unknown"
    return f"{machine['git_commit'][:7]}{' + uncommitted changes' if machine.get('git_dirty') else ''}"


def summarise(key: str, folder: Path, took: str) -> list[str]:
    lines = [f"### {key}: `circles-hinge {' '.join(dict((k, a) for k, a, _ in RUNS)[key])}`", ""]
    metrics = folder / "metrics.json"
    if metrics.exists():
        m = json.loads(metrics.read_text())
        lines.append(
            f"- test accuracy {pct(m['test_accuracy'])}, test loss {num(m['test_loss'])}, final loss "
            f"{num(m['final_loss'])}, final val_loss {num(m['final_val_loss'])}, epochs to 100% "
            f"validation {m['epochs_to_perfect_val']}, kept initialisation {m['initialisation']} "
            f"(0 = the first) of {m['initialisations_tried']} tried (validation accuracies "
            f"{m['initialisation_accuracies']}), training {m['train_seconds']:.2f} s, command "
            f"{took}, test points inside the margin {m.get('test_points_inside_margin')}"
        )
        lines.append(f"- code: {code_state(m.get('machine'))}")
    for name in ("comparison.json", "sweep.json"):
        report_path = folder / name
        if not report_path.exists():
            continue
        report = json.loads(report_path.read_text())
        lines.append(f"- {name}: {took} in all; code: {code_state(report.get('machine'))}")
        for r in report.get("results", []):
            where = {k: r[k] for k in report.get("keys", [])}
            head = f"  - {r['loss']}{' ' + str(where) if where else ''}: "
            if "success_rate" in r:
                lo, hi = r["success_ci95"]
                lines.append(
                    head + f"{r['successes']}/{r['seeds']} [{lo:.0%}, {hi:.0%}], failed {r['failed_seeds']}, "
                    f"mean test accuracy {pct(r['test_accuracy'])}, epochs to 100% val (median) "
                    f"{r.get('epochs_to_perfect_val')}, boundary radius (median over successes) "
                    f"{num(r.get('boundary_radius_mean'), '.3f')} (IQR width "
                    f"{num(r.get('boundary_radius_mean_iqr'), '.3f')}), distance from midway "
                    f"{num(r.get('distance_from_midway'), '+.3f')}, band width "
                    f"{num(r.get('band_width_mean'), '.3f')}"
                )
            else:
                lines.append(
                    head + json.dumps({k: v for k, v in r.items() if not isinstance(v, (list, dict))})
                )
    lines += hinge_pairs(folder)
    lines.append("")
    return lines


def quartiles(values: list[float]) -> tuple[float, float, float]:
    import numpy as np

    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(median), float(q3)


def hinge_pairs(folder: Path) -> list[str]:
    """Question 2's paired numbers from a seed study's seeds.csv: over the seeds where hinge and squared
    hinge both succeed, squared hinge's mean boundary radius minus hinge's, and both band widths."""
    import csv

    path = folder / "seeds.csv"
    if not path.exists():
        return []
    rows: dict[str, dict[int, dict]] = {}
    for row in csv.DictReader(path.open()):
        rows.setdefault(row["loss"], {})[int(row["seed"])] = row
    hinge, squared = rows.get("hinge", {}), rows.get("squared_hinge", {})
    both = [s for s in hinge if s in squared and hinge[s]["success"] == squared[s]["success"] == "True"]
    if not both:
        return []

    def col(r: dict[int, dict], name: str) -> list[float]:
        return [float(r[s][name]) for s in both]

    diff = [b - a for a, b in zip(col(hinge, "boundary_radius_mean"), col(squared, "boundary_radius_mean"))]
    q1, median, q3 = quartiles(diff)
    band_h, band_s = col(hinge, "band_width_mean"), col(squared, "band_width_mean")
    return [
        f"- the {len(both)} seeds where hinge and squared hinge both succeed: squared hinge's mean boundary "
        f"radius minus hinge's, median {median:+.3f} (IQR {q1:+.3f} to {q3:+.3f}), larger in "
        f"{sum(d > 0 for d in diff)}; band width (|f| < 0.9) median {quartiles(band_h)[1]:.3f} for hinge, "
        f"{quartiles(band_s)[1]:.3f} for squared hinge, wider for squared hinge in "
        f"{sum(b > a for a, b in zip(band_h, band_s))}"
    ]


def existing_runs(runs_dir: Path) -> dict[str, tuple[Path, str]]:
    """The finished run of each key already in runs_dir, found by the command its status.json records,
    with the command's wall time the full run measured (TIMES), else status.json's, in whole seconds."""
    keys = {tuple(argv): key for key, argv, _ in RUNS}
    times_path = runs_dir / TIMES
    measured = json.loads(times_path.read_text()) if times_path.exists() else {}
    found = {}
    for status_path in sorted(runs_dir.glob("*/status.json")):
        status = json.loads(status_path.read_text())
        command = status.get("command") or []
        if status.get("status") != "complete" or not {"circles_hinge", "--runs-dir"} <= set(command):
            continue
        argv = tuple(command[command.index("circles_hinge") + 1 : command.index("--runs-dir")])
        if argv in keys:
            key = keys[argv]
            if key in measured:
                found[key] = (status_path.parent, f"{measured[key]:.1f} s")
            else:
                started, finished = (datetime.fromisoformat(status[k]) for k in ("started", "finished"))
                seconds = (finished - started).total_seconds()
                found[key] = (status_path.parent, f"{seconds:.0f} s (status.json: whole seconds)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/readme-runs"))
    parser.add_argument("--images", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "readme_figures.md")
    parser.add_argument("--only", default="", help="comma-separated keys to run (default: all)")
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="train nothing: rewrite --out from the finished runs already in --runs-dir (images untouched)",
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    existing = {} if not args.summarise_only else existing_runs(args.runs_dir)
    if not only and not args.summarise_only:
        shutil.rmtree(args.runs_dir, ignore_errors=True)
    how = "python benchmarks/readme_figures.py" + (" --summarise-only" if args.summarise_only else "")
    lines = ["# The README's figures, re-derived", "", f"`{how}`", ""]
    machines = []
    times_path = args.runs_dir / TIMES
    times = json.loads(times_path.read_text()) if only and times_path.exists() else {}
    for key, argv, images in RUNS:
        if only and key not in only:
            continue
        if args.summarise_only:
            if key not in existing:
                raise SystemExit(f"no finished run of `{' '.join(argv)}` in {args.runs_dir}")
            folder, took = existing[key]
        else:
            folder, seconds = run(argv, args.runs_dir)
            took = f"{seconds:.1f} s"
            times[key] = round(seconds, 2)
            (args.runs_dir / TIMES).write_text(json.dumps(times, indent=1))
            for src, dst in images.items():
                shutil.copyfile(folder / src, args.images / dst)
        print(f"{key}: {folder} ({took})", flush=True)
        lines += summarise(key, folder, took)
        for name in ("metrics.json", "comparison.json", "sweep.json"):
            if (folder / name).exists():
                report = json.loads((folder / name).read_text())
                machine = {k: v for k, v in (report.get("machine") or {}).items() if not k.startswith("git_")}
                machines.append({"machine": machine, "versions": report.get("versions")})
    if machines:
        # the code each run came from is in its section; the machine and versions should be one
        distinct = [m for i, m in enumerate(machines) if m not in machines[:i]]
        lines += ["## Where", ""]
        if len(distinct) > 1:
            lines += [f"The runs saw {len(distinct)} different machines or package sets:", ""]
        for m in distinct:
            lines += ["```json", json.dumps(m, indent=1), "```", ""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
