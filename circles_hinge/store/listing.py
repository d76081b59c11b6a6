"""Listing a folder of runs: one summary per run, comparison and sweep folder (its kind, status, losses,
seeds, accuracies, time), newest first, for `runs`, `runs --json` and index.html."""

from __future__ import annotations

import csv
import errno
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circles_hinge.errors import ConfigError, RunDirError
from circles_hinge.files import CONFIG_MAX_BYTES, FileProblem, load_json, read_bytes, read_ends, read_text
from circles_hinge.loading import read_yaml
from circles_hinge.store.folders import REPORT_FILES, RUN_FILES, STATUS_FILE, liveness, read_json

# What a finished folder of each kind must hold (what is read back: its config, results, tables and
# weights); one that lacks any of them, or holds something broken in the place of these or of the
# pictures and pages it also writes, is listed as `damaged`, with what is wrong, never as complete.
# (A folder made by an older version may lack a picture or report.html; that is not damage.)
FINISHED_FILES = {
    "run": ("config.yaml", "metrics.json", "history.csv", "model.keras"),
    "compare": ("config.yaml", "comparison.json"),
    "sweep": ("config.yaml", "sweep.json", "sweep.csv", "seeds.csv"),
}
OTHER_FILES = {
    "run": tuple(f for f in RUN_FILES if f not in FINISHED_FILES["run"]),
    "compare": ("comparison.md", "comparison.png", "seeds.csv", "report.html"),
    "sweep": ("sweep.md", "sweep.png", "report.html"),
}


@dataclass
class RunSummary:
    """One row of `circles-hinge runs`. `losses` is comma-separated; a comparison or sweep has one
    entry per loss, in that order, in `test_accuracy` and `test_loss`, already worded: a run's
    "100.0%", a seed study's "mean 99.0%" (and a median test loss), a sweep's "mean 87.0%-100.0%"
    (its lowest and highest value)."""

    path: Path
    kind: str
    status: str
    losses: str
    seeds: str
    test_accuracy: list[str]
    test_loss: list[str]
    seconds: float | None
    started: str
    problem: str = ""  # what is wrong with a damaged or unreadable folder: 'metrics.json is empty'


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _formatted(value: Any, spec: str, prefix: str = "") -> str:
    return f"{prefix}{value:{spec}}" if _is_number(value) else ""


def _read_config(path: Path) -> dict[str, Any]:
    """config.yaml, for a folder that stopped before its results were written; {} if unreadable."""
    import yaml

    try:
        data = yaml.safe_load(read_text(path / "config.yaml", CONFIG_MAX_BYTES))
    except (FileProblem, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_row(summary: RunSummary, path: Path) -> None:
    metrics = read_json(path / "metrics.json")
    if metrics is None:  # unfinished: what it was asked to train
        config = _read_config(path)
        training = config.get("training")
        loss = training.get("loss", "") if isinstance(training, dict) else ""
        summary.losses, summary.seeds = str(loss), str(config.get("seed", ""))
        return
    summary.losses = str(metrics.get("loss", ""))
    summary.seeds = str(metrics.get("seed", ""))
    summary.test_accuracy = [_formatted(metrics.get("test_accuracy"), ".1%")]
    summary.test_loss = [_formatted(metrics.get("test_loss"), ".3g")]
    seconds = metrics.get("train_seconds")
    summary.seconds = seconds if _is_number(seconds) else None


def _study_row(summary: RunSummary, path: Path, status: dict[str, Any]) -> None:
    report = read_json(path / REPORT_FILES.get(summary.kind, "comparison.json"))
    if report is None:  # unfinished: what status.json and config.yaml say it was asked to do
        losses = status.get("losses")
        summary.losses = ",".join(map(str, losses)) if isinstance(losses, list) else ""
        seed = _read_config(path).get("seed", "")
        summary.seeds = str(status.get("seeds_label") or (f"from {seed}" if seed != "" else ""))
        return
    if report.get("partial") and summary.status == "complete":  # merge --partial: some shards only
        summary.status = "partial"
    results = [r for r in report.get("results", []) if isinstance(r, dict)]
    names = list(dict.fromkeys(str(r.get("loss", "")) for r in results))  # a sweep repeats them
    summary.losses = ",".join(names)
    summary.seeds = str(report.get("seeds_label", ""))
    seconds = report.get("seconds")
    summary.seconds = seconds if _is_number(seconds) else None
    study = report.get("success_accuracy") is not None or summary.kind == "sweep"
    for loss in names:
        mine = [r for r in results if str(r.get("loss", "")) == loss]
        accuracies = [r["test_accuracy"] for r in mine if _is_number(r.get("test_accuracy"))]
        if summary.kind == "sweep":  # one mean per value: show the range
            text = f"mean {min(accuracies):.1%}-{max(accuracies):.1%}" if accuracies else ""
            summary.test_accuracy.append(text)
            summary.test_loss.append("")
            continue
        prefix = ("mean ", "median ") if study else ("", "")
        summary.test_accuracy.append(_formatted(mine[0].get("test_accuracy"), ".1%", prefix[0]))
        summary.test_loss.append(_formatted(mine[0].get("test_loss"), ".3g", prefix[1]))


def _kind_from_files(names: set[str]) -> str | None:
    for kind, name in (("run", "metrics.json"), ("compare", "comparison.json"), ("sweep", "sweep.json")):
        if name in names:
            return kind
    return None


# How each kind of file ends when it was written in full
_ENDINGS = {".html": b"</html>", ".png": b"IEND", ".md": b"\n", ".csv": b"\n"}


def _check_file(path: Path) -> None:
    """FileProblem if `path` is not what circles-hinge wrote there: JSON and the config are parsed;
    a CSV has its header's number of fields in its last row; model.keras is a whole zip file; a page,
    a picture, a table ends as one written in full. Big files are read at their two ends only."""
    if path.suffix == ".json":
        load_json(path)
        return
    if path.name == "config.yaml":
        try:
            read_yaml(path, option="")
        except ConfigError as exc:
            raise FileProblem(path, str(exc).removeprefix(f"{path} ").removeprefix(f"{path}: ")) from None
        return
    head, tail = read_ends(path)
    if not head:
        raise FileProblem(path, "is empty")
    ending = _ENDINGS.get(path.suffix)
    if ending is not None and ending not in tail[-64:]:
        raise FileProblem(path, "is cut short or damaged (it does not end as written)")
    if path.suffix == ".csv":
        header, last = head.split(b"\n", 1)[0], tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        try:
            fields = [len(next(csv.reader([line.decode("utf-8")]))) for line in (header, last)]
        except (UnicodeDecodeError, StopIteration, csv.Error):
            fields = [0, 1]
        if fields[0] != fields[1] or fields[0] < 2:
            raise FileProblem(path, "is cut short or damaged (its last row is not whole)")
    if path.suffix == ".keras":
        with io.BytesIO(tail) as end:
            if not zipfile.is_zipfile(end):
                raise FileProblem(path, "is cut short or damaged (not a whole Keras zip file)")


def _damage(path: Path, kind: str, names: set[str]) -> str:
    """What is wrong with a folder that says complete: each file it must hold that is missing, and each
    of its files that is not a regular file, unreadable, empty, or (JSON) not valid; '' when nothing."""
    wrong = []
    needed = FINISHED_FILES.get(kind, ())
    if kind == "compare" and (read_json(path / "comparison.json") or {}).get("success_accuracy") is not None:
        needed = (*needed, "seeds.csv")  # a seed study's one row per seed
    for name in (*needed, *(f for f in OTHER_FILES.get(kind, ()) if f in names)):
        try:
            if name not in names:
                raise FileProblem(path / name, "is missing", missing=True)
            _check_file(path / name)
        except FileProblem as exc:
            wrong.append(f"{name} {exc.why}")
    if kind == "compare" and not wrong:  # a side-by-side comparison's run folders, one per loss
        runs = (read_json(path / "comparison.json") or {}).get("files") or {}
        for run in (runs.get("runs") or {}).values() if isinstance(runs, dict) else ():
            try:
                inner = set(os.listdir(path / str(run)))
            except OSError as exc:
                wrong.append(f"{run}/ {'is missing' if exc.errno == errno.ENOENT else exc.strerror}")
                continue
            wrong += [f"{run}/{text}" for text in _damage(path / str(run), "run", inner).split("; ") if text]
    return "; ".join(wrong)


def _last_epoch(path: Path, kind: str, status: dict[str, Any]) -> str:
    """' after epoch N' for a run that died: the rows history.csv kept (it is written as epochs
    finish); for a comparison or sweep, the progress its status.json last recorded."""
    if kind == "run":
        try:
            rows = read_bytes(path / "history.csv").count(b"\n") - 1
        except FileProblem:
            rows = 0
        return f" after epoch {rows}" if rows > 0 else " before its first epoch ended"
    done = status.get("done")
    return f" after {done}" if isinstance(done, str) and done else ""


def _summarise(path: Path) -> RunSummary | None:
    try:
        names = set(os.listdir(path))
    except OSError as exc:  # a folder we may not read is listed, never skipped or fatal
        return RunSummary(path, "?", "unreadable", "", "", [], [], None, "", f"the folder: {exc.strerror}")
    problem = ""
    try:
        status = load_json(path / STATUS_FILE)
    except FileProblem as exc:
        kind = _kind_from_files(names)
        if exc.missing:
            if kind is None:
                return None  # not one of ours
            status = {"status": "unknown", "kind": kind}
        else:  # ours, but status.json is damaged: list it rather than hide it
            status, problem = {"status": "unreadable", "kind": kind or "?"}, f"{STATUS_FILE} {exc.why}"
    kind = str(status.get("kind", "run"))
    state = str(status.get("status", "unknown"))
    if state == "running":
        state = liveness(status)
        if state == "died":
            state += _last_epoch(path, kind, status)
    elif state == "complete":
        problem = _damage(path, kind, names)
        state = "damaged" if problem else state
    summary = RunSummary(path, kind, state, "", "", [], [], None, str(status.get("started", "")), problem)
    if kind == "run":
        _run_row(summary, path)
    elif kind in REPORT_FILES:
        _study_row(summary, path, status)
    return summary


def summarise_folder(path: Path) -> RunSummary | None:
    """One folder's row as `runs` shows it (its kind, status, losses, ...); None if it is not ours."""
    return _summarise(path)


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run, comparison and sweep folder directly under runs_dir, newest first. Never raises on
    a broken or foreign folder: it is listed with the status it has (`unreadable` when it or its
    status.json cannot be read, `damaged` when it says complete but lacks a file or holds a broken
    one, with `problem` saying what), or skipped if nothing in it is ours. RunDirError when runs_dir
    itself cannot be read."""
    try:
        children = sorted(os.scandir(runs_dir), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise RunDirError(f"--runs-dir {runs_dir} cannot be read: {exc.strerror}") from None
    found = []
    for child in children:
        try:
            folder = child.is_dir()
        except OSError:
            folder = True  # cannot even tell: _summarise lists it as unreadable
        if folder and not child.name.startswith("."):
            summary = _summarise(Path(child.path))
            if summary is not None:
                found.append(summary)
    found.sort(key=lambda s: (s.started, s.path.name), reverse=True)
    return found


def listing_json(found: list[RunSummary]) -> list[dict[str, Any]]:
    """`runs --json`: per folder what the table shows, plus its metrics.json or report JSON."""
    records = []
    for r in found:
        record = {
            "path": str(r.path),
            "name": r.path.name,
            "kind": r.kind,
            "status": r.status,
            "losses": [x for x in r.losses.split(",") if x],
            "seeds": r.seeds,
            "started": r.started,
            "seconds": r.seconds,
        }
        if r.problem:
            record["problem"] = r.problem
        for name in ("metrics.json", "comparison.json", "sweep.json"):
            data = read_json(r.path / name)
            if data is not None:
                record["metrics" if name == "metrics.json" else "report"] = data
        records.append(record)
    return records
