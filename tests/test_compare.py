"""compare.py: a bad request refused before any folder, and a tiny side-by-side comparison end to end
(the comparison folders are made once, in conftest.py)."""

import json

import pytest
from conftest import check_common_report, read_status

from circles_hinge.boundary import BOUNDARY_KEYS
from circles_hinge.compare import run_comparison
from circles_hinge.config import load_config
from circles_hinge.errors import ConfigError
from circles_hinge.runs import RUN_FILES, list_runs


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


def test_compare_writes_every_file(side_by_side):
    result, progress = side_by_side
    path = result.path
    check_common_report(path, result.report, "compare")
    for name in ("comparison.png", "comparison.json", "comparison.md", "config.yaml"):
        assert (path / name).stat().st_size > 0, name
    assert (path / "comparison.png").stat().st_size < 400_000
    for loss in ("hinge", "squared_hinge"):  # complete run folders, as `train` writes them
        for name in RUN_FILES:
            assert (path / loss / name).stat().st_size > 0, (loss, name)
        assert read_status(path / loss)["status"] == "complete"
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
    assert "| hinge | " in text and "| squared hinge | " in text  # the registry's display names
    assert "squared_hinge |" not in text and "# Comparison: hinge vs squared hinge" in text
    assert "## Where the boundary lies" in text and "r = 0.55" in text


def test_runs_lists_the_comparison(side_by_side, study):
    result, _ = side_by_side
    found = {s.path.name: s for s in list_runs(result.path.parent)}
    assert found[result.path.name].kind == "compare" and found[result.path.name].status == "complete"
    assert found[result.path.name].losses == "hinge,squared_hinge"
    assert found["study"].seeds == "42..44"


def test_a_comparison_records_the_restarts_it_used(tmp_path):
    from conftest import TINY

    result = run_comparison(load_config(TINY, ["training.restarts=5"]), ["hinge"], tmp_path, seeds=1)
    assert result.report["config"]["training"]["restarts"] == 0
    assert load_config(result.path / "config.yaml").training.restarts == 0


def test_comparison_markdown_lists_every_failed_seed(study):
    import copy

    from circles_hinge.report import comparison_markdown

    report = copy.deepcopy(study.report)
    report["results"][0]["failed_seeds"] = list(range(100, 113))  # 13 seeds: the 13th was once cut
    text = comparison_markdown(report)
    assert ", ".join(map(str, range(100, 113))) in text and "…" not in text
