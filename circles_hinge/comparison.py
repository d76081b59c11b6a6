"""Several losses side by side on the same data and initial weights: one run folder per loss, or with
--seeds a seed study of each (study.py); writes the comparison folder. Statistics live in stats.py, the
boundary figures in boundary.py, comparison.md in report.py, comparison.png in compare_plots.py.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.boundary import (
    band_level,
    boundary_radii,
    boundary_summary,
    empty_boundary,
    has_boundary,
    signed_decision,
)
from circles_hinge.config import Config, dump_yaml
from circles_hinge.losses import LossSpec, get_loss
from circles_hinge.machine import machine, versions
from circles_hinge.report import comparison_markdown
from circles_hinge.report_html import write_comparison_report
from circles_hinge.report_html.studies import check_replays, seed_replays
from circles_hinge.runs import check_name, create_run_dir, write_atomic, write_csv, write_json
from circles_hinge.stats import SUCCESS_ACCURACY
from circles_hinge.study import (
    Progress,
    ProgressCounter,
    Study,
    check_seeds,
    configs_for,
    folder_status,
    no_restarts,
    seeds_label,
    train_studies,
)

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


def check_comparison(
    config: Config, losses: Sequence[str], seeds: int | None, name: str | None = None, replays: bool = False
):
    """Validate a comparison before anything runs: ConfigError with one line, or (configs, seeds)."""
    configs = configs_for(config, losses)
    seed_list = check_seeds(config, seeds) if seeds is not None else [config.seed]
    if replays and seeds is not None:
        check_replays(config, losses, seeds)
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
    animate: bool = False,
    replays: bool = False,
) -> ComparisonResult:
    """Train each loss on the same data, split and initial weights, and write one comparison folder.

    seeds=None: one complete run folder per loss (as `train` writes it), named after the loss.
    seeds=N: a seed study, seeds config.seed .. config.seed+N-1, all seeds of a loss trained at once;
    per-seed numbers go to seeds.csv; `replays` keeps every seed's weights per epoch for report.html.
    Either way: comparison.png, comparison.json, comparison.md, report.html.
    """
    config = no_restarts(config)
    configs, seed_list = check_comparison(config, losses, seeds, name, replays)
    stem = name or "compare-" + "-vs-".join(losses) + (f"-{seeds}seeds" if seeds is not None else "")
    path = create_run_dir(runs_dir, stem, exact=name is not None)
    start = time.perf_counter()
    counter = ProgressCounter(len(losses) * config.training.epochs, on_progress)
    with folder_status(path, "compare") as status:
        write_atomic(path / "config.yaml", dump_yaml(config))
        if seeds is None:
            results, views, extra = _side_by_side(configs, path, counter, animate)
        else:
            results, views, extra = _seed_study(configs, seed_list, path, counter, replays)
        counter("drawing comparison.png")
        _draw_comparison(path / "comparison.png", config, views, extra)
        report = {
            "kind": "compare",
            "losses": list(losses),
            "seeds_label": seeds_label(seed_list),
            "n_seeds": len(seed_list),
            "success_accuracy": SUCCESS_ACCURACY if seeds is not None else None,
            "results": results,
            "seconds": round(time.perf_counter() - start, 3),
            "files": extra["files"],
            "config": config.to_dict(),
            "versions": versions(),
            "machine": machine(),
        }
        write_json(path / "comparison.json", report)
        write_atomic(path / "comparison.md", comparison_markdown(report))
        write_comparison_report(path, report, extra.get("seeds"))  # report.html: replays under one slider
        status.write("complete")  # last: only now is every file in place
    return ComparisonResult(path, report)


def _side_by_side(configs: dict[str, Config], path: Path, counter: ProgressCounter, animate: bool = False):
    from circles_hinge.data import load_split
    from circles_hinge.experiment import load_tensorflow, run_experiment
    from circles_hinge.model import keras_outputs

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
            on_epoch=lambda epoch, logs, s=f"{loss}: training": counter(s, 1),
            on_stage=lambda text, s=loss: counter(f"{s}: {text}"),
            animate=animate,  # each run folder gets its training.gif
        )
        m = run.metrics
        if split is None:
            split = load_split(cfg.data, cfg.seed, cfg.training.validation_split)
        model = keras.models.load_model(run.path / "model.keras", compile=False)
        outputs = keras_outputs(model)
        level = band_level(cfg, spec)
        radii, figures = None, empty_boundary()
        if has_boundary(cfg, spec, split.n_classes):
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


def _seed_study(
    configs: dict[str, Config], seed_list: list[int], path: Path, counter: ProgressCounter, replays: bool
):
    from circles_hinge.experiment import load_tensorflow, seed_everything
    from circles_hinge.model import build_model, keras_outputs

    counter("loading TensorFlow")
    load_tensorflow()
    first = next(iter(configs.values()))
    seed_everything(first.seed)
    studies, splits = train_studies(configs, seed_list, counter, replays=replays)
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
        "hidden": _hidden_panels(studies, splits),
        "files": {"picture": "comparison.png", "per_seed": "seeds.csv"},
        "seeds": seed_replays(configs, studies, splits) if replays else None,
    }
    return [s.summary for s in studies], views, extra


def _quartiles(history: np.ndarray) -> np.ndarray:
    """25th, 50th and 75th percentile over the replicas, per epoch; NaN without validation data."""
    if not np.isfinite(history).any():
        return np.full((3, history.shape[1]), np.nan)
    return np.nanpercentile(history, [25, 50, 75], axis=0)


def _hidden_panels(studies: list[Study], splits) -> list[tuple] | None:
    """The last hidden layer of the worst failure beside a typical success, each with why it was chosen.

    Worst failure: the lowest test accuracy over every loss and seed (then the highest test loss), among
    runs that did not diverge (a diverged run has no activations to show). Typical success: the median
    test loss among the successes of the same loss (of every loss if it has none), so the two panels
    differ in the seed, not in the loss. None when no seed failed.
    """

    def test_loss(row) -> float:
        value = row["test_loss"]
        return np.inf if value is None or not np.isfinite(value) else float(value)

    runs = [(study, k) for study in studies for k in range(len(study.rows))]
    failures = [
        (study, k) for study, k in runs if not study.rows[k]["success"] and np.isfinite(study.hidden[k]).all()
    ]
    if not failures:
        return None
    study, k = min(
        failures, key=lambda sk: (sk[0].rows[sk[1]]["test_accuracy"], -test_loss(sk[0].rows[sk[1]]))
    )
    row = study.rows[k]
    n_failed = sum(not s.rows[j]["success"] for s, j in runs)
    panels = [
        (
            f"{study.spec.display}, seed {row['seed']} (the worst failure)",
            f"lowest test accuracy of the {n_failed} failed runs: {row['test_accuracy']:.1%}"
            if n_failed > 1
            else f"the only failed run: test accuracy {row['test_accuracy']:.1%}",
            study.hidden[k],
            splits[k].y_train,
            study.spec,
        )
    ]
    successes = [(study, j) for j, r in enumerate(study.rows) if r["success"]] or [
        (s, j) for s, j in runs if s.rows[j]["success"]
    ]
    if successes:
        successes.sort(key=lambda sk: test_loss(sk[0].rows[sk[1]]))
        typical, j = successes[(len(successes) - 1) // 2]
        good = typical.rows[j]
        whose = "its" if typical is study else "all"
        panels.append(
            (
                f"{typical.spec.display}, seed {good['seed']} (a typical success)",
                f"median test loss of {whose} {len(successes)} successes: {good['test_loss']:.2g}, "
                f"test accuracy {good['test_accuracy']:.1%}",
                typical.hidden[j],
                splits[j].y_train,
                typical.spec,
            )
        )
    return panels


def _draw_comparison(path: Path, config: Config, views: list[LossView], extra: dict) -> None:
    from circles_hinge import compare_plots

    split = extra["split"]
    factor = config.data.factor if config.data.dataset == "circles" else None
    compare_plots.plot_comparison(
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
        dataset=config.data.dataset,
    )
