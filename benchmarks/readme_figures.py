"""Re-derive every result the README quotes: run the commands it shows, on this machine, and print the
numbers it cites, with the machine they came from. The pictures it shows are copied to docs/images.

    python benchmarks/readme_figures.py [--runs-dir /tmp/readme-runs] [--images docs/images] [--out F.md]

Writes benchmarks/readme_figures.md (every figure, then the machine). About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def summarise(key: str, folder: Path, seconds: float) -> list[str]:
    lines = [f"### {key}: `circles-hinge {' '.join(dict((k, a) for k, a, _ in RUNS)[key])}`", ""]
    metrics = folder / "metrics.json"
    if metrics.exists():
        m = json.loads(metrics.read_text())
        lines.append(
            f"- test accuracy {pct(m['test_accuracy'])}, test loss {m['test_loss']:.3g}, final loss "
            f"{m['final_loss']:.3g}, final val_loss {m['final_val_loss']}, epochs to 100% validation "
            f"{m['epochs_to_perfect_val']}, initialisation kept {m['initialisation']} of "
            f"{m['initialisations_tried']} (accuracies {m['initialisation_accuracies']}), training "
            f"{m['train_seconds']:.2f} s, command {seconds:.1f} s, inside margin "
            f"{m.get('test_points_inside_margin')}"
        )
    for name in ("comparison.json", "sweep.json"):
        report_path = folder / name
        if not report_path.exists():
            continue
        report = json.loads(report_path.read_text())
        lines.append(f"- {name}: {seconds:.1f} s in all")
        for r in report.get("results", []):
            where = {k: r[k] for k in r if k in ("value",)}
            head = f"  - {r['loss']}{' ' + str(where) if where else ''}: "
            if "success_rate" in r:
                lo, hi = r["success_ci95"]
                lines.append(
                    head + f"{r['successes']}/{r['seeds']} [{lo:.0%}, {hi:.0%}], failed {r['failed_seeds']}, "
                    f"mean test accuracy {pct(r['test_accuracy'])}, epochs to 100% val (median) "
                    f"{r.get('epochs_to_perfect_val')}, boundary radius {r.get('boundary_radius_mean')}"
                )
            else:
                lines.append(
                    head + json.dumps({k: v for k, v in r.items() if not isinstance(v, (list, dict))})
                )
        for row in report.get("values", []):
            lines.append(f"  - {json.dumps(row)[:400]}")
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", type=Path, default=Path("/tmp/readme-runs"))
    parser.add_argument("--images", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "readme_figures.md")
    parser.add_argument("--only", default="", help="comma-separated keys to run (default: all)")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    shutil.rmtree(args.runs_dir, ignore_errors=True)
    lines = ["# The README's figures, re-derived", "", "`python benchmarks/readme_figures.py`", ""]
    machine = None
    for key, argv, images in RUNS:
        if only and key not in only:
            continue
        folder, seconds = run(argv, args.runs_dir)
        print(f"{key}: {folder} ({seconds:.1f} s)", flush=True)
        lines += summarise(key, folder, seconds)
        for src, dst in images.items():
            shutil.copyfile(folder / src, args.images / dst)
        for name in ("metrics.json", "comparison.json", "sweep.json"):
            if machine is None and (folder / name).exists():
                report = json.loads((folder / name).read_text())
                machine = report.get("machine"), report.get("versions")
    if machine:
        lines += [
            "## Where",
            "",
            "```json",
            json.dumps({"machine": machine[0], "versions": machine[1]}, indent=1),
        ]
        lines += ["```", ""]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
