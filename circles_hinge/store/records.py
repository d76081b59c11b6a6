"""Reading a finished folder back, in one place: a run's config, metrics, history and status, a
comparison's or sweep's typed report, and a study's seeds. Every reader of a folder (the API's
`load_run`, `report`, `report --compare`) comes through here, so a file is parsed one way."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from circles_hinge.config import Config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.loading import safe_load
from circles_hinge.reports import ComparisonReport, SweepReport
from circles_hinge.results import METRICS, SeedRow, read_seed_rows
from circles_hinge.store.folders import STATUS_FILE, read_json

History = dict[str, np.ndarray]  # metric -> its value per epoch (METRICS), the one shape of a history


@dataclass
class StoredRun:
    """A run folder as written: its config, metrics.json (empty for an unfinished run), its history
    per epoch, and the status status.json records."""

    path: Path
    config: Config
    metrics: dict[str, Any]
    history: History
    status: str


def read_config(folder: Path) -> Config:
    """config.yaml of a folder, validated; ConfigError naming the folder when it is missing or bad."""
    path = folder / "config.yaml"
    try:
        raw = safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{folder} has no readable config.yaml ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} does not hold a config")
    return validate(raw, str(path))


def read_history(path: Path) -> History:
    """history.csv: each metric's value per epoch, as float64 arrays (the epochs are 1, 2, ...)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {m: np.array([float(r[m]) for r in rows], dtype=np.float64) for m in METRICS}


def read_status(folder: Path) -> str:
    return str((read_json(folder / STATUS_FILE) or {}).get("status", "unknown"))


def read_run(folder: Path) -> StoredRun:
    """A run folder (also an unfinished one: its metrics are then empty and its history as far as it
    went); ConfigError when the folder is not a run folder."""
    if not (folder / "config.yaml").is_file():
        raise ConfigError(f"{folder} is not a run folder: it has no config.yaml")
    config = read_config(folder)
    metrics = read_json(folder / "metrics.json") or {}
    history = read_history(folder / "history.csv") if (folder / "history.csv").is_file() else {}
    return StoredRun(folder, config, metrics, history, read_status(folder))


def read_comparison(folder: Path) -> ComparisonReport:
    """comparison.json, typed; ConfigError naming the folder when there is none or it cannot be read."""
    return _read_report(folder, "comparison.json", ComparisonReport, "comparison")


def read_sweep(folder: Path) -> SweepReport:
    """sweep.json, typed; ConfigError naming the folder when there is none or it cannot be read."""
    return _read_report(folder, "sweep.json", SweepReport, "sweep")


def _read_report(folder: Path, name: str, report: type, what: str):
    raw = read_json(folder / name)
    if raw is None:
        raise ConfigError(f"{folder} has no readable {name}: the {what} did not finish")
    try:
        return report.from_json(raw, str(folder / name))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ConfigError(f"{folder / name} is not a {what} this version reads ({exc})") from None


def read_seeds(folder: Path) -> list[SeedRow]:
    """seeds.csv of a study, typed; ConfigError when it cannot be read as one."""
    try:
        return read_seed_rows(folder / "seeds.csv")
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"{folder / 'seeds.csv'} cannot be read as a study's seeds ({exc})") from None


def folder_kind(folder: Path) -> str | None:
    """run, compare or sweep: what status.json says, else what the files say; None for neither."""
    kind = (read_json(folder / STATUS_FILE) or {}).get("kind")
    if kind in ("run", "compare", "sweep"):
        return kind
    for kind, name in (("run", "metrics.json"), ("compare", "comparison.json"), ("sweep", "sweep.json")):
        if (folder / name).is_file():
            return kind
    return None
