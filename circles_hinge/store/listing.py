"""Listing a folder of runs: one summary per run, comparison and sweep folder (its kind, status, losses,
seeds, accuracies, time), newest first, for `runs`, `runs --json` and index.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circles_hinge.store.folders import REPORT_FILES, STATUS_FILE, liveness, read_json


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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _formatted(value: Any, spec: str, prefix: str = "") -> str:
    return f"{prefix}{value:{spec}}" if _is_number(value) else ""


def _read_config(path: Path) -> dict[str, Any]:
    """config.yaml, for a folder that stopped before its results were written; {} if unreadable."""
    import yaml

    try:
        data = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
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


def _kind_from_files(path: Path) -> str | None:
    for kind, name in (("run", "metrics.json"), ("compare", "comparison.json"), ("sweep", "sweep.json")):
        if (path / name).exists():
            return kind
    return None


def _last_epoch(path: Path, kind: str, status: dict[str, Any]) -> str:
    """' after epoch N' for a run that died: the rows history.csv kept (it is written as epochs
    finish); for a comparison or sweep, the progress its status.json last recorded."""
    if kind == "run":
        try:
            with open(path / "history.csv", "rb") as fh:
                rows = sum(1 for line in fh if line.endswith(b"\n")) - 1
        except OSError:
            rows = 0
        return f" after epoch {rows}" if rows > 0 else " before its first epoch ended"
    done = status.get("done")
    return f" after {done}" if isinstance(done, str) and done else ""


def _summarise(path: Path) -> RunSummary | None:
    status_path = path / STATUS_FILE
    status = read_json(status_path)
    if status is None:
        kind = _kind_from_files(path)
        if not status_path.exists():
            if kind is None:
                return None  # not one of ours
            status = {"status": "unknown", "kind": kind}
        else:  # ours, but status.json is damaged: list it rather than hide it
            status = {"status": "unreadable", "kind": kind or "?"}
    kind = str(status.get("kind", "run"))
    state = str(status.get("status", "unknown"))
    if state == "running":
        state = liveness(status)
        if state == "died":
            state += _last_epoch(path, kind, status)
    summary = RunSummary(path, kind, state, "", "", [], [], None, str(status.get("started", "")))
    if kind == "run":
        _run_row(summary, path)
    elif kind in REPORT_FILES:
        _study_row(summary, path, status)
    return summary


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run, comparison and sweep folder directly under runs_dir, newest first. Never raises on
    a broken or foreign folder: it is listed with the status it has (`unreadable` when status.json
    cannot be read), or skipped if nothing in it is ours."""
    if not runs_dir.is_dir():
        return []
    found = []
    for child in runs_dir.iterdir():
        if child.is_dir() and not child.name.startswith("."):
            summary = _summarise(child)
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
        for name in ("metrics.json", "comparison.json", "sweep.json"):
            data = read_json(r.path / name)
            if data is not None:
                record["metrics" if name == "metrics.json" else "report"] = data
        records.append(record)
    return records
