"""A grid sweep's request, read and checked before anything runs: the cross product of one or more
`KEY=V1,V2,...` axes, a validated Config per cell and loss, how the cells batch (cells that differ only
in their data train together) and how a shard takes its part."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from circles_hinge.config import Config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.loading import load_config, safe_load
from circles_hinge.store.folders import STATUS_FILE, check_name, liveness, read_json
from circles_hinge.studies.requests import check_seeds, configs_for, no_restarts

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
) -> Grid:
    """Validate a whole grid sweep before anything runs: a Grid, or ConfigError with one line."""
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
    return Grid(config, parsed, list(losses), seed_list, cells, configs, shard)


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """'2/4' -> (2, 4); 'auto' or 'auto/N': this task's shard of a job array (`resolve_shard`)."""
    return resolve_shard(text, environ)[0]


def resolve_shard(text: str, environ: Mapping[str, str] | None = None) -> tuple[tuple[int, int], str | None]:
    """--shard as (I, N) and, for `auto`, the line that says where they came from. 'auto' reads a
    SLURM array task (SLURM_ARRAY_TASK_ID; N from SLURM_ARRAY_TASK_COUNT or MIN/MAX, with its STEP) or
    a GNU parallel job (PARALLEL_SEQ, with N given as auto/N), so a job script needs no arithmetic."""
    head, sep, count = text.strip().partition("/")
    if head.strip().lower() == "auto":
        return _auto_shard(text, count.strip() if sep else None, os.environ if environ is None else environ)
    try:
        if not sep:
            raise ValueError
        shard = int(head), int(count)
    except ValueError:
        raise ConfigError(
            f"--shard must be I/N, e.g. 2/4 for the second of four parts, or auto — got {text!r}"
        ) from None
    if shard[1] < 1:
        raise ConfigError(f"--shard {text}: N must be at least 1")
    return shard, None


def _env_int(environ: Mapping[str, str], name: str) -> int | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"--shard auto: {name}={value!r} is not an integer") from None


def _auto_shard(text: str, count: str | None, environ: Mapping[str, str]) -> tuple[tuple[int, int], str]:
    given = None
    if count is not None:
        try:
            given = int(count)
        except ValueError:
            given = 0
        if given < 1:
            raise ConfigError(f"--shard {text}: N must be an integer of at least 1, e.g. auto/4")
    task = _env_int(environ, "SLURM_ARRAY_TASK_ID")
    if task is not None:
        first, last = _env_int(environ, "SLURM_ARRAY_TASK_MIN"), _env_int(environ, "SLURM_ARRAY_TASK_MAX")
        step = _env_int(environ, "SLURM_ARRAY_TASK_STEP") or 1
        n = _env_int(environ, "SLURM_ARRAY_TASK_COUNT")
        if n is None and first is not None and last is not None:
            n = (last - first) // step + 1
        if n is not None and given is not None and n != given:
            raise ConfigError(f"--shard {text}, but this SLURM array has {n} tasks; give --shard auto")
        n = n if n is not None else given
        if n is None:
            raise ConfigError(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
                "SLURM_ARRAY_TASK_MIN/MAX; give the count as --shard auto/N"
            )
        if first is None:
            first = last - (n - 1) * step if last is not None else 1
        i = (task - first) // step + 1
        if (task - first) % step or not 1 <= i <= n:
            raise ConfigError(
                f"--shard auto: SLURM_ARRAY_TASK_ID={task} is not one of the array's {n} tasks "
                f"{first}..{first + (n - 1) * step}"
            )
        return (i, n), f"shard {i}/{n}: SLURM array task {task} of {first}..{first + (n - 1) * step}"
    seq = _env_int(environ, "PARALLEL_SEQ")
    if seq is not None:
        if given is None:
            raise ConfigError(
                f"--shard auto under GNU parallel (PARALLEL_SEQ={seq}) needs the number of shards: "
                "--shard auto/N, with N the number of jobs"
            )
        if not 1 <= seq <= given:
            raise ConfigError(
                f"--shard {text}: GNU parallel's PARALLEL_SEQ={seq} is not between 1 and {given}"
            )
        return (seq, given), f"shard {seq}/{given}: GNU parallel job {seq}"
    raise ConfigError(
        f"--shard {text}: no SLURM array task (SLURM_ARRAY_TASK_ID) or GNU parallel job (PARALLEL_SEQ) "
        "in the environment; give --shard I/N"
    )


def shard_folder_name(name: str, shard: tuple[int, int]) -> str:
    """--name under --shard auto: every task of an array gets the same --name, so each shard's
    folder is NAME-shardIofN."""
    return f"{name}-shard{shard[0]}of{shard[1]}"


def sweep_epochs(grid: Grid) -> int:
    """Epochs a sweep trains in all, counting one per epoch of each batch of replicas."""
    return sum(grid.epochs(batch[:1]) for batch in grid.batches(grid.shard_units()))


def default_name(grid: Grid) -> str:
    stem = "sweep-" + "-".join(grid.keys)
    return stem if grid.shard is None else f"{stem}-shard{grid.shard[0]}of{grid.shard[1]}"


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------------
# A sweep folder to finish, and the shards to merge


def check_resume(folder: Path) -> tuple[Grid, dict[str, Any], dict[str, Any]]:
    """A sweep folder that stopped, with what it was asked and what it finished; ConfigError (one
    line) for anything else. (grid, resume record, status)."""
    status = read_json(folder / STATUS_FILE)
    if not folder.is_dir() or status is None or status.get("kind") != "sweep":
        raise ConfigError(f"--resume {folder} is not a sweep folder (no sweep status.json in it)")
    state = str(status.get("status"))
    if state == "complete":
        raise ConfigError(f"--resume {folder}: this sweep is complete; there is nothing to resume")
    if state == "running" and liveness(status) != "died":
        raise ConfigError(
            f"--resume {folder}: this sweep is still {liveness(status)} (pid {status.get('pid')})"
        )
    record = read_json(folder / RESUME_FILE)
    if record is None or not {"grid", "losses", "seeds", "shard", "done"} <= set(record):
        raise ConfigError(
            f"--resume {folder}: {RESUME_FILE} is missing or unreadable, so it cannot be resumed"
        )
    config = no_restarts(load_config(folder / "config.yaml"))
    shard = None if record["shard"] is None else tuple(record["shard"])
    axes = [(axis["key"], axis["values"]) for axis in record["grid"]]
    return check_grid(config, axes, record["losses"], record["seeds"], shard=shard), record, status


def check_merge(folders: Sequence[Path]) -> tuple[Grid, list[dict[str, Any]]]:
    """The shards of one sweep, each complete, together covering it once: (grid, every shard's
    finished entries in the grid's order); ConfigError naming the folder for anything else."""
    if not folders:
        raise ConfigError("merge needs the shard folders, e.g. circles-hinge merge outputs/sweep-*-shard*")
    reports, first = [], None
    for folder in folders:
        report = read_json(folder / "sweep.json")
        status = read_json(folder / STATUS_FILE) or {}
        if report is None or report.get("kind") != "sweep":
            raise ConfigError(f"merge: {folder} is not a finished sweep folder (no sweep.json in it)")
        if status.get("status") != "complete":
            raise ConfigError(
                f"merge: {folder} is {status.get('status', 'unfinished')}; finish it with --resume first"
            )
        if report.get("shard") is None:
            raise ConfigError(f"merge: {folder} is a whole sweep, not a shard (made without --shard)")
        request = (report["grid"], report["losses"], report["n_seeds"], report["config"], report["shard"][1])
        if first is None:
            first = request
        elif request != first:
            raise ConfigError(
                f"merge: {folder} is a shard of a different sweep than {folders[0]} (its grid, losses, "
                "seeds, config or shard count differ)"
            )
        reports.append((folder, report))
    n = first[4]
    seen: dict[int, Path] = {}
    for folder, report in reports:
        i = report["shard"][0]
        if i in seen:
            raise ConfigError(f"merge: {seen[i]} and {folder} are both shard {i}/{n}; give each shard once")
        seen[i] = folder
    missing = [f"{i}/{n}" for i in range(1, n + 1) if i not in seen]
    if missing:
        raise ConfigError(f"merge: shard {', '.join(missing)} is missing; give all {n} shard folders")
    config = validate(first[3], f"{folders[0]}/sweep.json config")
    axes = [(axis["key"], axis["values"]) for axis in first[0]]
    grid = check_grid(config, axes, first[1], first[2])
    entries: dict[Unit, dict[str, Any]] = {}
    for folder, report in reports:
        seed_rows = _read_rows(folder / "seeds.csv")
        n_seeds = report["n_seeds"]
        for j, ((c, loss), result) in enumerate(zip(report["units"], report["results"], strict=True)):
            entries[(c, loss)] = {
                "cell": c,
                "loss": loss,
                "result": result,
                "seed_rows": seed_rows[j * n_seeds : (j + 1) * n_seeds],
            }
    return grid, [entries[u] for u in grid.units()]


def _read_rows(path: Path) -> list[dict[str, str]]:
    """seeds.csv as written: every field as its text, which write_csv writes back unchanged."""
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
