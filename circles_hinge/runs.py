"""The run folder: create it (never overwrite), write files atomically, keep `status.json`, read back, list.

A folder says `complete` only after every other file is in place; until then it says `running`, and a
stopped or crashed run says `interrupted` or `failed`. Files are written to a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from circles_hinge.errors import ConfigError, RunDirError

STATUS_FILE = "status.json"
REPORT_FILES = {"compare": "comparison.json", "sweep": "sweep.json"}
RUN_FILES = (
    "config.yaml",
    "metrics.json",
    "history.csv",
    "model.keras",
    "loss_curve.png",
    "decision_regions.png",
    "data.png",
    "margins.png",
    "hidden_layer.png",
)
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def check_name(name: str) -> str:
    """--name is one folder name: no separators, no '..', not absolute, nothing hidden."""
    if not _NAME.fullmatch(name) or name in (".", "..") or len(name) > 200:
        raise ConfigError(
            f"--name {name!r} must be a plain folder name (letters, digits, '.', '_', '+', '-'; "
            "no '/', no '..', not starting with '.'); use --runs-dir to choose where it goes"
        )
    return name


def prepare_runs_dir(runs_dir: Path) -> Path:
    """Create --runs-dir if needed and prove it is writable, before any training starts."""
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=runs_dir, prefix=".write-test-"):
            pass
    except FileExistsError:
        raise RunDirError(f"--runs-dir {runs_dir} cannot be created: a file is in the way") from None
    except NotADirectoryError:
        raise RunDirError(f"--runs-dir {runs_dir} cannot be created: part of that path is a file") from None
    except OSError as exc:
        raise RunDirError(f"--runs-dir {runs_dir} is not writable: {exc.strerror}") from None
    return runs_dir


def create_run_dir(runs_dir: Path, stem: str, exact: bool = False) -> Path:
    """Make a new, empty folder `<runs_dir>/<timestamp>-<stem>` (or exactly `stem` with --name).

    os.mkdir is atomic: of two processes asking for the same name, one gets it and the other moves on
    to `-2`, `-3`, ... An existing folder is never written into; with --name, that is an error.
    """
    prepare_runs_dir(runs_dir)
    base = stem if exact else f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{stem}"
    for attempt in range(1, 1000):
        path = runs_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            if exact:
                raise RunDirError(
                    f"{path} already exists and is never overwritten; choose another --name"
                ) from None
        except OSError as exc:
            raise RunDirError(f"cannot create {path}: {exc.strerror}") from None
    raise RunDirError(f"cannot find a free folder name for {base} in {runs_dir}")


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over: all or nothing."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, allow_nan=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buf.getvalue())


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None if it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class Status:
    """`status.json` of one folder: running, then complete, interrupted or failed."""

    path: Path
    kind: str
    started: str = ""

    def write(self, status: str, error: str | None = None, **progress: Any) -> None:
        """Write status.json; `progress` (e.g. stage="training", epoch=12) is shown while running."""
        record: dict[str, Any] = {
            "status": status,
            **progress,
            "kind": self.kind,
            "started": self.started or now(),
            "finished": None if status == "running" else now(),
            "command": sys.argv,
        }
        self.started = record["started"]
        if error:
            record["error"] = error
        write_json(self.path / STATUS_FILE, record)


def versions() -> dict[str, str]:
    """The library versions a result depends on, recorded in every run folder."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "numpy", "scikit-learn", "mlxtend", "matplotlib"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


@dataclass
class RunSummary:
    path: Path
    kind: str
    status: str
    losses: str
    seeds: str
    test_accuracy: float | None
    test_loss: float | None
    seconds: float | None
    started: str


def _summarise(path: Path) -> RunSummary | None:
    status = read_json(path / STATUS_FILE)
    if status is None:
        if not (path / "metrics.json").exists() and not (path / "comparison.json").exists():
            return None  # not one of ours
        status = {"status": "unknown", "kind": "run"}
    kind = status.get("kind", "run")
    summary = RunSummary(
        path, kind, str(status.get("status", "unknown")), "", "", None, None, None, status.get("started", "")
    )
    if kind == "run":
        metrics = read_json(path / "metrics.json") or {}
        summary.losses = str(metrics.get("loss", ""))
        summary.seeds = str(metrics.get("seed", ""))
        summary.test_accuracy = metrics.get("test_accuracy")
        summary.test_loss = metrics.get("test_loss")
        summary.seconds = metrics.get("train_seconds")
    else:
        report = read_json(path / REPORT_FILES.get(kind, f"{kind}.json")) or {}
        results = report.get("results", [])
        names = dict.fromkeys(str(r.get("loss", "")) for r in results)  # a sweep repeats them per value
        summary.losses = ",".join(names) or str(report.get("losses", ""))
        summary.seeds = str(report.get("seeds_label", ""))
        summary.seconds = report.get("seconds")
        accs = [r.get("test_accuracy") for r in results if isinstance(r.get("test_accuracy"), (int, float))]
        summary.test_accuracy = min(accs) if accs else None
    return summary


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run, comparison and sweep folder directly under runs_dir, newest first. Never raises on
    a broken or foreign folder: it is listed with the status it has, or skipped if it is not ours."""
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
