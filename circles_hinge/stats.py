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
