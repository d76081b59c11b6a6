"""The command line through Typer's CliRunner, and in real subprocesses where imports matter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TINY
from typer.testing import CliRunner

from circles_hinge.cli.app import app

runner = CliRunner()


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_help_does_not_import_tensorflow_or_pydantic():
    code = (
        "import sys; from typer.testing import CliRunner; from circles_hinge.cli.app import app\n"
        "for args in (['--help'], ['train', '--help'], ['compare', '--help'], ['sweep', '--help'],\n"
        "             ['report', '--help'], ['runs', '--help']):\n"
        "    r = CliRunner().invoke(app, args); assert r.exit_code == 0, r.output\n"
        "heavy = ('tensorflow', 'keras', 'matplotlib', 'sklearn', 'circles_hinge.config', 'pydantic',\n"
        "         'numpy')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)"
    )
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_train_help_lists_the_options_and_every_loss():
    from circles_hinge.losses import LOSSES

    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    for option in ("--config", "--loss", "--seed", "--epochs", "--set", "--runs-dir", "--name", "--quiet"):
        assert option in result.output
    words = result.output.replace("|", " ").split()
    assert all(loss in words for loss in LOSSES), "the --loss help names every registered loss"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "data.factor=1.5"], "data.factor must be a finite number in [0, 1) — got 1.5"),
        (["--loss", "hinge2"], "training.loss must be one of"),
        (["--epochs", "0"], "training.epochs must be an integer in [1, 1000000]"),
        (["--seed", "-3"], "seed must be an integer in [0, 4294967295]"),
        (["--config", "configs/nope.yaml"], "no such file"),
        (["--name", "../escape"], "plain folder name: '/' is not allowed"),
        (["--name", "-x"], "--name '-x' must start with a letter or digit, not '-'"),
        (["--name", "x" * 300], "--name is 300 characters long; a plain folder name has at most 200"),
        (["--set", "model.hidden_units=[]"], "model.hidden_units must be a non-empty list of integers >= 1"),
        (["--config", ""], "--config is empty"),
        # numbers are read by us: Typer's own message for these is pydantic's "Input should be ..."
        (["--epochs", "x"], "training.epochs must be an integer in [1, 1000000] — got 'x'"),
        (["--epochs", "2.5"], "training.epochs must be an integer in [1, 1000000] — got 2.5"),
        (["--seed", "abc"], "seed must be an integer in [0, 4294967295] — got 'abc'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_folder(tmp_path, args, needle):
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["train", "--runs-dir", str(runs), *args])
    assert result.exit_code == 2
    assert result.stderr == f"error: {result.stderr.removeprefix('error: ').strip()}\n"  # one line
    assert needle in result.stderr and result.stdout == ""
    assert "Traceback" not in result.output
    assert not runs.exists()


def test_a_section_that_is_not_a_mapping_is_an_error_with_set(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("data: 5\n")
    result = runner.invoke(
        app, ["train", "-c", str(f), "--set", "data.n_samples=100", "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("error: data must be a mapping of data keys") and f"({f})" in result.stderr
    )


@pytest.mark.parametrize("command", [["train"], ["compare"], ["runs"]])
def test_an_empty_runs_dir_is_an_error_not_the_current_folder(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*command, "--runs-dir", ""])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --runs-dir is empty; give a folder such as outputs")
    assert list(tmp_path.iterdir()) == []


def test_bad_config_exits_before_tensorflow_loads(tmp_path):
    code = (
        "import sys; from typer.testing import CliRunner; from circles_hinge.cli.app import app\n"
        f"args = ['train', '--runs-dir', {str(tmp_path)!r}, '--set', 'training.epochs=-1']\n"
        "r = CliRunner().invoke(app, args)\n"
        "print(r.exit_code, 'tensorflow' in sys.modules)"
    )
    out = _python(code)
    assert out.stdout.split() == ["2", "False"], out.stderr


def test_replays_beyond_the_limit_exit_2_before_tensorflow_loads(tmp_path):
    code = (
        "import sys; from typer.testing import CliRunner; from circles_hinge.cli.app import app\n"
        f"args = ['compare', '--runs-dir', {str(tmp_path / 'runs')!r}, '--seeds', '56', '--replays']\n"
        "r = CliRunner().invoke(app, args)\n"
        "print(r.exit_code, 'tensorflow' in sys.modules); print(r.stderr, end='')"
    )
    out = _python(code)
    status, message = out.stdout.split("\n", 1)
    assert status.split() == ["2", "False"], out.stderr
    assert message.startswith("error: --replays allows at most 55 seeds with this config and 2 losses")
    assert message.count("\n") == 1 and "got --seeds 56" in message
    assert not (tmp_path / "runs").exists()


def test_compare_help_states_the_replay_limit_the_code_enforces():
    from circles_hinge.loading import load_config
    from circles_hinge.outputs.page_budget import replay_seed_limit, seed_replay_bytes

    default, losses = load_config(ROOT / "configs" / "default.yaml"), ["hinge", "squared_hinge"]
    result = runner.invoke(app, ["compare", "--help"])
    text = " ".join(result.output.replace("│", " ").split())
    limit, size = replay_seed_limit(default, losses), seed_replay_bytes(default, losses)
    assert (
        f"at most {limit} seeds with the default config and two losses ({size / 1000:.1f} kB a seed)" in text
    )


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


def test_train_without_a_terminal_prints_plain_stage_lines_and_the_summary(tmp_path):
    """CliRunner's stderr is not a terminal, as in `make train > log 2>&1`: no Rich bar (it is cut off
    there), a line per stage and a progress line every few seconds, not one per epoch."""
    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--epochs", "20"]
    sets = ["data.dataset=moons", "data.factor=0.3", "training.epochs=5"]
    result = runner.invoke(app, [*args, *(x for s in sets for x in ("--set", s))])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "warning: train ignores data.factor=0.3 (given with --set): "
        "data.factor applies to data.dataset circles only"
    )
    assert (
        lines[1]
        == "warning: train ignores training.epochs=5 (given with --set): --epochs 20 comes later and wins"
    )
    assert lines[2:4] == ["loading TensorFlow", "training"] and lines[-1] == "writing the run folder"
    epochs = [line for line in lines if line.startswith("training: epoch ")]
    assert epochs[-1].startswith("training: epoch 20/20  loss ") and "val_acc" in epochs[-1]
    assert len(epochs) < 10, "a line every few seconds, not one per epoch"
    assert "━" not in result.stderr and "…" not in result.stderr
    summary = result.stdout.splitlines()[-2]
    assert "trained 20 epochs in " in summary and summary.endswith(" s in all)")


def test_train_says_1_epoch_not_1_epochs(tmp_path):
    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--epochs", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert " trained 1 epoch in " in result.stdout and result.stderr == ""


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
    again = runner.invoke(app, args[:-3] + args[-2:])  # without --quiet: still no progress before the error
    assert again.exit_code == 1
    assert (
        again.stderr
        == f"error: {tmp_path / 'mine'} already exists and is never overwritten; choose another --name\n"
    )
    assert again.stdout == ""
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
    assert runner.invoke(app, ["runs", "--runs-dir", str(tmp_path)]).stdout == f"no runs in {tmp_path}\n"
    missing = runner.invoke(app, ["runs", "--runs-dir", str(tmp_path / "nope")])
    assert missing.stdout == f"no runs in {tmp_path / 'nope'} (it does not exist)\n"
    (tmp_path / "file").write_text("x")
    a_file = runner.invoke(app, ["runs", "--runs-dir", str(tmp_path / "file")])
    assert (
        a_file.exit_code == 2
        and a_file.stderr == f"error: --runs-dir {tmp_path / 'file'} is a file, not a folder of runs\n"
    )
    (tmp_path / "file").unlink()
    runner.invoke(
        app, ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--name", "r1"]
    )
    result = runner.invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "r1" in result.output and "complete" in result.output and "hinge" in result.output


def test_runs_shows_whole_names_unfinished_and_unreadable_folders_and_labels_studies(tmp_path):
    from circles_hinge.store.folders import Status, write_json

    long = tmp_path / ("a-very-long-run-name-" * 7 + "end")
    long.mkdir()
    write_json(long / "metrics.json", {"loss": "hinge", "seed": 7, "test_accuracy": 1.0, "test_loss": 0.01})
    Status(long, "run").write("complete")
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    (stopped / "config.yaml").write_text("seed: 9\ntraining: {loss: squared_hinge}\n")
    Status(stopped, "run").write("interrupted")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "status.json").write_text("{")
    study = tmp_path / "study"
    study.mkdir()
    rows = [{"loss": "hinge", "test_accuracy": 0.97, "test_loss": 0.2}]
    write_json(study / "comparison.json", {"results": rows, "success_accuracy": 0.99, "seeds_label": "1..5"})
    Status(study, "compare").write("complete")
    result = runner.invoke(app, ["runs", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 2}
    assert long.name in rows, "the whole name, on one line"
    assert "…" not in result.stdout and "..." not in result.stdout.replace("1..5", "")
    assert "squared_hinge" in rows["stopped"] and " 9 " in rows["stopped"]
    assert "unreadable" in rows["damaged"]
    assert "mean 97.0%" in rows["study"] and "median 0.2" in rows["study"]


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
        (["compare", "--seeds", "1.5"], "--seeds must be an integer >= 1 — got '1.5'"),
        (["compare", "--seeds", "100000000"], "--seeds must be at most 100,000 — got 100,000,000"),
        (
            ["sweep", "--param", "data.noise", "--values", "0", "--seeds", "x"],
            "--seeds must be an integer >= 1",
        ),
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
    from circles_hinge.studies.grid import check_grid

    grid = check_grid(Config(), [("training.learning_rate", ["1e-3", "3E-2"])], ["hinge"], 1)
    assert [cell["training.learning_rate"] for cell in grid.cells] == [0.001, 0.03]
    assert [c["hinge"].training.learning_rate for c in grid.configs] == [0.001, 0.03]


def test_plot_losses_write_failure_is_one_line():
    result = runner.invoke(app, ["plot-losses", "--out", "/proc/circles-hinge-losses.png"])
    assert result.exit_code == 1
    assert "cannot be written" in result.output and "Traceback" not in result.output


def test_compare_tiny_end_to_end(tmp_path):
    result = runner.invoke(
        app,
        ["compare", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--seeds", "2"]
        + ["--set", "training.restarts=5"],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: compare ignores training.restarts=5 (given with --set): "
        "every loss trains one initialisation per seed, without restarts\n"
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("hinge: test accuracy") and "success" in lines[0]
    folder = tmp_path / os.path.basename(lines[-1])
    assert (folder / "comparison.json").exists() and (folder / "seeds.csv").exists()


@pytest.mark.parametrize("loss", ["modified_huber", "perceptron"])
def test_scikit_learns_margin_losses_train_on_circles_and_reload_from_model_keras(tmp_path, loss):
    import keras

    from circles_hinge.engine.data import load_split
    from circles_hinge.engine.model import evaluate_model
    from circles_hinge.loading import load_config

    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--json"]
    result = runner.invoke(app, [*args, "--loss", loss])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    folder = Path(doc["path"])
    model = keras.models.load_model(folder / "model.keras", safe_mode=True)
    assert model.loss.__name__ == loss and model.layers[-1].activation.__name__ == "linear"
    config = load_config(TINY, [f"training.loss={loss}"])
    split = load_split(config.data, config.seed, config.training.validation_split)
    test_loss, accuracy = evaluate_model(model, config, split.X_test, split.y_test)
    assert doc["metrics"]["test_accuracy"] == pytest.approx(accuracy)
    assert doc["metrics"]["test_loss"] == pytest.approx(test_loss, rel=1e-5, abs=1e-6)


def test_compare_takes_every_margin_loss_on_circles(tmp_path):
    losses = "hinge,squared_hinge,binary_crossentropy,modified_huber,perceptron"
    args = ["compare", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--losses", losses]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == losses.split(",")
    folder = tmp_path / os.path.basename(lines[-1])
    assert "| modified Huber |" in (folder / "comparison.md").read_text()
    assert (folder / "perceptron" / "model.keras").is_file()


@pytest.mark.parametrize("dataset", ["xor", "spiral", "gauss"])
def test_playground_sets_train_compare_and_sweep_a_noise_grid(tmp_path, dataset):
    base = ["--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--set", f"data.dataset={dataset}"]
    train = runner.invoke(app, ["train", *base, "--set", "data.factor=0.3", "--json"])
    assert train.exit_code == 0, train.output
    assert train.stderr.splitlines()[0] == (
        "warning: train ignores data.factor=0.3 (given with --set): "
        "data.factor applies to data.dataset circles only"
    )
    folder = Path(json.loads(train.stdout)["path"])
    assert (folder / "report.html").is_file() and (folder / "decision_regions.png").is_file()
    assert "boundary_radius_mean" not in json.loads(train.stdout)["metrics"]
    compare = runner.invoke(app, ["compare", *base, "--losses", "hinge,perceptron"])
    assert compare.exit_code == 0, compare.output
    assert compare.stdout.startswith("hinge: test accuracy") and "boundary radius" not in compare.stdout
    grid = ["--grid", "data.noise=0,0.2", "--grid", "data.n_samples=100,120", "--seeds", "2", "--json"]
    sweep = runner.invoke(app, ["sweep", *base, "--losses", "hinge", *grid])
    assert sweep.exit_code == 0, sweep.output
    cells = json.loads(sweep.stdout)["report"]["results"]
    assert sorted((c["data.noise"], c["data.n_samples"]) for c in cells) == [
        (0, 100),
        (0, 120),
        (0.2, 100),
        (0.2, 120),
    ]
    refused = runner.invoke(app, ["sweep", *base, "--losses", "hinge", "--grid", "data.factor=0.2,0.4"])
    assert refused.exit_code == 2 and "data.factor applies to data.dataset circles only" in refused.stderr


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


def test_sweep_warns_when_values_replace_a_setting_and_refuses_a_key_the_data_set_ignores(tmp_path):
    args = ["sweep", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--seeds", "1"]
    result = runner.invoke(
        app,
        [*args, "--losses", "hinge", "--param", "data.noise", "--values", "0,0.1", "--set", "data.noise=0.3"],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: sweep ignores data.noise=0.3 (given with --set): --values gives its values (0, 0.1)\n"
    )
    assert result.stdout.splitlines()[-2].endswith(" s in all")
    moons = runner.invoke(
        app, [*args, "--param", "data.factor", "--values", "0,0.5", "--set", "data.dataset=moons"]
    )
    assert moons.exit_code == 2
    assert moons.stderr == (
        "error: --param data.factor cannot be swept here: data.factor applies to data.dataset circles only\n"
    )


def test_compare_warns_about_a_loss_that_losses_replaces(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("training: {loss: binary_crossentropy}\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    # --runs-dir under a file: the command stops right after its checks and warnings, before training
    result = runner.invoke(app, ["compare", "-c", str(f), "--runs-dir", str(blocker / "r")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"warning: compare ignores training.loss=binary_crossentropy (from {f}): "
        "--losses names the losses (hinge,squared_hinge)"
    )


@pytest.mark.parametrize("name,magic", [("l.svg", b"<svg"), ("l.pdf", b"%PDF"), ("l.PNG", b"\x89PNG")])
def test_plot_losses_writes_the_format_its_suffix_names(tmp_path, name, magic):
    result = runner.invoke(app, ["plot-losses", "--out", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    assert magic in (tmp_path / name).read_bytes()[:400]


def test_plot_losses_into_a_folder_and_refusing_unknown_formats(tmp_path):
    result = runner.invoke(app, ["plot-losses", "--out", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / "losses.png").read_bytes()[:4] == b"\x89PNG"
    bad = runner.invoke(app, ["plot-losses", "--out", str(tmp_path / "l.txt")])
    assert bad.exit_code == 2 and ".txt is not a format" in bad.output and ".svg" in bad.output
    assert len(bad.output.strip().splitlines()) == 1 and not (tmp_path / "l.txt").exists()


def test_sweep_resume_refuses_what_it_cannot_resume(tmp_path):
    from circles_hinge.store.folders import write_json

    done = tmp_path / "done"
    done.mkdir()
    write_json(done / "status.json", {"status": "complete", "kind": "sweep", "started": "x"})
    for args, needle in [
        (["--resume", str(done)], "this sweep is complete; there is nothing to resume"),
        (["--resume", str(tmp_path / "nowhere")], "nowhere does not exist"),
        (["--resume", str(done), "--param", "data.noise"], "leave out --param"),
        (["--values", "0,0.1"], "--param is required (or --resume FOLDER"),
    ]:
        result = runner.invoke(app, ["sweep", *args, "--runs-dir", str(tmp_path / "runs")])
        assert result.exit_code == 2, result.output
        assert needle in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"circles-hinge {version('circles-hinge')}"


def test_config_prints_the_resolved_config_and_checks_it(tmp_path):
    import yaml

    result = runner.invoke(app, ["config", "--config", str(TINY), "--set", "training.epochs=7"])
    assert result.exit_code == 0
    shown = yaml.safe_load(result.output)
    assert shown["training"]["epochs"] == 7 and shown["data"]["n_samples"] == 100
    (tmp_path / "c.yaml").write_text(result.output)  # what it prints is a config train accepts
    again = runner.invoke(app, ["config", "--config", str(tmp_path / "c.yaml")])
    assert again.output == result.output
    bad = runner.invoke(app, ["config", "--set", "data.factor=2"])
    assert bad.exit_code == 2 and "data.factor" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_json_puts_one_document_on_stdout_and_the_rest_on_stderr(tmp_path):
    base = [sys.executable, "-m", "circles_hinge"]
    train = subprocess.run(
        [*base, "train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
    )
    assert train.returncode == 0, train.stderr
    doc = json.loads(train.stdout)  # the whole of stdout is one JSON document
    assert doc["status"] == "complete" and doc["metrics"]["loss"] == "hinge"
    assert json.loads((Path(doc["path"]) / "metrics.json").read_text()) == doc["metrics"]
    assert "test accuracy" in train.stderr
    listed = subprocess.run(
        [*base, "runs", "--runs-dir", str(tmp_path), "--json"], capture_output=True, text=True
    )
    [entry] = json.loads(listed.stdout)
    assert (
        entry["path"] == doc["path"] and entry["status"] == "complete" and entry["metrics"] == doc["metrics"]
    )


def test_compare_takes_seed_epochs_and_animate(tmp_path):
    result = runner.invoke(
        app,
        [
            "compare",
            "--config",
            str(TINY),
            "--seed",
            "7",
            "--epochs",
            "3",
            "--animate",
            "--runs-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = Path(result.output.strip().splitlines()[-1])
    for loss in ("hinge", "squared_hinge"):
        assert (folder / loss / "training.gif").exists()
        history = (folder / loss / "history.csv").read_text().strip().splitlines()
        assert len(history) == 1 + 3
    assert "seed: 7" in (folder / "config.yaml").read_text()


def _complete(words: str, cwd: Path = ROOT) -> list[str]:
    """What bash completion offers for the last of `words`, asked the way the installed script asks."""
    env = {**os.environ, "_CIRCLES_HINGE_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    out = subprocess.run(
        [Path(sys.executable).parent / "circles-hinge"],
        env=env,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_shell_completion_offers_losses_config_keys_and_folders(tmp_path):
    assert _complete("circles-hinge train --loss sq") == ["squared_hinge"]
    from circles_hinge.losses import LOSSES

    assert _complete("circles-hinge train --loss ") == list(LOSSES)  # every registered loss, in its order
    assert _complete("circles-hinge compare --losses hinge,s") == ["hinge,squared_hinge"]  # not hinge twice
    assert _complete("circles-hinge train --set data.n") == ["data.n_samples=", "data.noise="]
    assert _complete("circles-hinge sweep --grid training.lea") == ["training.learning_rate="]
    (tmp_path / "outputs" / "sweep-a").mkdir(parents=True)
    (tmp_path / "outputs" / "run-b").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder")
    assert _complete("circles-hinge merge outputs/sw", cwd=tmp_path) == ["outputs/sweep-a"]
    assert _complete("circles-hinge report ", cwd=tmp_path) == ["outputs", "outputs/run-b", "outputs/sweep-a"]
    assert "merge" in _complete("circles-hinge m")


def test_sweep_grid_prints_one_json_document_and_refuses_bad_grids_in_one_line(tmp_path):
    args = ["sweep", "--config", str(TINY), "--runs-dir", str(tmp_path), "--seeds", "2", "--losses", "hinge"]
    result = runner.invoke(
        app,
        [*args, "--grid", "data.noise=0,0.1", "--grid", "data.factor=0.4,0.6", "--workers", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "complete" and len(doc["report"]["results"]) == 4
    assert "data.noise=0.1, data.factor=0.6, hinge: success" in result.stderr
    for extra, needle in [
        (["--grid", "data.noise"], "--grid 'data.noise' must be KEY=V1,V2"),
        (["--grid", "data.noise=0", "--param", "data.factor"], "not both"),
        (["--grid", "data.noise=0,1", "--shard", "3/2"], "I must be between 1 and N"),
        (["--grid", "data.noise=0,1", "--shard", "x"], "--shard must be I/N"),
        (["--grid", "data.noise=0", "--workers", "0"], "--workers must be an integer >= 1"),
        (["--grid", "data.noise=0", "--grid", "data.factor=0.5,1.5"], "data.factor must be"),
    ]:
        bad = runner.invoke(app, [*args, "--name", "never", *extra])
        assert bad.exit_code == 2 and needle in bad.stderr, (extra, bad.output)
        assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_compare_and_sweep_off_a_terminal_say_each_stage_once_with_the_epochs_in_all(tmp_path):
    """#23 case 7: to a log, compare said "loading TensorFlow" three times and credited both losses'
    epochs to the last ("squared_hinge: training: 60/60 epochs in all"); a sweep repeated its stage
    with no count. Now: TensorFlow once, every stage line with the epochs done in all, the total on
    a line of its own, and no time left before an epoch has given a rate."""
    base = ["--config", str(TINY), "--runs-dir", str(tmp_path)]
    result = runner.invoke(app, ["compare", *base])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines.count("loading TensorFlow") == 1 and not any("s: loading" in line for line in lines)
    assert "hinge: training (0/4 epochs in all)" in lines
    assert any(line.startswith("squared_hinge: training (2/4 epochs in all") for line in lines)
    assert not any(line.startswith(("hinge: training: ", "squared_hinge: training: ")) for line in lines)
    assert sum(line.startswith("4/4 epochs in all, ") for line in lines) == 1

    grid = ["--param", "data.noise", "--values", "0,0.1", "--seeds", "2", "--workers", "1"]
    result = runner.invoke(app, ["sweep", *base, *grid])
    assert result.exit_code == 0, result.output
    stages = [line for line in result.stderr.splitlines() if "cells x" in line]
    assert stages == [
        "hinge, 2 cells x 2 seeds (0/4 epochs in all)",
        "squared_hinge, 2 cells x 2 seeds (2/4 epochs in all)",
    ]
    assert "left" not in stages[0]


def test_a_time_left_inside_an_epoch_waits_for_a_rate():
    """#23 case 7: "about 4 min left in this epoch" after a second of tracing, for a sweep of 45 s."""
    from circles_hinge.words import batch_progress

    assert "left" not in batch_progress(1, 30, 50, 9000, 1.0)  # a second in: tracing, no rate yet
    assert "left" not in batch_progress(1, 30, 300, 9000, 5.0)  # 3% of the epoch
    assert batch_progress(1, 30, 1800, 9000, 6.0).endswith("about 24 s left in this epoch")
