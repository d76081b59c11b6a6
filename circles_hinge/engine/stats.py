"""Pure statistics of a seed study: the Wilson interval for a success rate, and medians with
interquartile ranges that skip missing values. NumPy only. (The success threshold is in results.py.)"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054  # the normal quantile for a two-sided 95% interval


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion; with no trials at all it is the whole [0, 1].

    Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and does not collapse to a point at 0/n or n/n,
    which is exactly where seed studies of an easy problem land.
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, not 1e-17 off
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def _finite(values: Sequence[float | None]) -> np.ndarray:
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return array[np.isfinite(array)]


def median_iqr(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Median and interquartile range (75th minus 25th percentile) of the finite values, or Nones."""
    v = _finite(values)
    if not v.size:
        return None, None
    q25, q50, q75 = np.percentile(v, [25, 50, 75])
    return float(q50), float(q75 - q25)


# ---------------------------------------------------------------------------------------------------
# Paired outcomes: the same seeds under two treatments (two losses, or stock Keras and this trainer)


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """McNemar's exact two-sided p: the discordant pairs as a binomial(n, 1/2) test (scipy's
    `binomtest`). Pairs where both succeed or both fail carry no information about a difference."""
    from scipy.stats import binomtest

    n = only_first + only_second
    return 1.0 if n == 0 else float(binomtest(only_first, n, 0.5).pvalue)


def paired_difference_interval(
    both: int, only_first: int, only_second: int, neither: int, z: float = Z95
) -> tuple[float, float]:
    """95% interval of p_first - p_second for paired successes: Newcombe's (1998) method 10, the
    Wilson intervals of both rates combined with the pairs' correlation phi (continuity-corrected as
    Newcombe does). Two independent intervals would ignore that the same seeds were used twice."""
    n = both + only_first + only_second + neither
    if n == 0:
        return -1.0, 1.0
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson_interval(both + only_first, n, z)
    l2, u2 = wilson_interval(both + only_second, n, z)
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    cross = both * neither - only_first * only_second
    corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = corrected / math.sqrt(margins) if margins else 0.0
    d = p1 - p2
    lower = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    upper = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, lower), min(1.0, upper)


def paired_counts(first: Sequence[bool], second: Sequence[bool]) -> tuple[int, int, int, int]:
    """(both, only first, only second, neither) over pairs of successes."""
    a, b = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    return int(np.sum(a & b)), int(np.sum(a & ~b)), int(np.sum(~a & b)), int(np.sum(~a & ~b))


def paired_interval(
    first: Sequence[float], second: Sequence[float], statistic=np.median, resamples: int = 9999
) -> tuple[float, tuple[float, float]]:
    """A statistic of the per-seed differences second - first, and its 95% percentile interval from a
    bootstrap over seeds (scipy's `bootstrap`, resampling seeds, so each pair stays a pair). The
    resampling is seeded: the same seeds give the same interval. With one seed, or every difference
    equal, the interval is the value itself."""
    from scipy.stats import bootstrap

    d = np.asarray(second, dtype=np.float64) - np.asarray(first, dtype=np.float64)
    d = d[np.isfinite(d)]
    if not d.size:
        return math.nan, (math.nan, math.nan)
    value = float(statistic(d))
    if d.size < 2 or np.all(d == d[0]):
        return value, (value, value)
    result = bootstrap(
        (d,), statistic, n_resamples=resamples, method="percentile", rng=np.random.default_rng(0)
    )
    lo, hi = result.confidence_interval
    return value, (float(lo), float(hi))


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """A 95% percentile interval of the mean over seeds, from a seeded bootstrap (the value itself
    with one seed, or every value equal)."""
    _, interval = paired_interval(np.zeros(len(values)), values, np.mean)
    return interval


def seeds_to_detect(n: int, only_first: int, only_second: int, alpha: float = 0.05, most: int = 1000):
    """How many seeds would make McNemar's exact test detect (p < alpha) a difference of this size, if
    the discordant shares stayed what they are: n times the smallest whole factor that does it. None
    when there is no difference to detect, or not within `most` times as many seeds."""
    if only_first == only_second:
        return None
    for factor in range(1, most + 1):
        if mcnemar_exact(only_first * factor, only_second * factor) < alpha:
            return n * factor
    return None
