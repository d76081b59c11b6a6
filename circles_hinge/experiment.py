"""`run_experiment(config, runs_dir)`: the whole pipeline, config -> data -> model -> train -> run folder."""

from __future__ import annotations

import errno
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.budget import duration
from circles_hinge.config import Config, dump_yaml
from circles_hinge.errors import Interrupted, RunFailed, TrainingDiverged
from circles_hinge.losses import LossSpec, encode_labels, get_loss, predict_classes
from circles_hinge.machine import machine, versions
from circles_hinge.model import hidden_activations, keras_outputs
from circles_hinge.runs import (
    RUN_FILES,
    CsvLog,
    Status,
    create_run_dir,
    release_reserve,
    write_atomic,
    write_csv,
    write_json,
)

EpochCallback = Callable[[int, dict[str, float]], None]


def failure_message(exc: BaseException) -> str:
    """One line for an unexpected error; a full or read-only disk names the file it could not write."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
        what = Path(exc.filename).name if exc.filename else "a file"
        if getattr(exc, "appending", False):
            verb = "add to"
        else:  # status.json rewritten while running is there, as it was: say so
            verb = "update" if exc.filename and Path(exc.filename).exists() else "write"
        return f"could not {verb} {what}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class RunResult:
    path: Path
    metrics: dict[str, Any]


def load_tensorflow() -> None:
    """Import TensorFlow and Keras quietly, and run TensorFlow on one thread.

    One thread: this network's ops are tiny, and handing them between threads costs more than it
    saves. Measured here: 100 seeds train in 1.6 s instead of 2.8 s, 1000 in 9.1 s instead of 11.8 s,
    one run no slower, and the results are bitwise the same. (It only takes effect before TensorFlow's
    runtime starts, so a process that already used TensorFlow keeps its settings.)

    Quiet: TF_CPP_MIN_LOG_LEVEL=2 hides INFO and WARNING lines, but TensorFlow 2.21 writes a few
    (oneDNN, "could not find cuda drivers", cuInit) before its logger is initialised, when the level is
    not yet honoured. So stderr is pointed at /dev/null while TensorFlow starts, unless the user set
    TF_CPP_MIN_LOG_LEVEL to 0 or 1 to see them. Python exceptions are unaffected.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"] in ("0", "1"):
        _start_tensorflow()
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        _start_tensorflow()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _start_tensorflow() -> None:
    import keras  # noqa: F401
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime has started already (e.g. in a test session)
        pass
    tf.constant(0.0).numpy()  # device start-up, where the cuInit line is written


def seed_everything(seed: int) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow generators
    tf.config.experimental.enable_op_determinism()


def history_rows(history: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    n = len(history["loss"])
    return [
        {
            "epoch": e + 1,
            **{m: repr(float(history[m][e])) for m in ("loss", "accuracy", "val_loss", "val_accuracy")},
        }
        for e in range(n)
    ]


def epochs_to_perfect(val_accuracy: np.ndarray) -> int | None:
    """The first epoch (1-based) at which validation accuracy is 100%, or None."""
    hits = np.flatnonzero(np.asarray(val_accuracy) >= 1.0)
    return int(hits[0]) + 1 if hits.size else None


def evaluate_model(
    model, spec: LossSpec, X: np.ndarray, y: np.ndarray, n_classes: int
) -> tuple[float, float]:
    """(loss, accuracy) of a Keras model: the loss's batch mean, and predicted class == true class."""
    from circles_hinge.losses import keras_loss

    out = keras_outputs(model)(X)
    loss = float(np.mean(np.asarray(keras_loss(spec)(encode_labels(spec, y, n_classes), out))))
    accuracy = float(np.mean(predict_classes(spec, out) == y))
    return loss, accuracy


def evaluate_replica(trainer, replica: int, spec: LossSpec, split) -> tuple[float, float]:
    """(test loss, test accuracy) of one replica, computed by the trainer's own arithmetic, so seed s
    scores the same numbers in `train` as inside a seed study (Keras' Dense may round differently)."""
    X = np.broadcast_to(split.X_test, (trainer.k, *split.X_test.shape))
    Y_enc = encode_labels(spec, split.y_test, split.n_classes)
    Y = np.broadcast_to(Y_enc, (trainer.k, *Y_enc.shape))
    losses, outputs = trainer.evaluate(X, Y)
    accuracy = float(np.mean(predict_classes(spec, outputs[replica]) == split.y_test))
    return float(losses[replica]), accuracy


def write_partial(path: Path, trainer) -> None:
    history = getattr(trainer, "history", None) if trainer is not None else None
    if history is not None and history["loss"].shape[1]:
        write_csv(path / "history.csv", history_rows({m: v[0] for m, v in history.items()}))


def batch_progress(epoch: int, epochs: int, done: int, total: int, seconds: float) -> str:
    """Progress inside a long epoch: 'epoch 3/30: 1,200/160,000 batches, 4,800/s, about 33 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else float("inf")
    eta = "" if left == float("inf") else f", about {duration(left)} left in this epoch"
    return f"epoch {epoch}/{epochs}: {done:,}/{total:,} batches, {rate:,.0f}/s{eta}"


def run_experiment(
    config: Config,
    runs_dir: Path,
    name: str | None = None,
    on_epoch: EpochCallback | None = None,
    on_stage: Callable[[str], None] | None = None,
    animate: bool = False,
) -> RunResult:
    """Train one model as the tutorial does and write its complete run folder."""
    spec = get_loss(config.training.loss)
    stem = name or f"{spec.name}-s{config.seed}"
    path = create_run_dir(runs_dir, stem, exact=name is not None)
    status = Status(path, "run")
    stage = on_stage or (lambda _: None)
    trainers: list = []  # the first initialisation's trainer, then the restarts' (if any)
    where: dict[str, Any] = {}  # the stage (training, restarts): in status.json, also if the run stops
    history_log = CsvLog(path / "history.csv")  # the first initialisation's epochs, as they finish
    try:
        status.write("running")
        write_atomic(path / "config.yaml", dump_yaml(config))
        stage("loading TensorFlow")
        load_tensorflow()
        from circles_hinge.animation import FrameRecorder
        from circles_hinge.data import load_split
        from circles_hinge.model import build_model, initial_weights
        from circles_hinge.report_html import WeightRecorder, write_run_report
        from circles_hinge.trainer import fit_with_restarts

        seed_everything(config.seed)
        split = load_split(config.data, config.seed, config.training.validation_split)
        frames = FrameRecorder(split, spec, config.training.epochs) if animate else None  # training.gif
        weights = WeightRecorder(config.training.epochs)  # every epoch's weights, for report.html
        last_report = [time.monotonic()]

        def each_epoch(trainer, epoch: int, logs: dict[str, np.ndarray]) -> None:
            if trainer is trainers[0]:  # kept as it happens: a killed run keeps every finished epoch
                history_log.append(history_rows({m: v[0] for m, v in trainer.history.items()})[-1])
            if time.monotonic() - last_report[0] > 1.0:  # scripts can watch a long run's progress
                status.write("running", epoch=epoch, **where)
                last_report[0] = time.monotonic()
            weights.capture(trainer, epoch)
            if frames is not None:
                frames.capture(trainer, epoch, logs)
            if on_epoch is not None:
                lead = _leading_replica(logs)
                on_epoch(epoch, {m: float(v[lead]) for m, v in logs.items()})

        def restarting(first_accuracy: float, n_more: int) -> None:
            where["stage"], where["first_accuracy"] = "restarts", first_accuracy
            stage(f"restarts ({n_more} more)")
            status.write("running", epoch=0, **where)

        def on_trainer(trainer) -> None:
            trainers.append(trainer)
            weights.start(trainer)
            if frames is not None:
                frames.start(trainer)  # epoch 0: the initial weights

        last_batches = [0.0]

        def in_epoch(epoch: int, done: int, total: int, seconds: float) -> None:
            if time.monotonic() - last_batches[0] >= 1.0 or done == total:
                base = "restarts" if where["stage"] == "restarts" else "training"
                stage(f"{base}: {batch_progress(epoch, config.training.epochs, done, total, seconds)}")
                last_batches[0] = time.monotonic()

        stage("training")
        where["stage"] = "training"
        status.write("running", epoch=0, **where)
        result, restarts = fit_with_restarts(
            config,
            split,
            spec,
            lambda r: initial_weights(config, spec, split.n_classes, config.seed, restart=r),
            on_epoch=each_epoch,
            on_restart=restarting,
            on_trainer=on_trainer,
            on_batches=in_epoch,
        )
        history = {m: v[0] for m, v in result.history.items()}
        history_log.close()

        stage("writing the run folder")
        where.pop("first_accuracy", None)
        where["stage"] = "writing"  # before any file: an interrupt from here on is while writing
        status.write("running", epoch=result.epochs_run, **where)
        # the kept initialisation's history (the same bytes as the log when it is the first)
        write_csv(path / "history.csv", history_rows(history))
        model = build_model(config, spec, split.n_classes, result.weights[0])
        kept_trainer, replica = (trainers[0], 0) if restarts.kept == 0 else (trainers[1], restarts.kept - 1)
        test_loss, test_accuracy = evaluate_replica(kept_trainer, replica, spec, split)
        _save_model(model, spec, path / "model.keras")
        metrics = {
            "loss": spec.name,
            "seed": config.seed,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "final_loss": float(history["loss"][-1]),
            "final_accuracy": float(history["accuracy"][-1]),
            "final_val_loss": _finite_or_none(history["val_loss"][-1]),
            "final_val_accuracy": _finite_or_none(history["val_accuracy"][-1]),
            "epochs_to_perfect_val": epochs_to_perfect(history["val_accuracy"]),
            "epochs": result.epochs_run,
            # 0: the tutorial's initial weights; > 0: the first collapsed and this restart was kept
            "initialisation": restarts.kept,
            "initialisations_tried": restarts.tried,
            "initialisation_accuracies": [round(a, 4) for a in restarts.accuracies],
            # the tie-break among equal accuracies: the lowest final loss (null: diverged)
            "initialisation_losses": [_finite_or_none(x) for x in restarts.losses],
            "initialisation_accuracy_on": restarts.measured_on,
            "train_seconds": round(result.train_seconds, 4),
            "n_parameters": int(model.count_params()),
            "versions": versions(),
            "machine": machine(),
        }
        _write_plots(path, config, model, spec, split, history, test_accuracy, metrics)
        if frames is not None:
            frames.save(path / "training.gif", kept_trainer, replica)
        write_json(path / "metrics.json", metrics)
        write_run_report(path, config, spec, split, history, metrics, weights.frames(kept_trainer, replica))
        status.write("complete")  # last: only now is every file in place
        return RunResult(path, metrics)
    except KeyboardInterrupt as exc:
        history_log.close()
        signal_name = getattr(exc, "signal_name", "SIGINT")
        detail = _written(path) if where.get("stage") == "writing" else ""
        error = f"stopped by {signal_name}{_during(where)}{detail}"
        _record(path, trainers, status, "interrupted", error, where)
        raise Interrupted(path, signal_name, detail.removeprefix("; ")) from None
    except TrainingDiverged as exc:
        history_log.close()
        _record(path, trainers, status, "failed", str(exc), where)
        exc.path = path  # the folder the diverged run left (CirclesHingeError.path)
        raise
    except Exception as exc:
        history_log.close()
        message = failure_message(exc)
        log_error, status_error = _record(
            path, trainers, status, "failed", message, where, traceback.format_exc()
        )
        raise RunFailed(path, message, log_error, status_error) from exc


def _during(where: dict[str, Any]) -> str:
    if where.get("stage") != "restarts":
        return ""
    return (
        f" during the restarts; the first initialisation had finished at "
        f"{where['first_accuracy']:.1%} accuracy; history.csv holds its epochs"
    )


def _written(path: Path) -> str:
    """'; while writing the run folder: history.csv, model.keras written; metrics.json, ... not'."""
    files = [f for f in RUN_FILES if f != "config.yaml"]
    done = [f for f in files if (path / f).exists()]
    missing = [f for f in files if f not in done]
    return (
        f"; while writing the run folder: {', '.join(done) or 'nothing'} written, "
        f"{', '.join(missing) or 'nothing'} not"
    )


def _record(*args, **kwargs) -> tuple[str | None, str | None]:
    """`_write_record` with Ctrl-C and SIGTERM held off: a second Ctrl-C while the outcome is written
    would leave status.json saying running. They are ignored for the few milliseconds it takes."""
    held = []
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            held.append((sig, signal.signal(sig, signal.SIG_IGN)))
    except ValueError:  # not the main thread: signals go to the main thread anyway
        pass
    try:
        return _write_record(*args, **kwargs)
    finally:
        for sig, handler in held:
            signal.signal(sig, handler)


def _write_record(
    path: Path,
    trainers: list,
    status: Status,
    outcome: str,
    error: str,
    where: dict[str, Any],
    log: str | None = None,
) -> tuple[str | None, str | None]:
    """Leave what we can (traceback, status, partial history) without raising: the disk may be full,
    so the folder's reserve is given back first. While training, the history kept is the first
    initialisation's, the one the tutorial trains (history.csv holds it already, written as it
    happened; it is rewritten whole in case its last row was cut short); once writing, history.csv is
    the kept one's and stays. Returns why train.log and status.json could not be written (None: written)."""
    release_reserve(path)
    errors: list[str | None] = []
    for write in (
        (lambda: write_atomic(path / "train.log", log)) if log else None,
        lambda: status.write(outcome, error=error, **where),
    ):
        try:
            if write is not None:
                write()
            errors.append(None)
        except OSError as exc:
            errors.append(exc.strerror or str(exc))
        except Exception as exc:  # noqa: BLE001 - reporting the original error matters more
            errors.append(str(exc))
    if where.get("stage") != "writing":
        try:
            write_partial(path, trainers[0] if trainers else None)
        except Exception:  # noqa: BLE001 - the log written as it happened stays
            pass
    return errors[0], errors[1]


def _leading_replica(logs: dict[str, np.ndarray]) -> int:
    """The replica the progress bar follows: the best on validation so far (the only one for K = 1)."""
    val = logs["val_accuracy"]
    return int(np.nanargmax(val)) if np.isfinite(val).any() else 0


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _save_model(model, spec: LossSpec, path: Path) -> None:
    """Compile with the run's loss (so it is saved with the model) and write via a temporary name."""
    import keras

    from circles_hinge.losses import keras_loss

    model.compile(optimizer=keras.optimizers.Adam(), loss=keras_loss(spec))
    model.optimizer.build(model.trainable_variables)  # so load_model restores it without a warning
    tmp = path.with_name(f".tmp-{path.name}")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def _write_plots(
    path: Path, config: Config, model, spec: LossSpec, split, history, test_accuracy: float, metrics: dict
) -> None:
    from circles_hinge import plots

    outputs = keras_outputs(model)
    k = split.n_classes
    dataset = config.data.dataset
    plots.plot_data(
        path / "data.png",
        split.X_train,
        split.y_train,
        spec,
        k,
        "Training data (fit + validation)",
        dataset=dataset,
    )
    plots.plot_loss_curve(path / "loss_curve.png", history, spec.name)
    plots.plot_decision_regions_png(
        path / "decision_regions.png",
        split.X_test,
        split.y_test,
        outputs,
        spec,
        k,
        test_accuracy,
        dataset=dataset,
    )
    metrics["test_points_inside_margin"] = plots.plot_margins(
        path / "margins.png", split.X_test, split.y_test, outputs, spec, k, dataset=dataset
    )
    hidden = hidden_activations(model, split.X_train)
    plots.plot_hidden_layer(path / "hidden_layer.png", hidden, split.y_train, spec, k, dataset=dataset)
