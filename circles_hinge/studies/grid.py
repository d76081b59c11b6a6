"""A grid sweep's request, read and checked before anything runs: the cross product of one or more
`KEY=V1,V2,...` axes, a validated Config per cell and loss, how the cells batch (cells that differ only
in their data train together) and how a shard takes its part."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from circles_hinge.config import Config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.loading import safe_load
from circles_hinge.results import SUCCESS_ACCURACY
from circles_hinge.store.names import check_name
from circles_hinge.studies.requests import check_seeds, check_success, configs_for, no_restarts

# Keys that change a replica's data but not the graph or the number of points: cells that differ
# only in these share one batch. (data.n_samples changes the number of batches, so it forms groups.)
DATA_ONLY_KEYS = ("data.noise", "data.factor")
# Replicas trained at once at most: past about 1,000 a replica-epoch costs no less (benchmarks/
# results.md, scaling), and a smaller batch reports progress and keeps its results more often.
MAX_BATCH_REPLICAS = 5000
# Trainings in one sweep (or shard) at most: each keeps a row of about 2 KB in memory and in
# resume.json until the sweep ends, and resume.json is rewritten after every batch.
MAX_TRAININGS = 1_000_000
RESUME_FILE = "resume.json"  # the request and every finished cell; removed once the sweep is complete
UNSWEEPABLE = {
    "training.loss": "list the losses with --losses instead",
    "training.restarts": "restarts apply to `train` only",
    "seed": "every cell's study runs seeds seed..seed+N-1 already; a seed study is `compare --seeds N`",
}

Unit = tuple[int, str]  # (cell index, loss): one seed study of the grid


def split_values(text: str, option: str = "--values") -> list[str]:
    """'0,0.1,[4,2]' -> ['0', '0.1', '[4,2]']: commas inside brackets belong to the value."""
    items, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += ch
    items.append(current.strip())
    if not text.strip() or any(not item for item in items):
        raise ConfigError(f"{option} {text!r} must be a comma-separated list without empty items")
    return items


def parse_axis(text: str) -> tuple[str, list[str]]:
    """`--grid data.noise=0,0.05,0.1` -> ('data.noise', ['0', '0.05', '0.1'])."""
    key, sep, values = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--grid {text!r} must be KEY=V1,V2,..., e.g. --grid data.noise=0,0.05,0.1")
    return key.strip(), split_values(values, f"--grid {key.strip()}=")


def _parse_value(value: Any, option: str) -> Any:
    if isinstance(value, str):
        try:
            return safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"{option}: {value!r} is not a valid value") from None
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


def _check_axis(key: str, values: Sequence[Any], option: str) -> list[Any]:
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise ConfigError(f"{option} {key!r} must be a dotted config key such as data.noise or data.factor")
    if key in UNSWEEPABLE:
        raise ConfigError(f"{option} {key} cannot be swept; {UNSWEEPABLE[key]}")
    if not values:
        raise ConfigError(f"{option} {key}: no values; give at least one, e.g. {key}=0,0.1,0.2")
    parsed = [_parse_value(v, f"{option} {key}") for v in values]
    for i, v in enumerate(parsed):
        if v in parsed[:i]:  # by value: 0 and 0.0 are the same point
            raise ConfigError(f"{option} {key} lists {v!r} more than once; give each value once")
    return parsed


@dataclass
class Grid:
    """A checked sweep request: the cross product of its axes, a Config per cell and loss."""

    config: Config  # the base, without restarts
    axes: list[tuple[str, list[Any]]]  # (key, values as read), in the order given
    losses: list[str]
    seed_list: list[int]
    cells: list[dict[str, Any]]  # {key: value} per cell; the first axis varies slowest
    configs: list[dict[str, Config]]  # per cell: {loss: Config}
    shard: tuple[int, int] | None = None  # (i, n): this run trains the i-th of n parts
    success: float = SUCCESS_ACCURACY  # the test accuracy from which a seed succeeds

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.axes]

    def units(self) -> list[Unit]:
        """Every (cell, loss) of the grid, cell by cell."""
        return [(c, loss) for c in range(len(self.cells)) for loss in self.losses]

    def shard_units(self) -> list[Unit]:
        """The units this run trains: all, or every n-th from the i-th for a shard (disjoint parts of
        about equal size, each with a share of every loss)."""
        if self.shard is None:
            return self.units()
        i, n = self.shard
        return [u for j, u in enumerate(self.units()) if j % n == i - 1]

    def epochs(self, units: Sequence[Unit]) -> int:
        return sum(self.configs[c][loss].training.epochs for c, loss in units)

    def request(self) -> dict[str, Any]:
        return {
            "grid": [{"key": key, "values": values} for key, values in self.axes],
            "losses": self.losses,
            "seeds": len(self.seed_list),
            "shard": None if self.shard is None else list(self.shard),
            "success": self.success,
        }

    def batches(self, units: Sequence[Unit], max_replicas: int = MAX_BATCH_REPLICAS) -> list[list[Unit]]:
        """The units in groups that share a graph (cells differing only in DATA_ONLY_KEYS, one loss),
        each cut into batches of whole cells of at most max_replicas replicas, in the grid's order."""
        groups: dict[str, list[Unit]] = {}
        for c, loss in units:
            groups.setdefault(_graph_key(self.configs[c][loss]), []).append((c, loss))
        per_batch = max(1, max_replicas // len(self.seed_list))
        return [g[i : i + per_batch] for g in groups.values() for i in range(0, len(g), per_batch)]


def _graph_key(config: Config) -> str:
    raw = config.to_dict()
    for key in DATA_ONLY_KEYS:
        section, name = key.split(".")
        raw[section].pop(name)
    return json.dumps(raw, sort_keys=True)


def check_grid(
    config: Config,
    axes: Sequence[tuple[str, Sequence[Any]]],
    losses: Sequence[str],
    seeds: int,
    name: str | None = None,
    shard: tuple[int, int] | None = None,
    option: str = "--grid",
    success: float = SUCCESS_ACCURACY,
) -> Grid:
    """Validate a whole grid sweep before anything runs: a Grid, or ConfigError with one line."""
    success = check_success(success)
    if not axes:
        raise ConfigError("--grid is missing: give at least one axis, e.g. --grid data.noise=0,0.1")
    keys = [key for key, _ in axes]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"{option} gives {', '.join(twice)} more than once; give each key once")
    config = no_restarts(config)
    parsed = [(key, _check_axis(key, values, option)) for key, values in axes]
    seed_list = check_seeds(config, seeds)
    n_cells = 1
    for _, values in parsed:
        n_cells *= len(values)
    trainings = n_cells * len(losses) * len(seed_list) // (1 if shard is None else max(1, shard[1]))
    if trainings > MAX_TRAININGS:
        raise ConfigError(
            f"{option}: this sweep is {trainings:,} trainings (cells x losses x seeds); at most "
            f"{MAX_TRAININGS:,} fit in one folder: use fewer seeds or cells, or split it with --shard"
        )
    cells, configs = [], []
    for combo in itertools.product(*(values for _, values in parsed)):
        raw = config.to_dict()
        for (key, _), value in zip(parsed, combo, strict=True):
            raw = _with_key(raw, key.split("."), value)
        where = ", ".join(f"{key}={value!r}" for (key, _), value in zip(parsed, combo, strict=True))
        base = validate(raw, f"{option} {where}")
        check_seeds(base, seeds)
        cells.append(dict(zip(keys, combo, strict=True)))
        configs.append(configs_for(base, losses))
    if shard is not None:
        i, n = shard
        if not 1 <= i <= n:
            raise ConfigError(f"--shard {i}/{n}: I must be between 1 and N — got {i}")
        units = len(cells) * len(losses)
        if n > units:
            raise ConfigError(
                f"--shard {i}/{n}: the grid has only {units} cell-and-loss studies to share out"
            )
    if name is not None:
        check_name(name)
    return Grid(config, parsed, list(losses), seed_list, cells, configs, shard, success)


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4)."""
    i, sep, n = text.strip().partition("/")
    try:
        if not sep:
            raise ValueError
        shard = int(i), int(n)
    except ValueError:
        raise ConfigError(
            f"--shard must be I/N, e.g. 2/4 for the second of four parts, or auto — got {text!r}"
        ) from None
    if shard[1] < 1:
        raise ConfigError(f"--shard {text}: N must be at least 1")
    return shard


def sweep_epochs(grid: Grid) -> int:
    """Epochs a sweep trains in all, counting one per epoch of each batch of replicas."""
    return sum(grid.epochs(batch[:1]) for batch in grid.batches(grid.shard_units()))


def default_name(grid: Grid) -> str:
    stem = "sweep-" + "-".join(grid.keys)
    return stem if grid.shard is None else f"{stem}-shard{grid.shard[0]}of{grid.shard[1]}"


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
