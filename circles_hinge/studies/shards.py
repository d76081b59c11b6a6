"""Shards and stopped sweeps: which shard a task of a job array is (`--shard auto`), whether a stopped
sweep folder can be resumed, and which shard folders can be merged, with what is missing and the
exact commands that would make it (`merge --partial`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from circles_hinge.config import validate
from circles_hinge.errors import ConfigError
from circles_hinge.files import FileProblem, load_json, read_text
from circles_hinge.loading import load_folder_config
from circles_hinge.reports import CellResult, SweepReport
from circles_hinge.results import SUCCESS_ACCURACY
from circles_hinge.store.folders import STATUS_FILE, liveness
from circles_hinge.studies.grid import RESUME_FILE, Grid, Unit, check_grid, parse_shard
from circles_hinge.studies.requests import no_restarts

# ---------------------------------------------------------------------------------------------------
# Which shard this task is


def resolve_shard(text: str, environ: Mapping[str, str] | None = None) -> tuple[tuple[int, int], str | None]:
    """--shard as (I, N) and, for `auto`, the line that says where they came from. 'auto' reads a
    SLURM array task (SLURM_ARRAY_TASK_ID; N from SLURM_ARRAY_TASK_COUNT or MIN/MAX, with its STEP) or
    a GNU parallel job (PARALLEL_SEQ, with N given as auto/N), so a job script needs no arithmetic."""
    head, sep, count = text.strip().partition("/")
    if head.strip().lower() == "auto":
        return _auto_shard(text, count.strip() if sep else None, os.environ if environ is None else environ)
    return parse_shard(text), None


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


# ---------------------------------------------------------------------------------------------------
# A sweep folder to finish


def _listable(folder: Path, where: str) -> set[str]:
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except NotADirectoryError:
        raise ConfigError(f"{where} is a file, not a sweep folder") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}") from None


def _kind_word(kind: Any) -> str:
    return {"run": "a run", "compare": "a comparison"}.get(str(kind), "not a sweep")


def check_resume(folder: Path) -> tuple[Grid, dict[str, Any], dict[str, Any]]:
    """A sweep folder that stopped, with what it was asked and what it finished; ConfigError (one
    line, saying what is wrong with which file) for anything else. (grid, resume record, status)."""
    where = f"--resume {folder}"
    _listable(folder, where)
    try:
        status = load_json(folder / STATUS_FILE)
    except FileProblem as exc:
        raise ConfigError(f"{where} cannot be resumed: {STATUS_FILE} {exc.why}") from None
    if status.get("kind") != "sweep":
        raise ConfigError(f"{where} is {_kind_word(status.get('kind'))} folder; only a sweep resumes")
    state = str(status.get("status"))
    if state == "complete":
        raise ConfigError(f"{where}: this sweep is complete; there is nothing to resume")
    if state == "running" and liveness(status) != "died":
        raise ConfigError(f"{where}: this sweep is still {liveness(status)} (pid {status.get('pid')})")
    try:
        record = load_json(folder / RESUME_FILE)
    except FileProblem as exc:
        raise ConfigError(f"{where}: {RESUME_FILE} {exc.why}, so it cannot be resumed") from None
    try:
        config = no_restarts(load_folder_config(folder / "config.yaml"))
    except ConfigError as exc:
        raise ConfigError(f"{where} cannot be resumed: {exc}") from None
    try:
        shard = None if record["shard"] is None else (int(record["shard"][0]), int(record["shard"][1]))
        axes = [(axis["key"], axis["values"]) for axis in record["grid"]]
        success = record.get("success", SUCCESS_ACCURACY)  # a folder made before --success: the default
        grid = check_grid(config, axes, record["losses"], record["seeds"], shard=shard, success=success)
        done = record["done"]
        units = set(grid.shard_units())
        for d in done:
            if (d["cell"], d["loss"]) not in units or len(d["seed_rows"]) != len(grid.seed_list):
                raise ValueError(f"a finished entry {d['cell']}, {d['loss']!r} is not this sweep's")
            if not isinstance(d["result"], dict):
                raise TypeError(f"the result of {d['cell']}, {d['loss']!r} is not a mapping")
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{where}: {RESUME_FILE} does not hold a sweep's request and finished cells ({exc}); "
            "it is damaged, so it cannot be resumed"
        ) from None
    return grid, record, status


# ---------------------------------------------------------------------------------------------------
# The shards to merge


@dataclass
class MergeParts:
    """What `merge` puts together: the grid, the finished entries of the shards given (in the grid's
    order), and for `--partial`, the shards that are missing with the commands that would make them."""

    grid: Grid
    entries: list[CellResult]
    used: list[Path]
    n: int
    missing: list[int] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a folder given was left out


@dataclass
class _Shard:
    folder: Path
    report: dict[str, Any]
    rows: list[dict[str, str]]
    header: list[str]


def _read_shard(folder: Path) -> tuple[_Shard | None, str | None]:
    """A finished shard folder, or (None, why it cannot be merged). A folder that is no shard at all
    raises ConfigError."""
    where = f"merge: {folder}"
    names = _listable(folder, where)
    try:
        status = load_json(folder / STATUS_FILE)
    except FileProblem as exc:
        return None, f"{folder}: {STATUS_FILE} {exc.why}"
    if status.get("kind") != "sweep":
        raise ConfigError(f"{where} is {_kind_word(status.get('kind'))} folder, not a shard of a sweep")
    state = str(status.get("status"))
    if state != "complete":
        if state == "running" and liveness(status) != "died":
            state = liveness(status)
        return (
            None,
            f"{folder} is {state}; finish it with: circles-hinge sweep --resume {shlex.quote(str(folder))}",
        )
    try:
        report = load_json(folder / "sweep.json")
    except FileProblem as exc:
        return None, f"{folder}: sweep.json {exc.why}"
    if report.get("shard") is None:
        raise ConfigError(f"{where} is a whole sweep, not a shard (made without --shard)")
    if "seeds.csv" not in names:
        return None, f"{folder}: seeds.csv is missing"
    try:
        text = read_text(folder / "seeds.csv")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows, header = list(reader), list(reader.fieldnames or [])
        expected = len(report["units"]) * int(report["n_seeds"])
    except FileProblem as exc:
        return None, f"{folder}: seeds.csv {exc.why}"
    except (KeyError, TypeError, ValueError, csv.Error) as exc:
        return None, f"{folder}: sweep.json or seeds.csv is damaged ({exc})"
    if len(rows) != expected or any(None in r or None in r.values() for r in rows):
        return None, (
            f"{folder}: seeds.csv holds {len(rows)} complete rows where its sweep.json has {expected}; "
            "it is damaged"
        )
    return _Shard(folder, report, rows, header), None


def _request(shard: _Shard) -> tuple:
    r = shard.report
    success = r.get("success_accuracy") or SUCCESS_ACCURACY  # a shard made before --success: the default
    return (r["grid"], r["losses"], r["n_seeds"], r["config"], int(r["shard"][1]), success)


def check_merge(folders: Sequence[Path], partial: bool = False, runs_dir: Path | None = None) -> MergeParts:
    """The shards of one sweep, each complete, together covering it once; with `partial`, the finished
    ones among them (at least one), and the commands that would make the missing ones. ConfigError
    naming the folder for anything else."""
    if not folders:
        raise ConfigError("merge needs the shard folders, e.g. circles-hinge merge outputs/sweep-*-shard*")
    shards, skipped, unfinished = [], [], {}
    for folder in folders:
        shard, why = _read_shard(Path(folder))
        if shard is None:
            if not partial:
                raise ConfigError(f"merge: {why} (or merge --partial to merge the finished shards)")
            skipped.append(why)
            record = load_json_or_none(Path(folder) / RESUME_FILE)
            if record is not None and isinstance(record.get("shard"), list):
                unfinished[int(record["shard"][0])] = Path(folder)
            continue
        shards.append(shard)
    if not shards:
        raise ConfigError(f"merge --partial: none of the folders is a finished shard ({skipped[0]})")
    first = shards[0]
    try:
        requests = [_request(s) for s in shards]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"merge: a shard's sweep.json lacks what merge reads ({exc}); it is damaged"
        ) from None
    for shard, request in zip(shards, requests, strict=True):
        if request != requests[0]:
            raise ConfigError(
                f"merge: {shard.folder} is a shard of a different sweep than {first.folder} (its grid, "
                "losses, seeds, config, success threshold or shard count differ)"
            )
        if shard.header != first.header:
            raise ConfigError(
                f"merge: {shard.folder}/seeds.csv has other columns than {first.folder}/seeds.csv"
            )
    n = requests[0][4]
    seen: dict[int, Path] = {}
    for shard in shards:
        i = int(shard.report["shard"][0])
        if i in seen:
            raise ConfigError(
                f"merge: {seen[i]} and {shard.folder} are both shard {i}/{n}; give each shard once"
            )
        seen[i] = shard.folder
    missing = [i for i in range(1, n + 1) if i not in seen]
    if missing and not partial:
        raise ConfigError(
            f"merge: shard {', '.join(f'{i}/{n}' for i in missing)} is missing; give all {n} shard "
            "folders (or merge --partial to merge the finished ones)"
        )
    grid_spec, losses, n_seeds, config_dict, _, success = requests[0]
    config = validate(config_dict, f"{first.folder}/sweep.json config")
    axes = [(axis["key"], axis["values"]) for axis in grid_spec]
    grid = check_grid(config, axes, losses, n_seeds, success=success)
    entries: dict[Unit, CellResult] = {}
    for shard in shards:
        try:
            report = SweepReport.from_json(shard.report, str(shard.folder / "sweep.json"))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ConfigError(f"merge: {shard.folder}/sweep.json is damaged ({exc})") from None
        for j, ((c, loss), summary) in enumerate(zip(report.units, report.results, strict=True)):
            entries[(c, loss)] = CellResult(c, loss, summary, shard.rows[j * n_seeds : (j + 1) * n_seeds])
    commands = [
        _resume_command(unfinished[i]) if i in unfinished else _shard_command(first, i, n, runs_dir)
        for i in missing
    ]
    return MergeParts(
        grid,
        [entries[u] for u in grid.units() if u in entries],
        [s.folder for s in shards],
        n,
        missing,
        commands,
        skipped,
    )


def load_json_or_none(path: Path) -> dict[str, Any] | None:
    try:
        return load_json(path)
    except FileProblem:
        return None


def _resume_command(folder: Path) -> str:
    return f"circles-hinge sweep --resume {shlex.quote(str(folder))}"


def _shard_command(shard: _Shard, i: int, n: int, runs_dir: Path | None) -> str:
    """The command that trains shard i/n of the sweep `shard` is part of: its own config.yaml (the
    resolved config), the grid, losses and seeds from its sweep.json."""
    report = shard.report
    words = ["circles-hinge", "sweep", "--config", str(shard.folder / "config.yaml")]
    for axis in report["grid"]:
        values = ",".join(json.dumps(v) for v in axis["values"])  # JSON is YAML: read back the same
        words += ["--grid", f"{axis['key']}={values}"]
    words += [
        "--losses",
        ",".join(report["losses"]),
        "--seeds",
        str(report["n_seeds"]),
        "--shard",
        f"{i}/{n}",
    ]
    if report.get("success_accuracy") not in (None, SUCCESS_ACCURACY):
        words += ["--success", str(report["success_accuracy"])]
    if runs_dir is not None:
        words += ["--runs-dir", str(runs_dir)]
    return " ".join(shlex.quote(w) for w in words)
