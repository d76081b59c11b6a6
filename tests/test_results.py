"""results.py: the schema's rows and numbers, and the summary lines the CLI prints from them."""

import numpy as np
import pytest

from circles_hinge.cli.summary import comparison_line, restart_line, sweep_line
from circles_hinge.results import METRICS, SeedSummary, epochs_to_perfect, finite_or_none, history_rows


def test_history_rows_write_every_metric_exactly():
    history = {m: np.array([0.1 * (i + 1), 1 / 3]) for i, m in enumerate(METRICS)}
    rows = history_rows(history)
    assert [list(r) for r in rows] == [["epoch", *METRICS]] * 2 and rows[1]["epoch"] == 2
    assert float(rows[1]["val_accuracy"]) == 1 / 3  # repr: read back, the same float


def test_epochs_to_perfect_and_finite_or_none():
    assert epochs_to_perfect(np.array([0.5, 1.0, 1.0])) == 2 and epochs_to_perfect(np.array([0.9])) is None
    assert [finite_or_none(v) for v in (np.float32(0.5), np.nan, np.inf, None)] == [0.5, None, None, None]


def test_the_sweep_line_names_the_cell_and_the_interval():
    r = {"data.noise": 0.1, "data.factor": 0.5, "loss": "hinge", "success_rate": 0.5, "seeds": 4}
    r.update(success_ci95=[0.1, 0.9], test_accuracy=0.75, successes=2)
    r = SeedSummary.from_json(r, ["data.noise", "data.factor"])
    assert sweep_line(["data.noise", "data.factor"], r) == (
        "data.noise=0.1, data.factor=0.5, hinge: success 50% [95% CI 10%-90%], mean test accuracy 75.0%"
    )


def test_the_restart_line_counts_diverged_restarts():
    m = {
        "initialisation_accuracies": [0.5, -1.0, 1.0, 0.7],
        "initialisation": 2,
        "initialisation_accuracy_on": "validation",
    }
    line = restart_line(m)
    assert "reached 50.0% validation accuracy" in line and "3 more were trained" in line
    assert "kept initialisation 2 with 100.0%" in line and "3 of 4 ended below 99%, 1 diverged" in line


@pytest.mark.parametrize(
    ("accuracies", "kept", "needle"),
    [
        (
            [0.5, 0.6],
            0,
            "1 more was trained; it did not do better, the first was kept (2 of 2 ended below 99%)",
        ),
        ([0.5, 1.0], 1, "1 more was trained; kept initialisation 1 with 100.0% (1 of 2 ended below 99%"),
        ([0.5, 0.6, 0.7], 0, "2 more were trained; none did better"),
    ],
)
def test_the_restart_line_counts_in_words(accuracies, kept, needle):
    m = {
        "initialisation_accuracies": accuracies,
        "initialisation": kept,
        "initialisation_accuracy_on": "validation",
    }
    assert needle in restart_line(m)


@pytest.mark.parametrize(("failed", "words"), [([45], "failed seed 45"), ([45, 47], "failed seeds 45,47")])
def test_the_comparison_line_counts_failed_seeds_in_words(failed, words):
    r = {
        "loss": "hinge",
        "seeds": 4,
        "successes": 2,
        "test_accuracy": 0.9,
        "success_rate": 0.5,
        "success_ci95": [0.1, 0.9],
        "failed_seeds": failed,
    }
    assert comparison_line(SeedSummary.from_json(r)).endswith(words)
