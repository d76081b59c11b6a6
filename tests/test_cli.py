"""The command line through Typer's CliRunner, and in real subprocesses where imports matter."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, TINY
from typer.testing import CliRunner

from circles_hinge.cli import app

runner = CliRunner()


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_help_does_not_import_tensorflow():
    code = (
        "import sys; from typer.testing import CliRunner; from circles_hinge.cli import app\n"
        "for args in (['--help'], ['train', '--help'], ['runs', '--help']):\n"
        "    r = CliRunner().invoke(app, args); assert r.exit_code == 0, r.output\n"
        "heavy = ('tensorflow', 'keras', 'matplotlib', 'sklearn', 'circles_hinge.config')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_train_help_lists_the_options():
    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    for option in ("--config", "--loss", "--seed", "--epochs", "--set", "--runs-dir", "--name", "--quiet"):
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "data.factor=1.5"], "data.factor must be a finite number in [0, 1) — got 1.5"),
        (["--loss", "hinge2"], "training.loss must be one of"),
        (["--epochs", "0"], "training.epochs must be an integer >= 1"),
        (["--seed", "-3"], "seed must be an integer in [0, 4294967295]"),
        (["--config", "configs/nope.yaml"], "no such file"),
        (["--name", "../escape"], "plain folder name"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_folder(tmp_path, args, needle):
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["train", "--runs-dir", str(runs), *args])
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not runs.exists()


def test_bad_config_exits_before_tensorflow_loads(tmp_path):
    code = (
        "import sys; from typer.testing import CliRunner; from circles_hinge.cli import app\n"
        f"args = ['train', '--runs-dir', {str(tmp_path)!r}, '--set', 'training.epochs=-1']\n"
        "r = CliRunner().invoke(app, args)\n"
        "print(r.exit_code, 'tensorflow' in sys.modules)"
    )
    out = _python(code)
    assert out.stdout.split() == ["2", "False"], out.stderr


def test_real_process_bad_config_prints_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "circles_hinge",
            "train",
            "--runs-dir",
            str(tmp_path),
            "--set",
            "data.noise=-1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "data.noise" in proc.stderr
    assert proc.stdout == ""


def test_train_tiny_end_to_end(tmp_path):
    result = runner.invoke(
        app,
        [
            "train",
            "--config",
            str(TINY),
            "--runs-dir",
            str(tmp_path),
            "--quiet",
            "--loss",
            "squared_hinge",
            "--seed",
            "7",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    path = tmp_path / os.path.basename(lines[-1])
    assert lines[-1] == str(path) and path.is_dir()
    assert path.name.endswith("-squared_hinge-s7")
    assert "test accuracy" in lines[-2]
    metrics = json.loads((path / "metrics.json").read_text())
    assert metrics["loss"] == "squared_hinge" and metrics["seed"] == 7


def test_train_says_when_it_restarted_and_what_it_kept(tmp_path):
    """Seed 44's first start collapses on this small blobs set; restart 1 reaches 100% validation."""
    args = ["train", "--runs-dir", str(tmp_path), "--quiet", "--loss", "categorical_hinge", "--seed", "44"]
    sets = ["data.dataset=blobs", "data.n_samples=200", "data.test_size=50", "training.epochs=3"]
    result = runner.invoke(
        app, [*args, *(x for s in sets for x in ("--set", s)), "--set", "training.restarts=5"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "validation accuracy (below 99%), so 5 more were trained; kept initialisation" in lines[-2]
    metrics = json.loads((tmp_path / os.path.basename(lines[-1]) / "metrics.json").read_text())
    assert metrics["initialisations_tried"] == 6 and metrics["initialisation"] > 0
    assert f"kept initialisation {metrics['initialisation']} with" in lines[-2]

    off = runner.invoke(
        app, [*args, *(x for s in sets for x in ("--set", s)), "--set", "training.restarts=0"]
    )
    assert off.exit_code == 0 and "initialisation" not in off.output
    metrics = json.loads(
        (tmp_path / os.path.basename(off.output.strip().splitlines()[-1]) / "metrics.json").read_text()
    )
    assert (metrics["initialisations_tried"], metrics["initialisation"]) == (1, 0)
    assert metrics["test_accuracy"] < 0.99  # the tutorial's single try, collapsed


def test_named_run_and_no_overwrite(tmp_path):
    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--name", "mine"]
    assert runner.invoke(app, args).exit_code == 0
    before = sorted(p.name for p in (tmp_path / "mine").iterdir())
    stamp = (tmp_path / "mine" / "metrics.json").read_bytes()
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "already exists" in again.output and "Traceback" not in again.output
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == before
    assert (tmp_path / "mine" / "metrics.json").read_bytes() == stamp


def test_runs_dir_under_a_file_exits_1(tmp_path):
    (tmp_path / "file").write_text("x")
    result = runner.invoke(
        app, ["train", "--config", str(TINY), "--runs-dir", str(tmp_path / "file" / "runs")]
    )
    assert result.exit_code == 1
    assert "--runs-dir" in result.output and "Traceback" not in result.output


def test_runs_lists_folders(tmp_path):
    assert "no runs" in runner.invoke(app, ["runs", "--runs-dir", str(tmp_path)]).output
    runner.invoke(
        app, ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--name", "r1"]
    )
    result = runner.invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "r1" in result.output and "complete" in result.output and "hinge" in result.output


def test_plot_losses_writes_a_picture_and_never_overwrites(tmp_path):
    from PIL import Image

    out = tmp_path / "losses.png"
    result = runner.invoke(app, ["plot-losses", "--out", str(out)])
    assert result.exit_code == 0 and result.output.strip() == str(out)
    with Image.open(out) as image:
        assert image.width > 800 and len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 20
    before = out.read_bytes()
    again = runner.invoke(app, ["plot-losses", "--out", str(out)])
    assert again.exit_code == 1 and "never overwritten" in again.output
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "--losses", "hinge,,squared_hinge"], "without empty items"),
        (["compare", "--losses", "hinge,nope"], "'nope' is not a known loss"),
        (
            ["compare", "--losses", "nope,categorical_hinge", "--set", "data.dataset=blobs"],
            "'nope' is not a known",
        ),
        (["compare", "--seeds", "0"], "--seeds"),
        (["compare", "--name", "../x"], "plain folder name"),
        (["sweep", "--param", "data.noise", "--values", "0,-1"], "data.noise must be a finite number >= 0"),
        (["sweep", "--param", "data.nois", "--values", "0"], "data.nois is not a known key"),
        (["sweep", "--param", "seed", "--values", "1,2"], "--param seed cannot be swept"),
        (["sweep", "--param", "training.restarts", "--values", "0,5"], "restarts apply to `train` only"),
        (["sweep", "--param", "data.noise", "--values", "0,0.0"], "more than once"),
    ],
)
def test_compare_and_sweep_reject_bad_requests_before_any_folder(tmp_path, args, needle):
    runs = tmp_path / "r"
    result = runner.invoke(app, [*args, "--runs-dir", str(runs)])
    assert result.exit_code == 2, (args, result.output)
    assert needle in result.output
    assert result.output.strip().count("\n") == 0, "one line, no progress bar"
    assert "Traceback" not in result.output
    assert not runs.exists()


def test_sweep_values_read_scientific_notation(tmp_path):
    from circles_hinge.config import Config
    from circles_hinge.sweep import sweep_configs

    grid = sweep_configs(Config(), "training.learning_rate", ["1e-3", "3E-2"], ["hinge"])
    assert list(grid) == [0.001, 0.03]


def test_plot_losses_write_failure_is_one_line():
    result = runner.invoke(app, ["plot-losses", "--out", "/proc/circles-hinge-losses.png"])
    assert result.exit_code == 1
    assert "cannot be written" in result.output and "Traceback" not in result.output


def test_compare_tiny_end_to_end(tmp_path):
    result = runner.invoke(
        app, ["compare", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--seeds", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("hinge: test accuracy") and "success" in lines[0]
    folder = tmp_path / os.path.basename(lines[-1])
    assert (folder / "comparison.json").exists() and (folder / "seeds.csv").exists()


def test_compare_k_class_losses_on_blobs(tmp_path):
    """--set data.dataset=blobs must not be judged against the default two-class hinge."""

    def compare(losses: str):
        args = ["compare", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet"]
        return runner.invoke(app, [*args, "--losses", losses, "--set", "data.dataset=blobs"])

    result = compare("categorical_hinge,multiclass_svm")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("categorical_hinge: test accuracy")
    bad = compare("hinge,multiclass_svm")
    assert bad.exit_code == 2 and "two-class loss" in bad.output


def test_the_restart_line_counts_diverged_restarts():
    from circles_hinge.cli import _restart_line

    m = {
        "initialisation_accuracies": [0.5, -1.0, 1.0, 0.7],
        "initialisation": 2,
        "initialisation_accuracy_on": "validation",
    }
    line = _restart_line(m)
    assert "reached 50.0% validation accuracy" in line and "3 more were trained" in line
    assert "kept initialisation 2 with 100.0%" in line and "3 of 4 ended below 99%, 1 diverged" in line
