"""The run folder: never overwrite, atomic writes, status and listing."""

import json
import os
import threading

import pytest

from circles_hinge.errors import ConfigError, RunDirError
from circles_hinge.runs import (
    Status,
    check_name,
    create_run_dir,
    list_runs,
    prepare_runs_dir,
    write_atomic,
    write_json,
)


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", "..", ".", ".hidden", "", "a\\b", "x" * 201])
def test_names_that_are_paths_are_rejected(name):
    with pytest.raises(ConfigError, match="plain folder name"):
        check_name(name)


def test_plain_names_are_accepted():
    assert check_name("my-run_1.v2") == "my-run_1.v2"


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


def test_listing_shows_incomplete_and_skips_foreign_folders(tmp_path):
    done = create_run_dir(tmp_path, "hinge-s1")
    write_json(
        done / "metrics.json",
        {"loss": "hinge", "seed": 1, "test_accuracy": 1.0, "test_loss": 0.1, "train_seconds": 2.0},
    )
    Status(done, "run").write("complete")
    broken = create_run_dir(tmp_path, "hinge-s2")
    Status(broken, "run").write("interrupted")
    (tmp_path / "not-ours").mkdir()
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "status.json").write_text("{not json")
    (tmp_path / "garbage" / "metrics.json").write_text("[]")
    found = {r.path.name: r for r in list_runs(tmp_path)}
    assert done.name in found and broken.name in found and "not-ours" not in found
    assert found[done.name].status == "complete" and found[done.name].test_accuracy == 1.0
    assert found[broken.name].status == "interrupted" and found[broken.name].test_accuracy is None
    assert found["garbage"].status == "unknown"
    status = json.loads((done / "status.json").read_text())
    assert set(status) >= {"status", "started", "finished", "command"}
