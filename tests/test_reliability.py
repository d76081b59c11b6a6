"""Real processes: Ctrl-C and SIGTERM mid-training, two runs at once, a diverging run, a crash."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, TINY

from circles_hinge.errors import RunFailed
from circles_hinge.loading import load_config
from circles_hinge.studies.experiment import run_experiment

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _start(runs: Path, *args: str, command: str = "train") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "circles_hinge", command, "--quiet", "--runs-dir", str(runs), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        # a shell started without job control (CI, `make test &`) gives its children SIGINT ignored,
        # and Python then never raises KeyboardInterrupt: give the child the default back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_training(runs: Path, proc: subprocess.Popen, timeout: float = 90) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status in runs.glob("*/status.json"):
            try:
                if json.loads(status.read_text()).get("epoch", 0) >= 3:
                    return status.parent
            except ValueError:
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("training never started")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_training_marks_the_folder_interrupted(tmp_path, sig, code):
    proc = _start(tmp_path, "--epochs", "100000")
    folder = _wait_for_training(tmp_path, proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5, "stops within a couple of seconds"
    assert proc.returncode == code
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("estimated training time: about "), err  # 100,000 epochs
    assert "interrupted" in lines[1] and str(folder) in lines[1]
    assert "Traceback" not in err
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "interrupted" and status["finished"]
    history = (folder / "history.csv").read_text().splitlines()
    assert len(history) >= 2, "the partial history is kept"
    assert not (folder / "metrics.json").exists()


def test_two_identical_runs_at_once_get_two_folders(tmp_path):
    procs = [_start(tmp_path, "--config", str(TINY)) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())  # index.html beside them
    assert len(folders) == 2
    assert {o.strip().splitlines()[-1] for o, _ in outs} == {str(f) for f in folders}
    for folder in folders:
        assert json.loads((folder / "status.json").read_text())["status"] == "complete"
    a, b = ((f / "history.csv").read_bytes() for f in folders)
    assert a == b  # and identical settings give identical results


def test_a_diverging_run_fails_with_one_line(tmp_path):
    proc = _start(
        tmp_path,
        "--set",
        "data.dataset=blobs",
        "--loss",
        "multiclass_svm",
        "--set",
        "training.learning_rate=1e30",
        "--set",  # linear units cannot switch off, so the 1e30 steps overflow on any machine and seed
        "model.hidden_activation=linear",
        "--set",
        "data.n_samples=300",
        "--set",
        "data.test_size=100",
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "diverged" in lines[0] and "epoch" in lines[0] and "lower" in lines[0]
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "failed" and "diverged" in status["error"]


def test_an_unexpected_error_is_logged_not_shown(tmp_path, monkeypatch):
    from circles_hinge.outputs import plots

    def broken(*args, **kwargs):
        raise RuntimeError("the plotting library broke")

    monkeypatch.setattr(plots, "plot_margins", broken)
    with pytest.raises(RunFailed, match="the plotting library broke") as err:
        run_experiment(load_config(TINY), tmp_path)
    folder = err.value.path
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "failed" and "the plotting library broke" in status["error"]
    assert "Traceback" in (folder / "train.log").read_text()
    assert (folder / "history.csv").exists()


def test_animate_writes_one_frame_per_epoch(tmp_path):
    from PIL import Image

    config = load_config(TINY, ["training.epochs=4"])
    result = run_experiment(config, tmp_path, animate=True)
    gif = result.path / "training.gif"
    with Image.open(gif) as image:
        assert image.n_frames == 5  # the initial weights, then one per epoch
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 20
    assert gif.stat().st_size < 2_000_000


def test_animate_subsamples_long_runs():
    from circles_hinge.engine.data import load_split
    from circles_hinge.outputs.animation import FrameRecorder

    config = load_config(None, ["training.epochs=500"])
    split = load_split(config.data, 0, 0.2)
    recorder = FrameRecorder(config, split)
    assert len(recorder.keep) == 60 and 1 in recorder.keep and 500 in recorder.keep


@pytest.fixture
def small_disk(tmp_path):
    """A real 160 KiB filesystem (tmpfs), so the run folder cannot fit; skipped where mount is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], capture_output=True)


def test_a_full_disk_fails_with_one_line_and_keeps_earlier_files(small_disk):
    earlier = small_disk / "earlier.txt"
    earlier.write_text("an earlier result")
    proc = _start(small_disk, "--config", str(TINY))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert "Traceback" not in err
    assert earlier.read_text() == "an earlier result"
    [folder] = [p for p in small_disk.iterdir() if p.is_dir()]
    # what it says is true: the file it could not write is not there, the traceback it points to is
    named = re.search(r"could not write ([\w.]+): No space left on device", lines[0])
    assert named and not (folder / named[1]).exists(), lines[0]
    assert "marked failed" in lines[0] and f"full traceback in {folder / 'train.log'}" in lines[0]
    assert "Traceback" in (folder / "train.log").read_text()
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "failed" and named[1] in status["error"]
    assert not (folder / ".reserve").exists()


@pytest.mark.parametrize("size", ["120k", "200k"])
def test_a_full_disk_at_any_stage_marks_the_folder_failed(tmp_path, size):
    """The issue's 120 KB disk, and one that fills up later, while the pictures are written."""
    disk = _mount(tmp_path, size)
    try:
        proc = _start(disk, "--config", str(TINY))
        out, err = proc.communicate(timeout=120)
        [folder] = [p for p in disk.iterdir() if p.is_dir()]
        status = json.loads((folder / "status.json").read_text())
        assert proc.returncode == 1 and status["status"] == "failed", err
        assert len(err.strip().splitlines()) == 1 and (folder / "train.log").exists()
        assert (folder / "history.csv").read_text().count("\n") == 3  # header and the 2 epochs
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_disk_too_full_for_the_reserve_makes_nothing(tmp_path):
    disk = _mount(tmp_path, "16k")
    try:
        proc = _start(disk, "--config", str(TINY))
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert err.strip().splitlines() == [
            f"error: cannot start a run in {disk}: 64 KiB for its status could not be written "
            "(No space left on device); no run folder was made"
        ]
        assert not [p for p in disk.iterdir() if p.is_dir()]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def _mount(tmp_path: Path, size: str) -> Path:
    mount_point = tmp_path / f"disk-{size}"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs here (needs root): {done.stderr.decode().strip()}")
    return mount_point


# --- a long epoch: 200,000 samples in batches of 5 is about 32,000 batches, several seconds each ---
LONG_EPOCH = ("--set", "data.n_samples=200000", "--set", "training.restarts=0")


def _wait_for_stage(runs: Path, proc: subprocess.Popen, stage: str, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status in runs.glob("*/status.json"):
            try:
                if json.loads(status.read_text()).get("stage") == stage:
                    return status.parent
            except ValueError:
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"never reached {stage}")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_inside_a_long_epoch_is_answered_within_a_second_or_so(tmp_path, sig, code):
    proc = _start(tmp_path, *LONG_EPOCH)
    folder = _wait_for_stage(tmp_path, proc, "training")
    time.sleep(2.0)  # inside epoch 1, which takes several seconds
    assert not (folder / "history.csv").exists(), "still in the first epoch"
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    latency = time.monotonic() - sent
    assert latency < 3.0, f"took {latency:.2f} s to stop"
    assert proc.returncode == code, err
    print(f"{sig.name} answered in {latency:.2f} s")
    assert err.strip().splitlines() == [
        "estimated training time: about 5 min (30 epochs of 31,960 batches, 200,000 samples); "
        "Ctrl-C stops it and keeps what finished",
        f"interrupted: the run was stopped; its folder (marked interrupted) is {folder}",
    ]
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "interrupted" and status["stage"] == "training"


def test_sigkill_keeps_every_finished_epoch_and_runs_says_died(tmp_path):
    from circles_hinge.loading import load_config
    from circles_hinge.store.listing import list_runs

    runs = tmp_path / "runs"
    proc = _start(runs, "--config", str(TINY), "--epochs", "100000", "--name", "killed")
    folder = _wait_for_training(runs, proc)  # status.json says epoch >= 3
    time.sleep(0.5)
    proc.kill()
    proc.wait(timeout=30)
    assert json.loads((folder / "status.json").read_text())["status"] == "running"  # it could not say
    lines = (folder / "history.csv").read_text().splitlines()
    n = len(lines) - 1
    assert n >= 3 and lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy"
    # every finished epoch, byte for byte the rows a complete run of that many epochs writes
    whole = run_experiment(load_config(TINY, [f"training.epochs={n}"]), tmp_path / "whole", name="whole")
    assert (folder / "history.csv").read_bytes() == (whole.path / "history.csv").read_bytes()
    [row] = [r for r in list_runs(runs) if r.path == folder]
    assert row.status == f"died after epoch {n}"
    listing = subprocess.run(
        [sys.executable, "-m", "circles_hinge", "runs", "--runs-dir", str(runs)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert f"died after epoch {n}" in listing.stdout


def test_an_interrupt_while_writing_says_what_was_written(tmp_path, monkeypatch):
    from circles_hinge.errors import Interrupted
    from circles_hinge.outputs import plots

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_margins", stopped)
    with pytest.raises(Interrupted) as err:
        run_experiment(load_config(TINY), tmp_path)
    folder = err.value.path
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "interrupted" and status["stage"] == "writing"
    assert "history.csv, model.keras, loss_curve.png" in status["error"] and "margins.png" in status["error"]
    assert err.value.detail.startswith("while writing the run folder: history.csv, model.keras")
    assert len((folder / "history.csv").read_text().splitlines()) == 3


def test_an_oversized_request_is_refused_with_its_estimate_and_nothing_made(tmp_path):
    runs = tmp_path / "runs"
    for args, largest in [
        (["--seeds", "100000", "--set", "data.n_samples=1000000"], "the largest --seeds that fits is"),
        (["--set", "data.n_samples=100000000"], "data.n_samples that fits is"),
    ]:
        command = "compare" if "--seeds" in args else "train"
        proc = _start(runs, *args, command=command)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        [line] = err.strip().splitlines()
        assert re.match(r"error: this request needs about [\d,.]+ GiB of memory .* GiB is available; ", line)
        assert largest in line
        assert not runs.exists(), "nothing is made"


def test_a_disk_that_fills_up_during_training_keeps_the_epochs_before(tmp_path):
    disk = _mount(tmp_path, "120k")
    try:
        proc = _start(disk, "--config", str(TINY), "--epochs", "5000")  # about 350 KB of history
        out, err = proc.communicate(timeout=300)
        [folder] = [p for p in disk.iterdir() if p.is_dir()]
        [line] = err.strip().splitlines()
        # whichever write met the full disk first: the next row, or status.json's progress
        assert proc.returncode == 1 and line.startswith(
            (
                "error: could not add to history.csv: No space left on device",
                "error: could not update status.json: No space left on device",
            )
        ), err
        status = json.loads((folder / "status.json").read_text())
        assert status["status"] == "failed" and status["stage"] == "training"
        rows = (folder / "history.csv").read_text().splitlines()
        assert len(rows) > 100 and all(len(r.split(",")) == 5 for r in rows)  # whole rows only
        assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, len(rows)))
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
