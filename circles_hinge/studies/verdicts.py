"""Paired verdicts: every pair of losses trained on the same seeds, compared seed by seed (the seeds fix the
data and the initial weights, so the two runs of a seed are a pair): counts of who succeeded where the other
failed, McNemar's exact test, the per-seed difference in test accuracy with a bootstrap interval, and one
plain sentence that says what the numbers can and cannot carry."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from circles_hinge.engine.stats import mcnemar_exact, paired_counts, paired_interval, seeds_to_detect
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.results import Difference, Paired, SeedRow
from circles_hinge.words import plural

ALPHA = 0.05  # the level at which a difference is called detected


def _name(loss: str) -> str:
    return get_loss(loss).display if loss in LOSSES else loss


def _difference(first: Sequence[float | None], second: Sequence[float | None]) -> Difference:
    a = np.array([np.nan if v is None else v for v in first], dtype=np.float64)
    b = np.array([np.nan if v is None else v for v in second], dtype=np.float64)
    median, ci = paired_interval(a, b, np.median)
    mean, mean_ci = paired_interval(a, b, np.mean)
    return Difference(median, ci, mean, mean_ci)


def pair(
    first: str,
    first_rows: list[SeedRow],
    second: str,
    second_rows: list[SeedRow],
    cell: dict | None = None,
    same_scale: bool = False,
    one_seed: str | None = None,
) -> Paired:
    """`first` against `second` (losses, or the names of two folders) on the seeds both trained,
    matched by seed; `same_scale`: both trained the same loss, so their test losses compare too."""
    by_seed = {r.seed: r for r in second_rows}
    pairs = [(r, by_seed[r.seed]) for r in first_rows if r.seed in by_seed]
    ok_a = [a.success for a, _ in pairs]
    ok_b = [b.success for _, b in pairs]
    both, only_a, only_b, neither = paired_counts(ok_a, ok_b)
    accuracy = _difference([a.test_accuracy for a, _ in pairs], [b.test_accuracy for _, b in pairs])
    loss = None
    if same_scale:  # the same loss in both (two configs, two folders): its values compare
        loss = _difference([a.test_loss for a, _ in pairs], [b.test_loss for _, b in pairs])
    n = len(pairs)
    p = mcnemar_exact(only_a, only_b)
    detect = seeds_to_detect(n, only_a, only_b, ALPHA)
    paired = Paired(
        losses=(first, second),
        n_seeds=n,
        both_succeed=both,
        only_first=only_a,
        only_second=only_b,
        neither=neither,
        mcnemar_p=p,
        accuracy_difference=accuracy,
        test_loss_difference=loss,
        seeds_to_detect=detect,
        verdict="",
        cell=dict(cell or {}),
    )
    paired.verdict = verdict(paired, pairs, one_seed)
    return paired


def pair_all(rows: dict[str, list[SeedRow]], cell: dict[str, Any] | None = None) -> list[Paired]:
    """Every pair of losses, in the order given (first against each later one)."""
    return [pair(a, rows[a], b, rows[b], cell) for a, b in itertools.combinations(rows, 2)]


def _points(value: float) -> str:
    return f"{100 * value:+.1f}"


ONE_SEED = (
    "One seed is an anecdote, not a verdict, and there are no restarts here: compare --seeds 30 trains "
    "30 seeds of each loss on the same data and initial weights."
)


def verdict(
    p: Paired, pairs: list[tuple[SeedRow, SeedRow]] | None = None, one_seed: str | None = None
) -> str:
    """The comparison in one sentence (two for the accuracy), with what it can carry; `one_seed`: what
    to say when there is one seed only (ONE_SEED: what compare says)."""
    a, b = (_name(loss) for loss in p.losses)
    if p.n_seeds == 0:
        return f"{a} and {b} share no seed, so they cannot be compared seed by seed."
    if p.n_seeds == 1:
        first, second = pairs[0] if pairs else (None, None)
        said = ""
        if first is not None:
            word = {True: "succeeded", False: "failed"}
            said = (
                f": {a} {word[first.success]} ({first.test_accuracy:.1%} test accuracy) and {b} "
                f"{word[second.success]} ({second.test_accuracy:.1%})"
            )
        seed = f" ({first.seed})" if first is not None else ""
        return f"One seed{seed}{said}. {one_seed or ONE_SEED}"
    seeds = f"On the same {plural(p.n_seeds, 'seed')}"
    if p.only_first == p.only_second == 0:
        text = (
            f"{seeds}, {a} and {b} succeeded on the same {plural(p.both_succeed, 'seed')} and failed on "
            f"the same {plural(p.neither, 'seed')}: no seed tells them apart"
        )
    else:
        parts = []
        for winner, loser, count, other in (
            (b, a, p.only_second, p.only_first),
            (a, b, p.only_first, p.only_second),
        ):
            if count:
                parts.append(f"{winner} succeeded where {loser} failed on {plural(count, 'seed')}")
            if count and not other:
                parts[-1] += " and never the reverse"
                break
        text = f"{seeds}, " + (" and ".join(parts) if len(parts) > 1 else parts[0])
        text += f"; McNemar's exact p = {p.mcnemar_p:.2g}: "
        if p.mcnemar_p < ALPHA:
            more = b if p.only_second > p.only_first else a
            text += f"{more} succeeds more often, a difference this size is unlikely by chance"
        else:
            text += "no detectable difference at this size"
            if p.seeds_to_detect is not None:
                text += f"; about {p.seeds_to_detect:,} seeds would show a difference this large"
    d = p.accuracy_difference
    text += (
        f". Per seed, {b}'s test accuracy minus {a}'s: median {_points(d.median)} points "
        f"[95% CI {_points(d.ci95[0])}, {_points(d.ci95[1])}], mean {_points(d.mean)} "
        f"[{_points(d.mean_ci95[0])}, {_points(d.mean_ci95[1])}]."
    )
    return text
