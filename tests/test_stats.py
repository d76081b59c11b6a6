"""stats.py: the Wilson interval against known values and its symmetry, and medians with their IQR."""

import pytest

from circles_hinge.stats import median_iqr, wilson_interval

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
