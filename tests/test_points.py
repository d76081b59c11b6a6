"""A user's CSV of points (engine/points.py): reading it, its stratified seeded test part, what a run
folder records of it, and every kind of bad file refused in one line before TensorFlow loads, by the
command line and the API alike."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, TINY
from typer.testing import CliRunner

from circles_hinge.cli.app import app
from circles_hinge.config import dump_yaml
from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.engine.points import MAX_BYTES, read_points
from circles_hinge.errors import ConfigError
from circles_hinge.studies.door import Ask, plan_train

runner = CliRunner()


def write_points(path, X, labels, header="x1,x2,label"):
    lines = [header] + [f"{a:.6f},{b:.6f},{c}" for (a, b), c in zip(X, labels)]
    path.write_text("\n".join(lines) + "\n")
    return path


def sorted_moons(path, n=200, pm1=False):
    """Moons sorted by class, as a file exported from a table often is."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n, noise=0.1, random_state=0)
    order = np.argsort(y, kind="stable")
    return write_points(path, X[order], (2 * y[order] - 1) if pm1 else y[order])


def plan(path, *sets):
    return plan_train(
        Ask(TINY, ["data.dataset=csv", f"data.path={path}", *sets]), runs_dir=path.parent / "runs"
    )


@pytest.mark.parametrize("pm1", [False, True], ids=["0/1", "-1/+1"])
def test_a_sorted_file_gets_both_classes_in_a_seeded_stratified_test_part(tmp_path, pm1):
    path = sorted_moons(tmp_path / "points.csv", pm1=pm1)
    points = read_points(path)
    assert points.labels == ("-1/+1" if pm1 else "0/1") and points.n_classes == 2
    np.testing.assert_array_equal(np.bincount(points.y), [100, 100])
    config = plan(path).config
    assert (config.data.n_samples, config.data.test_size) == (200, 25)  # tiny.yaml's test_size: a count
    split = load_split(config.data, 42, 0.2)
    assert np.bincount(split.y_test).tolist() in ([12, 13], [13, 12])  # stratified
    np.testing.assert_array_equal(split.X_test, points.X[split.test_rows])
    assert len(split.X_fit) + len(split.X_val) + len(split.X_test) == 200
    again, other = load_split(config.data, 42, 0.2), load_split(config.data, 43, 0.2)
    np.testing.assert_array_equal(again.test_rows, split.test_rows)
    assert not np.array_equal(other.test_rows, split.test_rows)


def test_test_size_is_a_count_or_a_fraction_and_a_file_defaults_to_a_quarter(tmp_path):
    path = sorted_moons(tmp_path / "points.csv", n=101)
    base = ["data.dataset=csv", f"data.path={path}"]
    default = plan_train(Ask(None, base), runs_dir=tmp_path / "runs").config
    assert default.data.test_size == 26  # ceil(0.25 * 101), train_test_split's rounding
    fraction = plan_train(Ask(None, [*base, "data.test_size=0.1"]), runs_dir=tmp_path / "runs").config
    assert fraction.data.test_size == 11
    assert "test_size: 11" in dump_yaml(fraction)  # config.yaml records the count it used
    circles = plan_train(Ask(None, ["data.test_size=0.3"]), runs_dir=tmp_path / "runs").config
    assert circles.data.test_size == 300


def test_columns_in_any_order_and_k_classes_need_a_k_class_loss(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, 2)) + 4 * y[:, None]
    path = tmp_path / "three.csv"
    path.write_text("label,x2,x1\n" + "".join(f"{c},{b},{a}\n" for (a, b), c in zip(X, y)))
    points = read_points(path)
    np.testing.assert_allclose(points.X, X.astype(np.float32), rtol=1e-6)
    assert points.labels == "0..k-1" and points.n_classes == 3
    with pytest.raises(ConfigError) as err:
        plan(path)
    assert str(err.value) == (
        f"training.loss hinge is a two-class loss but data.path {path} has 3 classes; "
        "use categorical_hinge or multiclass_svm"
    )
    config = plan(path, "training.loss=multiclass_svm").config
    assert n_classes(config.data) == 3


def test_ignored_keys_are_said_and_the_run_folder_records_the_file(tmp_path):
    path = sorted_moons(tmp_path / "points.csv", pm1=True)
    args = ["train", "--config", str(TINY), "--runs-dir", str(tmp_path / "runs"), "--quiet", "--json"]
    sets = ["--set", "data.dataset=csv", "--set", f"data.path={path}", "--set", "data.noise=0.2"]
    result = runner.invoke(app, [*args, *sets, "--set", "data.factor=0.5"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:3] == [
        f"warning: train ignores data.n_samples=100 (from {TINY}): data.dataset csv has the points of "
        "data.path; data.n_samples is its row count",
        "warning: train ignores data.factor=0.5 (given with --set): data.factor applies to data.dataset "
        "circles only",
        "warning: train ignores data.noise=0.2 (given with --set): data.dataset csv uses the points of "
        "data.path as they are",
    ]
    folder = tmp_path / "runs" / json.loads(result.stdout)["path"].rsplit("/", 1)[1]
    record = json.loads((folder / "data.json").read_text())
    assert record["path"] == str(path.resolve()) and record["given"] == str(path)
    assert record["size"] == path.stat().st_size
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["labels"] == "-1/+1" and record["rows"] == 200
    split = load_split(plan(path).config.data, 42, 0.2)
    assert record["test_rows"] == sorted(split.test_rows.tolist()) and len(record["test_rows"]) == 25
    assert "path: " + str(path) in (folder / "config.yaml").read_text()
    for name in ("report.html", "decision_regions.png", "margins.png", "model.keras"):
        assert (folder / name).stat().st_size > 0


# --- bad files: one line, exit 2, nothing written, TensorFlow never loaded, the same from the API ------


def _big(path):
    with open(path, "wb") as f:  # sparse: the size is checked before a byte is read
        f.truncate(MAX_BYTES + 1)


def _text(content):
    return lambda path: path.write_text(content)


BAD_FILES = {
    # case: (how to make it, the file name to give, extra --set, the message after "data.path FILE")
    "missing": (None, "nowhere.csv", [], ": no such file"),
    "unreadable": (
        lambda path: (path.parent / "plain").write_text("x"),
        "plain/points.csv",
        [],
        ": cannot be read: Not a directory",
    ),
    "a directory": (
        lambda path: path.mkdir(),
        "folder.csv",
        [],
        ": is a directory; give a CSV file with columns x1,x2,label",
    ),
    "empty": (_text(""), "points.csv", [], ": is empty; write a header x1,x2,label and one point a line"),
    "no header": (
        _text("0.1,0.2,0\n0.3,0.4,1\n"),
        "points.csv",
        [],
        ", line 1: no header: the first line holds numbers; start the file with the line x1,x2,label",
    ),
    "wrong columns": (
        _text("x,y,class\n0.1,0.2,0\n"),
        "points.csv",
        [],
        ", line 1: the columns are 'x,y,class'; they must be x1,x2,label (in any order), each once",
    ),
    "a non-number": (
        _text("x1,x2,label\n0.1,0.2,0\n0.3,abc,1\n"),
        "points.csv",
        [],
        ", line 3: x2 'abc' is not a number",
    ),
    "NaN": (
        _text("x1,x2,label\n0.1,0.2,0\nnan,0.4,1\n"),
        "points.csv",
        [],
        ", line 3: x1 is nan; every value must be a finite number",
    ),
    "inf": (
        _text("x1,x2,label\n0.1,-inf,0\n0.3,0.4,1\n"),
        "points.csv",
        [],
        ", line 2: x2 is -inf; every value must be a finite number",
    ),
    "one class only": (
        _text("x1,x2,label\n" + "0.1,0.2,1\n" * 10),
        "points.csv",
        [],
        ": every point has label 1; a classifier needs two classes",
    ),
    "a label outside the sets": (
        _text("x1,x2,label\n0.1,0.2,-1\n0.3,0.4,1\n0.5,0.6,0\n"),
        "points.csv",
        [],
        ", line 4: label 0 beside -1 labels is not allowed; labels are 0/1, -1/+1, or 0..k-1 for k "
        "classes (k <= 100)",
    ),
    "a fractional label": (
        _text("x1,x2,label\n0.1,0.2,0\n0.3,0.4,0.5\n"),
        "points.csv",
        [],
        ", line 3: label 0.5 is not allowed; labels are 0/1, -1/+1, or 0..k-1 for k classes (k <= 100)",
    ),
    "fewer points than test_size + 2": (
        _text("x1,x2,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(8))),
        "points.csv",
        ["data.test_size=7"],
        ": 8 points; data.test_size 7 needs at least 9 (the test part and two to train on)",
    ),
    "too large": (
        _big,
        "points.csv",
        [],
        f": is {MAX_BYTES + 1:,} bytes; files of points may be at most {MAX_BYTES:,} bytes (64 MiB)",
    ),
    "binary garbage": (
        lambda path: path.write_bytes(b"x1,x2,label\n" + bytes(range(256)) * 4),
        "points.csv",
        [],
        ", line 2: is not a text CSV file (byte 12 is not UTF-8 text)",
    ),
    "a line of two values": (
        _text("x1,x2,label\n0.1,0.2,0\n0.3,1\n"),
        "points.csv",
        [],
        ", line 3: 2 values; each line needs 3 (x1,x2,label)",
    ),
}

# Every case through the real command line (CliRunner) and the API in one fresh process, which reports
# per case the exit code, stderr, the API's message, whether TensorFlow was imported and whether
# anything was written.
SCRIPT = """
import json, os, sys
from typer.testing import CliRunner
import circles_hinge as ch
from circles_hinge.cli.app import app
from circles_hinge.errors import ConfigError
cases, out = json.loads(sys.argv[1]), {}
for name, (path, sets, runs) in cases.items():
    base = ["data.dataset=csv", "data.path=" + path, *sets]
    args = ["train", "--runs-dir", runs]
    for item in base:
        args += ["--set", item]
    r = CliRunner().invoke(app, args)
    overrides = dict(item.split("=", 1) for item in base)
    overrides = {k: (int(v) if v.isdigit() else v) for k, v in overrides.items()}
    try:
        ch.train(overrides=overrides, runs_dir=runs)
        api = None
    except ConfigError as exc:
        api = str(exc)
    out[name] = [r.exit_code, r.stdout, r.stderr, api, "tensorflow" in sys.modules, os.path.exists(runs)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    cases = {}
    for i, (name, (make, given, sets, _)) in enumerate(BAD_FILES.items()):
        folder = root / f"case{i}"
        folder.mkdir()
        if make is not None:
            make(folder / given.split("/")[0] if "/" in given else folder / given)
        cases[name] = [str(folder / given), sets, str(folder / "runs")]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(cases)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return cases, json.loads(out.stdout)


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_in_one_line_before_tensorflow_by_the_cli_and_the_api(refusals, case):
    cases, results = refusals
    exit_code, stdout, stderr, api, tensorflow, written = results[case]
    message = f"data.path {cases[case][0]}{BAD_FILES[case][3]}"
    assert (exit_code, stdout, stderr) == (2, "", f"error: {message}\n")
    assert api == message
    assert not tensorflow and not written


def test_a_file_compares_side_by_side_and_in_a_seed_study_and_sweeps_its_test_size(tmp_path):
    path = sorted_moons(tmp_path / "points.csv")
    base = ["--config", str(TINY), "--runs-dir", str(tmp_path / "runs"), "--quiet"]
    sets = ["--set", "data.dataset=csv", "--set", f"data.path={path}", "--set", "data.test_size=0.2"]
    side = runner.invoke(app, ["compare", *base, *sets])
    assert side.exit_code == 0, side.output
    folder = tmp_path / "runs" / side.stdout.strip().splitlines()[-1].rsplit("/", 1)[1]
    assert "the 200 points of " + str(path) in (folder / "comparison.md").read_text()
    records = [json.loads((folder / loss / "data.json").read_text()) for loss in ("hinge", "squared_hinge")]
    assert records[0]["test_rows"] == records[1]["test_rows"] and len(records[0]["test_rows"]) == 40
    study = runner.invoke(app, ["compare", *base, *sets, "--seeds", "2", "--json"])
    assert study.exit_code == 0, study.output
    assert json.loads(study.stdout)["report"]["config"]["data"]["n_samples"] == 200
    sweep = runner.invoke(
        app, ["sweep", *base, *sets, "--seeds", "1", "--grid", "data.test_size=0.2,30", "--json"]
    )
    assert sweep.exit_code == 0, sweep.output
    cells = {r["data.test_size"] for r in json.loads(sweep.stdout)["report"]["results"]}
    assert cells == {0.2, 30}
    refused = runner.invoke(app, ["sweep", *base, *sets, "--grid", "data.n_samples=100,150"])
    assert refused.exit_code == 2
    assert (
        "data.n_samples cannot be swept here: data.dataset csv has the points of data.path" in refused.stderr
    )


def test_a_sweep_over_files_is_refused_at_the_door(tmp_path):
    path = sorted_moons(tmp_path / "points.csv")
    args = [
        "sweep",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--set",
        "data.dataset=csv",
        "--set",
        f"data.path={path}",
    ]
    files = runner.invoke(app, [*args, "--grid", f"data.path={path},{path}"])
    assert files.exit_code == 2
    assert files.stderr == "error: --grid data.path cannot be swept: run one sweep per file\n"
    assert not (tmp_path / "runs").exists()
