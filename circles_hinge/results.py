"""The results schema: the metric names, the success threshold, a run's per-epoch rows and the numbers
its folder and a comparison record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from circles_hinge.losses import LossSpec

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
