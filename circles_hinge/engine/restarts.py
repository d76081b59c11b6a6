"""Restarts: one `train` run that does not settle for a collapsed start. Initialisation 0 trains exactly
as a single run (the tutorial's start); only when it ends below 99% accuracy do `training.restarts`
more train at once, as replicas of one trainer, and the best on the validation part is kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import Split
from circles_hinge.engine.trainer import BatchCallback, ReplicaTrainer, TrainResult
from circles_hinge.losses import predict_classes
from circles_hinge.results import SUCCESS_ACCURACY


@dataclass
class Restarts:
    """Which initialisation a run kept. accuracies[r] and losses[r] are initialisation r's final
    accuracy and loss on the validation part (on the fit part when there is none); r = 0 is the
    tutorial's start."""

    accuracies: list[float]
    losses: list[float]
    kept: int
    measured_on: str

    @property
    def tried(self) -> int:
        return len(self.accuracies)


def final_scores(
    trainer: ReplicaTrainer, split: Split, history: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, str]:
    """Each replica's (accuracy, loss) with its final weights: on validation, or on the fit part
    without one. A replica whose loss is not finite scores accuracy -1 and loss +inf, worse than any."""
    if split.X_val.shape[0]:
        accuracy = np.array(history["val_accuracy"][:, -1], dtype=np.float64)
        loss = np.array(history["val_loss"][:, -1], dtype=np.float64)
        where = "validation"
    else:
        out = trainer.outputs(split.X_fit)
        accuracy = np.array([np.mean(predict_classes(trainer.spec, o) == split.y_fit) for o in out])
        loss = np.array(history["loss"][:, -1], dtype=np.float64)
        where = "training"
    finite = np.isfinite(history["loss"][:, -1]) & np.isfinite(loss)
    return np.where(finite, accuracy, -1.0), np.where(finite, loss, np.inf), where


def best_initialisation(accuracies: np.ndarray, losses: np.ndarray) -> int:
    """The best accuracy; among equals the lowest loss (a collapsed run can tie a good one on accuracy
    and not on loss); among exact equals the earliest, so initialisation 0 stays unless beaten."""
    return min(range(len(accuracies)), key=lambda r: (-accuracies[r], losses[r], r))


def fit_with_restarts(
    config: Config,
    split: Split,
    make_init: Callable[[int], list[np.ndarray]],
    on_epoch: Callable[[ReplicaTrainer, int, dict[str, np.ndarray]], None] | None = None,
    on_restart: Callable[[float, int], None] | None = None,
    on_trainer: Callable[[ReplicaTrainer], None] | None = None,
    on_batches: BatchCallback | None = None,
) -> tuple[TrainResult, Restarts]:
    """Train initialisation 0 exactly as a single run; if it ends below 99% accuracy (results'
    SUCCESS_ACCURACY, measured as `final_scores` does), train `config.training.restarts` more at
    once, with the same data and shuffling, and keep the best (`best_initialisation`: accuracy, then
    loss, then the earliest). The test set plays no part.
    Returns the kept replica's result (K = 1) and the record of what was tried.

    `on_trainer(trainer)` is told each trainer before it trains (for partial results on Ctrl-C);
    `on_epoch(trainer, epoch, logs)` follows both phases; `on_restart(first_accuracy, n)` announces
    the second; `on_batches` follows long epochs of both.
    """
    seed = config.seed
    first = ReplicaTrainer(config, [split], [make_init(0)])
    if on_trainer is not None:
        on_trainer(first)
    result = first.fit([seed], on_epoch=_bind(on_epoch, first), on_batches=on_batches)
    accuracy, loss, where = final_scores(first, split, result.history)
    n_more = config.training.restarts
    if accuracy[0] >= SUCCESS_ACCURACY or n_more == 0:
        return result, Restarts([float(accuracy[0])], [float(loss[0])], 0, where)

    if on_restart is not None:
        on_restart(float(accuracy[0]), n_more)
    more = ReplicaTrainer(config, [split] * n_more, [make_init(r) for r in range(1, n_more + 1)])
    if on_trainer is not None:
        on_trainer(more)
    others = more.fit([seed] * n_more, on_epoch=_bind(on_epoch, more), study=True, on_batches=on_batches)
    more_accuracy, more_loss, _ = final_scores(more, split, others.history)
    accuracies, losses = np.concatenate([accuracy, more_accuracy]), np.concatenate([loss, more_loss])
    kept = best_initialisation(accuracies, losses)
    seconds = result.train_seconds + others.train_seconds  # the restarts count even when none is kept
    if kept == 0:
        chosen = TrainResult(result.history, result.weights, seconds)
    else:
        j = kept - 1
        chosen = TrainResult(
            {m: v[j : j + 1] for m, v in others.history.items()}, [others.weights[j]], seconds
        )
    return chosen, Restarts(accuracies.tolist(), losses.tolist(), kept, where)


def _bind(on_epoch, trainer):
    if on_epoch is None:
        return None
    return lambda epoch, logs: on_epoch(trainer, epoch, logs)
