"""The run folder: create it (never overwrite), write files atomically, its lifecycle (`run_folder`, the
one every pipeline uses: claim, running, then complete, interrupted or failed), read back, list.

A folder says `complete` only after every other file is in place; until then it says `running`, and a
stopped or crashed run says `interrupted` or `failed`. Files are written to a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import errno
import io
import json
import os
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from circles_hinge.errors import ConfigError, Interrupted, RunDirError, RunFailed, TrainingDiverged
from circles_hinge.files import FileProblem, load_json

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
    "report.html",
)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _taken(path: Path) -> RunDirError:
    return RunDirError(f"{path} already exists and is never overwritten; choose another --name")


def check_name_free(runs_dir: Path, name: str) -> None:
    """Fail early, before any progress is shown, when --name's folder exists; create_run_dir still
    guards the race of two commands claiming the same name."""
    path = runs_dir / name
    if path.exists() or path.is_symlink():
        raise _taken(path)


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
    """Make a new folder `<runs_dir>/<timestamp>-<stem>` (or exactly `stem` with --name), holding only
    the reserve (see `make_reserve`).

    os.mkdir is atomic: of two processes asking for the same name, one gets it and the other moves on
    to `-2`, `-3`, ... An existing folder is never written into; with --name, that is an error.
    """
    prepare_runs_dir(runs_dir)
    base = stem if exact else f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{stem}"
    for attempt in range(1, 1000):
        path = runs_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
        except FileExistsError:
            if exact:
                raise _taken(path) from None
            continue
        except OSError as exc:
            raise RunDirError(f"cannot create {path}: {exc.strerror}") from None
        make_reserve(path)
        return path
    raise RunDirError(f"cannot find a free folder name for {base} in {runs_dir}")


# A folder keeps this much disk space in RESERVE_FILE while it is written, and gives it back just
# before its last status.json: so when the disk fills up, status.json and train.log can still say
# so. A traceback and status.json take a few KiB; 64 KiB leaves room for both on any file system.
RESERVE_FILE = ".reserve"
RESERVE_BYTES = 64 * 1024


def make_reserve(path: Path, new_folder: bool = True) -> None:
    """Claim RESERVE_BYTES in `path`; if even that does not fit, remove the new folder and say so."""
    try:
        with open(path / RESERVE_FILE, "wb") as fh:
            fh.write(b"\0" * RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        (path / RESERVE_FILE).unlink(missing_ok=True)
        if not new_folder:
            raise RunDirError(f"cannot resume in {path}: {exc.strerror}") from None
        path.rmdir()
        raise RunDirError(
            f"cannot start a run in {path.parent}: {RESERVE_BYTES // 1024} KiB for its status could not "
            f"be written ({exc.strerror}); no run folder was made"
        ) from None


def release_reserve(path: Path) -> None:
    (path / RESERVE_FILE).unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over: all or nothing."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None  # name the file we meant
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None  # not the temporary name
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


class CsvLog:
    """A CSV file written as it happens, as Keras' CSVLogger does: the header with the first row, then
    each row flushed at once (so SIGKILL loses no finished row) and fsynced at most once a second (a
    power cut loses at most that). The bytes are those `write_csv` writes for the same rows."""

    def __init__(self, path: Path):
        self.path, self.fh, self.writer, self.synced = path, None, None, 0.0
        self.whole = 0  # bytes up to the end of the last row written in full

    def append(self, row: dict[str, Any]) -> None:
        try:
            if self.fh is None:
                self.fh = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - kept open
                self.writer = csv.DictWriter(self.fh, fieldnames=list(row), lineterminator="\n")
                self.writer.writeheader()
            self.writer.writerow(row)
            self.fh.flush()
            self.whole = self.fh.tell()
            if time.monotonic() - self.synced > 1.0:
                os.fsync(self.fh.fileno())
                self.synced = time.monotonic()
        except OSError as exc:
            if self.fh is not None:  # a full disk may have taken part of the row: drop it
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fh.fileno(), self.whole)
            error = OSError(exc.errno, exc.strerror, str(self.path))
            error.appending = True  # the file is there, with the rows before: say "add to", not "write"
            raise error from None

    def close(self) -> None:
        if self.fh is not None:
            try:
                self.fh.close()
            except OSError:  # a full disk: the rows already flushed are what is kept
                with contextlib.suppress(OSError):
                    os.truncate(self.path, self.whole)
            self.fh = None

    def __enter__(self) -> CsvLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None if it is missing, unreadable or not an object (a FIFO or a
    device in its place is not opened: `files.load_json` says why, for a caller that needs to)."""
    try:
        return load_json(path)
    except FileProblem:
        return None


# ---------------------------------------------------------------------------------------------------
# Which process a folder belongs to, so a folder whose process died is not listed as running


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks after boot) of a live process, from /proc/<pid>/stat; None
    when there is no such process. The fields follow the name in parentheses, which may hold spaces."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_identity() -> dict[str, Any]:
    """This process as status.json records it: pid, host, and the pid's start time and the boot it
    belongs to, so a pid reused by another process (or after a reboot) is not mistaken for ours."""
    stat = _proc_stat(os.getpid())
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "pid_start": stat[1] if stat else None,
        "boot_id": _boot_id() or None,
    }


def liveness(status: dict[str, Any]) -> str:
    """For a folder that says running: `running` if its process is alive, `died` if it is gone (or
    the pid now belongs to another process), `running? (on HOST)` when it ran elsewhere; folders
    written before processes were recorded stay `running`."""
    pid, host = status.get("pid"), status.get("host")
    if not isinstance(pid, int) or not isinstance(host, str):
        return "running"
    if host != socket.gethostname():
        return f"running? (on {host})"
    if status.get("boot_id") and status.get("boot_id") != _boot_id():
        return "died"
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X") or (status.get("pid_start") not in (None, stat[1])):
        return "died"
    return "running"


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
            "command": command_line(),
            **process_identity(),
        }
        self.started = record["started"]
        if error:
            record["error"] = error
        if status != "running":
            release_reserve(self.path)  # the last write: its space is what lets it fit on a full disk
        write_json(self.path / STATUS_FILE, record)


# ---------------------------------------------------------------------------------------------------
# The lifecycle of a folder, the same for a run, a comparison and a sweep


def failure_message(exc: BaseException) -> str:
    """One line for an unexpected error; a full or read-only disk names the file it could not write."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG):
        what = Path(exc.filename).name if exc.filename else "a file"
        if getattr(exc, "appending", False):
            verb = "add to"
        else:  # status.json rewritten while running is there, as it was: say so
            verb = "update" if exc.filename and Path(exc.filename).exists() else "write"
        return f"could not {verb} {what}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class RunFolder:
    """A folder while a pipeline writes it: its status.json, the stage it is at (`where`: kept in every
    status.json from here on, also the one that says how it ended) and, for a run, what to keep of
    its partial results if it stops (`on_stop`)."""

    path: Path
    status: Status
    where: dict[str, Any] = field(default_factory=dict)
    on_stop: Callable[[], None] | None = None

    def running(self, **progress: Any) -> None:
        """status.json says running, with `progress` (e.g. epoch=12) and the stage."""
        self.status.write("running", **progress, **self.where)

    def complete(self) -> None:
        self.status.write("complete")  # last: only now is every file in place

    def during(self) -> str:
        if self.where.get("stage") != "restarts":
            return ""
        return (
            f" during the restarts; the first initialisation had finished at "
            f"{self.where['first_accuracy']:.1%} accuracy; history.csv holds its epochs"
        )

    def written(self) -> str:
        """'; while writing the run folder: history.csv, model.keras written; metrics.json, ... not'."""
        if self.where.get("stage") != "writing":
            return ""
        files = [f for f in RUN_FILES if f != "config.yaml"]
        done = [f for f in files if (self.path / f).exists()]
        missing = [f for f in files if f not in done]
        return (
            f"; while writing the run folder: {', '.join(done) or 'nothing'} written, "
            f"{', '.join(missing) or 'nothing'} not"
        )

    def record(self, outcome: str, error: str, log: str | None = None) -> tuple[str | None, str | None]:
        """`_write_record` with Ctrl-C and SIGTERM held off: a second Ctrl-C while the outcome is
        written would leave status.json saying running. They are ignored for the few milliseconds it
        takes."""
        held = []
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                held.append((sig, signal.signal(sig, signal.SIG_IGN)))
        except ValueError:  # not the main thread: signals go to the main thread anyway
            pass
        try:
            return self._write_record(outcome, error, log)
        finally:
            for sig, handler in held:
                signal.signal(sig, handler)

    def _write_record(self, outcome: str, error: str, log: str | None) -> tuple[str | None, str | None]:
        """Leave what we can (traceback, status, partial results) without raising: the disk may be
        full, so the folder's reserve is given back first. Returns why train.log and status.json could
        not be written (None: written)."""
        release_reserve(self.path)
        errors: list[str | None] = []
        for write in (
            (lambda: write_atomic(self.path / "train.log", log)) if log else None,
            lambda: self.status.write(outcome, error=error, **self.where),
        ):
            try:
                if write is not None:
                    write()
                errors.append(None)
            except OSError as exc:
                errors.append(exc.strerror or str(exc))
            except Exception as exc:  # noqa: BLE001 - reporting the original error matters more
                errors.append(str(exc))
        if self.on_stop is not None and self.where.get("stage") != "writing":
            try:
                self.on_stop()
            except Exception:  # noqa: BLE001 - what was written as it happened stays
                pass
        return errors[0], errors[1]


@contextlib.contextmanager
def run_folder(path: Path, kind: str, started: str = "") -> Iterator[RunFolder]:
    """The lifecycle of a folder `create_run_dir` made: status.json says running, then complete (the
    caller's `folder.complete()`, last), or interrupted or failed, recorded with every write guarded
    against a full disk. Raises Interrupted or RunFailed (or the project's own error) with the folder.
    `started`: when a resumed folder first started."""
    folder = RunFolder(path, Status(path, kind, started))
    try:
        folder.running()
        yield folder
    except (KeyboardInterrupt, Interrupted) as exc:
        signal_name = getattr(exc, "signal_name", "SIGINT")  # SIGTERM's KeyboardInterrupt says so (cli.py)
        detail = folder.written()
        folder.record("interrupted", f"stopped by {signal_name}{folder.during()}{detail}")
        raise Interrupted(path, signal_name, detail.removeprefix("; ")) from None
    except (TrainingDiverged, RunFailed, ConfigError) as exc:
        folder.record("failed", str(exc))
        if exc.path is None:
            exc.path = path  # the folder the failure left (CirclesHingeError.path)
        raise
    except Exception as exc:
        message = failure_message(exc)
        log_error, status_error = folder.record("failed", message, traceback.format_exc())
        raise RunFailed(path, message, log_error, status_error) from exc


# The Python API's call while it runs (`recording_call`): status.json records it instead of the
# interpreter's own argv, which says only ["-c"] or the notebook kernel's arguments.
_CALL: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("circles_hinge_call", default=None)


@contextlib.contextmanager
def recording_call(words: list[str]) -> Iterator[None]:
    """status.json's `command` is `words` (e.g. ["circles_hinge.train", "loss='hinge'"]) inside."""
    token = _CALL.set(list(words))
    try:
        yield
    finally:
        _CALL.reset(token)


def command_line() -> list[str]:
    """The command as typed: `python -m circles_hinge train ...` (sys.orig_argv) when run as a module,
    where sys.argv[0] would be the path of __main__.py; else sys.argv (the console script); inside
    an API call, the call and its arguments (`recording_call`)."""
    call = _CALL.get()
    if call is not None:
        return list(call)
    if sys.argv and Path(sys.argv[0]).name == "__main__.py":
        return list(getattr(sys, "orig_argv", sys.argv))
    return list(sys.argv)


def new_file_path(out: Path, option: str, default_name: str, formats: tuple[str, ...]) -> Path:
    """Where a command writes one new file (`plot-losses --out`): a file with one of `formats`' suffixes,
    or a folder to put `default_name` in; its folder is made. An existing file is never overwritten."""
    if str(out) in ("", "."):
        raise ConfigError(f"{option} is empty; give a file such as outputs/{default_name} or a folder")
    if out.is_dir() or str(out).endswith(("/", os.sep)):
        out = out / default_name
    if out.suffix.lstrip(".").lower() not in formats:
        allowed = ", ".join(f".{f}" for f in formats)
        suffix = out.suffix or "no suffix"
        raise ConfigError(f"{option} {out}: {suffix} is not a format we write; use {allowed}")
    if out.exists():
        raise RunDirError(f"{option} {out} already exists and is never overwritten; choose another path")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"{option} {out}: cannot create its folder ({exc.strerror})") from None
    return out
