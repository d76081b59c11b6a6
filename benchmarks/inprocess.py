"""In-process timings: stock `model.fit` (tutorial config) against the project's `ReplicaTrainer`, and how
the project's training time grows with epochs and with seeds (replicas K).

Run by run.py in its own process (TensorFlow stays out of the process that times the commands):
`python benchmarks/inprocess.py --repeats 3 --json OUT.json`. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

SEED_COUNTS = (1, 10, 100, 1000)
EPOCH_COUNTS = (30, 100, 300)


def project_setup(epochs: int = 30, k: int = 1):
    """What run_experiment does before training, for K seeds (config.seed, config.seed + 1, ...)."""
    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import initial_weights
    from circles_hinge.loading import load_config

    config = load_config(epochs=epochs)
    seeds = [config.seed + i for i in range(k)]
    splits = [load_split(config.data, s, config.training.validation_split) for s in seeds]
    inits = [initial_weights(config, s) for s in seeds]
    return config, seeds, splits, inits


def project_fit(setup) -> dict:
    """A fresh ReplicaTrainer (so its tf.function is traced again) and its fit; data prep is not timed."""
    from circles_hinge.engine.trainer import ReplicaTrainer

    config, seeds, splits, inits = setup
    stamps: list[float] = []
    start = time.perf_counter()
    trainer = ReplicaTrainer(config, splits, inits)
    built = time.perf_counter()
    trainer.fit(seeds, on_epoch=lambda epoch, logs: stamps.append(time.perf_counter()))
    end = time.perf_counter()
    later = [b - a for a, b in zip(stamps, stamps[1:])]
    return {
        "seconds": end - start,
        "construct": built - start,
        "first_epoch": stamps[0] - built,  # includes tracing the epoch function
        "per_later_epoch": statistics.median(later) if later else float("nan"),
    }


def reference_predict_seconds() -> dict:
    """The reference's decision-region cost: mlxtend's grid predicted at Keras' default batch size (32),
    as the tutorial's `clf=model` did, and in one batch, for comparison."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import tutorial
    from mlxtend.plotting import plot_decision_regions

    X_training, X_testing, Targets_training, Targets_testing = tutorial.make_data()
    model = tutorial.make_model((2,))
    tutorial.fit(model, X_training, Targets_training, epochs=1)
    sizes: list[int] = []

    class Counting(tutorial.SignClassifier):
        def predict(self, X):
            sizes.append(len(X))
            return super().predict(X)

    start = time.perf_counter()
    plot_decision_regions(X_testing, Targets_testing, clf=Counting(model), legend=2)
    default_batch = time.perf_counter() - start
    plt.close("all")
    grid = np.zeros((sizes[0], 2), dtype=np.float32)
    start = time.perf_counter()
    model.predict(grid, batch_size=len(grid), verbose=0)
    one_batch = time.perf_counter() - start
    return {"grid_points": sizes[0], "plot_default_batch": default_batch, "predict_one_batch": one_batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="Fewer scaling points.")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()

    from circles_hinge.engine.runtime import load_tensorflow

    load_tensorflow()  # as the project runs it: quiet, one thread (both sides share this process)
    import tutorial

    out: dict = {"repeats": args.repeats}

    # Training phase, tutorial config: stock model.fit against a fresh ReplicaTrainer, alternating.
    setup = project_setup()
    stock, project = [], []
    for _ in range(args.repeats):
        stock.append(tutorial.stock_fit_seconds())
        project.append(project_fit(setup))
        print(
            f"  training phase: stock {stock[-1]:.2f} s, project {project[-1]['seconds']:.2f} s",
            file=sys.stderr,
        )
    out["training_phase"] = {"stock": stock, "project": project}

    # Scaling of the project's trainer.
    epoch_counts = EPOCH_COUNTS[:2] if args.quick else EPOCH_COUNTS
    seed_counts = SEED_COUNTS[:2] if args.quick else SEED_COUNTS
    scaling = []
    points = [(e, 1) for e in epoch_counts] + [(30, k) for k in seed_counts if k != 1]
    for epochs, k in points:
        setup = project_setup(epochs, k)
        runs = [project_fit(setup) for _ in range(args.repeats)]
        median = statistics.median(r["seconds"] for r in runs)
        scaling.append({"epochs": epochs, "k": k, "runs": runs, "median": median})
        print(f"  scaling: epochs {epochs}, K {k}: {median:.2f} s", file=sys.stderr)
    out["scaling"] = scaling

    out["reference_predict"] = reference_predict_seconds()

    # run_experiment enables TensorFlow's op determinism; it cannot be turned off again, so last.
    from circles_hinge.engine.runtime import seed_everything

    seed_everything(42)
    setup = project_setup()
    out["project_with_determinism"] = [project_fit(setup)["seconds"] for _ in range(args.repeats)]

    args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
