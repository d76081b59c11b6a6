"""The pipeline end to end on the tiny config: every file, its contents, and determinism."""

import csv
import json

import numpy as np
import pytest
import yaml
from PIL import Image

from circles_hinge.engine.data import load_split
from circles_hinge.engine.model import evaluate_model
from circles_hinge.loading import load_config
from circles_hinge.store.folders import RUN_FILES
from circles_hinge.studies.experiment import run_experiment

PICTURES = ["loss_curve.png", "decision_regions.png", "data.png", "margins.png", "hidden_layer.png"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from conftest import TINY

    config = load_config(TINY)
    return config, run_experiment(config, tmp_path_factory.mktemp("runs"))


def test_every_file_is_written(tiny_run):
    _, result = tiny_run
    for name in RUN_FILES:
        assert (result.path / name).stat().st_size > 0, name
    assert result.path.name.endswith("-hinge-s42")
    status = json.loads((result.path / "status.json").read_text())
    assert status["status"] == "complete" and status["finished"]
    assert not list(result.path.glob(".*")), "no temporary files are left behind"


def test_metrics_json_agrees_with_the_saved_model(tiny_run):
    import keras

    config, result = tiny_run
    metrics = json.loads((result.path / "metrics.json").read_text())
    model = keras.models.load_model(result.path / "model.keras", safe_mode=True)
    split = load_split(config.data, config.seed, config.training.validation_split)
    loss, accuracy = evaluate_model(model, config, split.X_test, split.y_test)
    assert metrics["test_accuracy"] == pytest.approx(accuracy)
    out = np.asarray(model(split.X_test))  # independently: the sign of the output against the label
    assert metrics["test_accuracy"] == pytest.approx(np.mean((out[:, 0] >= 0) == (split.y_test == 1)))
    assert metrics["test_loss"] == pytest.approx(loss, rel=1e-6)
    assert model.count_params() == metrics["n_parameters"] == 25
    expected = {
        "test_loss",
        "test_accuracy",
        "final_loss",
        "final_val_loss",
        "final_accuracy",
        "final_val_accuracy",
        "epochs",
        "train_seconds",
        "seed",
        "versions",
    }
    assert expected <= set(metrics)
    assert set(metrics["versions"]) >= {"python", "tensorflow", "keras", "numpy", "scikit-learn", "mlxtend"}
    assert metrics["epochs"] == 2 and metrics["seed"] == 42


def test_history_and_config_files(tiny_run):
    config, result = tiny_run
    rows = list(csv.DictReader((result.path / "history.csv").open()))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    metrics = json.loads((result.path / "metrics.json").read_text())
    assert float(rows[-1]["loss"]) == pytest.approx(metrics["final_loss"])
    assert load_config(result.path / "config.yaml") == config
    assert yaml.safe_load((result.path / "config.yaml").read_text())["training"]["loss"] == "hinge"


@pytest.mark.parametrize("picture", PICTURES)
def test_pictures_are_real_images(tiny_run, picture):
    _, result = tiny_run
    with Image.open(result.path / picture) as image:
        assert image.format == "PNG"
        assert image.width >= 300 and image.height >= 300
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert len(colours) > 20  # a real plot, not a blank canvas


def test_same_config_and_seed_give_identical_results(tmp_path, tiny_config):
    a = run_experiment(tiny_config, tmp_path / "a")
    b = run_experiment(tiny_config, tmp_path / "b")
    assert (a.path / "history.csv").read_bytes() == (b.path / "history.csv").read_bytes()
    for key in ("test_loss", "test_accuracy", "final_loss"):
        assert a.metrics[key] == b.metrics[key]


def test_the_tutorial_reproduces_for_the_default_seed(tmp_path):
    """The tutorial's published outcome: 100% test accuracy and a final hinge loss of 1e-3 or below,
    from the first start (seed 42 trains in stock Keras too: no restart is needed). Its 1.1e-4 and
    its 100% validation accuracy from epoch 1 came from one unseeded run; seed 42 reaches 100% on
    validation at epoch 6 here, as in stock Keras, so the bound is loose."""
    result = run_experiment(load_config(None), tmp_path)
    m = result.metrics
    assert m["test_accuracy"] == 1.0
    assert 0 <= m["final_loss"] < 1e-3
    assert m["epochs_to_perfect_val"] is not None and m["epochs_to_perfect_val"] <= 10
    assert m["initialisations_tried"] == 1
    assert m["n_parameters"] == 25
    history = np.loadtxt(result.path / "history.csv", delimiter=",", skiprows=1)
    assert np.all(np.diff(history[5:, 1]) < 0), (
        "the loss keeps falling after the first epochs, as in the tutorial"
    )


@pytest.mark.parametrize("loss", ["multiclass_svm", "categorical_hinge"])
def test_k_class_runs_write_every_file_and_reload(tmp_path, loss):
    import keras

    config = load_config(
        None,
        [
            "data.dataset=blobs",
            f"training.loss={loss}",
            "data.n_samples=150",
            "data.test_size=50",
            "training.epochs=2",
        ],
    )
    result = run_experiment(config, tmp_path)
    for name in RUN_FILES:
        assert (result.path / name).stat().st_size > 0, name
    model = keras.models.load_model(result.path / "model.keras", safe_mode=True)
    assert model.layers[-1].units == 3
    split = load_split(config.data, config.seed, config.training.validation_split)
    test_loss, accuracy = evaluate_model(model, config, split.X_test, split.y_test)
    assert result.metrics["test_accuracy"] == pytest.approx(accuracy)
    assert result.metrics["test_loss"] == pytest.approx(test_loss, rel=1e-6, abs=1e-7)
    if loss == "multiclass_svm":  # our own loss is saved with the model and comes back by name
        assert model.loss.__name__ == "multiclass_svm"


@pytest.mark.parametrize("loss", ["modified_huber", "perceptron"])
def test_scikit_learns_margin_losses_train_on_circles_and_reload(tmp_path, loss):
    from conftest import TINY

    """modified Huber and the perceptron, on a linear output as scikit-learn's SGDClassifier has them:
    they train (the loss falls), and the saved model names its loss and gives the run's numbers again."""
    import keras

    config = load_config(TINY, [f"training.loss={loss}", "training.epochs=30"])
    result = run_experiment(config, tmp_path)
    assert result.history["loss"][-1] < 0.5 * result.history["loss"][0], "it learns: the loss falls"
    model = keras.models.load_model(result.path / "model.keras", safe_mode=True)
    assert model.loss.__name__ == loss and model.layers[-1].activation.__name__ == "linear"
    split = load_split(config.data, config.seed, config.training.validation_split)
    test_loss, accuracy = evaluate_model(model, config, split.X_test, split.y_test)
    assert result.metrics["test_accuracy"] == pytest.approx(accuracy)
    assert result.metrics["test_loss"] == pytest.approx(test_loss, rel=1e-5, abs=1e-6)


def test_a_test_set_of_one_class_still_gets_every_picture(tmp_path):
    """mlxtend fails when every plotted point has one label; the run must not."""
    result = run_experiment(
        load_config(None, ["data.n_samples=100", "data.test_size=1", "training.epochs=1"]), tmp_path
    )
    for picture in PICTURES:
        assert (result.path / picture).stat().st_size > 0


def _collapsing_blobs(*extra: str):
    """Small blobs on which seed 44's first start collapses and restart 1 reaches 100% validation."""
    sets = ["data.dataset=blobs", "training.loss=categorical_hinge", "data.n_samples=200"]
    return load_config(None, [*sets, "data.test_size=50", "training.epochs=3", "seed=44", *extra])


def test_a_restarted_run_writes_the_kept_initialisation_everywhere(tmp_path, monkeypatch):
    """history.csv, metrics, model and training.gif all come from the restart that was kept."""
    import keras

    from circles_hinge.outputs import animation

    gif_frames = []
    real_gif = animation.save_training_gif

    def spy(path, frames, *rest):
        gif_frames.extend(frames)
        return real_gif(path, frames, *rest)

    monkeypatch.setattr(animation, "save_training_gif", spy)
    config = _collapsing_blobs("training.restarts=5")
    result = run_experiment(config, tmp_path, animate=True)
    m = result.metrics
    kept = m["initialisation"]
    assert kept > 0 and m["initialisations_tried"] == 6 and m["initialisation_accuracy_on"] == "validation"
    assert m["initialisation_accuracies"][0] < 0.99 <= m["initialisation_accuracies"][kept]
    assert m["final_val_accuracy"] == pytest.approx(m["initialisation_accuracies"][kept], abs=1e-4)
    rows = list(csv.DictReader((result.path / "history.csv").open()))
    assert float(rows[-1]["val_accuracy"]) == pytest.approx(m["final_val_accuracy"])
    model = keras.models.load_model(result.path / "model.keras", safe_mode=True)
    split = load_split(config.data, 44, 0.2)
    _, accuracy = evaluate_model(model, config, split.X_test, split.y_test)
    assert m["test_accuracy"] == pytest.approx(accuracy)
    assert [epoch for epoch, _, _ in gif_frames] == [0, 1, 2, 3]  # 0: the initial weights
    assert gif_frames[-1][1]["val_accuracy"] == pytest.approx(m["final_val_accuracy"])
    with Image.open(result.path / "training.gif") as gif:
        assert gif.n_frames == 4


def test_stopping_during_the_restarts_says_so_in_status_json(tmp_path):
    from circles_hinge.errors import Interrupted

    def stop_at_restarts(text: str) -> None:
        if text.startswith("restarts"):
            raise KeyboardInterrupt

    config = _collapsing_blobs()
    with pytest.raises(Interrupted) as stopped:
        run_experiment(config, tmp_path, on_stage=stop_at_restarts)
    status = json.loads((stopped.value.path / "status.json").read_text())
    assert status["status"] == "interrupted" and status["stage"] == "restarts"
    assert status["first_accuracy"] < 0.99 and "during the restarts" in status["error"]
    rows = list(csv.DictReader((stopped.value.path / "history.csv").open()))
    assert len(rows) == 3  # the first initialisation's whole history
