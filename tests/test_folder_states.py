"""Every state a folder can be found in, against every command that reads folders: each file of a run,
comparison, seed study, sweep and shard folder missing, empty, truncated, garbage, a folder in its
place, a FIFO, a dangling link or unreadable; the folder itself unreadable or read-only; a live, dead,
foreign-host, interrupted and finished status. Each command answers with one line or an honest row,
the right exit code and no traceback, and leaves every file the user had as it was.

The folders are made once from configs/tiny.yaml and copied per state. Root reads anything, so the
unreadable and read-only states drop the capabilities that let root past file permissions
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) for the command's thread, and give them back after; where
that cannot be done they are skipped, with the reason.
"""

import ctypes
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from conftest import TINY
from typer.testing import CliRunner

import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.errors import ConfigError
from circles_hinge.store.folders import process_identity, read_json

runner = CliRunner()

# ---------------------------------------------------------------------------------------------------
# Acting as a user that file permissions apply to


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


_CAP_V3 = 0x20080522
_DAC = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


def _capabilities(set_to: int | None = None) -> int:
    """The effective capabilities of this thread (the low 32), after setting them to `set_to`."""
    libc = ctypes.CDLL(None, use_errno=True)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(_CapHeader(_CAP_V3, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    if set_to is not None:
        data[0].effective = set_to
        if libc.capset(ctypes.byref(_CapHeader(_CAP_V3, 0)), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
    return data[0].effective


def _why_permissions_cannot_apply() -> str | None:
    if os.geteuid() != 0:
        return None  # file permissions apply as they are
    if not sys.platform.startswith("linux"):
        return "root reads any file here, and capabilities are Linux's"
    try:
        saved = _capabilities()
        _capabilities(saved & ~_DAC)
        _capabilities(saved)
    except OSError as exc:
        return f"root reads any file, and its capabilities cannot be dropped here ({exc})"
    return None


PERMISSIONS_SKIP = _why_permissions_cannot_apply()


@contextmanager
def as_a_user():
    """File permissions apply inside (root's DAC capabilities off for this thread)."""
    if os.geteuid() != 0:
        yield
        return
    saved = _capabilities()
    _capabilities(saved & ~_DAC)
    try:
        yield
    finally:
        _capabilities(saved)


# ---------------------------------------------------------------------------------------------------
# The folders, made once


@pytest.fixture(scope="session")
def made(tmp_path_factory):
    """A run, a side-by-side comparison, a seed study, a sweep and the two shards of a sweep, made by the
    real commands from the tiny config."""
    root = tmp_path_factory.mktemp("made")
    tiny = ["--config", str(TINY), "--runs-dir", str(root), "--quiet"]
    grid = ["--param", "data.noise", "--values", "0,0.1", "--seeds", "2", "--workers", "1"]
    for args in (
        ["train", *tiny, "--name", "run"],
        ["compare", *tiny, "--name", "compare"],
        ["compare", *tiny, "--seeds", "2", "--name", "study"],
        ["sweep", *tiny, *grid, "--name", "sweep"],
        ["sweep", *tiny, *grid, "--shard", "1/2", "--name", "shard1"],
        ["sweep", *tiny, *grid, "--shard", "2/2", "--name", "shard2"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    return root


FILES = {
    "run": ["status.json", "config.yaml", "metrics.json", "history.csv", "model.keras", "report.html"],
    "compare": ["status.json", "comparison.json", "config.yaml", "report.html", "hinge/metrics.json"],
    "study": ["status.json", "comparison.json", "seeds.csv", "config.yaml", "report.html"],
    "sweep": ["status.json", "sweep.json", "sweep.csv", "seeds.csv", "config.yaml", "report.html"],
    "shard": ["status.json", "sweep.json", "seeds.csv", "sweep.csv", "config.yaml"],
}
DAMAGES = ["missing", "empty", "truncated", "garbage", "a folder", "a FIFO", "a dangling link", "unreadable"]
FOLDER_STATES = ["finished", "interrupted", "live", "dead", "on another host", "unreadable", "read-only"]
NEEDS_PERMISSIONS = {"unreadable", "read-only"}


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how != "unreadable":
        path.unlink()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"\x89garbage\x00\xff not what was written\n")
    elif how == "a folder":
        path.mkdir()
        (path / "inside").write_text("a file in a folder where a file should be\n")
    elif how == "a FIFO":
        os.mkfifo(path)
    elif how == "a dangling link":
        path.symlink_to(path.parent / f"nowhere-{path.name}")
    elif how == "unreadable":
        path.chmod(0)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _set_status(folder: Path, **changes) -> None:
    status = json.loads((folder / "status.json").read_text())
    status.update(changes)
    (folder / "status.json").write_text(json.dumps(status))


def _folder_state(folder: Path, how: str) -> None:
    if how == "interrupted":
        _set_status(folder, status="interrupted", finished="x", error="stopped by SIGINT")
    elif how == "live":
        _set_status(folder, status="running", finished=None, **process_identity())
    elif how == "dead":
        _set_status(folder, status="running", finished=None, pid=_dead_pid(), pid_start=None)
    elif how == "on another host":
        _set_status(folder, status="running", finished=None, host="elsewhere.example")
    elif how == "unreadable":
        folder.chmod(0)
    elif how == "read-only":
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)


def _states():
    for kind, files in FILES.items():
        for name in files:
            for how in DAMAGES:
                yield kind, name, how
        for how in FOLDER_STATES:
            yield kind, None, how


def _snapshot(root: Path) -> dict[str, object]:
    """Every entry under root: its bytes, or what it is (a folder, a FIFO, a link to ...)."""
    seen = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        key = str(path.relative_to(root))
        if stat.S_ISLNK(mode):
            seen[key] = f"link to {os.readlink(path)}"
        elif stat.S_ISREG(mode):
            seen[key] = path.read_bytes()
        else:
            seen[key] = stat.S_IFMT(mode)
    return seen


def _restore_permissions(root: Path) -> None:
    root.chmod(0o755)
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


# ---------------------------------------------------------------------------------------------------
# What each command must do


def _honest_status(kind: str, name: str | None, how: str) -> set[str] | None:
    """The statuses `runs` may show for this state (None: the folder is not listed, nothing of ours)."""
    if name is None:
        return {
            "finished": {"complete"},
            "interrupted": {"interrupted"},
            "live": {"running"},
            "dead": {"died"},
            "on another host": {"running? (on elsewhere.example)"},
            "unreadable": {"unreadable"},
            "read-only": {"complete"},
        }[how]
    if name == "status.json":
        return {"unknown"} if how == "missing" else {"unreadable"}
    if name == "report.html" and how == "missing":
        return {"complete"}  # a folder made before report.html existed; `report` writes it
    return {"damaged"}


def _check_cli(result, allowed_codes: set[int]) -> str | None:
    """What is wrong with a command's answer: a traceback, an exit code it should not have, more or
    less than one error line."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in result.output:
        return "printed a traceback"
    if result.exit_code not in allowed_codes:
        return f"exit code {result.exit_code}, expected one of {sorted(allowed_codes)}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if result.exit_code != 0 and len(errors) != 1:
        return f"{len(errors)} error lines on stderr for exit code {result.exit_code}"
    if result.exit_code == 0 and errors:
        return "an error line with exit code 0"
    return None


def _run_commands(kind: str, runs_dir: Path, folder: Path, others: list[Path], expected: set[str] | None):
    """Each command that reads folders on this state: (command, what is wrong or None)."""
    results = []
    listed = runner.invoke(app, ["runs", "--runs-dir", str(runs_dir)])
    problem = _check_cli(listed, {0})
    if problem is None and expected is not None:
        rows = [line for line in listed.stdout.splitlines() if f" {folder.name} " in line]
        if not rows:
            problem = f"{folder.name} is not listed"
        elif not any(status in rows[0] for status in expected):
            problem = f"its row says {rows[0]!r}, expected one of {sorted(expected)}"
    results.append(("runs", problem))

    as_json = runner.invoke(app, ["runs", "--json", "--runs-dir", str(runs_dir)])
    problem = _check_cli(as_json, {0})
    if problem is None:
        records = {r["name"]: r for r in json.loads(as_json.stdout)}
        said = records.get(folder.name, {}).get("status", "")
        if expected is not None and not any(said.startswith(status) for status in expected):
            problem = f"runs --json says {said!r}, expected one of {sorted(expected)}"
    results.append(("runs --json", problem))

    try:  # before `report`, which rewrites a damaged report.html
        run = ch.load_run(folder)
        if kind != "run":
            problem = f"ch.load_run read a {kind} folder as a run"
        elif expected is not None and not any(run.status.startswith(status) for status in expected):
            problem = f"ch.load_run says {run.status!r}, expected one of {sorted(expected)}"
        else:
            problem = None
    except ConfigError as exc:
        problem = None if "\n" not in str(exc) else "a ConfigError of more than one line"
    except Exception as exc:  # noqa: BLE001 - the point: any other exception is a failure
        problem = f"ch.load_run raised {type(exc).__name__}: {exc}"
    results.append(("ch.load_run", problem))

    for command, args, codes in (
        ("report FOLDER", ["report", str(folder)], {0, 1}),
        ("report", ["report", "--runs-dir", str(runs_dir)], {0}),
        ("merge", ["merge", str(folder), *map(str, others), "--runs-dir", str(runs_dir)], {0, 2}),
        ("sweep --resume", ["sweep", "--resume", str(folder), "--workers", "1", "--quiet"], {0, 2}),
    ):
        result = runner.invoke(app, args)
        problem = _check_cli(result, codes)
        if problem is None and result.exit_code == 0 and command.startswith("report"):
            written = Path(result.stdout.strip().splitlines()[-1])
            if not written.is_file():
                problem = f"said it wrote {written}, which is not a file"
        results.append((command, problem))

    return results


def _changed(before: dict, after: dict, resumed: bool) -> list[str]:
    """Entries the user had that a command changed or removed (report.html and index.html are rewritten
    by design; a resumed sweep finishes its folder)."""
    lost = []
    for key, value in before.items():
        if Path(key).name in ("report.html", "index.html") or resumed:
            continue
        if after.get(key) != value:
            lost.append(key if key in after else f"{key} (removed)")
    return lost


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and permissions are POSIX")
def test_every_folder_state_against_every_command_that_reads_folders(made, tmp_path, capsys):
    failures, skipped, pairs = [], set(), 0
    for kind, name, how in _states():
        if how in NEEDS_PERMISSIONS and PERMISSIONS_SKIP:
            skipped.add(PERMISSIONS_SKIP)
            continue
        label = f"{kind}: {name or 'the folder'} {how}"
        runs_dir = tmp_path / f"{kind}-{(name or 'folder').replace('/', '-')}-{how.replace(' ', '-')}"
        runs_dir.mkdir()
        source = {"study": "study", "shard": "shard1"}.get(kind, kind)
        folder = runs_dir / source
        shutil.copytree(made / source, folder, symlinks=True)
        others = []
        if kind == "shard":
            others = [runs_dir / "shard2"]
            shutil.copytree(made / "shard2", others[0], symlinks=True)
        if name is None:
            _folder_state(folder, how)
        else:
            _damage(folder / name, how)
        expected = _honest_status(kind, name, how)
        before = _snapshot(runs_dir)
        with as_a_user() if how in NEEDS_PERMISSIONS else nullcontext():
            results = _run_commands(kind, runs_dir, folder, others, expected)
        pairs += len(results)
        resumed = ("sweep --resume", None) in results and _complete(folder)
        failures += [
            f"{label}: {key} was changed or lost" for key in _changed(before, _snapshot(runs_dir), resumed)
        ]
        failures += [f"{label}: {command}: {problem}" for command, problem in results if problem]
        _restore_permissions(runs_dir)
        shutil.rmtree(runs_dir)
    with capsys.disabled():
        print(f"\n{pairs} (state, command) pairs", *(f"skipped: {s}" for s in skipped), sep="\n")
    assert pairs >= 200
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} in all)"


def _complete(folder: Path) -> bool:
    return (read_json(folder / "status.json") or {}).get("status") == "complete"  # never opens a FIFO


def test_permissions_apply_inside_as_a_user(tmp_path):
    """The unreadable and read-only states are real: inside as_a_user, a mode-0 file cannot be read."""
    if PERMISSIONS_SKIP:
        pytest.skip(PERMISSIONS_SKIP)
    secret = tmp_path / "secret"
    secret.write_text("x")
    secret.chmod(0)
    with as_a_user(), pytest.raises(PermissionError):
        secret.read_text()
    assert secret.read_text() == "x"  # root again
    assert socket.gethostname() != "elsewhere.example"
