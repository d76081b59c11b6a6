"""Several losses on the same data and initial weights, seed studies and separability sweeps: training
them, and writing the comparison / sweep folders. Statistics live in stats.py, the boundary figures in
boundary.py, comparison.md in report.py.
"""

from __future__ import annotations

import csv
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.boundary import (
    BOUNDARY_CONSTANTS,
    BOUNDARY_KEYS,
    _empty_boundary,
    _has_boundary,
    band_level,
    boundary_radii,
    boundary_summary,
    signed_decision,
)
from circles_hinge.config import Config, dump_yaml, validate
from circles_hinge.errors import ConfigError, TrainingDiverged
from circles_hinge.losses import LOSSES, LossSpec, encode_labels, get_loss, predict_classes
from circles_hinge.report import comparison_markdown
from circles_hinge.runs import (
    Status,
    check_name,
    create_run_dir,
    versions,
    write_atomic,
    write_csv,
    write_json,
)
from circles_hinge.stats import SUCCESS_ACCURACY, median_iqr, wilson_interval

Progress = Callable[[str, int, int], None]  # (what is happening, epochs done, epochs in total)

RUN_KEYS = (
    "test_accuracy",
    "test_loss",
    "final_loss",
    "final_val_loss",
    "epochs_to_perfect_val",
    "train_seconds",
)


@dataclass
class ComparisonResult:
    path: Path
    report: dict[str, Any]


@dataclass
class SweepResult:
    path: Path
    report: dict[str, Any]


def _number(value: Any) -> float | None:
    """A finite float for JSON, or None (JSON has no NaN)."""
    return float(value) if value is not None and np.isfinite(value) else None


# ---------------------------------------------------------------------------------------------------
# Checking the request before anything is made


def _configs_for(config: Config, losses: Sequence[str], source: str = "--losses") -> dict[str, Config]:
    if not losses:
        raise ConfigError(f"{source} is empty; name at least one loss, e.g. hinge,squared_hinge")
    for loss in losses:
        if loss not in LOSSES:
            raise ConfigError(f"{source}: {loss!r} is not a known loss; choose from {', '.join(LOSSES)}")
    twice = sorted({loss for loss in losses if list(losses).count(loss) > 1})
    if twice:
        raise ConfigError(f"{source} names {', '.join(twice)} more than once; name each loss once")
    raw = _no_restarts(config).to_dict()
    out = {}
    for loss in losses:
        raw["training"]["loss"] = loss
        out[loss] = validate(raw, f"{source} {loss}")
    return out


def _no_restarts(config: Config) -> Config:
    """training.restarts is for `train`: here every loss starts from the same weights and a collapse
    shows, so the config recorded and used says 0 whatever was asked."""
    return config.model_copy(update={"training": config.training.model_copy(update={"restarts": 0})})


def _check_seeds(config: Config, seeds: int) -> list[int]:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"--seeds must be an integer >= 1 — got {seeds!r}")
    if config.seed + seeds - 1 >= 2**32:
        raise ConfigError(
            f"--seeds {seeds} from seed {config.seed} goes past the largest seed 4294967295; "
            "use a smaller seed"
        )
    return list(range(config.seed, config.seed + seeds))


def _seeds_label(seed_list: Sequence[int]) -> str:
    return str(seed_list[0]) if len(seed_list) == 1 else f"{seed_list[0]}..{seed_list[-1]}"


@contextmanager
def _folder_status(path: Path, kind: str) -> Iterator[Status]:
    """status.json says running, then complete (written by the caller last), interrupted or failed."""
    from circles_hinge.experiment import Interrupted, RunFailed

    status = Status(path, kind)
    status.write("running")
    try:
        yield status
    except (KeyboardInterrupt, Interrupted) as exc:
        signal_name = getattr(exc, "signal_name", "SIGINT")
        status.write("interrupted", error=f"stopped by {signal_name}")
        raise Interrupted(path, signal_name) from None
    except (TrainingDiverged, RunFailed, ConfigError) as exc:
        status.write("failed", error=str(exc))
        raise
    except Exception as exc:
        write_atomic(path / "train.log", traceback.format_exc())
        message = f"{type(exc).__name__}: {exc}"
        status.write("failed", error=message)
        raise RunFailed(path, message) from exc


# ---------------------------------------------------------------------------------------------------
# A seed study of one loss: K replicas trained at once


@dataclass
class LossView:
    """One trained model as the comparison figure needs it."""

    loss: str
    spec: LossSpec
    outputs: Callable[[np.ndarray], np.ndarray]
    decision: Callable[[np.ndarray], np.ndarray]
    history: dict[str, np.ndarray]
    test_accuracy: float
    caption: str = ""
    radii: dict[float, np.ndarray] | None = None
    band_level: float = 1.0
    history_band: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass
class Study:
    loss: str
    spec: LossSpec
    rows: list[dict[str, Any]]  # one per seed, the columns of seeds.csv
    summary: dict[str, Any]  # the result object of comparison.json / sweep.json
    weights: list[list[np.ndarray]]
    history: dict[str, np.ndarray]  # metric -> (K, epochs)
    hidden: np.ndarray  # last hidden layer on each replica's training data, (K, n_train, units)
    radii: dict[float, np.ndarray] | None  # level -> (K, n_angles)


def _replica_decision(trainer, spec: LossSpec) -> Callable[[np.ndarray], np.ndarray]:
    """Every replica's decision values for many points, in fixed-size chunks (one traced shape, and
    K x chunk stays small even for K = 100)."""

    def decision(points: np.ndarray) -> np.ndarray:
        chunk = max(1024, 2_000_000 // trainer.k)
        parts = []
        for start in range(0, len(points), chunk):
            block = points[start : start + chunk]
            padded = np.zeros((chunk, 2), dtype=np.float32)
            padded[: len(block)] = block
            parts.append(trainer.outputs(padded)[:, : len(block)])
        return signed_decision(spec, np.concatenate(parts, axis=1))

    return decision


def _run_study(
    config: Config, spec: LossSpec, seed_list: list[int], splits, tick: Callable[[], None]
) -> Study:
    from circles_hinge.experiment import epochs_to_perfect
    from circles_hinge.model import initial_weights
    from circles_hinge.train import ReplicaTrainer

    n_classes = splits[0].n_classes
    inits = [initial_weights(config, spec, n_classes, s) for s in seed_list]
    trainer = ReplicaTrainer(config, spec, splits, inits)
    start = time.perf_counter()
    result = trainer.fit(seed_list, on_epoch=lambda epoch, logs: tick(), study=True)
    X_test = np.stack([s.X_test for s in splits])
    Y_test = np.stack([encode_labels(spec, s.y_test, n_classes) for s in splits])
    test_loss, outputs = trainer.evaluate(X_test, Y_test)
    accuracy = [float(np.mean(predict_classes(spec, outputs[k]) == s.y_test)) for k, s in enumerate(splits)]
    seconds = time.perf_counter() - start

    radii = None
    level = band_level(config, spec)
    if _has_boundary(config, spec, n_classes):
        radii = boundary_radii(_replica_decision(trainer, spec), levels=(0.0, -level, level))
    hidden = trainer.outputs(np.stack([s.X_train for s in splits]), upto=len(trainer.activations) - 1)
    history = result.history
    rows = []
    for k, seed in enumerate(seed_list):
        figures = (
            boundary_summary({lv: r[k] for lv, r in radii.items()}, config.data.factor, level)
            if radii is not None
            else _empty_boundary()
        )
        rows.append(
            {
                "loss": spec.name,
                "seed": seed,
                "success": accuracy[k] >= SUCCESS_ACCURACY,
                "test_accuracy": accuracy[k],
                "test_loss": _number(test_loss[k]),
                "final_loss": _number(history["loss"][k, -1]),
                "final_val_loss": _number(history["val_loss"][k, -1]),
                "epochs_to_perfect_val": epochs_to_perfect(history["val_accuracy"][k]),
                **{key: figures[key] for key in BOUNDARY_KEYS},
            }
        )
    constants = {key: figures[key] for key in BOUNDARY_CONSTANTS}  # the same for every seed
    summary = summarise_seeds(spec.name, rows, seconds, constants)
    return Study(spec.name, spec, rows, summary, result.weights, history, hidden, radii)


def summarise_seeds(
    loss: str, rows: list[dict[str, Any]], train_seconds: float, constants: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One result object from per-seed rows: success rate with its Wilson interval, the failed seeds,
    mean test accuracy, and medians (plain keys) with IQRs (`*_iqr`); boundary figures over the
    successful seeds only, since a collapsed model has no boundary worth measuring."""
    n = len(rows)
    ok = [r for r in rows if r["success"]]
    lo, hi = wilson_interval(len(ok), n)
    accuracy = np.array([r["test_accuracy"] for r in rows])
    summary: dict[str, Any] = {
        "loss": loss,
        "seeds": n,
        "seed_range": [rows[0]["seed"], rows[-1]["seed"]],
        "success_rate": len(ok) / n,
        "success_ci95": [lo, hi],
        "successes": len(ok),
        "failed_seeds": [r["seed"] for r in rows if not r["success"]],
        "test_accuracy": float(accuracy.mean()),
        "test_accuracy_median": float(np.median(accuracy)),
        "test_accuracy_min": float(accuracy.min()),
    }
    for key in ("test_loss", "final_loss", "final_val_loss", "epochs_to_perfect_val"):
        summary[key], summary[f"{key}_iqr"] = median_iqr([r[key] for r in rows])
    summary["perfect_val_seeds"] = sum(r["epochs_to_perfect_val"] is not None for r in rows)
    summary["train_seconds"] = round(train_seconds, 4)
    measured = [r for r in ok if r["boundary_radius_mean"] is not None]
    summary["boundary_seeds"] = len(measured)
    for key in BOUNDARY_KEYS:
        summary[key], summary[f"{key}_iqr"] = median_iqr([r[key] for r in measured])
    summary.update(constants or dict.fromkeys(BOUNDARY_CONSTANTS))
    return summary


def _train_studies(
    configs: dict[str, Config], seed_list: list[int], progress: Callable[[str, int], None], label: str = ""
) -> tuple[list[Study], list]:
    """One ReplicaTrainer per loss, K = len(seed_list), all on the same data and initial weights."""
    from circles_hinge.data import load_split

    first = next(iter(configs.values()))
    splits = [load_split(first.data, s, first.training.validation_split) for s in seed_list]
    studies = []
    with _quiet_retracing():
        for loss, cfg in configs.items():
            stage = f"{label}{loss}, {len(seed_list)} seed{'s' if len(seed_list) > 1 else ''}"
            progress(stage, 0)
            studies.append(_run_study(cfg, get_loss(loss), seed_list, splits, lambda s=stage: progress(s, 1)))
    return studies, splits


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


class _Counter:
    """Turns per-epoch ticks into on_progress(stage, done, total) calls."""

    def __init__(self, total: int, on_progress: Progress | None):
        self.done, self.total, self.on_progress = 0, total, on_progress

    def __call__(self, stage: str, step: int = 0) -> None:
        self.done += step
        if self.on_progress is not None:
            self.on_progress(stage, self.done, self.total)


# ---------------------------------------------------------------------------------------------------
# compare


def check_comparison(config: Config, losses: Sequence[str], seeds: int | None, name: str | None = None):
    """Validate a comparison before anything runs: ConfigError with one line, or (configs, seeds)."""
    configs = _configs_for(config, losses)
    seed_list = _check_seeds(config, seeds) if seeds is not None else [config.seed]
    if name is not None:
        check_name(name)
    return configs, seed_list


def run_comparison(
    config: Config,
    losses: list[str],
    runs_dir: Path,
    seeds: int | None = None,
    name: str | None = None,
    on_progress: Progress | None = None,
) -> ComparisonResult:
    """Train each loss on the same data, split and initial weights, and write one comparison folder.

    seeds=None: one complete run folder per loss (as `train` writes it), named after the loss.
    seeds=N: a seed study, seeds config.seed .. config.seed+N-1, all seeds of a loss trained at once;
    per-seed numbers go to seeds.csv. Either way: comparison.png, comparison.json, comparison.md.
    """
    config = _no_restarts(config)
    configs, seed_list = check_comparison(config, losses, seeds, name)
    stem = name or "compare-" + "-vs-".join(losses) + (f"-{seeds}seeds" if seeds is not None else "")
    path = create_run_dir(runs_dir, stem, exact=name is not None)
    start = time.perf_counter()
    counter = _Counter(len(losses) * config.training.epochs, on_progress)
    with _folder_status(path, "compare") as status:
        write_atomic(path / "config.yaml", dump_yaml(config))
        if seeds is None:
            results, views, extra = _side_by_side(configs, path, counter)
        else:
            results, views, extra = _seed_study(configs, seed_list, path, counter)
        counter("drawing comparison.png")
        _draw_comparison(path / "comparison.png", config, views, extra)
        report = {
            "kind": "compare",
            "losses": list(losses),
            "seeds_label": _seeds_label(seed_list),
            "n_seeds": len(seed_list),
            "success_accuracy": SUCCESS_ACCURACY if seeds is not None else None,
            "results": results,
            "seconds": round(time.perf_counter() - start, 3),
            "files": extra["files"],
            "config": config.to_dict(),
            "versions": versions(),
        }
        write_json(path / "comparison.json", report)
        write_atomic(path / "comparison.md", comparison_markdown(report))
        status.write("complete")  # last: only now is every file in place
    return ComparisonResult(path, report)


def _side_by_side(configs: dict[str, Config], path: Path, counter: _Counter):
    from circles_hinge.data import load_split
    from circles_hinge.experiment import keras_outputs, load_tensorflow, run_experiment

    counter("loading TensorFlow")
    load_tensorflow()  # before `import keras`, so TensorFlow starts quietly
    import keras

    results, views = [], []
    split = None
    for loss, cfg in configs.items():
        spec = get_loss(loss)
        run = run_experiment(
            cfg,
            path,
            name=loss,
            on_epoch=lambda epoch, logs, s=f"training {loss}": counter(s, 1),
            on_stage=lambda text, s=loss: counter(f"{s}: {text}"),
        )
        m = run.metrics
        if split is None:
            split = load_split(cfg.data, cfg.seed, cfg.training.validation_split)
        model = keras.models.load_model(run.path / "model.keras", compile=False)
        outputs = keras_outputs(model)
        level = band_level(cfg, spec)
        radii, figures = None, _empty_boundary()
        if _has_boundary(cfg, spec, split.n_classes):
            radii = boundary_radii(
                lambda X, o=outputs, s=spec: signed_decision(s, o(X)), levels=(0.0, -level, level)
            )
            figures = boundary_summary(radii, cfg.data.factor, level)
        results.append(
            {
                "loss": loss,
                "seed": cfg.seed,
                **{key: m[key] for key in RUN_KEYS},
                "run": run.path.name,
                **figures,
            }
        )
        views.append(
            LossView(
                loss,
                spec,
                outputs,
                lambda X, o=outputs, s=spec: signed_decision(s, o(X)),
                _read_history(run.path / "history.csv"),
                m["test_accuracy"],
                f"seed {cfg.seed}",
                radii,
                level,
            )
        )
    runs = {r["loss"]: r["run"] for r in results}
    extra = {"split": split, "files": {"picture": "comparison.png", "runs": runs}}
    return results, views, extra


def _read_history(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        m: np.array([float(r[m]) for r in rows]) for m in ("loss", "accuracy", "val_loss", "val_accuracy")
    }


def _seed_study(configs: dict[str, Config], seed_list: list[int], path: Path, counter: _Counter):
    from circles_hinge.experiment import keras_outputs, load_tensorflow, seed_everything
    from circles_hinge.model import build_model

    counter("loading TensorFlow")
    load_tensorflow()
    first = next(iter(configs.values()))
    seed_everything(first.seed)
    studies, splits = _train_studies(configs, seed_list, counter)
    write_csv(path / "seeds.csv", [row for study in studies for row in study.rows])

    split = splits[0]  # the panels show replica 0: the config's own seed
    views = []
    for study in studies:
        cfg = configs[study.loss]
        model = build_model(cfg, study.spec, split.n_classes, study.weights[0])
        outputs = keras_outputs(model)
        quartiles = {m: _quartiles(v) for m, v in study.history.items()}
        ok = study.rows[0]["success"]
        views.append(
            LossView(
                study.loss,
                study.spec,
                outputs,
                lambda X, o=outputs, s=study.spec: signed_decision(s, o(X)),
                {m: q[1] for m, q in quartiles.items()},
                study.rows[0]["test_accuracy"],
                f"seed {seed_list[0]}{'' if ok else ', failed'}",
                None if study.radii is None else {lv: r[0] for lv, r in study.radii.items()},
                band_level(cfg, study.spec),
                {m: (q[0], q[2]) for m, q in quartiles.items()},
            )
        )
    extra = {
        "split": split,
        "n_seeds": len(seed_list),
        "strip": [(s.loss, np.array([r["test_accuracy"] for r in s.rows]), s.summary) for s in studies],
        "hidden": _hidden_pair(studies, splits),
        "files": {"picture": "comparison.png", "per_seed": "seeds.csv"},
    }
    return [s.summary for s in studies], views, extra


def _quartiles(history: np.ndarray) -> np.ndarray:
    """25th, 50th and 75th percentile over the replicas, per epoch; NaN without validation data."""
    if not np.isfinite(history).any():
        return np.full((3, history.shape[1]), np.nan)
    return np.nanpercentile(history, [25, 50, 75], axis=0)


def _hidden_pair(studies: list[Study], splits) -> list[tuple] | None:
    """The hidden layer of a failed seed beside the same seed under a loss where it succeeded (same
    data and initial weights, so only the loss differs), else beside a successful seed of its own loss."""

    def panel(study: Study, k: int) -> tuple:
        row = study.rows[k]
        word = "succeeded" if row["success"] else "failed"
        title = f"{study.loss}, seed {row['seed']} ({word}, test accuracy {row['test_accuracy']:.0%})"
        return title, study.hidden[k], splits[k].y_train, study.spec

    failures = [(study, k) for study in studies for k, r in enumerate(study.rows) if not r["success"]]
    for study, k in failures:
        partner = next((other for other in studies if other.rows[k]["success"]), None)
        if partner is not None:
            return [panel(study, k), panel(partner, k)]
    if not failures:
        return None
    study, k = failures[0]
    good = next((j for j, r in enumerate(study.rows) if r["success"]), None)
    return [panel(study, k)] + ([panel(study, good)] if good is not None else [])


def _draw_comparison(path: Path, config: Config, views: list[LossView], extra: dict) -> None:
    from circles_hinge import plots

    split = extra["split"]
    factor = config.data.factor if config.data.dataset == "circles" else None
    plots.plot_comparison(
        path,
        views,
        split.X_test,
        split.y_test,
        split.n_classes,
        factor,
        n_seeds=extra.get("n_seeds"),
        strip=extra.get("strip"),
        hidden=extra.get("hidden"),
        success_accuracy=SUCCESS_ACCURACY,
    )


# ---------------------------------------------------------------------------------------------------
# sweep


def _parse_value(value: Any) -> Any:
    if isinstance(value, str):
        import yaml

        from circles_hinge.config import safe_load

        try:
            return safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"--values: {value!r} is not a valid value") from None
    return value


def _with_key(raw: dict[str, Any], parts: list[str], value: Any) -> dict[str, Any]:
    out = dict(raw)
    head = parts[0]
    if len(parts) == 1:
        out[head] = value
    else:
        inner = raw.get(head)
        out[head] = _with_key(inner if isinstance(inner, dict) else {}, parts[1:], value)
    return out


def sweep_configs(config: Config, param: str, values: Sequence[Any], losses: Sequence[str]):
    """{value: {loss: Config}} for every point of the sweep, validated; ConfigError on the first bad one."""
    parts = param.split(".")
    if not param or any(not p for p in parts):
        raise ConfigError(f"--param {param!r} must be a dotted config key such as data.noise or data.factor")
    if param == "training.loss":
        raise ConfigError("--param training.loss cannot be swept; list the losses with --losses instead")
    if param == "training.restarts":
        raise ConfigError("--param training.restarts cannot be swept; restarts apply to `train` only")
    if param == "seed":  # every value's study runs seeds seed..seed+N-1 already
        raise ConfigError("--param seed cannot be swept; a seed study is `compare --seeds N`")
    if not values:
        raise ConfigError("--values is empty; give at least one value, e.g. --values 0,0.1,0.2")
    parsed = [_parse_value(v) for v in values]
    for i, v in enumerate(parsed):
        if v in parsed[:i]:  # by value: 0 and 0.0 are the same point
            raise ConfigError(f"--values lists {v!r} more than once; give each value once")
    out = {}
    for v in parsed:
        base = validate(_with_key(config.to_dict(), parts, v), f"--param {param} --values {v!r}")
        out[v] = _configs_for(base, losses)
    return out


def check_sweep(
    config: Config,
    param: str,
    values: Sequence[Any],
    losses: Sequence[str],
    seeds: int,
    name: str | None = None,
):
    """Validate a whole sweep before anything runs: ConfigError with one line, or (grid, seed list)."""
    grid = sweep_configs(config, param, values, losses)
    seed_list = _check_seeds(config, seeds)
    for configs in grid.values():
        _check_seeds(next(iter(configs.values())), seeds)
    if name is not None:
        check_name(name)
    return grid, seed_list


def sweep_epochs(grid) -> int:
    """Epochs a sweep trains in all (a sweep of training.epochs has a different count per value)."""
    return sum(cfg.training.epochs for configs in grid.values() for cfg in configs.values())


def run_sweep(
    config: Config,
    param: str,
    values: list,
    losses: list[str],
    runs_dir: Path,
    seeds: int,
    name: str | None = None,
    on_progress: Progress | None = None,
) -> SweepResult:
    """A seed study of every loss at each value of one config key; writes sweep.json, sweep.csv
    (one row per value and loss), seeds.csv (one row per value, loss and seed) and sweep.png."""
    from circles_hinge import plots
    from circles_hinge.experiment import load_tensorflow, seed_everything

    config = _no_restarts(config)
    grid, seed_list = check_sweep(config, param, values, losses, seeds, name)
    path = create_run_dir(runs_dir, name or f"sweep-{param}", exact=name is not None)
    start = time.perf_counter()
    counter = _Counter(sweep_epochs(grid), on_progress)
    with _folder_status(path, "sweep") as status:
        write_atomic(path / "config.yaml", dump_yaml(config))
        counter("loading TensorFlow")
        load_tensorflow()
        seed_everything(config.seed)
        results, seed_rows = [], []
        for value, configs in grid.items():
            for study in _train_studies(configs, seed_list, counter, label=f"{param}={value}: ")[0]:
                results.append({"param": param, "value": value, **study.summary})
                seed_rows += [{"param": param, "value": value, **row} for row in study.rows]
        write_csv(path / "seeds.csv", seed_rows)
        write_csv(path / "sweep.csv", [_flat(r) for r in results])
        counter("drawing sweep.png")
        plots.plot_sweep(path / "sweep.png", param, results, list(losses), len(seed_list), SUCCESS_ACCURACY)
        report = {
            "kind": "sweep",
            "param": param,
            "values": list(grid),
            "losses": list(losses),
            "seeds_label": _seeds_label(seed_list),
            "n_seeds": len(seed_list),
            "success_accuracy": SUCCESS_ACCURACY,
            "results": results,
            "seconds": round(time.perf_counter() - start, 3),
            "files": {"picture": "sweep.png", "table": "sweep.csv", "per_seed": "seeds.csv"},
            "config": config.to_dict(),
            "versions": versions(),
        }
        write_json(path / "sweep.json", report)
        status.write("complete")  # last: only now is every file in place
    return SweepResult(path, report)


def _flat(result: dict[str, Any]) -> dict[str, Any]:
    """A result object as one CSV row: lists become `lo hi` columns or a space-separated field."""
    row = {}
    for key, value in result.items():
        if key == "success_ci95":
            row["success_ci95_lo"], row["success_ci95_hi"] = value
        elif isinstance(value, list):
            row[key] = " ".join(map(str, value))
        else:
            row[key] = value
    return row
