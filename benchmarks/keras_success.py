"""Do our seed studies estimate what stock Keras does? The tutorial's recipe trained with stock
`model.fit` after `keras.utils.set_random_seed(s)`, against our seed study, on the same seeds.

    python benchmarks/keras_success.py [--seeds 500] [--start 42] [--workers 2] [--out benchmarks/]

For each loss (hinge, squared hinge): both success rates (test accuracy >= 99%) with Wilson 95%
intervals, the difference with its Newcombe 95% interval, a two-proportion z-test, and the collapse
rates (test accuracy < 60%). Per seed, both sides start from the same initial weights (a check
asserts it) and the same data; they differ only in the shuffling stream (Keras: tf.random.shuffle
under the global seed; ours: NumPy's generator seeded with s) and in float rounding. Writes
keras_success.json (every seed's accuracy) and keras_success.md.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOSSES = ("hinge", "squared_hinge")
SUCCESS, COLLAPSE = 0.99, 0.60


def stock_runs(loss: str, seeds: list[int]) -> list[float]:
    """The tutorial's script, Keras 3 spelling, one seed at a time; test accuracy by the output's sign."""
    import keras
    import numpy as np
    import tensorflow as tf
    from sklearn.datasets import make_circles

    from circles_hinge.config import load_config
    from circles_hinge.model import initial_weights

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    config = load_config(None, [f"training.loss={loss}"])
    accuracies = []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        X, targets = make_circles(n_samples=1000, noise=0.0, factor=0.1)  # no random_state, as the tutorial
        targets = np.where(targets == 0, -1, 1)
        X_train, X_test = X[250:], X[:250]
        y_train, y_test = targets[250:], targets[:250]
        model = keras.Sequential(
            [
                keras.Input(shape=(2,)),
                keras.layers.Dense(4, activation="relu", kernel_initializer="he_uniform"),
                keras.layers.Dense(2, activation="relu", kernel_initializer="he_uniform"),
                keras.layers.Dense(1, activation="tanh"),
            ]
        )
        expected = initial_weights(config, seed)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), expected)), seed
        model.compile(
            loss=loss,
            optimizer=keras.optimizers.Adam(learning_rate=0.03),
            steps_per_execution=120,  # one call per epoch; the arithmetic is unchanged
        )
        model.fit(X_train, y_train, epochs=30, batch_size=5, verbose=0, validation_split=0.2)
        out = np.asarray(model(X_test.astype(np.float32)))[:, 0]
        accuracies.append(float(np.mean((out >= 0) == (y_test == 1))))
    return accuracies


def our_runs(loss: str, seeds: list[int]) -> list[float]:
    """Our seed study of the same seeds (the default config; compare --seeds trains exactly this)."""
    from circles_hinge.config import load_config, no_restarts
    from circles_hinge.runtime import load_tensorflow
    from circles_hinge.study import train_studies

    load_tensorflow()
    config = no_restarts(load_config(None, [f"training.loss={loss}", f"seed={seeds[0]}"]))
    [study], _ = train_studies({loss: config}, seeds, lambda *_: None)
    return [float(row["test_accuracy"]) for row in study.rows]


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """95% interval of p1 - p2 from the two Wilson intervals (Newcombe's method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(k1 / n1 - k2 / n2) / se
    return math.erfc(z / math.sqrt(2))


def chunks(seeds: list[int], n: int) -> list[list[int]]:
    return [seeds[i::n] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--start", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    seeds = list(range(args.start, args.start + args.seeds))

    from circles_hinge.machine import machine, versions

    report: dict = {"seeds": [seeds[0], seeds[-1]], "n": len(seeds), "losses": {}}
    for loss in LOSSES:
        start = time.perf_counter()
        ours = our_runs(loss, seeds)
        ours_seconds = time.perf_counter() - start
        start = time.perf_counter()
        parts = chunks(seeds, args.workers)
        # spawn, not fork: this process has started TensorFlow, whose threads a fork would copy locked
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(stock_runs, [loss] * len(parts), parts))
        by_seed = {s: a for part, accs in zip(parts, results) for s, a in zip(part, accs)}
        stock = [by_seed[s] for s in seeds]
        stock_seconds = time.perf_counter() - start
        n = len(seeds)
        k_stock = sum(a >= SUCCESS for a in stock)
        k_ours = sum(a >= SUCCESS for a in ours)
        lo, hi = newcombe(k_ours, n, k_stock, n)
        row = {
            "stock_successes": k_stock,
            "ours_successes": k_ours,
            "stock_ci95": wilson(k_stock, n),
            "ours_ci95": wilson(k_ours, n),
            "difference": (k_ours - k_stock) / n,
            "difference_ci95": [lo, hi],
            "p_value": two_proportion_p(k_ours, n, k_stock, n),
            "stock_collapses": sum(a < COLLAPSE for a in stock),
            "ours_collapses": sum(a < COLLAPSE for a in ours),
            "both_succeed": sum(a >= SUCCESS and b >= SUCCESS for a, b in zip(stock, ours)),
            "stock_seconds": round(stock_seconds, 1),
            "ours_seconds": round(ours_seconds, 1),
            "stock_accuracy": stock,
            "ours_accuracy": ours,
        }
        report["losses"][loss] = row
        print(
            f"{loss}: stock {k_stock}/{n}, ours {k_ours}/{n}, difference {row['difference']:+.3f} "
            f"[{lo:+.3f}, {hi:+.3f}], p = {row['p_value']:.2f}; collapses stock {row['stock_collapses']}, "
            f"ours {row['ours_collapses']} ({stock_seconds:.0f} s stock, {ours_seconds:.0f} s ours)",
            flush=True,
        )
    report["versions"], report["machine"] = versions(), machine()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "keras_success.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "keras_success.md").write_text(markdown(report))
    print(f"wrote {args.out / 'keras_success.md'}")


def markdown(report: dict) -> str:
    n = report["n"]
    m = report["machine"]
    lines = [
        "# Our seed study against stock Keras, seed for seed",
        "",
        f"`python benchmarks/keras_success.py --seeds {n}` "
        f"(seeds {report['seeds'][0]}..{report['seeds'][1]}; "
        f"the tutorial's config: 1000 points, factor 0.1, 30 epochs, batch 5, Adam 0.03). "
        f"Machine: {m['cpu']}, {m['cores']} cores, oneDNN {m['tensorflow_build'].get('onednn')}; "
        f"TensorFlow {report['versions']['tensorflow']}, Keras {report['versions']['keras']}.",
        "",
        "Stock: the tutorial's script with `keras.utils.set_random_seed(s)` and `model.fit` "
        "(`steps_per_execution=120`). Ours: `compare --seeds` (one batched study). Each seed starts "
        "from the same initial weights and data on both sides (asserted per seed); the shuffling "
        "streams differ. Success: test accuracy >= 99%; collapse: below 60%.",
        "",
        "| loss | stock Keras | ours | difference (ours - stock) [95% CI] | p (two-proportion z) "
        "| collapses stock / ours | both succeed |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for loss, r in report["losses"].items():
        s_lo, s_hi = r["stock_ci95"]
        o_lo, o_hi = r["ours_ci95"]
        d_lo, d_hi = r["difference_ci95"]
        lines.append(
            f"| {loss} | {r['stock_successes']}/{n} [{s_lo:.1%}, {s_hi:.1%}] "
            f"| {r['ours_successes']}/{n} [{o_lo:.1%}, {o_hi:.1%}] "
            f"| {r['difference']:+.1%} [{d_lo:+.1%}, {d_hi:+.1%}] | {r['p_value']:.2f} "
            f"| {r['stock_collapses']} / {r['ours_collapses']} | {r['both_succeed']} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
