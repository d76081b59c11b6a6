"""Separability sweeps: a seed study of every loss at each value of one config key, the whole grid
checked before anything runs; writes sweep.json, sweep.csv, seeds.csv and sweep.png. Each finished
value is kept as it finishes (resume.json, and its rows in sweep.csv and seeds.csv), so an interrupted
sweep keeps them and `resume_sweep` finishes it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circles_hinge.config import Config, dump_yaml, load_config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.machine import machine, versions
from circles_hinge.report_html import write_sweep_report
from circles_hinge.runs import (
    STATUS_FILE,
    check_name,
    create_run_dir,
    liveness,
    make_reserve,
    read_json,
    write_atomic,
    write_csv,
    write_json,
)
from circles_hinge.stats import SUCCESS_ACCURACY
from circles_hinge.study import (
    Progress,
    ProgressCounter,
    check_seeds,
    configs_for,
    folder_status,
    no_restarts,
    seeds_label,
    train_studies,
)


@dataclass
class SweepResult:
    path: Path
    report: dict[str, Any]


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
        out[v] = configs_for(base, losses)
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
    seed_list = check_seeds(config, seeds)
    for configs in grid.values():
        check_seeds(next(iter(configs.values())), seeds)
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
    config = no_restarts(config)
    grid, seed_list = check_sweep(config, param, values, losses, seeds, name)
    path = create_run_dir(runs_dir, name or f"sweep-{param}", exact=name is not None)
    request = {"param": param, "values": list(values), "losses": list(losses), "seeds": seeds}
    return _sweep(path, config, grid, seed_list, {**request, "done": [], "seconds": 0.0}, on_progress)


RESUME_FILE = "resume.json"  # the request and every finished value; removed once the sweep is complete


def check_resume(folder: Path) -> tuple[Config, dict[str, Any], dict[str, Any]]:
    """A sweep folder that stopped, with what it was asked and what it finished; ConfigError or
    RunDirError (one line) for anything else. (config, resume record, status)."""
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
    if record is None or not {"param", "values", "losses", "seeds", "done"} <= set(record):
        raise ConfigError(
            f"--resume {folder}: {RESUME_FILE} is missing or unreadable, so it cannot be resumed"
        )
    return no_restarts(load_config(folder / "config.yaml")), record, status


def resume_sweep(folder: Path, on_progress: Progress | None = None) -> SweepResult:
    """Finish an interrupted (or dead or failed) sweep in its own folder: the values it finished are
    kept, the others trained; the files are those an uninterrupted sweep writes (timings aside)."""
    config, record, status = check_resume(folder)
    grid, seed_list = check_sweep(
        config, record["param"], record["values"], record["losses"], record["seeds"]
    )
    make_reserve(folder, new_folder=False)
    return _sweep(
        folder, config, grid, seed_list, record, on_progress, started=str(status.get("started", ""))
    )


def _sweep(
    path: Path,
    config: Config,
    grid,
    seed_list: list[int],
    record: dict[str, Any],
    on_progress: Progress | None,
    started: str = "",
) -> SweepResult:
    from circles_hinge import study_plots
    from circles_hinge.experiment import load_tensorflow, seed_everything

    param, losses = record["param"], record["losses"]
    start = time.perf_counter() - record["seconds"]
    counter = ProgressCounter(sweep_epochs(grid), on_progress)
    with folder_status(path, "sweep", started) as status:
        if not (path / "config.yaml").exists():
            write_atomic(path / "config.yaml", dump_yaml(config))
        write_json(path / RESUME_FILE, record)
        counter("loading TensorFlow")
        load_tensorflow()
        seed_everything(config.seed)
        results, seed_rows = [], []
        for i, (value, configs) in enumerate(grid.items()):
            finished = next((d for d in record["done"] if d["value"] == value), None)
            if finished is None:
                finished = {"value": value, "results": [], "seed_rows": []}
                for study in train_studies(configs, seed_list, counter, label=f"{param}={value}: ")[0]:
                    finished["results"].append({"param": param, "value": value, **study.summary})
                    finished["seed_rows"] += [{"param": param, "value": value, **row} for row in study.rows]
                record["done"].append(finished)
                record["seconds"] = round(time.perf_counter() - start, 3)
                write_json(path / RESUME_FILE, record)  # first: it is what a resume reads
            else:
                counter(f"{param}={value}: finished before", sum(c.training.epochs for c in configs.values()))
            results += finished["results"]
            seed_rows += finished["seed_rows"]
            # the finished values' rows, kept if the sweep stops here
            write_csv(path / "seeds.csv", seed_rows)
            write_csv(path / "sweep.csv", [_flat(r) for r in results])
            status.write("running", stage="training", done=f"{i + 1} of {len(grid)} values")
        status.write("running", stage="writing")
        counter("drawing sweep.png")
        study_plots.plot_sweep(
            path / "sweep.png", param, results, list(losses), len(seed_list), SUCCESS_ACCURACY
        )
        report = {
            "kind": "sweep",
            "param": param,
            "values": list(grid),  # the values as read (0.1, not '0.1')
            "losses": list(losses),
            "seeds_label": seeds_label(seed_list),
            "n_seeds": len(seed_list),
            "success_accuracy": SUCCESS_ACCURACY,
            "results": results,
            "seconds": round(time.perf_counter() - start, 3),
            "files": {"picture": "sweep.png", "table": "sweep.csv", "per_seed": "seeds.csv"},
            "config": config.to_dict(),
            "versions": versions(),
            "machine": machine(),
        }
        write_json(path / "sweep.json", report)
        write_sweep_report(path, report)  # report.html: the interactive success-rate chart
        (path / RESUME_FILE).unlink(missing_ok=True)
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
