"""Several losses side by side on the same data and initial weights: one run folder per loss, or with
--seeds a seed study of each (study.py); writes the comparison folder. Statistics live in stats.py, the
boundary figures in boundary.py, comparison.md in report.py, comparison.png in compare_plots.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from circles_hinge.config import Config, dump_yaml
from circles_hinge.engine.baselines import distance_from_svm, fit_baselines
from circles_hinge.engine.boundary import (
    band_level,
    boundary_radii,
    boundary_summary,
    has_boundary,
    signed_decision,
)
from circles_hinge.engine.data import Split, n_classes
from circles_hinge.engine.model import build_model, keras_outputs
from circles_hinge.engine.runtime import load_tensorflow, seed_everything
from circles_hinge.losses import get_loss
from circles_hinge.outputs import compare_plots
from circles_hinge.outputs.compare_plots import HiddenPanel, LossView, StripRow
from circles_hinge.outputs.html import write_comparison_report
from circles_hinge.outputs.html.run import model_data, plane_data, replay_data, thinning_note
from circles_hinge.outputs.html.studies import digits, floats32
from circles_hinge.outputs.markdown import comparison_markdown
from circles_hinge.outputs.style import data_extent
from circles_hinge.reports import ComparisonReport
from circles_hinge.results import BaselineRecord, Boundary, RunRow, SeedRow, finite_or_none
from circles_hinge.store.folders import (
    create_run_dir,
    prepare_runs_dir,
    run_folder,
    write_atomic,
    write_csv,
    write_json,
)
from circles_hinge.store.machine import machine, versions
from circles_hinge.studies.experiment import RunResult, run_experiment
from circles_hinge.studies.requests import ComparisonRequest
from circles_hinge.studies.seeds import Progress, ProgressCounter, SeedStudy, seeds_label, train_studies
from circles_hinge.studies.verdicts import pair_all
from circles_hinge.words import plural

if TYPE_CHECKING:
    from circles_hinge.studies.door import ComparePlan


@dataclass
class ComparisonResult:
    path: Path
    report: ComparisonReport  # comparison.json
    runs: dict[str, RunResult] = field(default_factory=dict)  # side by side: each loss's run


@dataclass
class _Panels:
    """What comparison.png shows besides the views: the test data, and for a seed study every seed's
    accuracy and the hidden layers of the worst failure and a typical success."""

    split: Split
    files: dict[str, Any]
    n_seeds: int | None = None
    strip: list[StripRow] | None = None
    hidden: list[HiddenPanel] | None = None
    seeds: dict[str, Any] | None = None  # with replays: every seed's weights per epoch, for report.html
    replays: dict[str, Any] | None = None  # side by side: each run's replay (loss -> replay_data)
    shown: str | None = None  # a seed study: which seed the boundary panels draw, and why


def run_compare(plan: ComparePlan, on_progress: Progress | None = None) -> ComparisonResult:
    """`compare` as the door planned it (`door.plan_compare`): the runs folder, then the comparison."""
    prepare_runs_dir(plan.runs_dir)
    return run_comparison(plan.request, plan.runs_dir, on_progress, plan.animate, plan.baselines)


def run_comparison(
    request: ComparisonRequest,
    runs_dir: Path,
    on_progress: Progress | None = None,
    animate: bool = False,
    baselines: bool = False,
) -> ComparisonResult:
    """Train each loss on the same data, split and initial weights, and write one comparison folder.

    seeds=None: one complete run folder per loss (as `train` writes it), named after the loss.
    seeds=N: a seed study, seeds config.seed .. config.seed+N-1, all seeds of a loss trained at once;
    per-seed numbers go to seeds.csv; `request.replays` keeps every seed's weights per epoch for
    report.html. Either way: comparison.png, comparison.json, comparison.md, report.html. With
    `baselines`, scikit-learn's classical answers on the same split (the shown seed's, for a study)
    beside the networks in each of them.
    """
    config, losses, seeds, name = request.config, request.losses, request.seeds, request.name
    stem = name or "compare-" + "-vs-".join(losses) + (f"-{seeds}seeds" if seeds is not None else "")
    path = create_run_dir(runs_dir, stem, exact=name is not None)
    start = time.perf_counter()
    counter = ProgressCounter(len(losses) * config.training.epochs, on_progress)
    with run_folder(path, "compare") as folder:
        write_atomic(path / "config.yaml", dump_yaml(config))
        runs: dict[str, RunResult] = {}
        if seeds is None:
            results, views, panels, runs = _side_by_side(request.configs, path, counter, animate, baselines)
            paired = pair_all({r.loss: [_seed_row(r, request.success)] for r in results})
        else:
            results, views, panels, paired = _seed_study(request, path, counter)
        fitted, baseline_record = [], None
        if baselines:
            counter("fitting the baselines")
            fitted, baseline_record = _baselines(config, losses, views, panels)
        counter("drawing comparison.png")
        _draw_comparison(path / "comparison.png", config, views, panels, request.success, fitted)
        report = ComparisonReport(
            losses=list(losses),
            seeds_label=seeds_label(request.seed_list),
            n_seeds=len(request.seed_list),
            success_accuracy=request.success if seeds is not None else None,
            results=results,
            paired=paired,
            baselines=baseline_record,
            seconds=round(time.perf_counter() - start, 3),
            files=panels.files,
            config=config,
            versions=versions(),
            machine=machine(),
        )
        write_json(path / "comparison.json", report.to_json())
        write_atomic(path / "comparison.md", comparison_markdown(report))
        write_comparison_report(path, report, panels.seeds, panels.replays)  # report.html: one slider
        folder.complete()
    return ComparisonResult(path, report, runs)


def _side_by_side(
    configs: dict[str, Config], path: Path, counter: ProgressCounter, animate: bool = False, baselines=False
):
    """One run folder per loss; the figure draws from the models just trained (nothing is read back)."""
    counter("loading TensorFlow")
    load_tensorflow()
    results, views, runs, replays = [], [], {}, {}
    for loss, cfg in configs.items():
        spec = get_loss(loss)
        run = run_experiment(
            cfg,
            path,
            name=loss,
            on_epoch=lambda epoch, logs, s=f"{loss}: training": counter(s, 1),
            on_stage=lambda text, s=loss: counter(f"{s}: {text}"),
            animate=animate,  # each run folder gets its training.gif
            baselines=baselines,  # and its metrics.json the baselines beside it
        )
        runs[loss] = run
        outputs = run.outputs
        level = band_level(cfg)
        radii, figures = None, Boundary()
        if has_boundary(cfg):
            radii = boundary_radii(
                lambda X, o=outputs, s=spec: signed_decision(s, o(X)), levels=(0.0, -level, level)
            )
            figures = boundary_summary(radii, cfg.data.factor, level)
        m = run.metrics
        results.append(
            RunRow(
                loss=loss,
                seed=cfg.seed,
                test_accuracy=m["test_accuracy"],
                test_loss=m["test_loss"],
                final_loss=m["final_loss"],
                final_val_loss=m["final_val_loss"],
                epochs_to_perfect_val=m["epochs_to_perfect_val"],
                train_seconds=m["train_seconds"],
                run=run.path.name,
                boundary=figures,
            )
        )
        views.append(
            LossView(
                loss,
                spec,
                outputs,
                lambda X, o=outputs, s=spec: signed_decision(s, o(X)),
                run.history,
                m["test_accuracy"],
                f"seed {cfg.seed}",
                radii,
                level,
            )
        )
        title = f"{spec.title} loss (run folder {run.path.name})"
        note = thinning_note(run.frames, len(run.history["loss"]))
        inside = m.get("test_points_inside_margin")  # Keras' count, for the page to say where its own differs
        replays[loss] = replay_data(cfg, run.split, run.history, run.frames, title, note, inside)
    files = {"picture": "comparison.png", "runs": {r.loss: r.run for r in results}}
    split = runs[next(iter(configs))].split  # every loss has the same data and split
    return results, views, _Panels(split, files, replays=replays), runs


def _baselines(config: Config, losses: list[str], views: list[LossView], panels: _Panels):
    """scikit-learn's baselines on the split the panels draw, and comparison.json's record of them: each
    one's row and, on circles, how far each network's boundary lies from the RBF SVM's."""
    circles = has_boundary(config)
    fitted = fit_baselines(panels.split, losses, config.seed, circles)
    seed = panels.shown.split(":")[0] if panels.shown else f"seed {config.seed}"
    record = BaselineRecord(
        fitted_on=f"the fit part of {seed}'s split ({len(panels.split.X_fit)} points), "
        f"scored on its {len(panels.split.X_test)} test points",
        models=[b.row() for b in fitted],
        distance_from_svm={v.loss: distance_from_svm(v.decision, fitted) for v in views} if circles else {},
    )
    return fitted, record


def _seed_row(r: RunRow, success: float) -> SeedRow:
    """A side-by-side run as the one seed of a study, for its paired verdict."""
    ok = r.test_accuracy >= success
    return SeedRow(r.loss, r.seed, ok, r.test_accuracy, r.test_loss, r.final_loss, r.final_val_loss, None)


def _seed_study(request: ComparisonRequest, path: Path, counter: ProgressCounter):
    configs, seed_list = request.configs, request.seed_list
    counter("loading TensorFlow")
    load_tensorflow()
    first = next(iter(configs.values()))
    seed_everything(first.seed)
    studies, splits = train_studies(
        configs, seed_list, counter, replays=request.replays, success=request.success
    )
    write_csv(path / "seeds.csv", [row.to_row() for study in studies for row in study.rows])

    k, why = representative_seed(studies)  # the boundary panels draw one typical seed, and say which
    split = splits[k]
    views = []
    for study in studies:
        cfg = configs[study.loss]
        model = build_model(cfg, study.weights[k])
        outputs = keras_outputs(model)
        quartiles = {m: _quartiles(v) for m, v in study.history.items()}
        study.summary.curves = _curves(quartiles)
        ok = study.rows[k].success
        views.append(
            LossView(
                study.loss,
                study.spec,
                outputs,
                lambda X, o=outputs, s=study.spec: signed_decision(s, o(X)),
                {m: q[1] for m, q in quartiles.items()},
                study.rows[k].test_accuracy,
                f"seed {seed_list[k]}{'' if ok else ', failed'}",
                None if study.radii is None else {lv: r[k] for lv, r in study.radii.items()},
                band_level(cfg),
                {m: (q[0], q[2]) for m, q in quartiles.items()},
            )
        )
    shown = f"seed {seed_list[k]}: {why}"
    panels = _Panels(
        split,
        {"picture": "comparison.png", "per_seed": "seeds.csv", "picture_shows": shown},
        len(seed_list),
        [StripRow(s.loss, np.array([r.test_accuracy for r in s.rows]), s.summary) for s in studies],
        _hidden_panels(studies, splits),
        seed_replays(configs, studies, splits) if request.replays else None,
        shown=shown,
    )
    paired = pair_all({s.loss: s.rows for s in studies})
    return [s.summary for s in studies], views, panels, paired


def representative_seed(studies: list[SeedStudy]) -> tuple[int, str]:
    """The seed a study's boundary panels draw, and why: among the seeds on which every loss succeeded,
    the one whose test loss under the first loss is the median (the lower one of an even count); with
    no such seed, among those on which some loss succeeded; with none, among all. A collapsed seed is
    then drawn, and the panels say so."""
    n = len(studies[0].rows)
    every = [k for k in range(n) if all(s.rows[k].success for s in studies)]
    some = [k for k in range(n) if any(s.rows[k].success for s in studies)]
    if every:
        pool, why = every, f"the median of the {plural(len(every), 'seed')} every loss succeeded on"
    elif some:
        pool, why = some, f"no seed succeeded under every loss; the median of the {len(some)} one did"
    else:
        pool, why = list(range(n)), "no seed succeeded; the median seed"
    if len(studies) == 1 and every:
        why = f"the median of its {plural(len(every), 'success', 'successes')}"

    def test_loss(k: int) -> float:
        value = studies[0].rows[k].test_loss
        return np.inf if value is None or not np.isfinite(value) else float(value)

    ranked = sorted(pool, key=lambda k: (test_loss(k), k))
    return ranked[(len(ranked) - 1) // 2], why + " (by test loss)"


def _curves(quartiles: dict[str, np.ndarray]) -> dict[str, dict[str, list[float | None]]]:
    """Per metric and epoch, the median and quartiles over the seeds, for comparison.json."""
    return {
        metric: {
            name: [finite_or_none(v) for v in q[i]] for i, name in ((1, "median"), (0, "q25"), (2, "q75"))
        }
        for metric, q in quartiles.items()
        if metric in ("loss", "val_loss", "val_accuracy", "accuracy")
    }


def _quartiles(history: np.ndarray) -> np.ndarray:
    """25th, 50th and 75th percentile over the replicas, per epoch; NaN without validation data."""
    if not np.isfinite(history).any():
        return np.full((3, history.shape[1]), np.nan)
    return np.nanpercentile(history, [25, 50, 75], axis=0)


def _hidden_panels(studies: list[SeedStudy], splits) -> list[HiddenPanel] | None:
    """The last hidden layer of the worst failure beside a typical success, each with why it was chosen.

    Worst failure: the lowest test accuracy over every loss and seed (then the highest test loss), among
    runs that did not diverge (a diverged run has no activations to show). Typical success: the median
    test loss among the successes of the same loss (of every loss if it has none), so the two panels
    differ in the seed, not in the loss. None when no seed failed.
    """

    def test_loss(row: SeedRow) -> float:
        value = row.test_loss
        return np.inf if value is None or not np.isfinite(value) else float(value)

    runs = [(study, k) for study in studies for k in range(len(study.rows))]
    failures = [
        (study, k) for study, k in runs if not study.rows[k].success and np.isfinite(study.hidden[k]).all()
    ]
    if not failures:
        return None
    study, k = min(failures, key=lambda sk: (sk[0].rows[sk[1]].test_accuracy, -test_loss(sk[0].rows[sk[1]])))
    row = study.rows[k]
    n_failed = sum(not s.rows[j].success for s, j in runs)
    panels = [
        HiddenPanel(
            f"{study.spec.display}, seed {row.seed} (the worst failure)",
            f"lowest test accuracy of the {n_failed} failed runs: {row.test_accuracy:.1%}"
            if n_failed > 1
            else f"the only failed run: test accuracy {row.test_accuracy:.1%}",
            study.hidden[k],
            splits[k].y_train,
            study.spec,
        )
    ]
    successes = [(study, j) for j, r in enumerate(study.rows) if r.success] or [
        (s, j) for s, j in runs if s.rows[j].success
    ]
    if successes:
        successes.sort(key=lambda sk: test_loss(sk[0].rows[sk[1]]))
        typical, j = successes[(len(successes) - 1) // 2]
        good = typical.rows[j]
        whose = "its" if typical is study else "all"
        panels.append(
            HiddenPanel(
                f"{typical.spec.display}, seed {good.seed} (a typical success)",
                f"median test loss of {whose} {len(successes)} successes: {good.test_loss:.2g}, "
                f"test accuracy {good.test_accuracy:.1%}",
                typical.hidden[j],
                splits[j].y_train,
                typical.spec,
            )
        )
    return panels


def _draw_comparison(
    path: Path, config: Config, views: list[LossView], panels: _Panels, success: float, baselines=()
) -> None:
    split = panels.split
    factor = config.data.factor if config.data.dataset == "circles" else None
    compare_plots.plot_comparison(
        path,
        views,
        split.X_test,
        split.y_test,
        n_classes(config.data),
        factor,
        n_seeds=panels.n_seeds,
        strip=panels.strip,
        hidden=panels.hidden,
        success_accuracy=success,
        dataset=config.data.dataset,
        shown=panels.shown,
        baselines=list(baselines),
    )


def seed_replays(configs: dict[str, Config], studies: list[SeedStudy], splits: list[Split]) -> dict[str, Any]:
    """Every seed's replay of each loss, for the page to build on a click: per loss what its network
    is, per seed its points (shared by the losses) and each loss's weights per kept epoch and history.
    The page turns them into the same replays a run's report.html shows."""

    losses = []
    for study in studies:
        frames = study.frames[0]
        plane = plane_data(configs[study.loss], splits[0])  # the names and the crowded class of every seed
        del plane["extent"]  # each seed has its own, below
        losses.append(
            {
                "loss": study.loss,
                "title": study.spec.title,
                "model": model_data(configs[study.loss]),
                "epochs": [int(e) for e, _ in frames],
                "note": thinning_note(frames, configs[study.loss].training.epochs),
                **plane,
            }
        )
    runs = {}
    for k, split in enumerate(splits):
        seed = studies[0].rows[k].seed
        runs[str(seed)] = {
            "x": [floats32(split.X_train), floats32(split.X_test)],
            "y": [digits(split.y_train), digits(split.y_test)],
            "extent": list(data_extent(split.X_test)),
            "accuracy": [study.rows[k].test_accuracy for study in studies],
            "success": [study.rows[k].success for study in studies],
            "theta": [floats32(np.stack([theta for _, theta in study.frames[k]])) for study in studies],
            "history": [
                floats32(
                    np.stack([study.history[m][k] for m in ("loss", "accuracy", "val_loss", "val_accuracy")])
                )
                for study in studies
            ],
        }
    return {"losses": losses, "runs": runs}
