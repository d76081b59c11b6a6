"""The Python API for notebooks and scripts: `train`, `compare`, `sweep` and `load_run`, each returning a
typed result that shows itself in a notebook. The same pipelines as the CLI, checked the same way.

    import circles_hinge as ch
    run = ch.train(loss="squared_hinge", seed=7, overrides={"training.epochs": 50})
    run.metrics["test_accuracy"], run.history["val_loss"][-1], run.path

TensorFlow loads once per process; a second `train` reuses it (and is several times faster).
"""

from __future__ import annotations

import base64
import csv
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from circles_hinge.config import Config, load_config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.store.folders import check_name, check_name_free, prepare_runs_dir
from circles_hinge.studies.comparison import check_comparison, run_comparison
from circles_hinge.studies.experiment import RunResult, run_experiment
from circles_hinge.studies.sweeps import check_grid, check_sweep, run_grid
from circles_hinge.words import num, pct

ConfigLike = Config | Mapping[str, Any] | str | Path | None


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
    """A comparison, seed study or sweep folder: `report` is its comparison.json or sweep.json."""

    path: Path
    report: dict[str, Any]
    kind: str
    runs: dict[str, Run] = field(default_factory=dict)  # a side-by-side comparison's run per loss

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.report.get("results", [])

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            if "success_rate" in r:
                lo, hi = r["success_ci95"]
                where = f" at {r['value']}" if "value" in r else ""
                rows.append(
                    (
                        f"{r['loss']}{where}",
                        f"{r['successes']}/{r['seeds']} succeed [{lo:.0%}, {hi:.0%}]",
                    )
                )
            else:
                rows.append((r["loss"], f"test accuracy {pct(r.get('test_accuracy'))}"))
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
    sets = [f"{key}={json.dumps(value)}" for key, value in (overrides or {}).items()]
    if isinstance(config, Config):
        config = config.to_dict()
    if isinstance(config, Mapping):  # validated once, with the overrides and named arguments over it
        return load_config(None, sets, loss=loss, seed=seed, epochs=epochs, base=dict(config))
    path = Path(config) if config is not None else None
    return load_config(path, sets, loss=loss, seed=seed, epochs=epochs)


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
) -> Run:
    """Train one model as `circles-hinge train` does and return its run. Bad input raises ConfigError
    (its message is the CLI's one line); nothing is written then."""
    cfg = resolve(config, overrides, loss=loss, seed=seed, epochs=epochs)
    runs_path = Path(runs_dir)
    if name is not None:
        name = check_name(name)
        check_name_free(runs_path, name)
    prepare_runs_dir(runs_path)
    on_epoch = None if quiet else _print_epoch(cfg.training.epochs)
    result = run_experiment(cfg, runs_path, name=name, on_epoch=on_epoch, animate=animate)
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
) -> Study:
    """`circles-hinge compare`: the losses side by side (seeds=None) or as a seed study (seeds=N);
    `replays=True` keeps every seed's weights per epoch for report.html (as `--replays`)."""
    cfg = resolve(config, overrides, seed=seed, epochs=epochs)
    request = check_comparison(cfg, list(losses), seeds, name, replays)
    prepare_runs_dir(Path(runs_dir))
    result = run_comparison(request, Path(runs_dir))
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
) -> Study:
    """`circles-hinge sweep`: a seed study of each loss at every value of one config key
    (`param`, `values`), or at every cell of a grid (`grid={"data.noise": [0, 0.1], "data.factor":
    [0.3, 0.5]}`, the cross product)."""
    cfg = resolve(config, overrides)
    if grid is not None and param is not None:
        raise ConfigError("give either grid= or param= with values=, not both")
    if grid is None and param is None:
        raise ConfigError("sweep needs either grid= or param= with values=")
    if grid is None:  # the one-key form, with its own messages
        checked = check_sweep(cfg, param, list(values or []), list(losses), seeds, name, shard)
    else:
        checked = check_grid(cfg, list(grid.items()), list(losses), seeds, name, shard, "--grid")
    prepare_runs_dir(Path(runs_dir))
    result = run_grid(checked, Path(runs_dir), name=name, workers=workers)
    return Study(result.path, result.report, "sweep")


def load_run(path: str | Path) -> Run:
    """A run folder as a Run (also an unfinished one: its metrics are then empty)."""
    path = Path(path)
    if not (path / "config.yaml").is_file():
        raise ConfigError(f"{path} is not a run folder: it has no config.yaml")
    config = validate(yaml.safe_load((path / "config.yaml").read_text()) or {}, str(path / "config.yaml"))
    metrics_path, status_path = path / "metrics.json", path / "status.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    status = (
        json.loads(status_path.read_text()).get("status", "unknown") if status_path.is_file() else "unknown"
    )
    history: dict[str, list[float]] = {}
    if (path / "history.csv").is_file():
        with (path / "history.csv").open() as f:
            for row in csv.DictReader(f):
                for key, value in row.items():
                    history.setdefault(key, []).append(int(value) if key == "epoch" else float(value))
    return Run(path, metrics, history, config, status)


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
