"""Is seed s of circles-hinge stock Keras' run for seed s? The tutorial's script, run with stock
`model.fit` after `keras.utils.set_random_seed(s)`, against our seed study of the same seeds.

    python benchmarks/keras_success.py [--seeds 500] [--start 42] [--workers 2] [--floor-seeds N]
        [--stock-cache FILE] [--out benchmarks/]

Per seed, both sides start from the same initial weights and data (asserted) and visit the same batches
in the same order (shuffle.py), and the trainer rounds each dense layer as Keras' compiled ops do on
this machine (engine/dense.py). For each loss (hinge, squared hinge) it reports, seed for seed:
- the outcome (test accuracy >= 99%) on both sides: both succeed, only stock, only ours, neither;
- the share of seeds whose epoch-1 loss and val_loss agree to 1e-6 relative, and whose whole history
  (30 epochs of loss and val_loss) stays within 1e-2 relative or is identical;
- the difference in success rate, paired: McNemar's exact test on the discordant seeds and Newcombe's
  paired 95% interval (the seeds are the same on both sides, so the two rates are not independent);
- the same for stock Keras against itself, one thread against TensorFlow's default: the floor, what
  rounding alone does to this chaotic training.
Writes keras_success.json (every seed's numbers) and keras_success.md. About 58 minutes on 2 cores
for 500 seeds with the floor on the first 100 (1,200 stock trainings, 3 s each); ours takes seconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOSSES = ("hinge", "squared_hinge")
SUCCESS = 0.99
EPOCH1_RTOL, HISTORY_RTOL = 1e-6, 1e-2


def stock_runs(loss: str, seeds: list[int], threads: int | None) -> list[dict]:
    """The tutorial's script, Keras 3 spelling, one seed at a time (`threads` None: TensorFlow's
    default). Test accuracy by the output's sign; the history as model.fit returns it."""
    import keras
    import numpy as np
    import tensorflow as tf
    from sklearn.datasets import make_circles

    from circles_hinge.engine.data import make_dataset
    from circles_hinge.engine.model import initial_weights
    from circles_hinge.loading import load_config

    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    config = load_config(None, [f"training.loss={loss}"])
    runs = []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        X, targets = make_circles(n_samples=1000, noise=0.0, factor=0.1)  # no random_state, as the tutorial
        ours_X, ours_y = make_dataset(config.data, seed)
        assert np.array_equal(X.astype(np.float32), ours_X) and np.array_equal(targets, ours_y), seed
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
        # 120 steps per call (an epoch): the same steps on the same batches, about twice as fast; the
        # first seed of each worker is also trained the tutorial's way and must give the same history
        start = [w.copy() for w in model.get_weights()]
        history = _fit(model, loss, X_train, y_train, steps_per_execution=120)
        if seed == seeds[0]:
            keras.utils.set_random_seed(seed)  # the adapter's shuffle draws from the global seed
            model.set_weights(start)
            plain = _fit(model, loss, X_train, y_train, steps_per_execution=1)
            assert plain.history == history.history, f"steps_per_execution changed seed {seed}'s history"
            model.set_weights(start)
            keras.utils.set_random_seed(seed)
            history = _fit(model, loss, X_train, y_train, steps_per_execution=120)
        out = np.asarray(model(X_test.astype(np.float32)))[:, 0]
        runs.append(
            {
                "test_accuracy": float(np.mean((out >= 0) == (y_test == 1))),
                "loss": [float(v) for v in history.history["loss"]],
                "val_loss": [float(v) for v in history.history["val_loss"]],
            }
        )
    return runs


def _fit(model, loss, X, y, steps_per_execution):
    import keras

    model.compile(
        loss=loss,
        optimizer=keras.optimizers.Adam(learning_rate=0.03),
        steps_per_execution=steps_per_execution,
    )
    return model.fit(X, y, epochs=30, batch_size=5, verbose=0, validation_split=0.2)


def our_runs(loss: str, seeds: list[int]) -> list[dict]:
    """Our seed study of the same seeds (the default config; compare --seeds trains exactly this)."""
    from circles_hinge.engine.runtime import load_tensorflow
    from circles_hinge.loading import load_config
    from circles_hinge.studies.requests import no_restarts
    from circles_hinge.studies.seeds import train_studies

    load_tensorflow()
    config = no_restarts(load_config(None, [f"training.loss={loss}", f"seed={seeds[0]}"]))
    [study], _ = train_studies({loss: config}, seeds, lambda *_: None)
    return [
        {
            "test_accuracy": float(row.test_accuracy),
            "loss": study.history["loss"][k].tolist(),
            "val_loss": study.history["val_loss"][k].tolist(),
        }
        for k, row in enumerate(study.rows)
    ]


def stock_in_workers(loss: str, seeds: list[int], threads: int | None, workers: int) -> list[dict]:
    parts = [seeds[i::workers] for i in range(workers)]
    # spawn, not fork: this process has started TensorFlow, whose threads a fork would copy locked
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(stock_runs, [loss] * workers, parts, [threads] * workers))
    by_seed = {s: run for part, runs in zip(parts, results) for s, run in zip(part, runs)}
    return [by_seed[s] for s in seeds]


def agreement(first: list[dict], second: list[dict]) -> dict:
    """Seed-for-seed agreement of two lists of runs: outcomes (paired), epoch 1, whole histories."""
    import numpy as np

    from circles_hinge.engine.stats import mcnemar_exact, paired_counts, paired_difference_interval

    def rel(a, b):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return np.abs(a - b) / np.maximum(np.abs(b), 1e-30)

    epoch1 = [max(rel(a[m][0], b[m][0]) for m in ("loss", "val_loss")) for a, b in zip(first, second)]
    whole = [max(rel(a[m], b[m]).max() for m in ("loss", "val_loss")) for a, b in zip(first, second)]
    ok1 = [r["test_accuracy"] >= SUCCESS for r in first]
    ok2 = [r["test_accuracy"] >= SUCCESS for r in second]
    both, only_first, only_second, neither = paired_counts(ok1, ok2)
    n = len(first)
    lo, hi = paired_difference_interval(both, only_first, only_second, neither)
    return {
        "n": n,
        "both_succeed": both,
        "only_first": only_first,
        "only_second": only_second,
        "neither": neither,
        "outcome_agreement": (both + neither) / n,
        "first_successes": both + only_first,
        "second_successes": both + only_second,
        "difference": (only_first - only_second) / n,
        "difference_ci95": [lo, hi],
        "mcnemar_p": mcnemar_exact(only_first, only_second),
        "epoch1_within_1e-6": int(sum(e <= EPOCH1_RTOL for e in epoch1)),
        "history_within_1e-2": int(sum(w <= HISTORY_RTOL for w in whole)),
        "history_identical": int(sum(w == 0.0 for w in whole)),
        "epoch1_worst": float(max(epoch1)),
        "epoch1_median": float(np.median(epoch1)),
        "seeds_outcome_differs": [i for i, (a, b) in enumerate(zip(ok1, ok2)) if a != b],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--start", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument(
        "--stock-cache",
        type=Path,
        default=None,
        help="JSON of stock Keras' runs (written if missing, read if there and its seeds, versions and "
        "machine match): the stock side costs most of the time and does not depend on our code",
    )
    parser.add_argument("--stock-only", action="store_true", help="only fill --stock-cache")
    parser.add_argument(
        "--floor-seeds",
        type=int,
        default=None,
        help="train stock Keras at one thread (the floor) on only the first N seeds (default: all); "
        "the floor costs as much as the stock side itself",
    )
    args = parser.parse_args()
    seeds = list(range(args.start, args.start + args.seeds))

    from circles_hinge.store.machine import machine, versions

    report: dict = {"seeds": [seeds[0], seeds[-1]], "n": len(seeds), "losses": {}}
    floor_seeds = seeds[: args.floor_seeds] if args.floor_seeds else seeds
    report["floor_n"] = len(floor_seeds)
    stock_all = _stock_cached(args.stock_cache, seeds, floor_seeds, args.workers)
    if args.stock_only:
        return
    for loss in LOSSES:
        timing = dict(stock_all[loss]["seconds"])
        start = time.perf_counter()
        ours = our_runs(loss, seeds)
        timing["ours"] = time.perf_counter() - start
        stock, stock_1 = stock_all[loss]["stock"], stock_all[loss]["stock_1_thread"]
        ours_vs = agreement(ours, stock)
        floor = agreement(stock_1, stock[: len(stock_1)])
        for row in (ours_vs, floor):  # indices to seeds
            row["seeds_outcome_differs"] = [seeds[i] for i in row["seeds_outcome_differs"]]
        report["losses"][loss] = {
            "ours_vs_stock": ours_vs,
            "stock_1_thread_vs_stock": floor,
            "seconds": {k: round(v, 1) for k, v in timing.items()},
            # per seed, the test accuracy of each side (the histories stay in --stock-cache: 1.7 MB)
            "test_accuracy": {
                side: [r["test_accuracy"] for r in runs]
                for side, runs in (("ours", ours), ("stock", stock), ("stock_1_thread", stock_1))
            },
        }
        print(
            f"{loss}: outcomes agree on {ours_vs['both_succeed'] + ours_vs['neither']}/{len(seeds)} "
            f"(stock with itself: {floor['both_succeed'] + floor['neither']}); epoch 1 within 1e-6 on "
            f"{ours_vs['epoch1_within_1e-6']} (stock: {floor['epoch1_within_1e-6']}); McNemar p = "
            f"{ours_vs['mcnemar_p']:.2f} ({', '.join(f'{k} {v:.0f} s' for k, v in timing.items())})",
            flush=True,
        )
    report["versions"], report["machine"] = versions(), machine()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "keras_success.json").write_text(json.dumps(report) + "\n")
    (args.out / "keras_success.md").write_text(markdown(report))
    print(f"wrote {args.out / 'keras_success.md'}")


def _stock_cached(cache: Path | None, seeds: list[int], floor_seeds: list[int], workers: int) -> dict:
    """Stock Keras' runs of every loss at default threads (`seeds`) and one thread (`floor_seeds`),
    from `cache` where it holds these seeds on this machine with these versions, else trained now (and
    written to `cache`)."""
    from circles_hinge.store.machine import machine, versions

    key = {"seeds": seeds, "floor_seeds": floor_seeds, "versions": versions(), "cpu": machine()["cpu"]}
    if cache is not None and cache.is_file():
        stored = json.loads(cache.read_text())
        if stored.get("key") == key:
            print(f"stock Keras' runs read from {cache}", flush=True)
            return stored["losses"]
        print(f"{cache} holds other seeds, versions or another CPU: training stock Keras again", flush=True)
    losses = {}
    for loss in LOSSES:
        timing = {}
        start = time.perf_counter()
        stock = stock_in_workers(loss, seeds, None, workers)
        timing["stock"] = time.perf_counter() - start
        start = time.perf_counter()
        stock_1 = stock_in_workers(loss, floor_seeds, 1, workers)
        timing["stock_1_thread"] = time.perf_counter() - start
        losses[loss] = {"stock": stock, "stock_1_thread": stock_1, "seconds": timing}
        print(f"{loss}: stock Keras trained ({', '.join(f'{k} {v:.0f} s' for k, v in timing.items())})")
    if cache is not None:
        cache.write_text(json.dumps({"key": key, "losses": losses}) + "\n")
    return losses


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.1%})"


def markdown(report: dict) -> str:
    n = report["n"]
    m = report["machine"]
    lines = [
        "# Seed s against stock Keras' seed s",
        "",
        f"`python benchmarks/keras_success.py --seeds {n}` "
        f"(seeds {report['seeds'][0]}..{report['seeds'][1]}; "
        "the tutorial's config: 1000 points, factor 0.1, 30 epochs, batch 5, Adam 0.03, no restarts). "
        f"Machine: {m['cpu']}, {m['cores']} cores, oneDNN {m['tensorflow_build'].get('onednn')}; "
        f"TensorFlow {report['versions']['tensorflow']}, Keras {report['versions']['keras']}.",
        "",
        "Stock: the tutorial's script after `keras.utils.set_random_seed(s)`, stock `model.fit` "
        "(`shuffle=True`, `validation_split=0.2`), at TensorFlow's default threads and at one thread. "
        "Ours: `compare --seeds` (one batched study, bit for bit `train --seed s --set "
        "training.restarts=0`). Both sides start from the same weights and data (asserted per seed) and "
        "train on the same batches in the same order. Success: test accuracy >= 99%.",
        "",
        "Per seed, ours against stock (default threads), beside stock at one thread against the same "
        "stock runs: the floor, how far stock Keras disagrees with itself when only its threads change"
        + (f" (the floor on the first {report['floor_n']} seeds)" if report.get("floor_n", n) < n else "")
        + ":",
        "",
        "| loss | pair | outcome agrees | both succeed / only first / only second / neither "
        "| epoch 1 within 1e-6 | whole history within 1e-2 | whole history bit for bit "
        "| worst epoch-1 difference |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for loss, r in report["losses"].items():
        for label, key in (
            ("ours vs stock", "ours_vs_stock"),
            ("stock 1 thread vs stock", "stock_1_thread_vs_stock"),
        ):
            a = r[key]
            k = a["n"]  # the floor may cover only the first seeds (--floor-seeds)
            lines.append(
                f"| {loss} | {label} | {_pct(a['both_succeed'] + a['neither'], k)} "
                f"| {a['both_succeed']} / {a['only_first']} / {a['only_second']} / {a['neither']} "
                f"| {_pct(a['epoch1_within_1e-6'], k)} | {_pct(a['history_within_1e-2'], k)} "
                f"| {_pct(a.get('history_identical', 0), k)} | {a['epoch1_worst']:.1e} |"
            )
    lines += [
        "",
        "The success rates, paired (the same seeds on both sides): McNemar's exact test on the seeds "
        "whose outcome differs, and Newcombe's paired 95% interval of the difference (ours - stock):",
        "",
        "| loss | stock | ours | difference [paired 95% CI] | McNemar exact p "
        "| seeds whose outcome differs |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for loss, r in report["losses"].items():
        a = r["ours_vs_stock"]
        lo, hi = a["difference_ci95"]
        differs = ", ".join(map(str, a["seeds_outcome_differs"][:12]))
        more = len(a["seeds_outcome_differs"]) - 12
        lines.append(
            f"| {loss} | {_pct(a['second_successes'], n)} | {_pct(a['first_successes'], n)} "
            f"| {a['difference']:+.1%} [{lo:+.1%}, {hi:+.1%}] | {a['mcnemar_p']:.2f} "
            f"| {differs or 'none'}{f' and {more} more' if more > 0 else ''} |"
        )
    seconds = {loss: r["seconds"] for loss, r in report["losses"].items()}
    lines += [
        "",
        "Why the histories can be identical: the trainer probes, once per process, how this machine's "
        "compiled matmul, bias add and tanh round (engine/dense.py), and rounds each dense layer, its "
        "gradients and Keras' metric averages the same way. Another CPU (AVX2 against AVX-512) or oneDNN "
        "switched off rounds differently, and stock Keras' own results move with it; the probe follows "
        "where one of its candidate roundings matches, and `Trainer.rounds_as_keras` says when one does not.",
        "",
        f"Seconds: {json.dumps(seconds)}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
