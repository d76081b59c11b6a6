"""What `train`'s restarts buy: test-accuracy success over many seeds with restarts (the default, 19)
against the first initialisation alone (training.restarts=0, the tutorial's single try), and what they
cost in training time. Both come from the same runs: the first initialisation *is* the run without
restarts.

    python benchmarks/restarts.py [--seeds 50] [--json OUT.json]

Prints one line per loss and data set, then a Markdown table (pasted into results.md by hand).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = [
    ("hinge", "circles"),
    ("squared_hinge", "circles"),
    ("binary_crossentropy", "circles"),
    ("categorical_hinge", "blobs"),
    ("multiclass_svm", "blobs"),
]


def one_seed(loss: str, dataset: str, seed: int) -> dict:
    """One `train` run's training: the first initialisation's and the kept one's test accuracy."""
    import numpy as np

    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import build_model, initial_weights
    from circles_hinge.engine.restarts import fit_with_restarts
    from circles_hinge.engine.trainer import ReplicaTrainer
    from circles_hinge.loading import load_config
    from circles_hinge.losses import get_loss, predict_classes

    config = load_config(None, [f"data.dataset={dataset}", f"training.loss={loss}", f"seed={seed}"])
    spec = get_loss(loss)
    split = load_split(config.data, seed, config.training.validation_split)
    trainers: list[ReplicaTrainer] = []
    restart_at: list[float] = []
    start = time.perf_counter()
    result, restarts = fit_with_restarts(
        config,
        split,
        lambda r: initial_weights(config, seed, restart=r),
        on_trainer=trainers.append,
        on_restart=lambda *_: restart_at.append(time.perf_counter()),
    )
    end = time.perf_counter()

    def test_accuracy(weights) -> float:
        out = np.asarray(build_model(config, weights)(split.X_test))
        return float(np.mean(predict_classes(spec, out) == split.y_test))

    return {
        "first": test_accuracy(trainers[0].weights(0)),
        "kept": test_accuracy(result.weights[0]),
        "restarted": restarts.tried > 1,
        "first_seconds": (restart_at[0] if restart_at else end) - start,
        "seconds": end - start,
    }


def measure(loss: str, dataset: str, seeds: list[int]) -> dict:
    from circles_hinge.engine.runtime import load_tensorflow
    from circles_hinge.engine.stats import wilson_interval
    from circles_hinge.results import SUCCESS_ACCURACY

    load_tensorflow()
    runs = [one_seed(loss, dataset, seed) for seed in seeds]
    n = len(runs)
    first_ok = sum(r["first"] >= SUCCESS_ACCURACY for r in runs)
    kept_ok = sum(r["kept"] >= SUCCESS_ACCURACY for r in runs)
    return {
        "loss": loss,
        "dataset": dataset,
        "seeds": n,
        "first_successes": first_ok,
        "first_ci95": list(wilson_interval(first_ok, n)),
        "kept_successes": kept_ok,
        "kept_ci95": list(wilson_interval(kept_ok, n)),
        "restarted": sum(r["restarted"] for r in runs),
        "kept_failed_seeds": [s for s, r in zip(seeds, runs) if r["kept"] < SUCCESS_ACCURACY],
        "mean_seconds_first_only": sum(r["first_seconds"] for r in runs) / n,
        "mean_seconds_with_restarts": sum(r["seconds"] for r in runs) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds 42..42+N-1 for each case")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    seeds = list(range(42, 42 + args.seeds))
    rows = []
    for loss, dataset in CASES:
        row = measure(loss, dataset, seeds)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(
        "| loss | data | success, first initialisation only (restarts=0) | success with restarts "
        "(default 19) | runs that restarted | training s per run: without, with (ratio) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        n = r["seeds"]
        fa, fb = r["first_ci95"]
        ka, kb = r["kept_ci95"]
        print(
            f"| {r['loss']} | {r['dataset']} | {r['first_successes']}/{n} ({fa:.0%}–{fb:.0%}) "
            f"| {r['kept_successes']}/{n} ({ka:.0%}–{kb:.0%}) | {r['restarted']}/{n} "
            f"| {r['mean_seconds_first_only']:.2f}, {r['mean_seconds_with_restarts']:.2f} "
            f"({r['mean_seconds_with_restarts'] / r['mean_seconds_first_only']:.2f}x) |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
