"""The results schema: the metric names, the success threshold, a run's per-epoch rows and the numbers
its folder and a comparison record, and the summary lines the CLI prints from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from circles_hinge.losses import LossSpec
from circles_hinge.words import duration, plural

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")  # per epoch: history.csv's columns after epoch
SUCCESS_ACCURACY = 0.99  # a seed "succeeds" (and a first initialisation is kept) from this test accuracy
RUN_KEYS = (  # a run's numbers that a side-by-side comparison's result object repeats
    "test_accuracy",
    "test_loss",
    "final_loss",
    "final_val_loss",
    "epochs_to_perfect_val",
    "train_seconds",
)


@dataclass
class SeedStudy:
    """One loss's seed study as trained: per-seed rows and summary, and the arrays behind the figures."""

    loss: str
    spec: LossSpec
    rows: list[dict[str, Any]]  # one per seed, the columns of seeds.csv
    summary: dict[str, Any]  # the result object of comparison.json / sweep.json
    weights: list[list[np.ndarray]]
    history: dict[str, np.ndarray]  # metric -> (K, epochs)
    hidden: np.ndarray  # last hidden layer on each replica's training data, (K, n_train, units)
    radii: dict[float, np.ndarray] | None  # level -> (K, n_angles)
    frames: list[list[tuple[int, np.ndarray]]] | None = None  # with replays: per seed, (epoch, weights)


def finite_or_none(value: Any) -> float | None:
    """A finite float for JSON, or None (JSON has no NaN)."""
    return float(value) if value is not None and np.isfinite(value) else None


def history_rows(history: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """history.csv's rows: the epoch, then every metric written exactly (repr of the float)."""
    n = len(history["loss"])
    return [{"epoch": e + 1, **{m: repr(float(history[m][e])) for m in METRICS}} for e in range(n)]


def epochs_to_perfect(val_accuracy: np.ndarray) -> int | None:
    """The first epoch (1-based) at which validation accuracy is 100%, or None."""
    hits = np.flatnonzero(np.asarray(val_accuracy) >= 1.0)
    return int(hits[0]) + 1 if hits.size else None


# ---------------------------------------------------------------------------------------------------
# Lines for a person: progress, and the summary a command prints


def batch_progress(epoch: int, epochs: int, done: int, total: int, seconds: float) -> str:
    """Progress inside a long epoch: 'epoch 3/30: 1,200/160,000 batches, 4,800/s, about 33 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else float("inf")
    eta = "" if left == float("inf") else f", about {duration(left)} left in this epoch"
    return f"epoch {epoch}/{epochs}: {done:,}/{total:,} batches, {rate:,.0f}/s{eta}"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def run_line(m: dict[str, Any], seconds_in_all: float) -> str:
    """`train`'s summary: test accuracy and loss, final losses, epochs and time."""
    return (
        f"{m['loss']}, seed {m['seed']}: test accuracy {m['test_accuracy']:.1%}, "
        f"test loss {m['test_loss']:.4g}, "
        f"final loss {m['final_loss']:.3g} (validation {_fmt(m['final_val_loss'])}), "
        f"trained {plural(m['epochs'], 'epoch')} in {m['train_seconds']:.2f} s "
        f"({seconds_in_all:.1f} s in all)"
    )


def restart_line(m: dict[str, Any]) -> str:
    """What the restarts did, e.g. after the first initialisation collapsed."""
    accuracies, kept, on = (
        m["initialisation_accuracies"],
        m["initialisation"],
        m["initialisation_accuracy_on"],
    )
    threshold = f"{SUCCESS_ACCURACY:.0%}"
    first = f"the first initialisation reached {accuracies[0]:.1%} {on} accuracy (below {threshold}), so "
    n_more = len(accuracies) - 1
    tried = f"{n_more} more {'was' if n_more == 1 else 'were'} trained"
    below = sum(a < SUCCESS_ACCURACY for a in accuracies)
    diverged = sum(a < 0 for a in accuracies)
    counts = f"{below} of {len(accuracies)} ended below {threshold}" + (
        f", {diverged} diverged" if diverged else ""
    )
    if kept == 0:
        none = "it did not do better" if n_more == 1 else "none did better"
        return f"{first}{tried}; {none}, the first was kept ({counts})"
    return (
        f"{first}{tried}; kept initialisation {kept} with {accuracies[kept]:.1%} "
        f"({counts}; training.restarts=0 turns this off)"
    )


def comparison_line(r: dict[str, Any]) -> str:
    """One loss of a comparison: its test accuracy, and for a seed study its success rate."""
    line = f"{r['loss']}: test accuracy {r['test_accuracy']:.1%}"
    if "success_rate" in r:
        lo, hi = r["success_ci95"]
        line += f" (mean over seeds), success {r['success_rate']:.0%} [95% CI {lo:.0%}-{hi:.0%}]"
        if r.get("failed_seeds"):
            word = "seed" if len(r["failed_seeds"]) == 1 else "seeds"
            line += f", failed {word} {','.join(map(str, r['failed_seeds']))}"
    if r.get("boundary_radius_mean") is not None:
        line += f", boundary radius {r['boundary_radius_mean']:.3f}"
    return line


def sweep_line(keys: list[str], r: dict[str, Any]) -> str:
    """One cell and loss of a sweep: its success rate and mean test accuracy."""
    lo, hi = r["success_ci95"]
    cell = ", ".join(f"{key}={r[key]}" for key in keys)
    return (
        f"{cell}, {r['loss']}: success {r['success_rate']:.0%} [95% CI {lo:.0%}-{hi:.0%}], "
        f"mean test accuracy {r['test_accuracy']:.1%}"
    )
