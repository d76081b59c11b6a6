"""The Python API: the CLI's pipelines from a notebook, typed results, the same checks at the door."""

import json

import pytest
from conftest import TINY

import circles_hinge as ch
from circles_hinge.errors import ConfigError


def test_train_returns_the_run_it_wrote(tmp_path):
    run = ch.train(
        loss="squared_hinge", seed=7, config=TINY, overrides={"training.epochs": 3}, runs_dir=tmp_path
    )
    assert run.path.parent == tmp_path and run.status == "complete"
    assert run.metrics == json.loads((run.path / "metrics.json").read_text())
    assert run.metrics["loss"] == "squared_hinge" and run.metrics["seed"] == 7
    assert run.history["epoch"] == [1, 2, 3] and len(run.history["val_loss"]) == 3
    assert run.config.training.epochs == 3 and run.config.data.n_samples == 100
    page = run._repr_html_()
    assert "data:image/png;base64," in page and "squared_hinge" in page
    again = ch.load_run(run.path)
    assert again.metrics == run.metrics and again.history == run.history


def test_precedence_is_the_clis_defaults_file_overrides_then_named(tmp_path):
    cfg = ch.api.resolve(TINY, {"seed": 3, "training.epochs": 4}, seed=5)
    assert (cfg.seed, cfg.training.epochs, cfg.data.n_samples) == (5, 4, 100)
    from_dict = ch.api.resolve({"data": {"n_samples": 200, "test_size": 50}}, {"data.noise": 0.1})
    assert (from_dict.data.n_samples, from_dict.data.noise) == (200, 0.1)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda d: ch.train(overrides={"data.factor": 1.5}, runs_dir=d), "data.factor"),
        (lambda d: ch.train(loss="hinj", runs_dir=d), "training.loss"),
        (lambda d: ch.compare(losses=["hinge", "nope"], runs_dir=d), "nope"),
        (lambda d: ch.compare(seeds=1000, replays=True, runs_dir=d), "--replays allows at most 55 seeds"),
        (lambda d: ch.sweep("data.noise", [0.1, 0.1], runs_dir=d), "0.1 more than once"),
        (lambda d: ch.sweep(grid={"data.noise": [0], "seed": [1]}, runs_dir=d), "seed cannot be swept"),
        (lambda d: ch.sweep("data.noise", [0], grid={"data.factor": [0.5]}, runs_dir=d), "not both"),
    ],
)
def test_bad_input_raises_one_line_and_writes_nothing(tmp_path, call, message):
    with pytest.raises(ConfigError) as err:
        call(tmp_path / "runs")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_compare_and_sweep_return_their_reports(tmp_path):
    side = ch.compare(config=TINY, runs_dir=tmp_path)
    assert set(side.runs) == {"hinge", "squared_hinge"}
    assert side.runs["hinge"].metrics["test_accuracy"] == side.results[0].test_accuracy
    study = ch.compare(config=TINY, seeds=3, runs_dir=tmp_path, name="s")
    assert [r.seeds for r in study.results] == [3, 3] and "succeed" in study._repr_html_()
    swept = ch.sweep("data.noise", [0.0, 0.1], losses=["hinge"], seeds=2, config=TINY, runs_dir=tmp_path)
    assert swept.kind == "sweep" and (swept.path / "sweep.csv").exists()
    assert "machine" in swept.report.to_json() and study.report.machine == swept.report.machine
    grid = ch.sweep(
        grid={"data.noise": [0.0, 0.1], "data.factor": [0.3, 0.5]},
        losses=["hinge"],
        seeds=2,
        config=TINY,
        runs_dir=tmp_path,
    )
    assert [(r.cell["data.noise"], r.cell["data.factor"]) for r in grid.results] == [
        (0.0, 0.3),
        (0.0, 0.5),
        (0.1, 0.3),
        (0.1, 0.5),
    ]
    assert grid.report.keys == ["data.noise", "data.factor"] and (grid.path / "sweep.md").exists()


def test_a_second_train_in_one_process_reuses_tensorflow_and_repeats_the_first(tmp_path):
    """A notebook trains many times in one process: TensorFlow stays loaded (how much faster that is,
    benchmarks/api_calls.py measures), and the same config and seed give the same bytes again."""
    import sys

    first = ch.train(seed=1, config=TINY, runs_dir=tmp_path, name="first")
    tensorflow = sys.modules["tensorflow"]
    again = ch.train(seed=1, config=TINY, runs_dir=tmp_path, name="again")
    assert sys.modules["tensorflow"] is tensorflow
    assert (again.path / "history.csv").read_bytes() == (first.path / "history.csv").read_bytes()
    assert again.metrics["test_loss"] == first.metrics["test_loss"]


def test_status_json_of_an_api_call_records_the_call(tmp_path):
    """#23 case 8: status.json of an API run recorded the interpreter's argv, ["-c"]."""
    import json

    from conftest import TINY

    import circles_hinge as ch

    run = ch.train(loss="hinge", seed=3, config=TINY, runs_dir=tmp_path, overrides={"training.epochs": 1})
    command = json.loads((run.path / "status.json").read_text())["command"]
    assert command == [
        "circles_hinge.train",
        "loss='hinge'",
        "seed=3",
        f"config={TINY!r}",
        "overrides={'training.epochs': 1}",
        f"runs_dir={str(tmp_path)!r}",
    ]
