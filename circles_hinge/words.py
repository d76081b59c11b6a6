"""How the project writes counts, durations and numbers in text ("1 seed", "3 seeds", "4 min", "99.0%"):
one home for them, shared by the CLI, the API, the reports and the figures. Pure Python, so the CLI can
import it without delay."""

import math
from typing import Any


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n word` with the word in the plural unless n is 1: plural(1, "epoch") == "1 epoch";
    thousands are grouped: plural(1000, "seed") == "1,000 seeds"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def duration(seconds: float) -> str:
    """A time as a person reads it: '33 s', '4 min', '1.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def pct(value: Any) -> str:
    """A share as a percentage with one decimal ("99.0%"); "—" for a missing or non-finite value."""
    return f"{value:.1%}" if isinstance(value, (int, float)) and math.isfinite(value) else "—"


def num(value: Any, digits: int = 4) -> str:
    """A number with `digits` significant digits; "—" for a missing or non-finite value."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def batch_progress(epoch: int, epochs: int, done: int, total: int, seconds: float) -> str:
    """Progress inside a long epoch: 'epoch 3/30: 1,200/160,000 batches, 4,800/s, about 33 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 else float("inf")
    # no guess before a few seconds and a twentieth of the epoch: the first batches pay for tracing
    early = seconds < 3 or done < total / 20
    eta = "" if left == float("inf") or early else f", about {duration(left)} left in this epoch"
    return f"epoch {epoch}/{epochs}: {done:,}/{total:,} batches, {rate:,.0f}/s{eta}"


def data_words(data: Any) -> str:
    """A config's data in a few words, for reports: 'circles, 1000 samples, noise 0, factor 0.1', or for
    a user's file 'the 300 points of points.csv' (a file has no noise or factor of ours)."""
    if data.dataset == "csv":
        return f"the {data.n_samples:,} points of {data.path}"
    where = f"{data.dataset}, {data.n_samples} samples, noise {data.noise:g}"
    return where + (f", factor {data.factor:g}" if data.dataset == "circles" else "")
