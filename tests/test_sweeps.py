"""sweeps.py: a bad value refused before any folder, and a tiny sweep end to end."""

import csv

import pytest
from conftest import check_common_report

from circles_hinge.errors import ConfigError
from circles_hinge.sweeps import run_sweep


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


def _without_timing(path):
    """sweep.csv without its train_seconds column, the one thing two runs of a sweep never share."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("train_seconds")
    return [row[:drop] + row[drop + 1 :] for row in rows]


def test_an_interrupted_sweep_keeps_its_finished_values_and_resume_finishes_it(tiny_config, tmp_path):
    import json

    from circles_hinge.errors import Interrupted
    from circles_hinge.sweeps import RESUME_FILE, resume_sweep

    args = ("data.noise", ["0", "0.1", "0.2"], ["hinge", "squared_hinge"])
    whole = run_sweep(tiny_config, *args, tmp_path / "whole", seeds=2, name="whole").path

    def stop_at_the_second_value(stage, done, total):
        if stage.startswith("data.noise=0.1: squared_hinge"):  # mid-value: its hinge study is lost
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        run_sweep(tiny_config, *args, tmp_path / "cut", 2, name="cut", on_progress=stop_at_the_second_value)
    cut = tmp_path / "cut" / "cut"
    status = json.loads((cut / "status.json").read_text())
    assert status["status"] == "interrupted"
    with open(cut / "seeds.csv") as fh:  # the first value's rows, kept
        kept = list(csv.DictReader(fh))
    assert {r["value"] for r in kept} == {"0"} and len(kept) == 4  # 2 losses x 2 seeds
    assert not (cut / "sweep.json").exists() and (cut / RESUME_FILE).exists()

    resumed = resume_sweep(cut)
    assert resumed.path == cut
    assert (cut / "seeds.csv").read_bytes() == (whole / "seeds.csv").read_bytes()
    assert _without_timing(cut / "sweep.csv") == _without_timing(whole / "sweep.csv")
    assert sorted(p.name for p in cut.iterdir()) == sorted(p.name for p in whole.iterdir())
    a, b = (json.loads((p / "sweep.json").read_text()) for p in (cut, whole))
    for report in (a, b):
        for r in report["results"]:
            r.pop("train_seconds")
        report.pop("seconds")
    assert a == b
    after = json.loads((cut / "status.json").read_text())
    assert after["status"] == "complete" and after["started"] == status["started"]  # when it first started
    with pytest.raises(ConfigError, match="complete; there is nothing to resume"):
        resume_sweep(cut)
