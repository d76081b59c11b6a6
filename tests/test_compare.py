"""Comparisons, seed studies and sweeps: the statistics, the boundary figures, the request checks,
and tiny comparisons, seed studies and sweeps end to end."""

import csv
import json
import math

import numpy as np
import pytest

from circles_hinge.boundary import (
    BOUNDARY_CONSTANTS,
    BOUNDARY_KEYS,
    boundary_radii,
    boundary_summary,
    signed_decision,
)
from circles_hinge.compare import run_comparison, run_sweep
from circles_hinge.config import load_config
from circles_hinge.errors import ConfigError
from circles_hinge.losses import get_loss
from circles_hinge.runs import RUN_FILES, list_runs
from circles_hinge.stats import median_iqr, wilson_interval

Z2 = 1.959963984540054**2

# --- statistics ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),  # the textbook example
        (0, 10, (0.0, Z2 / (10 + Z2))),  # closed forms at the edges: upper = z²/(n+z²)
        (10, 10, (10 / (10 + Z2), 1.0)),  # lower = n/(n+z²)
        (0, 0, (0.0, 1.0)),  # no trials: nothing is known
        (1, 1, (1 / (1 + Z2), 1.0)),
    ],
)
def test_wilson_interval_known_values(successes, n, expected):
    lo, hi = wilson_interval(successes, n)
    assert lo == pytest.approx(expected[0], abs=5e-5)
    assert hi == pytest.approx(expected[1], abs=5e-5)


@pytest.mark.parametrize(("successes", "n"), [(0, 7), (3, 7), (41, 50), (50, 50), (1, 100)])
def test_wilson_interval_is_symmetric_and_holds_the_estimate(successes, n):
    lo, hi = wilson_interval(successes, n)
    flo, fhi = wilson_interval(n - successes, n)
    assert (lo, hi) == pytest.approx((1 - fhi, 1 - flo))
    assert 0 <= lo <= successes / n <= hi <= 1
    lo2, hi2 = wilson_interval(successes * 4, n * 4)  # the same share from more seeds: a narrower interval
    assert hi2 - lo2 < hi - lo


def test_median_iqr_ignores_missing_values():
    assert median_iqr([1, 2, 3, 4, None, float("nan")]) == pytest.approx((2.5, 1.5))
    assert median_iqr([]) == (None, None)
    assert median_iqr([None, float("inf")]) == (None, None)


# --- where the boundary lies -----------------------------------------------------------------------


def _radial(fn):
    """A hand-set 'model': decision values as a function of the distance from the origin."""
    return lambda X: fn(np.linalg.norm(np.asarray(X, dtype=np.float64), axis=-1))


def test_boundary_of_a_tanh_circle_and_its_level_crossings():
    r0, k = 0.4, 10.0
    radii = boundary_radii(_radial(lambda r: np.tanh(k * (r0 - r))), levels=(0.0, -0.5, 0.5))
    assert radii[0.0].shape == (360,)
    np.testing.assert_allclose(radii[0.0], r0, atol=1e-5)
    np.testing.assert_allclose(radii[0.5], r0 - math.atanh(0.5) / k, atol=1e-4)  # +0.5 is left first
    np.testing.assert_allclose(radii[-0.5], r0 + math.atanh(0.5) / k, atol=1e-4)


def test_saturated_output_crosses_plus_and_minus_one_where_it_leaves_and_reaches_them():
    """An output clipped to exactly ±1 (as float32 tanh saturates): +1 is crossed where the output
    drops below 1, and -1 where it first equals -1; on a plateau, to within one grid step."""
    r0, k, step = 0.5, 10.0, 2.0 / 800
    radii = boundary_radii(_radial(lambda r: np.clip(k * (r0 - r), -1, 1)), r_max=2.0, n_radii=801)
    np.testing.assert_allclose(radii[0.0], r0, atol=1e-5)
    np.testing.assert_allclose(radii[1.0], r0 - 1 / k, atol=step)
    np.testing.assert_allclose(radii[-1.0], r0 + 1 / k, atol=step)
    assert np.all(radii[1.0] <= r0 - 1 / k + 1e-6), "never past the point where the output leaves +1"


def test_boundary_of_an_off_centre_circle_follows_the_angle():
    centre, radius = np.array([0.1, 0.0]), 0.4
    radii = boundary_radii(lambda X: radius - np.linalg.norm(X - centre, axis=-1), n_angles=8)[0.0]
    theta = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    along = centre[0] * np.cos(theta)  # |r u - c| = R solved for r along the unit vector u
    expected = along + np.sqrt(along**2 - centre @ centre + radius**2)
    np.testing.assert_allclose(radii, expected, atol=1e-5)


def test_no_crossing_is_nan_and_several_models_are_measured_at_once():
    radii = boundary_radii(lambda X: np.ones(len(X)))
    assert np.isnan(radii[0.0]).all() and np.isnan(radii[1.0]).all()
    two = boundary_radii(
        lambda X: np.stack([0.3 - np.linalg.norm(X, axis=-1), 0.6 - np.linalg.norm(X, axis=-1)])
    )
    assert two[0.0].shape == (2, 360)
    np.testing.assert_allclose(two[0.0][0], 0.3, atol=1e-6)
    np.testing.assert_allclose(two[0.0][1], 0.6, atol=1e-6)


def test_boundary_summary_of_a_known_circle():
    r0, k, factor, level = 0.4, 10.0, 0.1, 0.5
    radii = boundary_radii(_radial(lambda r: np.tanh(k * (r0 - r))), levels=(0.0, -level, level))
    s = boundary_summary(radii, factor, band_level=level)
    assert set(s) == set(BOUNDARY_KEYS) | set(BOUNDARY_CONSTANTS)
    half = math.atanh(level) / k
    expected = {
        "boundary_radius_mean": r0,
        "boundary_radius_min": r0,
        "boundary_radius_max": r0,
        "boundary_coverage": 1.0,
        "inner_margin": r0 - factor,
        "outer_margin": 1 - r0,
        "distance_from_midway": r0 - 0.55,
        "max_distance_from_midway": 0.55 - r0,
        "band_inner_radius_mean": r0 - half,
        "band_outer_radius_mean": r0 + half,
        "band_width_mean": 2 * half,
        "inner_radius": factor,
        "outer_radius": 1.0,
        "midway_radius": 0.55,
        "band_level": level,
    }
    for key, value in expected.items():
        assert s[key] == pytest.approx(value, abs=1e-4), key


def test_boundary_summary_without_a_boundary_is_json_safe():
    s = boundary_summary(boundary_radii(lambda X: -np.ones(len(X))), 0.1)
    assert (
        s["boundary_coverage"] == 0.0 and s["boundary_radius_mean"] is None and s["band_width_mean"] is None
    )
    json.dumps(s, allow_nan=False)


def test_signed_decision_puts_class_one_on_the_positive_side():
    outputs = np.array([[[0.2, 0.9], [0.8, 0.1]]])  # (K=1, n=2, 2 units)
    np.testing.assert_allclose(signed_decision(get_loss("categorical_hinge"), outputs), [[0.7, -0.7]])
    p = np.array([[0.5], [0.9]])
    np.testing.assert_allclose(signed_decision(get_loss("binary_crossentropy"), p), [0.0, math.log(9)])
    assert signed_decision(get_loss("categorical_hinge"), np.zeros((4, 3))) is None


# --- checking the request before anything is made --------------------------------------------------


@pytest.mark.parametrize(
    ("losses", "seeds", "message"),
    [
        (["hinge", "nope"], None, "'nope' is not a known loss"),
        ([], None, "--losses is empty"),
        (["hinge", "hinge"], None, "hinge more than once"),
        (["hinge"], 0, "--seeds must be an integer >= 1"),
        (["hinge"], 2**32, "goes past the largest seed"),
    ],
)
def test_compare_rejects_a_bad_request_before_making_a_folder(tiny_config, tmp_path, losses, seeds, message):
    runs_dir = tmp_path / "runs"
    with pytest.raises(ConfigError, match=message):
        run_comparison(tiny_config, losses, runs_dir, seeds=seeds)
    assert not runs_dir.exists()


@pytest.mark.parametrize(
    ("param", "values", "message"),
    [
        ("data.noise", ["0", "-0.1"], r"data.noise must be a finite number >= 0 — got -0.1"),
        ("data.factor", [0.5, 1.5], r"data.factor must be a finite number in \[0, 1\)"),
        ("data.bogus", [1], "data.bogus is not a known key"),
        ("training.loss", ["hinge"], "cannot be swept"),
        ("data.noise", [], "--values is empty"),
        ("data.noise", ["0.1", 0.1], "more than once"),
    ],
)
def test_sweep_rejects_a_bad_value_before_making_a_folder(tiny_config, tmp_path, param, values, message):
    runs_dir = tmp_path / "runs"
    with pytest.raises(ConfigError, match=message):
        run_sweep(tiny_config, param, values, ["hinge"], runs_dir, seeds=2)
    assert not runs_dir.exists()


# --- end to end on the tiny config -----------------------------------------------------------------


def _load_strict(path):
    """JSON as written, refusing NaN and Infinity, which are not JSON."""

    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def _status(path):
    return json.loads((path / "status.json").read_text())


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def side_by_side(runs_dir):
    from conftest import TINY

    progress = []
    result = run_comparison(
        load_config(TINY), ["hinge", "squared_hinge"], runs_dir, on_progress=lambda *a: progress.append(a)
    )
    return result, progress


@pytest.fixture(scope="module")
def study(runs_dir):
    from conftest import TINY

    return run_comparison(load_config(TINY), ["hinge", "squared_hinge"], runs_dir, seeds=3, name="study")


def _check_common_report(path, report, kind):
    assert _status(path)["status"] == "complete" and _status(path)["kind"] == kind
    assert _load_strict(path / f"{'comparison' if kind == 'compare' else kind}.json") == report
    assert {"results", "seconds", "seeds_label", "config", "versions"} <= set(report)
    assert isinstance(report["seconds"], float) and report["config"]["data"]["n_samples"] == 100
    assert not list(path.glob(".*")), "no temporary files are left behind"


def test_compare_writes_every_file(side_by_side):
    result, progress = side_by_side
    path = result.path
    _check_common_report(path, result.report, "compare")
    for name in ("comparison.png", "comparison.json", "comparison.md", "config.yaml"):
        assert (path / name).stat().st_size > 0, name
    assert (path / "comparison.png").stat().st_size < 400_000
    for loss in ("hinge", "squared_hinge"):  # complete run folders, as `train` writes them
        for name in RUN_FILES:
            assert (path / loss / name).stat().st_size > 0, (loss, name)
        assert _status(path / loss)["status"] == "complete"
    assert progress[-1][1] == progress[-1][2] == 4, "2 losses x 2 epochs, all reported done"


def test_compare_json_holds_each_loss_with_its_numbers(side_by_side):
    result, _ = side_by_side
    report = result.report
    assert report["seeds_label"] == "42" and [r["loss"] for r in report["results"]] == [
        "hinge",
        "squared_hinge",
    ]
    types = {
        "test_accuracy": float,
        "test_loss": float,
        "final_loss": float,
        "final_val_loss": float,
        "train_seconds": float,
        "epochs_to_perfect_val": (int, type(None)),
        **{key: (float, type(None)) for key in BOUNDARY_KEYS},
    }
    for r in report["results"]:
        for key, kind in types.items():
            assert isinstance(r[key], kind), (key, r[key])
        assert r["midway_radius"] == pytest.approx(0.55) and r["inner_radius"] == pytest.approx(0.1)
        metrics = json.loads((result.path / r["run"] / "metrics.json").read_text())
        assert r["test_accuracy"] == metrics["test_accuracy"] and r["final_loss"] == metrics["final_loss"]


def test_compare_markdown_embeds_the_picture_and_the_table(side_by_side):
    result, _ = side_by_side
    text = (result.path / "comparison.md").read_text()
    assert "![comparison](comparison.png)" in text
    assert "| hinge | " in text and "| squared_hinge | " in text
    assert "## Where the boundary lies" in text and "r = 0.55" in text


def test_runs_lists_the_comparison(side_by_side, study):
    result, _ = side_by_side
    found = {s.path.name: s for s in list_runs(result.path.parent)}
    assert found[result.path.name].kind == "compare" and found[result.path.name].status == "complete"
    assert found[result.path.name].losses == "hinge,squared_hinge"
    assert found["study"].seeds == "42..44"


def test_seed_study_writes_its_files_and_per_seed_csv(study):
    path, report = study.path, study.report
    assert path.name == "study"
    _check_common_report(path, report, "compare")
    for name in ("comparison.png", "comparison.json", "comparison.md", "seeds.csv"):
        assert (path / name).stat().st_size > 0, name
    assert not [p for p in path.iterdir() if p.is_dir()], "a study writes no run folder per seed"
    rows = list(csv.DictReader((path / "seeds.csv").open()))
    assert [(r["loss"], int(r["seed"])) for r in rows] == [
        (loss, seed) for loss in ("hinge", "squared_hinge") for seed in (42, 43, 44)
    ]
    assert {
        "test_accuracy",
        "test_loss",
        "final_loss",
        "final_val_loss",
        "epochs_to_perfect_val",
        "boundary_radius_mean",
    } <= set(rows[0])
    assert "![comparison](comparison.png)" in (path / "comparison.md").read_text()


def test_seed_study_statistics_agree_with_the_per_seed_rows(study):
    rows = list(csv.DictReader((study.path / "seeds.csv").open()))
    assert study.report["seeds_label"] == "42..44"
    for r in study.report["results"]:
        mine = [row for row in rows if row["loss"] == r["loss"]]
        accuracy = np.array([float(row["test_accuracy"]) for row in mine])
        ok = accuracy >= 0.99
        assert r["seeds"] == 3 and r["success_rate"] == pytest.approx(ok.mean())
        assert r["successes"] == int(ok.sum())
        assert r["failed_seeds"] == [int(row["seed"]) for row, good in zip(mine, ok) if not good]
        assert r["success_ci95"] == pytest.approx(list(wilson_interval(int(ok.sum()), 3)))
        assert r["test_accuracy"] == pytest.approx(accuracy.mean())
        final = np.array([float(row["final_loss"]) for row in mine])
        assert r["final_loss"] == pytest.approx(np.median(final))
        assert r["final_loss_iqr"] == pytest.approx(np.percentile(final, 75) - np.percentile(final, 25))
        for key in ("epochs_to_perfect_val_iqr", "boundary_radius_mean", "boundary_radius_mean_iqr"):
            assert key in r


def test_replica_of_the_config_seed_reproduces_the_single_run(side_by_side, study):
    """Seed 42 trained as one replica of three gives the numbers of the plain run with seed 42."""
    single = {r["loss"]: r for r in side_by_side[0].report["results"]}
    rows = list(csv.DictReader((study.path / "seeds.csv").open()))
    for row in rows:
        if row["seed"] == "42":
            plain = single[row["loss"]]
            assert float(row["test_accuracy"]) == pytest.approx(plain["test_accuracy"])
            assert float(row["final_loss"]) == pytest.approx(plain["final_loss"], rel=1e-4)


def test_sweep_writes_json_csv_and_picture(tiny_config, runs_dir):
    result = run_sweep(
        tiny_config, "data.noise", ["0", "0.1"], ["hinge", "binary_crossentropy"], runs_dir, seeds=2
    )
    path, report = result.path, result.report
    _check_common_report(path, report, "sweep")
    assert (path / "sweep.png").stat().st_size > 0
    assert [(r["value"], r["loss"]) for r in report["results"]] == [
        (0, "hinge"),
        (0, "binary_crossentropy"),
        (0.1, "hinge"),
        (0.1, "binary_crossentropy"),
    ]
    for r in report["results"]:
        assert r["param"] == "data.noise" and r["seeds"] == 2
        lo, hi = r["success_ci95"]
        assert 0 <= lo <= r["success_rate"] <= hi <= 1
    table = list(csv.DictReader((path / "sweep.csv").open()))
    assert len(table) == 4 and {"value", "loss", "success_rate", "success_ci95_lo", "test_accuracy"} <= set(
        table[0]
    )
    assert len(list(csv.DictReader((path / "seeds.csv").open()))) == 8
    assert report["results"][1]["band_level"] == 1.0, "cross-entropy's band is ±1 of the logit"


def test_a_stopped_study_is_marked_interrupted(tiny_config, tmp_path):
    from circles_hinge.experiment import Interrupted

    def stop(stage, done, total):
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        run_comparison(tiny_config, ["hinge"], tmp_path, seeds=2, on_progress=stop)
    assert _status(info.value.path)["status"] == "interrupted"


def test_a_diverging_seed_in_a_one_seed_study_counts_as_failed(tmp_path):
    from circles_hinge.config import load_config

    config = load_config(
        None,
        [
            "data.dataset=blobs",
            "data.n_samples=150",
            "data.test_size=50",
            "training.epochs=2",
            "training.learning_rate=1e30",
            "training.loss=multiclass_svm",
        ],
    )
    result = run_comparison(config, ["multiclass_svm"], tmp_path, seeds=1)
    [row] = result.report["results"]
    assert row["success_rate"] == 0.0 and row["failed_seeds"] == [config.seed]


def test_compare_and_sweep_never_restart_so_every_loss_starts_from_the_same_weights():
    from circles_hinge.compare import check_comparison, sweep_configs

    config = load_config(None)
    assert config.training.restarts > 0  # `train` restarts by default
    configs, _ = check_comparison(config, ["hinge", "squared_hinge"], None)
    assert [c.training.restarts for c in configs.values()] == [0, 0]
    grid = sweep_configs(config, "data.noise", ["0", "0.1"], ["hinge"])
    assert {c.training.restarts for configs in grid.values() for c in configs.values()} == {0}


def test_a_comparison_records_the_restarts_it_used(tmp_path):
    from conftest import TINY

    result = run_comparison(load_config(TINY, ["training.restarts=5"]), ["hinge"], tmp_path, seeds=1)
    assert result.report["config"]["training"]["restarts"] == 0
    assert load_config(result.path / "config.yaml").training.restarts == 0
