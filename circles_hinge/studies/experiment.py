"""`run_experiment(config, runs_dir)`: the whole pipeline, config -> data -> model -> train -> run folder,
returning what it trained (`RunResult`) so a comparison draws from it without reading the folder back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from circles_hinge.config import Config, dump_yaml
from circles_hinge.engine.baselines import Baseline, distance_from_svm, fit_baselines
from circles_hinge.engine.boundary import has_boundary, signed_decision
from circles_hinge.engine.data import Split, load_split, n_classes
from circles_hinge.engine.model import (
    build_model,
    hidden_activations,
    initial_weights,
    keras_outputs,
    save_model,
)
from circles_hinge.engine.points import points_record, read_points
from circles_hinge.engine.recorder import WeightRecorder
from circles_hinge.engine.restarts import fit_with_restarts
from circles_hinge.engine.runtime import load_tensorflow, seed_everything
from circles_hinge.engine.trainer import evaluate_replica
from circles_hinge.losses import LossSpec, get_loss
from circles_hinge.outputs import hidden_plots, plots
from circles_hinge.outputs.animation import FrameRecorder
from circles_hinge.outputs.background import FigureWorker, in_thread
from circles_hinge.outputs.html import write_run_report
from circles_hinge.outputs.style import import_libraries
from circles_hinge.results import epochs_to_perfect, finite_or_none, history_rows
from circles_hinge.store.folders import (
    CsvLog,
    RunFolder,
    create_run_dir,
    prepare_runs_dir,
    run_folder,
    write_atomic,
    write_csv,
    write_json,
)
from circles_hinge.store.machine import machine, system_record, versions
from circles_hinge.words import batch_progress

if TYPE_CHECKING:
    from circles_hinge.studies.door import TrainPlan

EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class RunResult:
    """What one run trained and wrote: its folder, metrics.json, the kept initialisation's history
    (metric -> per-epoch values) and weights, the data split, the config, and the Keras model."""

    path: Path
    metrics: dict[str, Any]
    history: dict[str, np.ndarray]
    weights: list[np.ndarray]
    split: Split
    config: Config
    model: Any
    frames: list[tuple[int, np.ndarray]]  # (epoch, weights) recorded for the replay
    baselines: list[Baseline] = field(default_factory=list)  # with --baselines: scikit-learn's, fitted

    @property
    def spec(self) -> LossSpec:
        return get_loss(self.config.training.loss)

    @property
    def outputs(self) -> Callable[[np.ndarray], np.ndarray]:
        """The trained model's outputs for any number of points (see model.keras_outputs)."""
        return keras_outputs(self.model)


def write_partial(path: Path, trainer) -> None:
    """history.csv of the first initialisation as far as it trained (a stopped run keeps it)."""
    history = getattr(trainer, "history", None) if trainer is not None else None
    if history is not None and history["loss"].shape[1]:
        write_csv(path / "history.csv", history_rows({m: v[0] for m, v in history.items()}))


class _Watch:
    """What a run does while it trains: keeps the first initialisation's epochs in history.csv as they
    finish, status.json's epoch and stage at most once a second, every epoch's weights for report.html
    (and the frames of training.gif), and tells the caller's progress callbacks."""

    def __init__(
        self,
        folder: RunFolder,
        epochs: int,
        history_log: CsvLog,
        weights: WeightRecorder,
        frames: FrameRecorder | None,
        stage: Callable[[str], None],
        on_epoch: EpochCallback | None,
    ):
        self.folder, self.epochs, self.history_log = folder, epochs, history_log
        self.weights, self.frames, self.stage, self.on_epoch = weights, frames, stage, on_epoch
        self.trainers: list = []  # the first initialisation's trainer, then the restarts' (if any)
        self.last_status = time.monotonic()
        self.last_batches = 0.0

    def trainer(self, trainer) -> None:
        self.trainers.append(trainer)
        self.weights.start(trainer)
        if self.frames is not None:
            self.frames.start(trainer)  # epoch 0: the initial weights

    def epoch(self, trainer, epoch: int, logs: dict[str, np.ndarray]) -> None:
        if trainer is self.trainers[0]:  # kept as it happens: a killed run keeps every finished epoch
            if epoch == 1:  # traced: what remains is TensorFlow's own work, while the figures' libraries load
                in_thread(import_libraries)
            self.history_log.append(history_rows({m: v[0] for m, v in trainer.history.items()})[-1])
        if time.monotonic() - self.last_status > 1.0:  # scripts can watch a long run's progress
            self.folder.running(epoch=epoch)
            self.last_status = time.monotonic()
        self.weights.capture(trainer, epoch)
        if self.frames is not None:
            self.frames.capture(trainer, epoch, logs)
        if self.on_epoch is not None:
            lead = _leading_replica(logs)
            self.on_epoch(epoch, {m: float(v[lead]) for m, v in logs.items()})

    def restarting(self, first_accuracy: float, n_more: int) -> None:
        self.folder.where.update(stage="restarts", first_accuracy=first_accuracy)
        self.stage(f"restarts ({n_more} more)")
        self.folder.running(epoch=0)

    def batches(self, epoch: int, done: int, total: int, seconds: float) -> None:
        if time.monotonic() - self.last_batches >= 1.0 or done == total:
            base = "restarts" if self.folder.where["stage"] == "restarts" else "training"
            self.stage(f"{base}: {batch_progress(epoch, self.epochs, done, total, seconds)}")
            self.last_batches = time.monotonic()

    def partial(self) -> None:
        write_partial(self.folder.path, self.trainers[0] if self.trainers else None)


def run_train(
    plan: TrainPlan,
    on_epoch: EpochCallback | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RunResult:
    """`train` as the door planned it (`door.plan_train`): the runs folder, then the run folder."""
    prepare_runs_dir(plan.runs_dir)
    return run_experiment(
        plan.config, plan.runs_dir, plan.name, on_epoch, on_stage, plan.animate, plan.baselines
    )


def run_experiment(
    config: Config,
    runs_dir: Path,
    name: str | None = None,
    on_epoch: EpochCallback | None = None,
    on_stage: Callable[[str], None] | None = None,
    animate: bool = False,
    baselines: bool = False,
) -> RunResult:
    """Train one model as the tutorial does, write its complete run folder, and return what it trained;
    with `baselines`, scikit-learn's classical answers on the same split beside it in metrics.json."""
    spec = get_loss(config.training.loss)
    stem = name or f"{spec.name}-s{config.seed}"
    path = create_run_dir(runs_dir, stem, exact=name is not None)
    stage = on_stage or (lambda _: None)
    with (
        run_folder(path, "run") as folder,
        CsvLog(path / "history.csv") as history_log,
        FigureWorker() as figures,  # figures without TensorFlow, drawn beside this process's work
    ):
        write_atomic(path / "config.yaml", dump_yaml(config))
        system = figures.submit(system_record)  # the OS, CPU and checkout: no TensorFlow needed
        if figures.background:  # drawn from the config while TensorFlow loads here
            figures.submit(_plot_data, path / "data.png", config)
        stage("loading TensorFlow")
        load_tensorflow()
        seed_everything(config.seed)
        split = load_split(config.data, config.seed, config.training.validation_split)
        if not figures.background:  # here, from the split just made
            _plot_data(path / "data.png", config, split)
        if split.test_rows is not None:  # a user's file: which file, byte for byte, and its test rows
            record = points_record(read_points(config.data.path), config.data.path, split.test_rows)
            write_json(path / "data.json", record)
        frames = FrameRecorder(config, split) if animate else None  # training.gif
        weights = WeightRecorder(config.training.epochs)  # every epoch's weights, for report.html
        watch = _Watch(folder, config.training.epochs, history_log, weights, frames, stage, on_epoch)
        folder.on_stop = watch.partial  # while training, the first initialisation's history is kept

        stage("training")
        folder.where["stage"] = "training"
        folder.running(epoch=0)
        result, restarts = fit_with_restarts(
            config,
            split,
            lambda r: initial_weights(config, config.seed, restart=r),
            on_epoch=watch.epoch,
            on_restart=watch.restarting,
            on_trainer=watch.trainer,
            on_batches=watch.batches,
        )
        history = {m: v[0] for m, v in result.history.items()}
        history_log.close()

        stage("writing the run folder")
        folder.where.pop("first_accuracy", None)
        folder.where["stage"] = "writing"  # before any file: an interrupt from here on is while writing
        folder.running(epoch=result.epochs_run)
        # the kept initialisation's history (the same bytes as the log when it is the first)
        write_csv(path / "history.csv", history_rows(history))
        figures.submit(plots.plot_loss_curve, path / "loss_curve.png", history, spec.name)  # meanwhile
        model = build_model(config, result.weights[0])
        trainers = watch.trainers
        kept_trainer, replica = (trainers[0], 0) if restarts.kept == 0 else (trainers[1], restarts.kept - 1)
        test_loss, test_accuracy = evaluate_replica(kept_trainer, replica, split)
        save_model(model, spec, path / "model.keras")
        metrics = {
            "loss": spec.name,
            "seed": config.seed,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "final_loss": float(history["loss"][-1]),
            "final_accuracy": float(history["accuracy"][-1]),
            "final_val_loss": finite_or_none(history["val_loss"][-1]),
            "final_val_accuracy": finite_or_none(history["val_accuracy"][-1]),
            "epochs_to_perfect_val": epochs_to_perfect(history["val_accuracy"]),
            "epochs": result.epochs_run,
            # 0: the tutorial's initial weights; > 0: the first collapsed and this restart was kept
            "initialisation": restarts.kept,
            "initialisations_tried": restarts.tried,
            "initialisation_accuracies": [round(a, 4) for a in restarts.accuracies],
            # the tie-break among equal accuracies: the lowest final loss (null: diverged)
            "initialisation_losses": [finite_or_none(x) for x in restarts.losses],
            "initialisation_accuracy_on": restarts.measured_on,
            "train_seconds": round(result.train_seconds, 4),
            "n_parameters": int(model.count_params()),
            "versions": versions(),
            "machine": machine(system=system.result()),
        }
        fitted = _baselines(config, split, keras_outputs(model), metrics) if baselines else []
        _write_plots(path, config, model, split, history, test_accuracy, metrics, figures)
        if frames is not None:
            frames.save(path / "training.gif", kept_trainer, replica)
        write_json(path / "metrics.json", metrics)
        frames_kept = weights.frames(kept_trainer, replica)
        write_run_report(path, config, split, history, metrics, frames_kept)
        folder.complete()
    return RunResult(path, metrics, history, result.weights[0], split, config, model, frames_kept, fitted)


def _baselines(config: Config, split: Split, outputs, metrics: dict[str, Any]) -> list[Baseline]:
    """scikit-learn's baselines on the run's fit part, into metrics.json; on circles also how far the
    network's boundary lies from the RBF SVM's."""
    spec, circles = get_loss(config.training.loss), has_boundary(config)
    fitted = fit_baselines(split, [spec.name], config.seed, circles)
    metrics["baselines"] = [b.row().to_json() for b in fitted]
    if circles:
        network = lambda X: signed_decision(spec, outputs(X))  # noqa: E731
        metrics["boundary_distance_from_svm"] = distance_from_svm(network, fitted)
    return fitted


def _leading_replica(logs: dict[str, np.ndarray]) -> int:
    """The replica the progress bar follows: the best on validation so far (the only one for K = 1)."""
    val = logs["val_accuracy"]
    return int(np.nanargmax(val)) if np.isfinite(val).any() else 0


def _plot_data(path: Path, config: Config, split: Split | None = None) -> None:
    """data.png: the run's training points (fit and validation); without `split`, made from the config."""
    if split is None:
        split = load_split(config.data, config.seed, config.training.validation_split)
    spec, k = get_loss(config.training.loss), n_classes(config.data)
    title = "Training data (fit + validation)"
    plots.plot_data(path, split.X_train, split.y_train, spec, k, title, dataset=config.data.dataset)


def _write_plots(
    path: Path,
    config: Config,
    model,
    split,
    history,
    test_accuracy: float,
    metrics: dict,
    figures: FigureWorker,
) -> None:
    """The run's figures after data.png and the loss curve. The figure process draws the margins from
    the model's outputs on the points that figure needs, recorded here; the hidden layer and the
    decision regions (whose grid mlxtend chooses) are drawn here meanwhile. Each side takes about as
    long."""
    spec, k = get_loss(config.training.loss), n_classes(config.data)
    outputs = keras_outputs(model)
    dataset = config.data.dataset
    X, y = split.X_test, split.y_test
    recorded = plots.RecordedOutputs(outputs, plots.margins_points(X, y))
    margins = figures.submit(
        plots.plot_margins, path / "margins.png", X, y, recorded, spec, k, dataset=dataset
    )
    hidden = hidden_activations(model, split.X_train)
    hidden_plots.plot_hidden_layer(path / "hidden_layer.png", hidden, split.y_train, spec, k, dataset=dataset)
    plots.plot_decision_regions_png(
        path / "decision_regions.png", X, y, outputs, spec, k, test_accuracy, dataset=dataset
    )
    figures.wait()
    metrics["test_points_inside_margin"] = margins.result()
