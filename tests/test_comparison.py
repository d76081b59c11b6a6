"""comparison.py: a bad request refused before any folder, and a tiny side-by-side comparison end to end
(the comparison folders are made once, in conftest.py)."""

import json

import pytest
from conftest import check_common_report, read_status

from circles_hinge.errors import ConfigError
from circles_hinge.loading import load_config
from circles_hinge.losses import get_loss
from circles_hinge.results import Boundary
from circles_hinge.store.folders import RUN_FILES
from circles_hinge.store.listing import list_runs
from circles_hinge.studies.comparison import run_comparison
from circles_hinge.studies.requests import check_comparison


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
    with pytest.raises(ConfigError, match=message):  # the check at the door, before run_comparison
        check_comparison(tiny_config, losses, seeds)
    assert not runs_dir.exists()


def test_compare_writes_every_file(side_by_side):
    result, progress = side_by_side
    path = result.path
    check_common_report(path, result.report.to_json(), "compare")
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
    report = result.report.to_json()
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
        **{key: (float, type(None)) for key in Boundary.figures()},
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

    request = check_comparison(load_config(TINY, ["training.restarts=5"]), ["hinge"], 1)
    result = run_comparison(request, tmp_path)
    assert result.report.config.training.restarts == 0
    assert load_config(result.path / "config.yaml").training.restarts == 0


def test_comparison_markdown_lists_every_failed_seed(study):
    import copy

    from circles_hinge.outputs.markdown import comparison_markdown

    report = copy.deepcopy(study.report)
    report.results[0].failed_seeds = list(range(100, 113))  # 13 seeds: the 13th was once cut
    text = comparison_markdown(report)
    assert ", ".join(map(str, range(100, 113))) in text and "…" not in text


def _hand_set_view(loss: str, radius: float):
    """A LossView of a hand-set model whose boundary is the circle of `radius`."""
    import numpy as np

    from circles_hinge.engine.boundary import TANH_BAND_LEVEL, boundary_radii, signed_decision
    from circles_hinge.losses import get_loss
    from circles_hinge.outputs.compare_plots import LossView

    spec = get_loss(loss)

    def outputs(X):
        X = np.asarray(X, dtype=np.float32)
        if spec.multiclass:  # blobs: three linear scores, one per blob centre
            return np.stack([-np.linalg.norm(X - c, axis=1) / 5 for c in ((0, 0), (15, 15), (0, 15))], axis=1)
        z = 6 * (radius - np.linalg.norm(X, axis=1))
        return (0.5 + 0.5 * np.tanh(z / 2) if spec.output_activation == "sigmoid" else np.tanh(z))[:, None]

    def decision(X):
        return signed_decision(spec, outputs(X))

    level = TANH_BAND_LEVEL if spec.output_activation == "tanh" else 1.0
    radii = None if spec.multiclass else boundary_radii(decision, levels=(0.0, -level, level))
    history = {m: np.array([0.5, 0.1, 0.0]) for m in ("loss", "val_loss")}  # exactly 0 at the end
    return LossView(loss, spec, outputs, decision, history, 1.0, "seed 42", radii, level)


@pytest.mark.parametrize(
    ("dataset", "losses"),
    [
        ("circles", ["hinge", "squared_hinge", "binary_crossentropy"]),
        ("blobs", ["categorical_hinge", "multiclass_svm"]),
    ],
)
def test_a_comparison_keeps_legends_inside_and_titles_apart(tiny_config, dataset, losses):
    from test_plots import layout_faults

    from circles_hinge.engine.data import load_split, n_classes
    from circles_hinge.outputs.compare_plots import comparison_figure
    from circles_hinge.outputs.style import pyplot

    data = tiny_config.data.model_copy(update={"dataset": dataset})
    split = load_split(data, 42, 0.2)
    views = [_hand_set_view(loss, r) for loss, r in zip(losses, (0.5, 0.55, 0.6))]
    factor = 0.1 if dataset == "circles" else None
    fig = comparison_figure(views, split.X_test, split.y_test, n_classes(data), factor, dataset=dataset)
    try:
        assert layout_faults(fig) == []
        titles = [ax.get_title() for ax in fig.axes]
        assert any(t.startswith(f"{get_loss(losses[-1]).title}: decision regions") for t in titles)
        assert not any("_" in t for t in titles), titles
    finally:
        pyplot().close(fig)


def test_the_seed_study_shows_the_worst_failure_beside_a_typical_success(tiny_config):
    import numpy as np

    from circles_hinge.engine.data import load_split
    from circles_hinge.losses import get_loss
    from circles_hinge.results import SeedRow
    from circles_hinge.studies.comparison import _hidden_panels
    from circles_hinge.studies.seeds import SeedStudy

    splits = [load_split(tiny_config.data, seed, 0.2) for seed in range(5)]
    n = len(splits[0].y_train)

    def study(loss, accuracy, test_loss, diverged=()):
        rows = [
            SeedRow(loss, k, a >= 0.99, a, t, None, None, None)
            for k, (a, t) in enumerate(zip(accuracy, test_loss))
        ]
        hidden = np.stack([np.full((n, 2), np.nan if k in diverged else float(k)) for k in range(5)])
        return SeedStudy(loss, get_loss(loss), rows, None, [], {}, hidden, None)

    studies = [
        # seed 1 fails first (a near miss); seed 2 is the collapse; successes 3, 4, 0 by test loss
        study("hinge", [1.0, 0.984, 0.5, 1.0, 1.0], [0.05, 0.2, 0.9, 0.01, 0.03]),
        study("squared_hinge", [1.0, 1.0, 0.4, 1.0, 1.0], [0.1, 0.1, None, 0.1, 0.1], diverged=(2,)),
    ]
    (fail_head, fail_why, fail_hidden, _, fail_spec), (good_head, good_why, good_hidden, *_) = _hidden_panels(
        studies, splits
    )
    assert fail_head == "hinge, seed 2 (the worst failure)" and fail_spec.name == "hinge"
    assert fail_why == "lowest test accuracy of the 3 failed runs: 50.0%"  # the diverged one has no picture
    assert good_head == "hinge, seed 4 (a typical success)"
    assert good_why == "median test loss of its 3 successes: 0.03, test accuracy 100.0%"
    assert fail_hidden[0, 0] == 2.0 and good_hidden[0, 0] == 4.0
    assert _hidden_panels([study("hinge", [1.0] * 5, [0.1] * 5)], splits) is None  # no failure, no row
