"""Figures drawn by a second process (outputs/background.py): the same bytes as drawn here, errors raised
where the run waits for them, and a real `circles-hinge train` (which forks before TensorFlow loads)
writing the figures a run in this process writes."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, TINY

from circles_hinge.losses import get_loss
from circles_hinge.outputs import plots
from circles_hinge.outputs.background import FigureWorker

FIGURES = ["data.png", "loss_curve.png", "decision_regions.png", "margins.png", "hidden_layer.png"]


def _history(epochs=6):
    rng = np.random.default_rng(0)
    return {m: np.sort(rng.uniform(0.1, 1.0, epochs))[::-1] for m in ("loss", "val_loss")} | {
        m: np.sort(rng.uniform(0.5, 1.0, epochs)) for m in ("accuracy", "val_accuracy")
    }


def _draw_both(worker, out):
    X = np.random.default_rng(1).normal(size=(40, 2)).astype(np.float32)
    y = (np.hypot(*X.T) > 1).astype(int)
    worker.submit(plots.plot_data, out / "data.png", X, y, get_loss("hinge"), 2, "Training data")
    worker.submit(plots.plot_loss_curve, out / "loss_curve.png", _history(), "hinge")
    worker.wait()


def test_a_second_process_draws_the_same_bytes(tmp_path):
    """The forked process and this one write identical PNGs (the fork is forced here, where TensorFlow
    may already be loaded: these figures never touch it)."""
    here, there = tmp_path / "here", tmp_path / "there"
    for out, background in ((here, False), (there, True)):
        out.mkdir()
        with FigureWorker(background=background) as worker:
            assert worker.background is background
            _draw_both(worker, out)
    for name in ("data.png", "loss_curve.png"):
        assert (there / name).read_bytes() == (here / name).read_bytes(), name


@pytest.mark.parametrize("background", [False, True])
def test_an_error_drawing_a_figure_is_raised_by_wait(tmp_path, background):
    with FigureWorker(background=background) as worker:
        with pytest.raises(KeyError):  # a loss that does not exist, found while drawing
            worker.submit(plots.plot_loss_curve, tmp_path / "loss_curve.png", _history(), "no_such_loss")
            worker.wait()
    assert not (tmp_path / "loss_curve.png").exists()


def test_a_run_from_the_command_line_writes_the_figures_a_run_here_writes(tmp_path, tiny_config):
    """`circles-hinge train` forks its figure process before TensorFlow loads; a run in this process,
    where TensorFlow is loaded, draws every figure itself. Same config, same five figures, byte for byte."""
    from circles_hinge.studies.experiment import run_experiment

    done = subprocess.run(
        [sys.executable, "-m", "circles_hinge", "train", "--config", str(TINY), "--quiet"]
        + ["--runs-dir", str(tmp_path / "cli"), "--name", "run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    here = run_experiment(tiny_config, tmp_path / "api", name="run").path
    for name in FIGURES:
        assert (tmp_path / "cli" / "run" / name).read_bytes() == (here / name).read_bytes(), name


def test_stopping_the_run_stops_the_figure_being_drawn(tmp_path):
    """Ctrl-C (or an error) while the second process draws a long figure, as the data figure of a run
    1,000x the default size: the run is answered at once, and no process outlives it."""
    import time

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        with FigureWorker(background=True) as worker:
            worker.submit(time.sleep, 60)  # a figure that would take a minute
            processes = list(worker._pool._processes.values())
            raise KeyboardInterrupt
    assert time.perf_counter() - started < 10
    assert processes and not any(p.is_alive() for p in processes)
