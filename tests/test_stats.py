"""stats.py: the Wilson interval against known values and its symmetry, and medians with their IQR."""

import numpy as np
import pytest

from circles_hinge.engine.stats import median_iqr, wilson_interval

Z2 = 1.959963984540054**2


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),  # the textbook example
        (0, 10, (0.0, Z2 / (10 + Z2))),  # closed forms at the edges: upper = z²/(n+z²)
        (10, 10, (10 / (10 + Z2), 1.0)),  # lower = n/(n+z²)
        (0, 0, (0.0, 1.0)),  # no trials: nothing is known
        (1, 1, (1 / (1 + Z2), 1.0)),
    ],
)
def test_wilson_interval_known_values(successes, n, expected):
    lo, hi = wilson_interval(successes, n)
    assert lo == pytest.approx(expected[0], abs=5e-5)
    assert hi == pytest.approx(expected[1], abs=5e-5)


@pytest.mark.parametrize(("successes", "n"), [(0, 7), (3, 7), (41, 50), (50, 50), (1, 100)])
def test_wilson_interval_is_symmetric_and_holds_the_estimate(successes, n):
    lo, hi = wilson_interval(successes, n)
    flo, fhi = wilson_interval(n - successes, n)
    assert (lo, hi) == pytest.approx((1 - fhi, 1 - flo))
    assert 0 <= lo <= successes / n <= hi <= 1
    lo2, hi2 = wilson_interval(successes * 4, n * 4)  # the same share from more seeds: a narrower interval
    assert hi2 - lo2 < hi - lo


def test_median_iqr_ignores_missing_values():
    assert median_iqr([1, 2, 3, 4, None, float("nan")]) == pytest.approx((2.5, 1.5))
    assert median_iqr([]) == (None, None)
    assert median_iqr([None, float("inf")]) == (None, None)


# --- paired outcomes ----------------------------------------------------------------------------------
from circles_hinge.engine.stats import mcnemar_exact, paired_counts, paired_difference_interval  # noqa: E402


@pytest.mark.parametrize(
    ("only_first", "only_second", "p"),
    [
        (0, 3, 0.25),  # 2 * (1/2)^3: three discordant seeds, all one way
        (1, 6, 2 * (1 + 7) / 128),  # 2 * P(X <= 1), X ~ binomial(7, 1/2)
        (5, 5, 1.0),
        (0, 0, 1.0),  # no discordant pair: no evidence either way
        (0, 10, 2 / 1024),
    ],
)
def test_mcnemar_exact_known_values(only_first, only_second, p):
    assert mcnemar_exact(only_first, only_second) == pytest.approx(p, rel=1e-12)


def test_paired_interval_contains_the_difference_and_mirrors():
    for table in [(392, 44, 43, 21), (25, 0, 3, 2), (0, 0, 0, 40), (40, 0, 0, 0), (10, 5, 1, 4)]:
        both, b, c, neither = table
        n = sum(table)
        lo, hi = paired_difference_interval(*table)
        assert -1 <= lo <= (b - c) / n <= hi <= 1
        mirror = paired_difference_interval(both, c, b, neither)
        assert mirror == pytest.approx((-hi, -lo), abs=1e-12)
    # no discordant seeds out of 500: the interval is narrow but not a point
    lo, hi = paired_difference_interval(450, 0, 0, 50)
    assert lo < 0 < hi < 0.01


def test_paired_interval_covers_the_true_difference_about_95_percent():
    """Coverage by simulation: paired successes with rates 0.8 and 0.7, correlated (as seeds shared
    by two losses are), 40 pairs; Newcombe's method keeps close to 95% (his paper: 0.93-0.97)."""
    rng = np.random.default_rng(0)
    p_both, p_first, p_second = 0.65, 0.15, 0.05  # p1 = 0.8, p2 = 0.7
    cells = rng.multinomial(40, [p_both, p_first, p_second, 1 - p_both - p_first - p_second], size=4000)
    hits = [lo <= 0.1 <= hi for lo, hi in (paired_difference_interval(*map(int, t)) for t in cells)]
    assert 0.93 <= np.mean(hits) <= 0.98


def test_paired_counts():
    assert paired_counts([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]) == (2, 1, 1, 1)
