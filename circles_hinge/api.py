"""The Python API for notebooks and scripts: `train`, `compare`, `sweep` and `load_run`, each returning a
typed result that shows itself in a notebook. Each call comes through the CLI's door (studies/door.py):
the same checks, the same refusals, the same pipelines; notices become Python warnings.

    import circles_hinge as ch
    run = ch.train(loss="squared_hinge", seed=7, overrides={"training.epochs": 50})
    run.metrics["test_accuracy"], run.history["val_loss"][-1], run.path

TensorFlow loads once per process; a second `train` reuses it (and is several times faster).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.config import Config
from circles_hinge.errors import ConfigError
from circles_hinge.files import FileProblem, load_json, read_text
from circles_hinge.loading import load_folder_config
from circles_hinge.outputs.html.index import folder_states, update_index
from circles_hinge.reports import ComparisonReport, SweepReport
from circles_hinge.results import RunRow, SeedSummary
from circles_hinge.store.folders import recording_call
from circles_hinge.store.listing import summarise_folder
from circles_hinge.studies.comparison import run_compare
from circles_hinge.studies.door import Ask, ConfigLike, plan_compare, plan_sweep, plan_train
from circles_hinge.studies.experiment import RunResult, run_train
from circles_hinge.studies.sweeps import run_sweep
from circles_hinge.words import num, pct


@dataclass
class Run:
    """One run folder: `metrics` is metrics.json, `history` maps each metric to its per-epoch list."""

    path: Path
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    config: Config
    status: str = "complete"

    def _repr_html_(self) -> str:
        m = self.metrics
        rows = [
            ("loss", m.get("loss")),
            ("seed", m.get("seed")),
            ("status", self.status),
            ("test accuracy", pct(m.get("test_accuracy"))),
            ("test loss", num(m.get("test_loss"))),
            ("epochs to 100% validation", m.get("epochs_to_perfect_val")),
            ("initialisation kept", f"{m.get('initialisation')} of {m.get('initialisations_tried')}"),
            ("training time", f"{m.get('train_seconds', 0):.2f} s"),
            ("folder", self.path),
        ]
        return _card(f"circles-hinge run {self.path.name}", rows, self.path / "decision_regions.png")

    @classmethod
    def of(cls, result: RunResult) -> Run:
        """The Run of what `run_experiment` just trained, as `load_run` would read it from its folder."""
        epochs = list(range(1, len(result.history["loss"]) + 1))
        history = {"epoch": epochs, **{m: np.asarray(v).tolist() for m, v in result.history.items()}}
        return cls(result.path, result.metrics, history, result.config)


@dataclass
class Study:
    """A comparison, seed study or sweep folder: `report` is its comparison.json or sweep.json, typed
    (`report.to_json()` is the file)."""

    path: Path
    report: ComparisonReport | SweepReport
    kind: str
    runs: dict[str, Run] = field(default_factory=dict)  # a side-by-side comparison's run per loss

    @property
    def results(self) -> list[RunRow] | list[SeedSummary]:
        return self.report.results

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            if isinstance(r, SeedSummary):
                lo, hi = r.success_ci95
                where = "".join(f" at {key}={value}" for key, value in r.cell.items())
                rows.append((f"{r.loss}{where}", f"{r.successes}/{r.seeds} succeed [{lo:.0%}, {hi:.0%}]"))
            else:
                rows.append((r.loss, f"test accuracy {pct(r.test_accuracy)}"))
        rows += [("seed by seed", p.verdict) for p in self.report.paired[:10]]
        rows.append(("folder", self.path))
        picture = self.path / ("sweep.png" if self.kind == "sweep" else "comparison.png")
        return _card(f"circles-hinge {self.kind} {self.path.name}", rows, picture)


def resolve(
    config: ConfigLike = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    loss: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
) -> Config:
    """A validated Config from a file path, a dict or a Config, then `overrides` ({"data.noise": 0.1}),
    then the named arguments: the CLI's order of precedence."""
    return Ask.from_api(config, overrides, loss=loss, seed=seed, epochs=epochs).read()[0]


def _notify(notices: list[str]) -> None:
    """The door's notices (settings this call ignores, a long run's estimate) as Python warnings."""
    for line in notices:
        warnings.warn(line.removeprefix("warning: "), UserWarning, stacklevel=3)


@contextmanager
def _index_after(runs_dir: Path):
    """index.html of the runs folder, rewritten after the call however it ends (as the CLI does)."""
    before = folder_states(runs_dir)
    try:
        yield
    finally:
        problem = update_index(runs_dir, before)
        if problem is not None:
            warnings.warn(problem, UserWarning, stacklevel=4)


def _call(function: str, arguments: dict[str, Any]) -> list[str]:
    """The call as status.json records it: ["circles_hinge.train", "loss='hinge'", "seed=7", ...],
    from the function's `locals()` on entry: every argument given, in the signature's order (None
    and False left out, runs_dir as its text, `quiet` not recorded)."""
    given = [
        f"{key}={str(value) if key == 'runs_dir' else value!r}"
        for key, value in arguments.items()
        if value is not None and value is not False and key != "quiet"
    ]
    return [f"circles_hinge.{function}", *given]


def train(
    loss: str | None = None,
    seed: int | None = None,
    config: ConfigLike = None,
    overrides: Mapping[str, Any] | None = None,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    animate: bool = False,
    quiet: bool = True,
    epochs: int | None = None,
    baselines: bool = False,
) -> Run:
    """Train one model as `circles-hinge train` does and return its run. Bad input raises ConfigError
    (its message is the CLI's one line, before anything is written), as every refusal of the CLI does.
    `baselines=True`: scikit-learn's classical answers beside it in metrics["baselines"] (as --baselines)."""
    given = dict(locals())  # the call as made, before any other name is bound
    ask = Ask.from_api(config, overrides, loss=loss, seed=seed, epochs=epochs)
    plan = plan_train(ask, runs_dir, name, animate, baselines)
    _notify(plan.notices)
    on_epoch = None if quiet else _print_epoch(plan.config.training.epochs)
    call = _call("train", given)
    with _index_after(plan.runs_dir), recording_call(call):
        result = run_train(plan, on_epoch=on_epoch)
    return Run.of(result)


def compare(
    losses: list[str] | tuple[str, ...] = ("hinge", "squared_hinge"),
    seeds: int | None = None,
    config: ConfigLike = None,
    overrides: Mapping[str, Any] | None = None,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    replays: bool = False,
    animate: bool = False,
    success: float | None = None,
    baselines: bool = False,
) -> Study:
    """`circles-hinge compare`: the losses side by side (seeds=None) or as a seed study (seeds=N);
    `replays=True` keeps every seed's weights per epoch for report.html (as `--replays`); `success`:
    the test accuracy from which a seed succeeds (default 0.99); `baselines=True`: scikit-learn's
    classical answers on the same split in `report.baselines` (as `--baselines`)."""
    given = dict(locals())  # the call as made, before any other name is bound
    ask = Ask.from_api(config, overrides, seed=seed, epochs=epochs)
    plan = plan_compare(ask, list(losses), seeds, runs_dir, name, animate, replays, success, baselines)
    _notify(plan.notices)
    call = _call("compare", given)
    with _index_after(plan.runs_dir), recording_call(call):
        result = run_compare(plan)
    runs = {loss: Run.of(run) for loss, run in result.runs.items()}  # side by side: a run per loss
    return Study(result.path, result.report, "compare", runs)


def sweep(
    param: str | None = None,
    values: list[Any] | None = None,
    losses: list[str] | tuple[str, ...] = ("hinge", "squared_hinge"),
    seeds: int = 10,
    config: ConfigLike = None,
    overrides: Mapping[str, Any] | None = None,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    grid: Mapping[str, list[Any]] | None = None,
    workers: int = 1,
    shard: tuple[int, int] | None = None,
    success: float | None = None,
) -> Study:
    """`circles-hinge sweep`: a seed study of each loss at every value of one config key
    (`param`, `values`), or at every cell of a grid (`grid={"data.noise": [0, 0.1], "data.factor":
    [0.3, 0.5]}`, the cross product)."""
    given = dict(locals())  # the call as made, before any other name is bound
    if grid is not None and param is not None:
        raise ConfigError("give either grid= or param= with values=, not both")
    if grid is None and param is None:
        raise ConfigError("sweep needs either grid= or param= with values=")
    axes = list(grid.items()) if grid is not None else [(param, list(values or []))]
    option = "--grid" if grid is not None else "--param"
    ask = Ask.from_api(config, overrides)
    plan = plan_sweep(ask, axes, list(losses), seeds, runs_dir, name, shard, workers, option, success)
    _notify(plan.notices)
    call = _call("sweep", given)
    with _index_after(plan.runs_dir), recording_call(call):
        result = run_sweep(plan)
    return Study(result.path, result.report, "sweep")


def report_compare(
    folders: list[str | Path], runs_dir: str | Path = "outputs", out: str | Path | None = None
) -> Path:
    """`circles-hinge report --compare`: two or more run, comparison, study or sweep folders on one
    page (a new file: `out`, or compare-A-vs-B.html in `runs_dir`); returns its path."""
    from circles_hinge.studies.door import plan_gather
    from circles_hinge.studies.gather import run_gather

    written, _ = run_gather(plan_gather(folders, runs_dir, out))
    return written


def load_run(path: str | Path) -> Run:
    """A run folder as a Run (also an unfinished one: its metrics are then empty; `status` is what
    `circles-hinge runs` says). ConfigError, one line naming the file, for a folder that is not a run
    or whose files are damaged."""
    path = Path(path)
    summary = summarise_folder(path) if path.is_dir() else None
    if summary is not None and summary.kind in ("compare", "sweep"):
        raise ConfigError(f"{path} is a {summary.kind} folder, not a run; read its report JSON instead")
    try:
        config = load_folder_config(path / "config.yaml")
    except ConfigError as exc:
        raise ConfigError(f"{path} is not a run folder we can read: {exc}") from None
    try:
        metrics = load_json(path / "metrics.json")
    except FileProblem as exc:
        if not exc.missing:
            raise ConfigError(f"{path}: metrics.json {exc.why}") from None
        metrics = {}  # an unfinished run
    history: dict[str, list[float]] = {}
    try:
        text = read_text(path / "history.csv")
        for row in csv.DictReader(io.StringIO(text, newline="")):
            for key, value in row.items():
                history.setdefault(key, []).append(int(value) if key == "epoch" else float(value))
    except FileProblem as exc:
        if not exc.missing:
            raise ConfigError(f"{path}: history.csv {exc.why}") from None
    except (TypeError, ValueError):
        raise ConfigError(
            f"{path}: history.csv is damaged: it is not the per-epoch CSV a run writes"
        ) from None
    return Run(path, metrics, history, config, summary.status if summary is not None else "unknown")


def _print_epoch(total: int):
    def show(epoch: int, logs: dict[str, float]) -> None:
        print(f"epoch {epoch}/{total}: loss {logs['loss']:.4g}, val_accuracy {logs['val_accuracy']:.1%}")

    return show


def _card(title: str, rows: list[tuple[str, Any]], picture: Path) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    image = ""
    if picture.is_file():
        data = base64.b64encode(picture.read_bytes()).decode()
        image = f"<img src='data:image/png;base64,{data}' style='max-width:420px'>"
    return (
        f"<div><b>{html.escape(title)}</b><div style='display:flex;gap:1em;align-items:flex-start'>"
        f"<table>{cells}</table>{image}</div></div>"
    )
