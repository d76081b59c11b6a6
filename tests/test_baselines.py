"""Classical baselines (engine/baselines.py) on a run's own split, and --baselines / baselines=True on
train and compare: beside the network in metrics.json, comparison.json, comparison.md, the page and
the figure."""

import json

import numpy as np
import pytest
from conftest import TINY
from sklearn.svm import SVC
from typer.testing import CliRunner

import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.engine.baselines import distance_from_svm, fit_baselines, svm_radii
from circles_hinge.engine.data import load_split
from circles_hinge.loading import load_config

runner = CliRunner()


@pytest.fixture(scope="module")
def circles_split():
    config = load_config(None, ["data.n_samples=300", "data.test_size=75", "data.noise=0.05"])
    return load_split(config.data, 42, 0.2)


def test_each_baseline_is_fitted_on_the_fit_part_and_scored_on_the_test_part(circles_split):
    found = fit_baselines(circles_split, ["hinge", "binary_crossentropy", "modified_huber"], 42, circles=True)
    assert [b.name for b in found] == [
        "LinearSVC",
        "SGDClassifier(loss='hinge')",
        "SGDClassifier(loss='log_loss')",
        "SGDClassifier(loss='modified_huber')",
        "SVC(kernel='rbf')",
    ]
    machine = SVC(kernel="rbf").fit(circles_split.X_fit, circles_split.y_fit)  # the same, by hand
    rbf = found[-1]
    assert rbf.test_accuracy == np.mean(machine.predict(circles_split.X_test) == circles_split.y_test)
    assert rbf.support_vectors == machine.n_support_.sum() and rbf.test_accuracy >= 0.95
    assert all(b.support_vectors is None for b in found[:-1])  # the linear models keep none
    assert max(b.test_accuracy for b in found[:-1]) < 0.8  # no line separates two circles
    assert abs(rbf.boundary_radius_mean - 0.55) < 0.1  # near the midway circle between radii 0.1 and 1
    assert [b.boundary_radius_mean for b in found[:-1]] == [None] * 4


def test_k_class_losses_have_no_sgd_baseline():
    config = load_config(None, ["data.dataset=blobs", "training.loss=multiclass_svm", "data.test_size=0.3"])
    found = fit_baselines(load_split(config.data, 0, 0.2), ["multiclass_svm"], 0)
    assert [b.name for b in found] == ["LinearSVC", "SVC(kernel='rbf')"]
    assert found[1].decision(np.zeros((4, 2))).shape == (4, 3)


def test_the_distance_from_the_svm_is_the_mean_gap_along_the_rays(circles_split):
    found = fit_baselines(circles_split, ["hinge"], 42, circles=True)
    rbf = found[-1]
    assert distance_from_svm(rbf.decision, found) == 0.0
    circle = lambda X: 0.55 - np.linalg.norm(X, axis=-1)  # noqa: E731 - a boundary at r = 0.55
    expected = np.mean(np.abs(0.55 - svm_radii(rbf)))
    assert distance_from_svm(circle, found) == pytest.approx(expected, abs=3e-3)  # the rays' grid step
    assert distance_from_svm(circle, found[:-1]) is None  # no SVC, no distance


def test_train_baselines_go_into_metrics_json_and_the_summary(tmp_path):
    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--json", "--baselines"]
    result = runner.invoke(app, [*args, "--loss", "squared_hinge", "--set", "training.epochs=20"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)["metrics"]
    names = [b["name"] for b in metrics["baselines"]]
    assert names == ["LinearSVC", "SGDClassifier(loss='squared_hinge')", "SVC(kernel='rbf')"]
    assert "baseline SVC(kernel='rbf'): test accuracy" in result.stderr
    assert "support vectors" in result.stderr
    saved = json.loads(
        (tmp_path / json.loads(result.stdout)["path"].rsplit("/", 1)[1] / "metrics.json").read_text()
    )
    assert saved["baselines"] == metrics["baselines"]
    assert "boundary_distance_from_svm" in saved  # a number, or null when the network found no boundary


def test_compare_baselines_in_comparison_json_md_page_and_figure(tmp_path):
    plain = ch.compare(config=TINY, runs_dir=tmp_path, name="plain")
    study = ch.compare(
        config=TINY, runs_dir=tmp_path, name="with", baselines=True, overrides={"training.epochs": 20}
    )
    assert "baselines" not in json.loads((plain.path / "comparison.json").read_text())  # unchanged without
    record = json.loads((study.path / "comparison.json").read_text())["baselines"]
    assert record == study.report.baselines.to_json()  # the typed record, as written
    from circles_hinge.reports import ComparisonReport

    read = ComparisonReport.from_json(json.loads((study.path / "comparison.json").read_text()))
    assert read.baselines == study.report.baselines and read.baselines.models[3].support_vectors > 0
    assert [m["name"] for m in record["models"]] == [
        "LinearSVC",
        "SGDClassifier(loss='hinge')",
        "SGDClassifier(loss='squared_hinge')",
        "SVC(kernel='rbf')",
    ]
    assert set(record["boundary_distance_from_svm"]) == {"hinge", "squared_hinge"}
    markdown = (study.path / "comparison.md").read_text()
    assert "## Classical baselines" in markdown and "| SVC(kernel='rbf') | " in markdown
    assert "<h2>Classical baselines</h2>" in (study.path / "report.html").read_text()
    from PIL import Image

    with Image.open(plain.path / "comparison.png") as a, Image.open(study.path / "comparison.png") as b:
        assert b.height > a.height  # the baselines' row of panels
    for loss in ("hinge", "squared_hinge"):
        assert "baselines" in json.loads((study.path / loss / "metrics.json").read_text())


def test_a_seed_study_fits_the_baselines_on_the_seed_it_shows(tmp_path):
    args = ["compare", "--config", str(TINY), "--runs-dir", str(tmp_path), "--quiet", "--seeds", "2"]
    result = runner.invoke(app, [*args, "--baselines", "--losses", "perceptron", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["report"]["baselines"]
    assert record["fitted_on"].startswith("the fit part of seed 4")
    assert [m["name"] for m in record["models"]][1] == "SGDClassifier(loss='perceptron')"
