"""A seed study: K seeds of each loss trained at once on the same data and initial weights, per-seed rows
and their summary, and the progress of a comparison or sweep. Shared by comparison.py and sweeps.py.
(The request's losses and seeds are checked in config.py; the folder's lifecycle is runs.run_folder.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.boundary import (
    band_level,
    boundary_constants,
    boundary_radii,
    boundary_summary,
    has_boundary,
    signed_decision,
)
from circles_hinge.engine.data import load_split
from circles_hinge.engine.model import initial_weights_many
from circles_hinge.engine.recorder import WeightRecorder
from circles_hinge.engine.stats import mean_interval, median_iqr, wilson_interval
from circles_hinge.engine.trainer import ReplicaTrainer
from circles_hinge.losses import LossSpec, encode_labels, predict_classes
from circles_hinge.results import (
    SUCCESS_ACCURACY,
    Boundary,
    SeedRow,
    SeedSummary,
    Spread,
    epochs_to_perfect,
    finite_or_none,
)
from circles_hinge.words import batch_progress

Progress = Callable[[str, int, int], None]  # (what is happening, epochs done, epochs in total)


@dataclass
class SeedStudy:
    """One loss's seed study as trained: per-seed rows and summary, and the arrays behind the figures."""

    loss: str
    spec: LossSpec
    rows: list[SeedRow]  # one per seed, the rows of seeds.csv
    summary: SeedSummary  # its result in comparison.json / sweep.json
    weights: list[list[np.ndarray]]
    history: dict[str, np.ndarray]  # metric -> (K, epochs)
    hidden: np.ndarray  # last hidden layer on each replica's training data, (K, n_train, units)
    radii: dict[float, np.ndarray] | None  # level -> (K, n_angles)
    frames: list[list[tuple[int, np.ndarray]]] | None = None  # with replays: per seed, (epoch, weights)


def seeds_label(seed_list: Sequence[int]) -> str:
    return str(seed_list[0]) if len(seed_list) == 1 else f"{seed_list[0]}..{seed_list[-1]}"


class ProgressCounter:
    """Turns per-epoch ticks into on_progress(stage, done, total) calls."""

    def __init__(self, total: int, on_progress: Progress | None):
        self.done, self.total, self.on_progress = 0, total, on_progress

    def __call__(self, stage: str, step: int = 0) -> None:
        self.done += step
        if self.on_progress is not None:
            self.on_progress(stage, self.done, self.total)


# ---------------------------------------------------------------------------------------------------
# A seed study of one loss: K replicas trained at once


BOUNDARY_BLOCK = 64  # replicas whose boundary grid is evaluated at once (a multiple of LANES)
DECISION_VALUES = 1 << 18  # point-replicas a call evaluates at most: its activations stay in cache


def _replica_radii(trainer, spec: LossSpec, levels: Sequence[float]) -> dict[float, np.ndarray]:
    """Every replica's boundary radii (level -> (K, n_angles)), BOUNDARY_BLOCK replicas at a time, so
    the memory the ray points take while they are evaluated does not grow with K. A replica's outputs
    do not depend on the block it is evaluated in (element-wise arithmetic, see engine/dense.py)."""
    parts: dict[float, list[np.ndarray]] = {float(level): [] for level in levels}
    for first in range(0, trainer.k, BOUNDARY_BLOCK):
        block = range(first, min(first + BOUNDARY_BLOCK, trainer.k))
        for level, radii in boundary_radii(_replica_decision(trainer, spec, block), levels=levels).items():
            parts[level].append(radii)
    return {level: np.concatenate(radii) for level, radii in parts.items()}


def _replica_decision(trainer, spec: LossSpec, block: range) -> Callable[[np.ndarray], np.ndarray]:
    """A block of replicas' decision values for many points, in about equal parts of at most
    DECISION_VALUES point-replicas, through the trainer's compiled forward pass, the fast one: the
    radii are summaries, and Keras' rounding would cost several times the whole training here."""

    def decision(points: np.ndarray) -> np.ndarray:  # (n, 2) for every replica, or (len(block), n, 2)
        n = points.shape[-2]
        size = -(-n // -(-n * len(block) // DECISION_VALUES))
        parts = [
            trainer.outputs(points[..., start : start + size, :], replicas=block, compiled=True, fast=True)
            for start in range(0, n, size)
        ]
        return signed_decision(spec, np.concatenate(parts, axis=1))

    return decision


def _run_study(
    config: Config,
    seed_list: list[int],
    splits,
    tick: Callable[[], None],
    inside: Callable[[int, int, int, float], None] | None = None,
    factors: Sequence[float] | None = None,
    replays: bool = False,
    success: float = SUCCESS_ACCURACY,
) -> SeedStudy:
    """K = len(seed_list) replicas of one loss, replica k on splits[k] (a grid sweep's replicas have
    different data: `factors` then gives each one's data.factor, for its boundary figures)."""
    inits = initial_weights_many(config, seed_list)
    trainer = ReplicaTrainer(config, splits, inits)
    spec = trainer.spec
    # every seed's weights per epoch, as `train` records them for report.html; the caller has checked
    # that they fit the page (check_replays), which also bounds them in memory to a few MB
    recorder = WeightRecorder(config.training.epochs) if replays else None
    if recorder is not None:
        recorder.start(trainer)

    def each_epoch(epoch: int, logs) -> None:
        if recorder is not None:
            recorder.capture(trainer, epoch)
        tick()

    start = time.perf_counter()
    result = trainer.fit(seed_list, on_epoch=each_epoch, study=True, on_batches=inside)
    X_test = np.stack([s.X_test for s in splits])
    Y_test = np.stack([encode_labels(spec, s.y_test, trainer.n_classes) for s in splits])
    test_loss, outputs = trainer.evaluate(X_test, Y_test)
    accuracy = [float(np.mean(predict_classes(spec, outputs[k]) == s.y_test)) for k, s in enumerate(splits)]
    seconds = time.perf_counter() - start

    radii = None
    level = band_level(config)
    if has_boundary(config):
        radii = _replica_radii(trainer, spec, levels=(0.0, -level, level))
    hidden = trainer.outputs(np.stack([s.X_train for s in splits]), upto=len(trainer.activations) - 1)
    history = result.history
    rows = []
    for k, seed in enumerate(seed_list):
        figures = (
            boundary_summary(
                {lv: r[k] for lv, r in radii.items()},
                config.data.factor if factors is None else factors[k],
                level,
            )
            if radii is not None
            else Boundary()
        )
        rows.append(
            SeedRow(
                loss=spec.name,
                seed=seed,
                success=accuracy[k] >= success,
                test_accuracy=accuracy[k],
                test_loss=finite_or_none(test_loss[k]),
                final_loss=finite_or_none(history["loss"][k, -1]),
                final_val_loss=finite_or_none(history["val_loss"][k, -1]),
                epochs_to_perfect_val=epochs_to_perfect(history["val_accuracy"][k]),
                boundary=figures,
            )
        )
    summary = summarise_seeds(spec.name, rows, seconds, figures)  # the circles are every seed's
    frames = [recorder.frames(trainer, k) for k in range(len(seed_list))] if recorder is not None else None
    return SeedStudy(spec.name, spec, rows, summary, result.weights, history, hidden, radii, frames)


def _spread(values: list[float | None]) -> Spread:
    return Spread(*median_iqr(values))


def summarise_seeds(
    loss: str,
    rows: list[SeedRow],
    train_seconds: float | None,
    circles: Boundary | None = None,
    cell: dict[str, Any] | None = None,
) -> SeedSummary:
    """One loss's summary from its per-seed rows: success rate with its Wilson interval, the failed
    seeds, mean test accuracy, medians with IQRs; boundary figures over the successful seeds only (a
    collapsed model has no boundary worth measuring), against `circles` (the data's circles and band,
    the same for every seed). No `train_seconds` when it is None (a grid sweep's cells train together:
    none has a time of its own)."""
    n = len(rows)
    ok = [r for r in rows if r.success]
    lo, hi = wilson_interval(len(ok), n)
    accuracy = np.array([r.test_accuracy for r in rows])
    measured = [r for r in ok if r.boundary.found]
    spreads = {name: _spread([getattr(r.boundary, name) for r in measured]) for name in Boundary.figures()}
    constants = {name: getattr(circles or Boundary(), name) for name in Boundary.constants()}
    return SeedSummary(
        loss=loss,
        seeds=n,
        seed_range=[rows[0].seed, rows[-1].seed],
        success_rate=len(ok) / n,
        success_ci95=[lo, hi],
        successes=len(ok),
        failed_seeds=[r.seed for r in rows if not r.success],
        test_accuracy=float(accuracy.mean()),
        test_accuracy_median=float(np.median(accuracy)),
        test_accuracy_min=float(accuracy.min()),
        test_accuracy_ci95=list(mean_interval(accuracy)),
        test_loss=_spread([r.test_loss for r in rows]),
        final_loss=_spread([r.final_loss for r in rows]),
        final_val_loss=_spread([r.final_val_loss for r in rows]),
        epochs_to_perfect_val=_spread([r.epochs_to_perfect_val for r in rows]),
        perfect_val_seeds=sum(r.epochs_to_perfect_val is not None for r in rows),
        train_seconds=None if train_seconds is None else round(train_seconds, 4),
        boundary_seeds=len(measured),
        boundary=Boundary(**{name: s.median for name, s in spreads.items()}, **constants),
        boundary_iqr=Boundary(**{name: s.iqr for name, s in spreads.items()}),
        cell=dict(cell or {}),
    )


def train_studies(
    configs: dict[str, Config],
    seed_list: list[int],
    progress: Callable[[str, int], None],
    label: str = "",
    replays: bool = False,
    success: float = SUCCESS_ACCURACY,
) -> tuple[list[SeedStudy], list]:
    """One ReplicaTrainer per loss, K = len(seed_list), all on the same data and initial weights;
    `replays` records every seed's weights per epoch (SeedStudy.frames)."""
    first = next(iter(configs.values()))
    splits = [load_split(first.data, s, first.training.validation_split) for s in seed_list]
    studies = []
    with _quiet_retracing():
        for loss, cfg in configs.items():
            stage = f"{label}{loss}, {len(seed_list)} seed{'s' if len(seed_list) > 1 else ''}"
            progress(stage, 0)
            inside = _inside_epochs(stage, cfg.training.epochs, progress)
            studies.append(
                _run_study(
                    cfg,
                    seed_list,
                    splits,
                    lambda s=stage: progress(s, 1),
                    inside,
                    replays=replays,
                    success=success,
                )
            )
    return studies, splits


def train_cells(
    configs: list[Config],
    seed_list: list[int],
    progress: Callable[[str, int], None],
    label: str = "",
    success: float = SUCCESS_ACCURACY,
) -> list[tuple[list[SeedRow], Boundary | None]]:
    """Seed studies of one loss at several data settings (a grid sweep's cells that differ only in
    data.noise or data.factor), trained as one batch of len(configs) x len(seed_list) replicas, each
    with its own data; the per-seed rows of each cell, in order. Replica k's arithmetic does not
    depend on the batch, so each row is what a study of that cell alone gives. Per cell: (rows, the
    boundary constants of its data, or None where there is no boundary to measure)."""
    first = configs[0]
    splits = [load_split(c.data, s, c.training.validation_split) for c in configs for s in seed_list]
    factors = [c.data.factor for c in configs for _ in seed_list]
    cells = f"{len(configs)} cell{'s' if len(configs) > 1 else ''}"
    stage = (
        f"{label}{first.training.loss}, {cells} x {len(seed_list)} seed{'s' if len(seed_list) > 1 else ''}"
    )
    progress(stage, 0)
    inside = _inside_epochs(stage, first.training.epochs, progress)
    with _quiet_retracing():
        study = _run_study(
            first,
            seed_list * len(configs),
            splits,
            lambda: progress(stage, 1),
            inside,
            factors=factors,
            success=success,
        )
    n = len(seed_list)
    return [
        (
            study.rows[i * n : (i + 1) * n],
            boundary_constants(c.data.factor, band_level(c)) if has_boundary(c) else None,
        )
        for i, c in enumerate(configs)
    ]


def _inside_epochs(stage: str, epochs: int, progress: Callable[[str, int], None]):
    """Progress inside long epochs as a stage text ('hinge, 50 seeds: epoch 2/30: 1,200/9,000
    batches, ...'), at most once a second."""
    last = [0.0]

    def inside(epoch: int, done: int, total: int, seconds: float) -> None:
        if time.monotonic() - last[0] >= 1.0:
            progress(f"{stage}: {batch_progress(epoch, epochs, done, total, seconds)}", 0)
            last[0] = time.monotonic()

    return inside


@contextmanager
def _quiet_retracing() -> Iterator[None]:
    """Every study builds a new trainer, so TensorFlow traces a new epoch function each time and warns
    about "excessive retracing" after a few; that is expected here, not a bug to report to the user."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)
