"""Shared fixtures: the tiny CI config (about 100 samples, 2 epochs), quiet TensorFlow, and the tiny
comparison folders (made once) that test_compare, test_study and test_sweep read."""

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "tiny.yaml"
DEFAULT = ROOT / "configs" / "default.yaml"


@pytest.fixture
def tiny_config():
    from circles_hinge.config import load_config

    return load_config(TINY)


@pytest.fixture
def tiny_path() -> Path:
    return TINY


# The tiny comparison folders several test files read, and checks they share


def load_strict(path):
    """JSON as written, refusing NaN and Infinity, which are not JSON."""

    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def read_status(path):
    return json.loads((path / "status.json").read_text())


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def side_by_side(runs_dir):
    from circles_hinge.config import load_config
    from circles_hinge.studies.comparison import check_comparison, run_comparison

    progress = []
    request = check_comparison(load_config(TINY), ["hinge", "squared_hinge"], None)
    result = run_comparison(request, runs_dir, on_progress=lambda *a: progress.append(a))
    return result, progress


@pytest.fixture(scope="session")
def study(runs_dir):
    from circles_hinge.config import load_config
    from circles_hinge.studies.comparison import check_comparison, run_comparison

    return run_comparison(
        check_comparison(load_config(TINY), ["hinge", "squared_hinge"], 3, "study"), runs_dir
    )


def check_common_report(path, report, kind):
    assert read_status(path)["status"] == "complete" and read_status(path)["kind"] == kind
    assert load_strict(path / f"{'comparison' if kind == 'compare' else kind}.json") == report
    assert {"results", "seconds", "seeds_label", "config", "versions"} <= set(report)
    assert isinstance(report["seconds"], float) and report["config"]["data"]["n_samples"] == 100
    assert not list(path.glob(".*")), "no temporary files are left behind"
