"""Real processes: Ctrl-C and SIGTERM mid-training, two runs at once, a diverging run, a crash."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, TINY

from circles_hinge.config import load_config
from circles_hinge.experiment import RunFailed, run_experiment

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _start(runs: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "circles_hinge", "train", "--quiet", "--runs-dir", str(runs), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
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
    assert len(lines) == 1 and "interrupted" in lines[0] and str(folder) in lines[0]
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
    folders = sorted(tmp_path.iterdir())
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
    [folder] = tmp_path.iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "failed" and "diverged" in status["error"]


def test_an_unexpected_error_is_logged_not_shown(tmp_path, monkeypatch):
    from circles_hinge import plots

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
    from circles_hinge.animation import FrameRecorder
    from circles_hinge.data import load_split

    split = load_split(load_config(None, []).data, 0, 0.2)
    recorder = FrameRecorder(split, None, 500)
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
    statuses = [json.loads(p.read_text())["status"] for p in small_disk.glob("*/status.json")]
    assert "complete" not in statuses
