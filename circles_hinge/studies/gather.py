"""`report --compare A B [C...]`: any finished run, comparison, seed-study or sweep folders side by side, from
any runs folder or machine. Each folder gives one entry per loss (and per cell of a sweep): its numbers,
its seeds, its loss curve (a study's across seeds) and its replay where it has one; entries of different
folders that share seeds get a paired verdict. Reads only the folders' files; writes one page."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from circles_hinge.config import Config
from circles_hinge.errors import ConfigError
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.reports import Entry, Gathered
from circles_hinge.results import SUCCESS_ACCURACY, SeedRow
from circles_hinge.store import records
from circles_hinge.store.folders import read_json
from circles_hinge.studies.verdicts import pair

MAX_FOLDERS = 12  # folders on one page
MAX_ENTRIES = 60  # entries (losses and cells) on one page: a larger sweep is summarised by its own page
MAX_PAIRS = 60  # paired verdicts on one page


ONE_SEED = "One seed is an anecdote, not a verdict; studies of the same seeds (compare --seeds N) give one."


def _name(loss: str) -> str:
    return get_loss(loss).display if loss in LOSSES else loss


def check_folders(folders: Sequence[str | Path]) -> list[Path]:
    """The folders of a `report --compare`: at least two, each once, each a finished run, comparison,
    study or sweep folder; ConfigError naming the folder and why for anything else."""
    paths = [Path(f) for f in folders]
    if len(paths) < 2:
        raise ConfigError("report --compare needs at least two folders, e.g. report --compare RUN_A RUN_B")
    if len(paths) > MAX_FOLDERS:
        raise ConfigError(f"report --compare takes at most {MAX_FOLDERS} folders — got {len(paths)}")
    seen: dict[Path, Path] = {}
    for path in paths:
        if not path.exists():
            raise ConfigError(f"report --compare: {path} does not exist")
        if not path.is_dir():
            raise ConfigError(f"report --compare: {path} is a file, not a run, comparison or sweep folder")
        key = path.resolve()
        if key in seen:
            raise ConfigError(f"report --compare: {seen[key]} and {path} are the same folder; give each once")
        seen[key] = path
        kind = records.folder_kind(path)
        if kind is None:
            raise ConfigError(f"report --compare: {path} is not a run, comparison or sweep folder")
        status = records.read_status(path)
        if status != "complete" and (read_json(path / "status.json") is not None):
            raise ConfigError(f"report --compare: {path} is {status}; only a finished folder can be compared")
    return paths


def gather(folders: list[Path]) -> Gathered:
    """Every folder's entries, and a verdict for each pair of entries of different folders that share
    seeds (the same seed fixes the same data and initial weights only under the same config: the page
    says when the configs differ)."""
    entries: list[Entry] = []
    for folder in folders:
        entries += _entries(folder)
    if len(entries) > MAX_ENTRIES:
        raise ConfigError(
            f"report --compare: these folders hold {len(entries)} losses and cells; at most {MAX_ENTRIES} "
            "fit on one page (a sweep's own report.html shows all of its cells)"
        )
    paired, left_out = [], 0
    for a, b in itertools.combinations(entries, 2):
        if a.folder == b.folder or a.restart or b.restart or not set(a.seeds) & set(b.seeds):
            continue
        if not same_start(a.config, b.config):  # seed s is other data or other weights: no pair
            continue
        if len(paired) >= MAX_PAIRS:
            left_out += 1
            continue
        same = a.loss == b.loss
        paired.append(pair(a.label, a.rows, b.label, b.rows, same_scale=same, one_seed=ONE_SEED))
    return Gathered(folders, entries, paired, left_out, config_differences(entries))


def _entries(folder: Path) -> list[Entry]:
    kind = records.folder_kind(folder)
    if kind == "run":
        return [_run_entry(folder, folder.name, folder, "run")]
    if kind == "compare":
        report = records.read_comparison(folder)
        if not report.study:
            return [
                _run_entry(folder / r.run, f"{folder.name}: {_name(r.loss)}", folder, "compare")
                for r in report.runs
            ]
        rows = records.read_seeds(folder)
        return [
            Entry(
                f"{folder.name}: {_name(s.loss)}",
                folder,
                "study",
                s.loss,
                report.config,
                [r for r in rows if r.loss == s.loss],
                report.success_accuracy,
                s.curves,
            )
            for s in report.summaries
        ]
    report = records.read_sweep(folder)
    rows = _sweep_rows(folder)
    out = []
    for s in report.results:
        where = ", ".join(f"{k}={v}" for k, v in s.cell.items())
        mine = [r for r, cell in rows if r.loss == s.loss and cell == {k: str(v) for k, v in s.cell.items()}]
        out.append(
            Entry(
                f"{folder.name}: {_name(s.loss)} at {where}",
                folder,
                "sweep",
                s.loss,
                report.config,
                mine,
                report.success_accuracy,
                cell=s.cell,
            )
        )
    return out


def _sweep_rows(folder: Path) -> list[tuple[SeedRow, dict[str, str]]]:
    """A sweep's seeds.csv: each row typed, with its cell's values as written."""
    import csv

    keys = records.read_sweep(folder).keys
    try:
        with (folder / "seeds.csv").open(newline="", encoding="utf-8") as fh:
            return [(SeedRow.from_row(r), {k: r[k] for k in keys}) for r in csv.DictReader(fh)]
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"{folder / 'seeds.csv'} cannot be read as a sweep's seeds ({exc})") from None


def _run_entry(folder: Path, label: str, given: Path, kind: str) -> Entry:
    from circles_hinge.outputs.html.page import read_data

    run = records.read_run(folder)
    m = run.metrics
    if "test_accuracy" not in m:
        raise ConfigError(f"report --compare: {folder} has no metrics.json: the run did not finish")
    accuracy = m["test_accuracy"]
    row = SeedRow(
        loss=m.get("loss", run.config.training.loss),
        seed=m.get("seed", run.config.seed),
        success=accuracy >= SUCCESS_ACCURACY,
        test_accuracy=accuracy,
        test_loss=m.get("test_loss"),
        final_loss=m.get("final_loss"),
        final_val_loss=m.get("final_val_loss"),
        epochs_to_perfect_val=m.get("epochs_to_perfect_val"),
    )
    curves = {
        metric: {"median": [float(v) for v in values], "q25": [], "q75": []}
        for metric, values in run.history.items()
    }
    page = read_data(folder / "report.html") or {}
    replay = (page.get("replays") or [None])[0]
    if replay is not None:
        replay = {**replay, "title": label}
    restart = int(m.get("initialisation") or 0)
    if restart:
        label += f" (kept restart {restart})"
    entry = Entry(label, given, kind, row.loss, run.config, [row], SUCCESS_ACCURACY, curves or None, replay)
    entry.restart = restart
    return entry


def same_start(a: Config, b: Config) -> bool:
    """Whether seed s gives the same data and the same initial weights under both configs: the same data
    section and the same hidden layers (the loss, the learning rate, the epochs may differ)."""
    keep = ("hidden_units", "hidden_activation", "kernel_initializer")
    return a.data == b.data and all(getattr(a.model, k) == getattr(b.model, k) for k in keep)


def config_differences(entries: list[Entry]) -> list[tuple[str, list[str]]]:
    """The config keys whose values differ between the folders (other than the loss and seed, which
    the table shows), with each folder's value: what else separates two entries."""
    from circles_hinge.config import leaves

    firsts: dict[Path, dict[str, Any]] = {}
    for e in entries:
        firsts.setdefault(e.folder, leaves(e.config.to_dict()))
    keys = sorted({k for values in firsts.values() for k in values} - {"training.loss", "seed"})
    out = []
    for key in keys:
        values = [str(v.get(key, "—")) for v in firsts.values()]
        if len(set(values)) > 1:
            out.append((key, values))
    return out


def run_gather(plan) -> tuple[Path, Gathered]:
    """`report --compare` as the door planned it (`door.plan_gather`): the page, and what it holds."""
    from circles_hinge.outputs.html.gathered import write_gathered_page

    gathered = gather(plan.folders)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    return write_gathered_page(plan.out, gathered), gathered
