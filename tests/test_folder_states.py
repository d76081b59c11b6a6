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

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import warnings
from contextlib import nullcontext
from pathlib import Path

import pytest
from conftest import PERMISSIONS_SKIP, TINY, as_a_user
from typer.testing import CliRunner

import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.errors import ConfigError
from circles_hinge.store.folders import process_identity, read_json

runner = CliRunner()

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


# ---------------------------------------------------------------------------------------------------
# The cases of #23, each as it was found


def _copy(made: Path, name: str, runs_dir: Path) -> Path:
    runs_dir.mkdir(exist_ok=True)
    return Path(shutil.copytree(made / name, runs_dir / name, symlinks=True))


@pytest.mark.skipif(bool(PERMISSIONS_SKIP), reason=PERMISSIONS_SKIP or "")
def test_an_unreadable_folder_is_listed_and_train_still_writes_the_index(made, tmp_path):
    """Case 2: with a folder the user cannot read in the runs dir, `runs` ended in a traceback and a
    `train` there exited 0 without index.html and without a word."""
    runs_dir = tmp_path / "runs"
    _copy(made, "run", runs_dir)
    locked = _copy(made, "study", runs_dir)
    locked.chmod(0)
    try:
        with as_a_user():
            listed = runner.invoke(app, ["runs", "--runs-dir", str(runs_dir)])
            trained = runner.invoke(app, ["train", "--config", str(TINY), "--runs-dir", str(runs_dir), "-q"])
            index = (runs_dir / "index.html").read_text()
            (runs_dir / "index.html").unlink()
            with warnings.catch_warnings():
                warnings.simplefilter("error", UserWarning)  # a failed index write is a UserWarning
                ch.train(config=TINY, runs_dir=runs_dir, name="from-the-api")
            api_index = (runs_dir / "index.html").read_text()
    finally:
        locked.chmod(0o755)
    assert listed.exit_code == 0 and listed.exception is None, listed.output
    row = next(line for line in listed.stdout.splitlines() if " study " in line)
    assert "unreadable (the folder: Permission denied)" in row
    assert trained.exit_code == 0 and trained.exception is None, trained.output
    assert "study" in index and "unreadable" in index and "warning" not in trained.stderr
    assert "from-the-api" in api_index and "unreadable" in api_index


@pytest.mark.skipif(bool(PERMISSIONS_SKIP), reason=PERMISSIONS_SKIP or "")
def test_unreadable_or_read_only_runs_dirs_and_folders_are_one_line(made, tmp_path):
    """Case 3: tracebacks from `runs` and `report` on an unreadable runs dir, and from `report` on a
    read-only folder or runs dir."""
    runs_dir = tmp_path / "runs"
    run = _copy(made, "run", runs_dir)
    assert runner.invoke(app, ["report", "--runs-dir", str(runs_dir)]).exit_code == 0  # an index.html
    cases = []
    for mode, args, needle in [
        (
            0,
            ["runs", "--runs-dir", str(runs_dir)],
            f"--runs-dir {runs_dir} cannot be read: Permission denied",
        ),
        (
            0,
            ["report", "--runs-dir", str(runs_dir)],
            f"error: {runs_dir} cannot be read: Permission denied",
        ),
        (0o555, ["report", "--runs-dir", str(runs_dir)], f"{runs_dir}/index.html could not be written"),
        (0o555, ["report", str(run)], None),  # the run's own folder is writable: its report is written
    ]:
        runs_dir.chmod(mode)
        try:
            with as_a_user():
                cases.append((runner.invoke(app, args), needle))
        finally:
            runs_dir.chmod(0o755)
    run.chmod(0o555)
    try:
        with as_a_user():
            cases.append(
                (runner.invoke(app, ["report", str(run)]), f"{run}/report.html could not be written")
            )
    finally:
        run.chmod(0o755)
    for result, needle in cases:
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        if needle is None:
            assert result.exit_code == 0, result.output
            assert "warning: " in result.stderr and "index.html could not be written" in result.stderr
            continue
        assert result.exit_code == 1 and result.stderr == f"error: {result.stderr[7:].strip()}\n"
        assert needle in result.stderr


def test_merge_of_a_shard_without_seeds_csv_is_one_line(made, tmp_path):
    """Case 3: `merge` with a shard that lacks seeds.csv ended in a traceback."""
    shard1, shard2 = _copy(made, "shard1", tmp_path), _copy(made, "shard2", tmp_path)
    (shard1 / "seeds.csv").unlink()
    result = runner.invoke(app, ["merge", str(shard1), str(shard2), "--runs-dir", str(tmp_path / "out")])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        result.stderr
        == f"error: merge: {shard1}: seeds.csv is missing (or merge --partial to merge the finished shards)\n"
    )
    assert not (tmp_path / "out").exists()


def test_what_report_and_runs_say_matches_the_folder(made, tmp_path):
    """Case 4: `report` on a killed run said "its status is running" and that it had no history.csv,
    though history.csv held its epochs; a truncated metrics.json or sweep.json was called missing;
    `runs` listed a run with a corrupt metrics.json as complete."""
    killed = _copy(made, "run", tmp_path)
    (killed / "metrics.json").unlink()
    status = json.loads((killed / "status.json").read_text())
    status.update(status="running", finished=None, pid=_dead_pid(), pid_start=None)
    (killed / "status.json").write_text(json.dumps(status))
    result = runner.invoke(app, ["report", str(killed)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {killed} has no report to write: metrics.json is missing (its status: died after epoch 2); "
        "only a finished run has a report\n"
    )

    cut = _copy(made, "sweep", tmp_path / "cut")
    text = (cut / "sweep.json").read_text()
    (cut / "sweep.json").write_text(text[: len(text) // 2])
    result = runner.invoke(app, ["report", str(cut)])
    assert result.exit_code == 1 and "sweep.json is cut short after" in result.stderr
    assert "(truncated JSON) (its status: damaged)" in result.stderr and "missing" not in result.stderr

    corrupt = _copy(made, "run", tmp_path / "corrupt")
    (corrupt / "metrics.json").write_text('{"loss": "hinge", "test_accuracy": 1.0,,}')
    listed = runner.invoke(app, ["runs", "--json", "--runs-dir", str(tmp_path / "corrupt")])
    (record,) = json.loads(listed.stdout)
    assert record["status"] == "damaged"
    assert record["problem"] == "metrics.json is not valid JSON at line 1, column 40 (damaged)"
    with pytest.raises(ConfigError, match="metrics.json is not valid JSON at line 1, column 40"):
        ch.load_run(corrupt)


@pytest.mark.parametrize("how", ["a FIFO", "a folder", "unreadable"])
def test_no_command_opens_a_fifo_or_waits_on_one(made, tmp_path, how):
    """Case 5's sibling in folders: a FIFO where a file should be blocked `runs` for ever."""
    if how == "unreadable" and PERMISSIONS_SKIP:
        pytest.skip(PERMISSIONS_SKIP)
    run = _copy(made, "run", tmp_path)
    _damage(run / "metrics.json", how)
    with as_a_user() if how == "unreadable" else nullcontext():
        listed = runner.invoke(app, ["runs", "--json", "--runs-dir", str(tmp_path)])
    (record,) = json.loads(listed.stdout)
    said = {
        "a FIFO": "metrics.json is a named pipe (FIFO), not a regular file",
        "a folder": "metrics.json is a folder, not a file",
        "unreadable": "metrics.json cannot be read: Permission denied",
    }[how]
    assert (record["status"], record["problem"]) == ("damaged", said)


def test_every_cut_of_a_written_json_file_reads_as_cut_short(made, tmp_path):
    """A write that stops at any byte says "cut short", not "damaged at line 220": cutting the sweep's
    real sweep.json at its half once landed inside a string and read as damaged. A byte changed in the
    middle still reads as damaged."""
    from circles_hinge.files import FileProblem, load_json

    text = (made / "sweep" / "sweep.json").read_text()
    path = tmp_path / "sweep.json"
    said = {}
    for n in range(1, len(text) - 1):
        path.write_text(text[:n])
        with pytest.raises(FileProblem) as problem:
            load_json(path)
        said.setdefault(problem.value.why.split(" after ")[0], n)
    assert list(said) == ["is cut short"], said

    middle = text.index(",", len(text) // 2)
    end = text.rstrip().rindex("}")
    for damaged in (text[:middle] + "}" + text[middle + 1 :], text[:end] + ",,}", text[:end] + "]"):
        path.write_text(damaged)
        with pytest.raises(FileProblem, match=r"is not valid JSON at line \d+, column \d+ \(damaged\)"):
            load_json(path)
