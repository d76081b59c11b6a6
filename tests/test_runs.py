"""The run folder: never overwrite, atomic writes, status and listing."""

import json
import os
import subprocess
import sys
import threading
import zipfile

import pytest
from conftest import ROOT, TINY

from circles_hinge.errors import ConfigError, RunDirError
from circles_hinge.store.folders import (
    REPORT_FILES,
    Status,
    check_name_free,
    create_run_dir,
    prepare_runs_dir,
    write_atomic,
    write_json,
)
from circles_hinge.store.listing import FINISHED_FILES, list_runs
from circles_hinge.store.names import check_name

RULE = (
    "use letters and digits (any alphabet), '.', '_', '+' and '-', starting with a letter or digit, "
    "at most 200 characters"
)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../x", f"--name '../x' must be a plain folder name: '/' is not allowed; {RULE}; use --runs-dir"),
        ("/abs", "--name '/abs' must be a plain folder name: '/' is not allowed"),
        ("a\\b", "--name 'a\\\\b' must be a plain folder name: '\\\\' is not allowed"),
        ("a b?", "--name 'a b?' must be a plain folder name: ' ' '?' are not allowed; " + RULE),
        ("..", "--name '..' must start with a letter or digit, not '.'"),
        (".", "--name '.' must start with a letter or digit, not '.'"),
        (".hidden", "--name '.hidden' must start with a letter or digit, not '.'"),
        ("-x", "--name '-x' must start with a letter or digit, not '-' (a leading '-' reads as an option"),
        ("", "--name is empty; give a plain folder name (letters and digits"),
        ("x" * 201, "--name is 201 characters long; a plain folder name has at most 200"),
        ("x" * 300, "--name is 300 characters long; a plain folder name has at most 200"),
        ("ж" * 130, "--name is 260 bytes long in UTF-8; a folder name can have at most 255"),
    ],
)
def test_bad_names_are_rejected_with_the_rule_they_break(name, message):
    with pytest.raises(ConfigError) as err:
        check_name(name)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["my-run_1.v2", "héllo", "实验-1", "x" * 200, "1+1"])
def test_plain_names_are_accepted_in_any_alphabet(name, tmp_path):
    assert check_name(name) == name
    assert create_run_dir(tmp_path, name, exact=True).name == name


def test_a_name_typed_decomposed_is_the_same_folder():
    assert check_name("he\u0301llo") == "h\u00e9llo"


def test_a_taken_name_fails_before_anything_starts(tmp_path):
    check_name_free(tmp_path, "mine")
    (tmp_path / "mine").mkdir()
    with pytest.raises(
        RunDirError, match="mine already exists and is never overwritten; choose another --name"
    ):
        check_name_free(tmp_path, "mine")


def test_an_existing_named_folder_is_never_written_into(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("precious")
    with pytest.raises(RunDirError, match="never overwritten"):
        create_run_dir(tmp_path, "mine", exact=True)
    assert (tmp_path / "mine" / "keep.txt").read_text() == "precious"
    assert os.listdir(tmp_path / "mine") == ["keep.txt"]


def test_same_generated_name_gets_a_new_folder(tmp_path):
    paths = {create_run_dir(tmp_path, "hinge-s42") for _ in range(5)}
    assert len(paths) == 5


def test_concurrent_creation_never_shares_a_folder(tmp_path):
    results, barrier = [], threading.Barrier(8)

    def make():
        barrier.wait()
        results.append(create_run_dir(tmp_path, "hinge-s42"))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 8


def test_runs_dir_under_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunDirError, match="part of that path is a file|a file is in the way"):
        prepare_runs_dir(blocker / "runs")
    with pytest.raises(RunDirError, match="a file is in the way"):
        prepare_runs_dir(blocker)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_runs_dir(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(RunDirError, match="not writable"):
        prepare_runs_dir(locked)


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "f.json"
    write_json(target, {"a": 1})
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["f.json"]
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)


def test_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()


def _finished_files(path, kind):
    """Stand-ins for the files a finished folder must hold besides its results (listing.FINISHED_FILES)."""
    stand_ins = {
        "config.yaml": "seed: 1\n",
        "history.csv": "epoch,loss\n1,0.5\n",
        "seeds.csv": "seed,loss\n1,0.5\n",
    }
    stand_ins["sweep.csv"] = stand_ins["seeds.csv"]
    for name in FINISHED_FILES[kind]:
        if name == "model.keras":
            with zipfile.ZipFile(path / name, "w") as archive:  # a whole zip, as Keras writes
                archive.writestr("config.json", "{}")
        elif not (path / name).exists():
            (path / name).write_text(stand_ins[name])


def test_listing_shows_incomplete_and_skips_foreign_folders(tmp_path):
    done = create_run_dir(tmp_path, "hinge-s1")
    write_json(
        done / "metrics.json",
        {"loss": "hinge", "seed": 1, "test_accuracy": 1.0, "test_loss": 0.1, "train_seconds": 2.0},
    )
    _finished_files(done, "run")
    Status(done, "run").write("complete")
    broken = create_run_dir(tmp_path, "hinge-s2")
    Status(broken, "run").write("interrupted")
    (broken / "config.yaml").write_text("seed: 2\ntraining: {loss: squared_hinge}\n")
    (tmp_path / "not-ours").mkdir()
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "status.json").write_text("{not json")
    (tmp_path / "garbage" / "metrics.json").write_text("[]")
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "status.json").write_bytes(b"\x00\xff")  # nothing else of ours in it
    found = {r.path.name: r for r in list_runs(tmp_path)}
    assert set(found) == {done.name, broken.name, "garbage", "damaged"}
    assert found[done.name].status == "complete"
    assert (found[done.name].test_accuracy, found[done.name].test_loss) == (["100.0%"], ["0.1"])
    # an unfinished run: its loss and seed, from config.yaml
    assert found[broken.name].status == "interrupted" and found[broken.name].test_accuracy == []
    assert (found[broken.name].losses, found[broken.name].seeds) == ("squared_hinge", "2")
    # status.json unreadable: listed as such, never hidden
    assert found["garbage"].status == "unreadable" and found["garbage"].kind == "run"
    assert found["damaged"].status == "unreadable"
    status = json.loads((done / "status.json").read_text())
    assert set(status) >= {"status", "started", "finished", "command"}


def _report(path, kind, results, **extra):
    write_json(
        path / REPORT_FILES[kind], {"results": results, "seeds_label": "1..3", "seconds": 4.0, **extra}
    )
    _finished_files(path, kind)
    Status(path, kind).write("complete")


def test_listing_labels_what_a_comparison_or_sweep_shows(tmp_path):
    side = create_run_dir(tmp_path, "side")
    _report(
        side,
        "compare",
        [
            {"loss": "hinge", "test_accuracy": 1.0, "test_loss": 0.001},
            {"loss": "squared_hinge", "test_accuracy": 0.984, "test_loss": 0.002},
        ],
        success_accuracy=None,
    )
    study = create_run_dir(tmp_path, "study")
    _report(
        study,
        "compare",
        [{"loss": "hinge", "test_accuracy": 0.99, "test_loss": 0.003}],
        success_accuracy=0.99,
    )
    sweep = create_run_dir(tmp_path, "sweep")
    rows = [
        {"loss": loss, "value": v, "test_accuracy": a}
        for loss, v, a in [("hinge", 0, 1.0), ("hinge", 0.3, 0.87)]
    ]
    _report(sweep, "sweep", rows)
    found = {r.path.name: r for r in list_runs(tmp_path)}
    s = found[side.name]
    assert (s.losses, s.test_accuracy, s.test_loss) == (
        "hinge,squared_hinge",
        ["100.0%", "98.4%"],
        ["0.001", "0.002"],
    )
    s = found[study.name]
    assert (s.test_accuracy, s.test_loss) == (["mean 99.0%"], ["median 0.003"])
    s = found[sweep.name]
    assert (s.losses, s.test_accuracy) == ("hinge", ["mean 87.0%-100.0%"])


def test_an_unfinished_comparison_shows_what_status_json_records(tmp_path):
    path = create_run_dir(tmp_path, "cmp")
    Status(path, "compare").write("running", losses=["hinge", "squared_hinge"], seeds_label="42..44")
    found = list_runs(tmp_path)[0]
    assert (found.status, found.losses, found.seeds) == ("running", "hinge,squared_hinge", "42..44")


def test_status_records_python_dash_m_in_a_real_process(tmp_path):
    """Under `python -m circles_hinge`, sys.argv[0] is the path of __main__.py; the command recorded
    is the one typed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "circles_hinge",
            "train",
            "--quiet",
            "--runs-dir",
            str(tmp_path),
            "--name",
            "m",
        ]
        + ["--config", str(TINY)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    command = json.loads((tmp_path / "m" / "status.json").read_text())["command"]
    assert command[1:4] == ["-m", "circles_hinge", "train"]
    assert not any(part.endswith("__main__.py") for part in command)


def _running_folder(tmp_path, name, **process):
    from circles_hinge.store.folders import write_json

    folder = tmp_path / name
    folder.mkdir()
    write_json(folder / "status.json", {"status": "running", "kind": "run", "started": "x", **process})
    return folder


def test_runs_tells_a_live_run_from_a_dead_one_and_another_hosts(tmp_path):
    import socket

    from circles_hinge.store.folders import process_identity
    from circles_hinge.store.listing import list_runs

    me = process_identity()
    assert me["pid"] == os.getpid() and me["pid_start"] and me["host"] == socket.gethostname()
    _running_folder(tmp_path, "alive", **me)
    # a pid that is now another process's: same number, another start time
    _running_folder(tmp_path, "reused", **{**me, "pid_start": str(int(me["pid_start"]) - 1)})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _running_folder(tmp_path, "gone", **{**me, "pid": gone.pid})
    _running_folder(tmp_path, "rebooted", **{**me, "boot_id": "another-boot"})
    _running_folder(tmp_path, "elsewhere", **{**me, "host": "gpu-box-7"})
    _running_folder(tmp_path, "old", started="x")  # written before processes were recorded
    (tmp_path / "gone" / "history.csv").write_text("epoch,loss\n1,0.5\n2,0.4\n")
    states = {r.path.name: r.status for r in list_runs(tmp_path)}
    assert states == {
        "alive": "running",
        "reused": "died before its first epoch ended",
        "gone": "died after epoch 2",
        "rebooted": "died before its first epoch ended",
        "elsewhere": "running? (on gpu-box-7)",
        "old": "running",
    }


def test_history_written_as_it_happens_is_the_bytes_write_csv_writes(tmp_path):
    from circles_hinge.store.folders import CsvLog, write_csv

    rows = [{"epoch": e, "loss": repr(0.1 * e), "note": "a,b"} for e in range(1, 4)]
    log = CsvLog(tmp_path / "live.csv")
    for i, row in enumerate(rows):
        log.append(row)
        # readable after every row, without closing: a SIGKILL here keeps the rows so far
        assert (tmp_path / "live.csv").read_text().count("\n") == i + 2
    log.close()
    write_csv(tmp_path / "whole.csv", rows)
    assert (tmp_path / "live.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
