"""The summary lines a command prints when it ends: a run, its restarts, each loss of a comparison, each
cell of a sweep."""

from __future__ import annotations

from typing import Any

from circles_hinge.results import SUCCESS_ACCURACY, BaselineRow, RunRow, SeedSummary
from circles_hinge.words import plural


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def run_line(m: dict[str, Any], seconds_in_all: float) -> str:
    """`train`'s summary: test accuracy and loss, final losses, epochs and time."""
    return (
        f"{m['loss']}, seed {m['seed']}: test accuracy {m['test_accuracy']:.1%}, "
        f"test loss {m['test_loss']:.4g}, "
        f"final loss {m['final_loss']:.3g} (validation {_fmt(m['final_val_loss'])}), "
        f"trained {plural(m['epochs'], 'epoch')} in {m['train_seconds']:.2f} s "
        f"({seconds_in_all:.1f} s in all)"
    )


def restart_line(m: dict[str, Any]) -> str:
    """What the restarts did, e.g. after the first initialisation collapsed."""
    accuracies, kept, on = (
        m["initialisation_accuracies"],
        m["initialisation"],
        m["initialisation_accuracy_on"],
    )
    threshold = f"{SUCCESS_ACCURACY:.0%}"
    first = f"the first initialisation reached {accuracies[0]:.1%} {on} accuracy (below {threshold}), so "
    n_more = len(accuracies) - 1
    tried = f"{n_more} more {'was' if n_more == 1 else 'were'} trained"
    below = sum(a < SUCCESS_ACCURACY for a in accuracies)
    diverged = sum(a < 0 for a in accuracies)
    counts = f"{below} of {len(accuracies)} ended below {threshold}" + (
        f", {diverged} diverged" if diverged else ""
    )
    if kept == 0:
        none = "it did not do better" if n_more == 1 else "none did better"
        return f"{first}{tried}; {none}, the first was kept ({counts})"
    return (
        f"{first}{tried}; kept initialisation {kept} with {accuracies[kept]:.1%} "
        f"({counts}; training.restarts=0 turns this off)"
    )


def comparison_line(r: RunRow | SeedSummary) -> str:
    """One loss of a comparison: its test accuracy, and for a seed study its success rate."""
    line = f"{r.loss}: test accuracy {r.test_accuracy:.1%}"
    if isinstance(r, SeedSummary):
        lo, hi = r.success_ci95
        line += f" (mean over seeds), success {r.success_rate:.0%} [95% CI {lo:.0%}-{hi:.0%}]"
        if r.failed_seeds:
            word = "seed" if len(r.failed_seeds) == 1 else "seeds"
            line += f", failed {word} {','.join(map(str, r.failed_seeds))}"
    if r.boundary.boundary_radius_mean is not None:
        line += f", boundary radius {r.boundary.boundary_radius_mean:.3f}"
    return line


def sweep_line(keys: list[str], r: SeedSummary) -> str:
    """One cell and loss of a sweep: its success rate and mean test accuracy."""
    lo, hi = r.success_ci95
    cell = ", ".join(f"{key}={r.cell[key]}" for key in keys)
    return (
        f"{cell}, {r.loss}: success {r.success_rate:.0%} [95% CI {lo:.0%}-{hi:.0%}], "
        f"mean test accuracy {r.test_accuracy:.1%}"
    )


def baseline_lines(models: list[BaselineRow], distances: dict[str, float | None]) -> list[str]:
    """--baselines: one line per scikit-learn classifier, then each network's distance from the SVM's
    boundary (on circles)."""
    lines = []
    for b in models:
        support = "" if b.support_vectors is None else f", {b.support_vectors} support vectors"
        lines.append(f"baseline {b.name}: test accuracy {b.test_accuracy:.1%}{support}")
    for loss, value in distances.items():
        if value is not None:
            lines.append(f"{loss}: its boundary lies {value:.3f} from the RBF SVM's on average (360 rays)")
    return lines
