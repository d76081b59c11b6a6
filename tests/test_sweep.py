"""sweep.py: a bad value refused before any folder, and a tiny sweep end to end."""

import csv

import pytest
from conftest import check_common_report

from circles_hinge.errors import ConfigError
from circles_hinge.sweep import run_sweep


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


def test_sweep_writes_json_csv_and_picture(tiny_config, runs_dir):
    result = run_sweep(
        tiny_config, "data.noise", ["0", "0.1"], ["hinge", "binary_crossentropy"], runs_dir, seeds=2
    )
    path, report = result.path, result.report
    check_common_report(path, report, "sweep")
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
