"""The door (studies/door.py): the command line and the API refuse the same requests with the same line,
before any folder is made, and a plan carries the notices both show."""

import re
import warnings

import pytest
from conftest import TINY
from typer.testing import CliRunner

import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.errors import CirclesHingeError

runner = CliRunner()


def _taken(runs):
    (runs / "taken").mkdir(parents=True)


# (what the request needs first, the command line, the same request through the API, exit code)
CASES = {
    "out of memory": (
        None,
        ["train", "--set", "data.n_samples=30000000"],
        lambda d: ch.train(overrides={"data.n_samples": 30_000_000}, runs_dir=d),
        2,
    ),
    "a study out of memory": (
        None,
        ["compare", "--seeds", "90000", "--set", "data.n_samples=100000", "--set", "data.test_size=250"],
        lambda d: ch.compare(
            seeds=90_000, overrides={"data.n_samples": 100_000, "data.test_size": 250}, runs_dir=d
        ),
        2,
    ),
    "a name in use (train)": (
        _taken,
        ["train", "--name", "taken"],
        lambda d: ch.train(name="taken", runs_dir=d),
        1,
    ),
    "a name in use (compare)": (
        _taken,
        ["compare", "--name", "taken"],
        lambda d: ch.compare(name="taken", runs_dir=d),
        1,
    ),
    "a name that is no folder name": (
        None,
        ["compare", "--name", "../x"],
        lambda d: ch.compare(name="../x", runs_dir=d),
        2,
    ),
    "an unknown loss": (
        None,
        ["compare", "--losses", "hinge,nope"],
        lambda d: ch.compare(losses=["hinge", "nope"], runs_dir=d),
        2,
    ),
    "a loss twice": (
        None,
        ["compare", "--losses", "hinge,hinge"],
        lambda d: ch.compare(losses=["hinge", "hinge"], runs_dir=d),
        2,
    ),
    "too many replays": (
        None,
        ["compare", "--seeds", "1000", "--replays"],
        lambda d: ch.compare(seeds=1000, replays=True, runs_dir=d),
        2,
    ),
    "seeds past the last seed": (
        None,
        ["compare", "--seeds", "10", "--seed", "4294967290"],
        lambda d: ch.compare(seeds=10, seed=4294967290, runs_dir=d),
        2,
    ),
    "a swept key the data set ignores": (
        None,
        ["sweep", "--grid", "data.factor=0.3,0.5", "--set", "data.dataset=moons"],
        lambda d: ch.sweep(grid={"data.factor": [0.3, 0.5]}, overrides={"data.dataset": "moons"}, runs_dir=d),
        2,
    ),
    "a key that cannot be swept": (
        None,
        ["sweep", "--param", "seed", "--values", "1,2"],
        lambda d: ch.sweep("seed", [1, 2], runs_dir=d),
        2,
    ),
    "a shard past the grid": (
        None,
        ["sweep", "--param", "data.noise", "--values", "0,0.1", "--losses", "hinge", "--shard", "3/3"],
        lambda d: ch.sweep("data.noise", [0, 0.1], losses=["hinge"], shard=(3, 3), runs_dir=d),
        2,
    ),
    "a two-class loss on three classes": (
        None,
        ["train", "--set", "data.dataset=blobs"],
        lambda d: ch.train(overrides={"data.dataset": "blobs"}, runs_dir=d),
        2,
    ),
}


def _same_words(line: str) -> str:
    """A refusal without what may differ: the memory available right now (and what fits in it), and
    the name each door gives the sources of a check across fields (`--set` on the command line,
    `overrides` in the API)."""
    line = re.sub(r"[\d,.]+ GiB is available", "N GiB is available", line)
    line = re.sub(r"that fits is [\d,]+", "that fits is N", line)
    return re.sub(r" \((--set|overrides)\)$", " (the overrides)", line)


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_and_the_api_refuse_the_same_request_with_the_same_line(tmp_path, case):
    prepare, args, call, code = CASES[case]
    cli_runs, api_runs = tmp_path / "cli", tmp_path / "api"
    for runs in (cli_runs, api_runs):
        if prepare is not None:
            prepare(runs)
    before = {runs: sorted(runs.rglob("*")) if runs.exists() else None for runs in (cli_runs, api_runs)}

    result = runner.invoke(app, [*args, "--runs-dir", str(cli_runs)])
    with pytest.raises(CirclesHingeError) as refused:
        call(api_runs)

    cli_line = result.output.strip()
    assert result.exit_code == code == refused.value.exit_code, cli_line
    assert "\n" not in cli_line and "Traceback" not in cli_line
    assert _same_words(cli_line) == _same_words(refused.value.report().replace(str(api_runs), str(cli_runs)))
    for runs in (cli_runs, api_runs):  # nothing made, not even the runs folder
        assert (sorted(runs.rglob("*")) if runs.exists() else None) == before[runs]


@pytest.mark.parametrize(
    ("args", "overrides", "cli_where", "api_where"),
    [
        (
            ["--set", "data.factor=1.5"],
            {"data.factor": 1.5},
            "--set data.factor=1.5",
            "overrides['data.factor']",
        ),
        (["--set", "data.fator=0.2"], {"data.fator": 0.2}, "--set data.fator=0.2", "overrides['data.fator']"),
    ],
)
def test_a_bad_value_is_named_where_each_door_took_it(tmp_path, args, overrides, cli_where, api_where):
    result = runner.invoke(app, ["train", *args, "--runs-dir", str(tmp_path)])
    with pytest.raises(CirclesHingeError) as refused:
        ch.train(overrides=overrides, runs_dir=tmp_path)
    cli_line, api_line = result.output.strip(), refused.value.report()
    assert cli_line.endswith(f"({cli_where})") and api_line.endswith(f"({api_where})")
    assert cli_line.removesuffix(f"({cli_where})") == api_line.removesuffix(f"({api_where})")
    assert "(options)" not in api_line and not list(tmp_path.iterdir())


def test_a_named_option_is_named_as_the_door_takes_it(tmp_path):
    result = runner.invoke(app, ["train", "--epochs", "0", "--runs-dir", str(tmp_path)])
    assert result.output.strip().endswith("— got 0 (--epochs)")
    with pytest.raises(CirclesHingeError, match=r"— got 0 \(epochs=\)$"):
        ch.train(epochs=0, runs_dir=tmp_path)


def test_the_api_shows_the_doors_notices_as_warnings(tmp_path):
    from circles_hinge.studies.door import Ask, plan_compare

    plan = plan_compare(Ask(TINY, ["training.restarts=5"]), ["hinge"], 2, tmp_path)
    assert plan.notices == [
        "warning: compare ignores training.restarts=5 (given with --set): every loss trains one "
        "initialisation per seed, without restarts"
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ch.compare(
            losses=["hinge"], seeds=2, config=TINY, overrides={"training.restarts": 5}, runs_dir=tmp_path
        )
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert said == [
        "compare ignores training.restarts=5 (from overrides['training.restarts']): every loss trains one "
        "initialisation per seed, without restarts"
    ]
