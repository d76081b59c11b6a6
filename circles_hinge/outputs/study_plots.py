"""Figures of seed-study outcomes: every seed's test accuracy and the failed seeds (panels of
comparison.png), and success rate against a swept value (sweep.png).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from circles_hinge.outputs.style import MARKERS, loss_color, nice_name, pyplot, save_figure, text_panel
from circles_hinge.reports import SweepReport
from circles_hinge.results import SeedSummary
from circles_hinge.words import plural


def draw_accuracy_strip(ax, strip, success_accuracy: float) -> None:
    """One dot per seed: test accuracy by loss, with the success threshold and each success rate."""
    rng = np.random.default_rng(0)  # the jitter only spreads the dots; fixed so the picture is stable
    labels, lowest = [], 1.0
    for i, (loss, accuracy, summary) in enumerate(strip):
        accuracy = np.asarray(accuracy, dtype=float)
        x = i + rng.uniform(-0.2, 0.2, size=len(accuracy))
        failed = accuracy < success_accuracy  # a cross, not only a position below the line
        color = loss_color(loss, i)
        ax.scatter(x[~failed], accuracy[~failed], s=20, color=color, alpha=0.75, edgecolors="white", lw=0.4)
        ax.scatter(x[failed], accuracy[failed], s=34, color=color, marker="x", linewidths=1.6)
        seeds = list(summary.failed_seeds or [])
        if len(seeds) == int(failed.sum()) and len(seeds) <= 8:  # few failures: name their seeds
            for xf, af, seed in zip(x[failed], accuracy[failed], seeds):
                ax.annotate(f"{seed}", (xf, af), xytext=(5, -3), textcoords="offset points", fontsize=7.5)
        lo, hi = summary.success_ci95
        labels.append(
            f"{nice_name(loss)}\n{summary.successes}/{summary.seeds} succeed\n(95% CI {lo:.0%}–{hi:.0%})"
        )
        lowest = min(lowest, float(np.min(accuracy)))
    ax.axhline(success_accuracy, color="black", ls=":", lw=1.2, label=f"success: ≥ {success_accuracy:.0%}")
    ax.set_xticks(range(len(strip)), labels, fontsize=8)
    ax.set(xlim=(-0.6, len(strip) - 0.4), ylim=(min(0.4, lowest - 0.05), 1.03), ylabel="test accuracy")
    ax.set_title("Test accuracy of every seed (one dot each; × failed, with its seed)", fontsize=10)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.grid(True, axis="y", alpha=0.25)
    ax.legend(loc="lower right", fontsize=7.5, framealpha=0.92)


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


def failure_text(ax, strip) -> None:
    """Which seeds failed for which loss, and which failed for every loss: a seed fixes the data and
    the initial weights, so failures shared by all losses point at the start, not at the loss."""
    lines = ["Failed seeds (test accuracy below the threshold)", ""]
    shared = None
    for loss, _, summary in strip:
        failed = summary.failed_seeds
        shared = set(failed) if shared is None else shared & set(failed)
        lines += [f"{nice_name(loss)}: {len(failed)} of {summary.seeds}", *_wrapped(failed), ""]
    if len(strip) > 1:
        lines += [f"Failed for every loss: {len(shared or ())}", *_wrapped(sorted(shared or ()))]
    text_panel(ax, lines, top=0.95, fontsize=8.5)


def _wrapped(seeds, per_line: int = 8) -> list[str]:
    if not seeds:
        return ["  none"]
    words = [str(s) for s in seeds]
    return ["  " + ", ".join(words[i : i + per_line]) for i in range(0, len(words), per_line)]


def plot_grid(path: Path, report: SweepReport) -> None:
    """sweep.png: for one key, success rate (with its 95% Wilson interval) and mean test accuracy
    against the value, a line per loss; for two or more, heat maps of the success rate over the first
    two keys, a panel per loss (and per value of any further key), each cell with its interval."""
    keys, losses = report.keys, report.losses
    n_seeds, threshold = report.n_seeds, report.success_accuracy
    if len(keys) == 1:
        fig = sweep_figure(keys[0], report.results, losses, n_seeds, threshold)
    else:
        fig = grid_figure(report.grid, report.results, losses, n_seeds, threshold)
    if report.part:  # a shard, or a merge of some shards: said above everything else
        fig.suptitle("\n".join(filter(None, [report.part, fig.get_suptitle()])), fontsize=11)
    save_figure(fig, path, thumbnail=True)


def sweep_figure(
    param: str, results: list[SeedSummary], losses: list[str], n_seeds: int, success_accuracy: float
):
    plt = pyplot()
    values = list(dict.fromkeys(r.cell[param] for r in results))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    positions = np.array(values, dtype=float) if numeric else np.arange(len(values), dtype=float)
    span = np.ptp(positions) if len(positions) > 1 else 1.0
    # numbers: lines between the values; categories (data sets, initialisers): points side by side,
    # since a line between two categories would claim values in between
    line, nudge = (2, 0.015 * span) if numeric else (0, 0.12)
    fig, (ax_rate, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for i, loss in enumerate(losses):
        rows = {r.cell[param]: r for r in results if r.loss == loss}
        x = positions + (i - (len(losses) - 1) / 2) * nudge  # nudge apart overlapping error bars
        # a value a shard did not train for this loss: a gap in its lines
        mine = [rows.get(v) for v in values]
        rate = np.array([np.nan if r is None else r.success_rate for r in mine])
        lo = np.array([np.nan if r is None else r.success_ci95[0] for r in mine])
        hi = np.array([np.nan if r is None else r.success_ci95[1] for r in mine])
        color, marker = loss_color(loss, i), MARKERS[i % 5]
        ax_rate.errorbar(
            x,
            rate,
            yerr=[rate - lo, hi - rate],
            color=color,
            marker=marker,
            ms=8 if not numeric else 6,
            lw=line,
            elinewidth=1.5,
            capsize=4,
            label=nice_name(loss),
        )
        accuracy = np.array([np.nan if r is None else r.test_accuracy for r in mine])
        ci = np.array(
            [[np.nan, np.nan] if r is None else r.test_accuracy_ci95 or [r.test_accuracy] * 2 for r in mine]
        ).reshape(-1, 2)
        ax_acc.errorbar(
            x,
            accuracy,
            yerr=[np.maximum(0, accuracy - ci[:, 0]), np.maximum(0, ci[:, 1] - accuracy)],
            color=color,
            marker=marker,
            ms=8,
            lw=line,
            elinewidth=1.5,
            capsize=4,
            label=f"{nice_name(loss)}: mean, 95% interval",
        )
        ax_acc.plot(
            x,
            [np.nan if r is None else r.test_accuracy_min for r in mine],
            color=color,
            marker=marker,
            mfc="white" if not numeric else color,
            ms=8,
            lw=line / 2,
            ls=":",
            alpha=0.8,
            label=f"{nice_name(loss)}: worst seed",
        )
    ax_rate.set(
        title=f"Success rate (test accuracy ≥ {success_accuracy:.0%}) over {plural(n_seeds, 'seed')},\n"
        "with its 95% Wilson interval",
        ylabel="share of seeds that succeed",
        ylim=(-0.03, 1.03),
    )
    ax_acc.set(
        title=f"Mean test accuracy over {plural(n_seeds, 'seed')},\nwith its 95% bootstrap interval",
        ylabel="test accuracy",
    )
    for ax in (ax_rate, ax_acc):
        ax.set_xlabel(param)
        ax.yaxis.set_major_formatter(_percent_formatter())
        if not numeric:
            ax.set_xticks(positions, [str(v) for v in values])
            ax.set_xlim(positions[0] - 0.5, positions[-1] + 0.5)
        ax.grid(True, alpha=0.25)
        ax.legend(loc="best", fontsize=8, framealpha=0.92)
    return fig


def grid_figure(
    grid: list[tuple[str, list]],
    results: list[SeedSummary],
    losses: list[str],
    n_seeds: int,
    success_accuracy: float,
):
    """Heat maps over the first two keys (rows: the first key's values, columns: the second's), a panel
    per loss and per combination of further keys, in two rows: the success rate, each cell reading
    "rate [lo–hi]" with its 95% Wilson interval, and the mean test accuracy with its 95% bootstrap
    interval (a cell can fail often yet stay accurate on average). A cell this folder did not train (a
    shard's) is grey."""
    plt = pyplot()
    from matplotlib.colors import LinearSegmentedColormap

    (row_key, row_values), (col_key, col_values) = grid[:2]
    rest = grid[2:]
    combos = [
        dict(zip([k for k, _ in rest], c, strict=True)) for c in itertools.product(*(v for _, v in rest))
    ]
    n_cols = len(losses) * len(combos)
    cell_w, cell_h = 0.95, 0.62
    width = max(4.2, 1.6 + cell_w * len(col_values)) * n_cols + 1.6
    height = max(3.2, 1.7 + cell_h * len(row_values)) * 2
    fig, axes = plt.subplots(2, n_cols, figsize=(width, height), layout="constrained", squeeze=False)
    rate_map = LinearSegmentedColormap.from_list("success", ["#b2182b", "#f7f7f7", "#2166ac"])
    keys = [key for key, _ in grid]
    by_cell = {_cell_key(r.cell, keys, r.loss): r for r in results}
    accuracies = [v for r in results for v in (r.test_accuracy_ci95 or [r.test_accuracy])]
    acc_lo = max(0.0, np.floor(20 * min(accuracies, default=0.5) - 0.5) / 20)
    images = [None, None]
    panels = [(loss, combo) for combo in combos for loss in losses]
    for col, (loss, combo) in enumerate(panels):
        for row, (what, cmap, vmin) in enumerate(
            (("success", rate_map, 0.0), ("accuracy", "cividis", acc_lo))
        ):
            ax = axes[row, col]
            value = np.full((len(row_values), len(col_values)), np.nan)
            for i, rv in enumerate(row_values):
                for j, cv in enumerate(col_values):
                    r = by_cell.get(_cell_key({row_key: rv, col_key: cv, **combo}, keys, loss))
                    if r is None:
                        ax.text(
                            j, i, "not in\nthis folder", ha="center", va="center", fontsize=7, color="0.45"
                        )
                        continue
                    if what == "success":
                        value[i, j], (lo, hi) = r.success_rate, r.success_ci95
                        text = f"{r.success_rate:.0%}\n[{lo:.0%}–{hi:.0%}]"
                        dark = abs(r.success_rate - 0.5) > 0.3
                    else:
                        value[i, j] = r.test_accuracy
                        lo, hi = r.test_accuracy_ci95 or (r.test_accuracy, r.test_accuracy)
                        text = f"{r.test_accuracy:.1%}\n[{lo:.1%}–{hi:.1%}]"
                        dark = (r.test_accuracy - vmin) / max(1e-9, 1 - vmin) < 0.55
                    ax.text(
                        j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black"
                    )
            images[row] = ax.imshow(np.ma.masked_invalid(value), cmap=cmap, vmin=vmin, vmax=1, aspect="auto")
            ax.set_facecolor("0.88")
            ax.set_xticks(range(len(col_values)), [str(v) for v in col_values])
            ax.set_yticks(range(len(row_values)), [str(v) for v in row_values])
            ax.set_xlabel(col_key)
            ax.set_ylabel(row_key)
            extra = ", ".join(f"{k}={v}" for k, v in combo.items())
            head = "success rate" if what == "success" else "mean test accuracy"
            ax.set_title(f"{nice_name(loss)}{f' ({extra})' if extra else ''}: {head}", fontsize=10)
    fig.suptitle(
        f"Per cell over {plural(n_seeds, 'seed')}: the success rate (test accuracy ≥ {success_accuracy:.0%}) "
        "with its 95% Wilson interval,\nand the mean test accuracy with its 95% bootstrap interval",
        fontsize=11,
    )
    for row, label in enumerate(("share of seeds that succeed", "mean test accuracy")):
        if images[row] is not None:
            bar = fig.colorbar(images[row], ax=axes[row, :], shrink=0.85, label=label)
            bar.ax.yaxis.set_major_formatter(_percent_formatter())
    return fig


def _cell_key(values: dict, keys: list[str], loss: str) -> str:
    """A cell and loss as a hashable key; values compare as YAML reads them (0 == 0.0)."""

    def norm(v):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    return repr([norm(values[k]) for k in keys] + [loss])
