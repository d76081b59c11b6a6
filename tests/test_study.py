"""study.py: tiny seed studies end to end: the per-seed rows and their summary, a replica against the
single run, a stop and a divergence, and no restarts in a comparison or sweep."""

import csv
import re

import numpy as np
import pytest
from conftest import TINY, check_common_report, read_status

from circles_hinge.engine.stats import wilson_interval
from circles_hinge.loading import load_config
from circles_hinge.studies.comparison import run_comparison
from circles_hinge.studies.requests import check_comparison


def test_seed_study_writes_its_files_and_per_seed_csv(study):
    path, report = study.path, study.report.to_json()
    assert path.name == "study"
    check_common_report(path, report, "compare")
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
    markdown = (path / "comparison.md").read_text()
    assert "![comparison](comparison.png)" in markdown
    # the seed the panels draw (a typical success, not the first seed), said where the picture is
    shows = report["files"]["picture_shows"]
    assert re.fullmatch(r"seed 4[234]: .+", shows), shows
    assert f"The panels show {shows};" in markdown


def test_seed_study_statistics_agree_with_the_per_seed_rows(study):
    rows = list(csv.DictReader((study.path / "seeds.csv").open()))
    report = study.report.to_json()
    assert report["seeds_label"] == "42..44"
    for r in report["results"]:
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
    single = {r.loss: r.to_json() for r in side_by_side[0].report.results}
    rows = list(csv.DictReader((study.path / "seeds.csv").open()))
    for row in rows:
        if row["seed"] == "42":
            plain = single[row["loss"]]
            assert float(row["test_accuracy"]) == pytest.approx(plain["test_accuracy"])
            assert float(row["final_loss"]) == pytest.approx(plain["final_loss"], rel=1e-4)


def test_a_stopped_study_is_marked_interrupted(tiny_config, tmp_path):
    from circles_hinge.errors import Interrupted

    def stop(stage, done, total):
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        run_comparison(check_comparison(tiny_config, ["hinge"], 2), tmp_path, on_progress=stop)
    assert read_status(info.value.path)["status"] == "interrupted"


def test_a_diverging_seed_in_a_one_seed_study_counts_as_failed(tmp_path):
    from circles_hinge.loading import load_config

    config = load_config(
        None,
        [
            "data.dataset=blobs",
            "data.n_samples=150",
            "data.test_size=50",
            "training.epochs=2",
            "training.learning_rate=1e30",
            "model.hidden_activation=linear",  # no unit can switch off: overflow on any machine
            "training.loss=multiclass_svm",
        ],
    )
    result = run_comparison(check_comparison(config, ["multiclass_svm"], 1), tmp_path)
    [row] = result.report.results
    assert row.success_rate == 0.0 and row.failed_seeds == [config.seed]


def test_compare_and_sweep_never_restart_so_every_loss_starts_from_the_same_weights():
    from circles_hinge.studies.grid import check_grid

    config = load_config(None)
    assert config.training.restarts > 0  # `train` restarts by default
    request = check_comparison(config, ["hinge", "squared_hinge"], None)
    assert [c.training.restarts for c in request.configs.values()] == [0, 0]
    assert request.config.training.restarts == 0
    grid = check_grid(config, [("data.noise", ["0", "0.1"])], ["hinge"], 1)
    assert {c.training.restarts for configs in grid.configs for c in configs.values()} == {0}


@pytest.mark.parametrize(
    "loss,dataset",
    [
        ("hinge", "circles"),
        ("squared_hinge", "circles"),
        ("binary_crossentropy", "circles"),
        ("categorical_hinge", "blobs"),
        ("multiclass_svm", "blobs"),
    ],
)
def test_seed_s_is_the_same_run_alone_and_in_studies_of_3_and_50(loss, dataset, tmp_path):
    """`train --seed 45` writes the history.csv, test loss and test accuracy that seed 45 has inside a
    study of 3 seeds and of 50, wherever it stands in them: the user can re-run a study's seed alone."""
    from circles_hinge.results import history_rows
    from circles_hinge.store.folders import write_csv
    from circles_hinge.studies.experiment import run_experiment
    from circles_hinge.studies.requests import no_restarts
    from circles_hinge.studies.seeds import train_studies

    config = load_config(TINY, [f"training.loss={loss}", f"data.dataset={dataset}", "seed=45"])
    alone = run_experiment(config, tmp_path / "runs")
    history_csv = (alone.path / "history.csv").read_bytes()
    for seed_list in (list(range(44, 47)), list(range(20, 70))):
        [study], _ = train_studies({loss: no_restarts(config)}, seed_list, lambda *_: None)
        k = seed_list.index(45)
        write_csv(tmp_path / "replica.csv", history_rows({m: v[k] for m, v in study.history.items()}))
        assert (tmp_path / "replica.csv").read_bytes() == history_csv, (len(seed_list), k)
        row = study.rows[k]
        assert row.seed == 45
        assert row.test_loss == alone.metrics["test_loss"]
        assert row.test_accuracy == alone.metrics["test_accuracy"]
