"""The comparison picture (comparison.png): each loss's decision regions and margins side by side, the
boundaries overlaid and by angle, the loss curves; for a seed study also the panels of study_plots.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from circles_hinge.engine.boundary import midway_radius
from circles_hinge.losses import LossSpec, predict_classes
from circles_hinge.outputs.hidden_plots import draw_hidden_layer
from circles_hinge.outputs.plots import (
    draw_decision_regions,
    draw_margins,
    log_y,
    make_grid,
    mark_zeros,
    positive,
)
from circles_hinge.outputs.study_plots import draw_accuracy_strip, failure_text
from circles_hinge.outputs.style import (
    CLASS_COLORS,
    EDGE,
    MARKERS,
    class_names,
    data_extent,
    loss_color,
    mlxtend_zoom,
    nice_name,
    pyplot,
    save_figure,
    set_extent,
    text_panel,
)
from circles_hinge.results import SUCCESS_ACCURACY
from circles_hinge.words import plural


@dataclass
class LossView:
    """One trained model as the comparison figure draws it."""

    loss: str
    spec: LossSpec
    outputs: Callable[[np.ndarray], np.ndarray]  # points (n, 2) -> outputs (n, units)
    decision: Callable[[np.ndarray], np.ndarray | None]  # signed values, + for class 1; None: k classes
    history: dict[str, np.ndarray]  # metric -> per epoch (a seed study: the median over seeds)
    test_accuracy: float
    caption: str = ""  # "seed 42", "seed 42, failed"
    radii: dict[float, np.ndarray] | None = None  # level -> boundary radius per angle; None: not circles
    band_level: float = 1.0
    history_band: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # 25th, 75th


class StripRow(NamedTuple):
    """One loss of a seed study in the accuracy strip: every seed's test accuracy and the summary."""

    loss: str
    accuracies: np.ndarray
    summary: dict[str, Any]


class HiddenPanel(NamedTuple):
    """One last-hidden-layer panel of a seed study: its heading, why this run, what to draw."""

    heading: str
    why: str
    activations: np.ndarray
    y_train: np.ndarray
    spec: LossSpec


def _reference_circles(ax, factor: float, with_labels: bool = True) -> list:
    """The data's two circles (dashed grey) and the maximum-margin circle midway (dotted black)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    midway = midway_radius(factor)
    for r in (factor, 1.0):
        ax.add_patch(Circle((0, 0), r, fill=False, ls="--", lw=1.0, color="0.45"))
    ax.add_patch(Circle((0, 0), midway, fill=False, ls=":", lw=1.6, color="black"))
    if not with_labels:
        return []
    return [
        Line2D([], [], ls="--", lw=1.0, color="0.45", label=f"data circles, r = {factor:g} and 1"),
        Line2D([], [], ls=":", lw=1.6, color="black", label=f"maximum margin, r = {midway:g}"),
    ]


def draw_boundary_overlay(ax, X, y, views: list[LossView], n_classes: int, factor: float | None) -> None:
    """Every view's decision boundary on one plot of the test data (grey), so their positions compare."""
    from matplotlib.lines import Line2D

    xx, yy, grid = make_grid(X)
    greys = ["0.55", "0.85", "0.35", "0.7", "0.2"]  # the classes in grey, so that colour is the loss
    for c in range(n_classes):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=12,
            c=greys[c % 5],
            marker=MARKERS[c % 5],
            edgecolors=EDGE,
            linewidths=0.25,
            zorder=1,
        )
    handles = []
    for i, view in enumerate(views):
        color = loss_color(view.loss, i)
        decision = view.decision(grid)
        if decision is None:  # k classes: no single signed value; draw where the predicted class changes
            classes = predict_classes(view.spec, view.outputs(grid)).reshape(xx.shape)
            if len(np.unique(classes)) < 2:  # a collapsed model predicts one class everywhere
                handles.append(
                    Line2D([], [], color=color, ls="none", label=f"{nice_name(view.loss)}: no boundary")
                )
                continue
            ax.contour(xx, yy, classes, levels=np.arange(n_classes) + 0.5, colors=[color], linewidths=2.2)
            handles.append(Line2D([], [], color=color, lw=2.2, label=nice_name(view.loss)))
            continue
        values = np.asarray(decision).reshape(xx.shape)
        if np.nanmin(values) < 0 < np.nanmax(values):
            ax.contour(xx, yy, values, levels=[0.0], colors=[color], linewidths=2.2, zorder=3)
            handles.append(Line2D([], [], color=color, lw=2.2, label=nice_name(view.loss)))
        else:
            handles.append(
                Line2D([], [], color=color, lw=2.2, ls="none", label=f"{nice_name(view.loss)}: no boundary")
            )
    if factor is not None:
        handles += _reference_circles(ax, factor)
    set_extent(ax, (xx.min(), xx.max(), yy.min(), yy.max()))
    ax.legend(
        handles=handles,
        title="decision boundaries",
        title_fontsize=8,
        loc="best",
        fontsize=8,
        framealpha=0.92,
    )


RADIUS_SHOWN = 2.5  # radii beyond it (a boundary far outside the data) are clipped and marked


def draw_boundary_by_angle(ax, views: list[LossView], factor: float) -> None:
    """Boundary radius along each ray from the origin, with the band where |output| < level shaded.
    One legend entry per loss (its line over its band); the axis reaches the highest radius drawn (up
    to RADIUS_SHOWN, where clipped rays are marked) with room above it for the legend."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, peak, clipped = [], 1.0, False
    for i, view in enumerate(views):
        if view.radii is None:
            continue
        color = loss_color(view.loss, i)
        r0 = view.radii[0.0]
        drawn = np.concatenate([np.asarray(r, dtype=float) for r in view.radii.values()])
        drawn = drawn[np.isfinite(drawn)]
        peak = max(peak, float(drawn.max(initial=0.0)))
        degrees = np.linspace(0, 360, len(r0), endpoint=False)
        inner, outer = view.radii[view.band_level], view.radii[-view.band_level]
        both = np.isfinite(inner) & np.isfinite(outer)
        ax.fill_between(
            degrees,
            np.where(both, inner, np.nan),
            np.where(both, outer, np.nan),
            color=color,
            alpha=0.16,
            lw=0,
        )
        ax.plot(degrees, r0, color=color, lw=2)
        beyond = np.isfinite(r0) & (r0 > RADIUS_SHOWN)
        if beyond.any():
            clipped = True
            ax.plot(degrees[beyond], np.full(int(beyond.sum()), RADIUS_SHOWN), "^", color=color, ms=4)
        band = (Patch(color=color, alpha=0.16, lw=0), Line2D([], [], color=color, lw=2))
        handles.append((band, f"{nice_name(view.loss)}: boundary, band"))
    midway = midway_radius(factor)
    ax.axhline(factor, color="0.45", ls="--", lw=1)
    ax.axhline(1.0, color="0.45", ls="--", lw=1)
    ax.axhline(midway, color="black", ls=":", lw=1.6)
    handles.append((Line2D([], [], color="0.45", ls="--", lw=1), f"data circles ({factor:g}, 1)"))
    handles.append((Line2D([], [], color="black", ls=":", lw=1.6), f"maximum margin ({midway:g})"))
    if clipped:
        handles.append(
            (Line2D([], [], ls="none", marker="^", color="0.3", ms=4), f"beyond r = {RADIUS_SHOWN:g}")
        )
    top = min(peak, RADIUS_SHOWN) * 1.04
    rows = len(handles)
    ax.set(
        xlabel="angle of the ray from the origin (degrees)",
        ylabel="radius",
        xlim=(0, 360),
        ylim=(0, top / (1 - 0.075 * rows - 0.05)),  # the legend's rows above the highest radius
        xticks=[0, 90, 180, 270, 360],
    )
    ax.grid(True, alpha=0.25)
    ax.legend(  # above the highest radius, clear of the lines
        [h for h, _ in handles],
        [label for _, label in handles],
        handler_map={tuple: HandlerTuple(ndivide=1)},
        loc="upper center",
        fontsize=7.5,
        framealpha=0.92,
    )


def draw_loss_comparison(ax, views: list[LossView], n_seeds: int | None = None) -> None:
    """Every loss's training (solid) and validation (dashed) curve on one log axis; epochs where a
    loss is exactly 0 (which a log axis cannot show) are ticked on the bottom edge."""
    lowest, highest, zeros = np.inf, 0.0, False  # the positive range drawn (curves and bands); any 0?
    for i, view in enumerate(views):
        color = loss_color(view.loss, i)
        epochs = np.arange(1, len(view.history["loss"]) + 1)
        for metric, ls, word in (("loss", "-", "training"), ("val_loss", "--", "validation")):
            values = np.asarray(view.history[metric], dtype=float)
            if not np.isfinite(values).any():
                continue
            label = f"{nice_name(view.loss)}: {word}"
            ax.plot(epochs, positive(values), color=color, lw=2, ls=ls, label=label)
            zeros = mark_zeros(ax, epochs, values, color, label, ls) or zeros
            drawn = [values]
            if metric in view.history_band:
                lo, hi = view.history_band[metric]
                drawn += [lo, hi]
                # a lower quartile of exactly 0 runs the band down to the axis' edge
                ax.fill_between(
                    epochs, np.where(lo > 0, lo, 1e-300), positive(hi), color=color, alpha=0.12, lw=0
                )
            lowest = min([lowest, *(np.nanmin(positive(v), initial=np.inf) for v in drawn)])
            finite = [np.asarray(v, dtype=float) for v in drawn]
            highest = max([highest, *(np.max(v[np.isfinite(v)], initial=0.0) for v in finite)])
    if np.isfinite(lowest):  # the bands' 1e-300 must not stretch the axis, at either end (autoscale
        ax.set_yscale("log")  # adds 5% of the decades spanned, and 1e-300 spans 300 of them)
        ax.set_ylim(bottom=lowest / 2, top=max(highest, lowest) * 2)
    log_y(ax, bool(np.isfinite(lowest)), zeros)
    what = f"median over {plural(n_seeds, 'seed')}, shaded 25–75%" if n_seeds else "log scale"
    ax.set(xlabel="epoch", ylabel="loss (log scale)")
    ax.set_title(f"Training and validation loss per epoch ({what})", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    if ax.get_legend_handles_labels()[0]:  # a diverged study may have no finite curve to label
        ax.legend(loc="best", fontsize=8, framealpha=0.92)


def _summary_text(ax, views: list[LossView]) -> None:
    lines = []
    for view in views:
        lines.append(f"{nice_name(view.loss)} ({view.caption})")
        lines.append(f"  test accuracy {view.test_accuracy:.1%}")
        lines.append(f"  final loss {view.history['loss'][-1]:.3g}")
        if view.radii is not None and np.isfinite(view.radii[0.0]).any():
            r0 = view.radii[0.0]
            band = view.radii[-view.band_level] - view.radii[view.band_level]
            lines.append(f"  boundary radius {np.nanmean(r0):.3f} ({np.nanmin(r0):.3f}–{np.nanmax(r0):.3f})")
            if np.isfinite(band).any():
                symbol = "logit" if view.spec.prediction == "threshold" else "f"
                lines.append(f"  band width {np.nanmean(band):.3f} (|{symbol}| < {view.band_level:g})")
        lines.append("")
    text_panel(ax, lines, top=0.98, fontsize=9)
    ax.set_title("In numbers", loc="left")


def draw_classifier_regions(ax, X, y, clf, n_classes: int, dataset: str | None = None) -> None:
    """A fitted scikit-learn classifier's decision regions on the test data, in the class colours the
    network's panels use (mlxtend takes its label predictions as they are)."""
    from mlxtend.plotting import plot_decision_regions

    if len(np.unique(y)) < 2:  # mlxtend fails when every plotted point has one label
        ax.axis("off")
        return
    extent = data_extent(X)
    plot_decision_regions(
        np.asarray(X, dtype=np.float64),
        np.asarray(y),
        clf=clf,
        ax=ax,
        legend=0,
        n_jobs=1,
        zoom_factor=mlxtend_zoom(X, extent),
        colors=",".join(CLASS_COLORS[:n_classes]),
        markers=MARKERS[:n_classes],
        scatter_kwargs={"edgecolor": "white", "linewidths": 0.4, "s": 22},
    )
    handles = ax.collections[-n_classes:] if len(ax.collections) >= n_classes else []
    ax.legend(handles, class_names(dataset, n_classes), loc="upper right", fontsize=7, framealpha=0.9)
    set_extent(ax, extent)  # the plane the network's panels draw


def plot_comparison(
    path: Path, views: list[LossView], X, y, n_classes: int, factor: float | None, **options
) -> None:
    figure = comparison_figure(views, X, y, n_classes, factor, **options)
    save_figure(figure, path, dpi=95, tight=True, thumbnail=True)


def comparison_figure(
    views: list[LossView],
    X,
    y,
    n_classes: int,
    factor: float | None,
    n_seeds: int | None = None,
    strip: list[StripRow] | None = None,
    hidden: list[HiddenPanel] | None = None,
    success_accuracy: float = SUCCESS_ACCURACY,
    dataset: str | None = None,
    shown: str | None = None,
    baselines: list | None = None,
):
    """The comparison picture: decision regions and margin views side by side, the boundaries overlaid,
    boundary radius by angle, the loss curves; for a seed study also test accuracy per seed and the
    hidden layer of the worst failure beside a typical success. `shown`: a seed study's panels draw
    one seed, and every panel that draws it says which (and why that one). `baselines` (fitted
    engine.baselines.Baseline): a last row with each one's decision regions on the same test data."""
    seed_note = "" if not views else f" ({views[0].caption.split(',')[0]})"
    plt = pyplot()
    cols = len(views) + 1
    # rows of planes as tall as the data's plane (a wide data set leaves no band of white between rows)
    x0, x1, y0, y1 = data_extent(X)
    plane = min(1.0, max(0.8, 0.3 + 0.7 * (y1 - y0) / (x1 - x0)))  # room for a legend of long names
    heights = [plane, plane, 0.85] + ([0.8] if hidden else []) + ([0.8 * plane] if baselines else [])
    # mlxtend predicts one grid point per figure pixel at figure.dpi; 50 keeps that grid modest
    fig = plt.figure(figsize=(4.9 * max(cols, 3), 4.9 * sum(heights)), dpi=50)
    outer = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.42)
    top = outer[0].subgridspec(1, cols, wspace=0.3)
    # room for the colour bars' labels, and for the legend of the radius-by-angle panel
    middle = outer[1].subgridspec(1, cols, wspace=0.5, width_ratios=[1] * (cols - 1) + [1.2])
    for i, view in enumerate(views):
        ax = fig.add_subplot(top[i])
        plt.figure(fig.number)
        draw_decision_regions(ax, X, y, view.outputs, view.spec, n_classes, dataset)
        ax.set_title(
            f"{nice_name(view.loss)}: decision regions\n"
            f"{view.caption}, test accuracy {view.test_accuracy:.1%}",
            fontsize=10,
        )
        ax = fig.add_subplot(middle[i])
        _, count, note = draw_margins(
            ax,
            X,
            y,
            view.outputs,
            view.spec,
            n_classes,
            dataset=dataset,
            ring_size=28,
            compact=True,
            crowded=True,
        )
        margin = "1 (dashed)" if view.spec.multiclass else "±1 (dashed)"
        lines = [
            f"{nice_name(view.loss)}, {view.caption}" if shown else nice_name(view.loss),
            f"boundary (solid), margin {margin}",
            f"{count} of {len(y)} test points inside the margin (ringed)",
        ]
        ax.set_title("\n".join([*lines, note] if note else lines), fontsize=9.5)
        rings = [h for h, t in zip(*ax.get_legend_handles_labels()) if t.startswith("inside")]
        if rings:  # the classes are named in the panel above; here only what the rings mean
            ax.legend(rings, [rings[0].get_label()], loc="upper right", fontsize=7.5, framealpha=0.9)
    ax = fig.add_subplot(top[cols - 1])
    draw_boundary_overlay(ax, X, y, views, n_classes, factor)
    ax.set_title(
        ("Both" if len(views) == 2 else "The")
        + " decision boundaries on the test data"
        + (f"\n{shown}" if shown else ""),
        fontsize=10,
    )
    ax = fig.add_subplot(middle[cols - 1])
    if factor is not None and any(v.radii is not None for v in views):
        draw_boundary_by_angle(ax, views, factor)
        level = next(v.band_level for v in views if v.radii is not None)
        ax.set_title(
            f"Where the boundary lies{seed_note if shown else ''}: radius along each ray\n"
            f"(band: |output| < {level:g}, still pays loss)",
            fontsize=10,
        )
    else:
        ax.axis("off")
        ax.text(0.5, 0.5, "boundary radii are measured on circles only", ha="center", va="center")

    row = outer[2].subgridspec(1, 2, width_ratios=[1.7, 1], wspace=0.25)
    draw_loss_comparison(fig.add_subplot(row[0]), views, n_seeds)
    if strip is None:
        _summary_text(fig.add_subplot(row[1]), views)
    else:
        draw_accuracy_strip(fig.add_subplot(row[1]), strip, success_accuracy)
    if hidden:
        row = outer[3].subgridspec(1, 3, wspace=0.35)
        for j, panel in enumerate(hidden):
            ax = fig.add_subplot(row[j])
            notes = draw_hidden_layer(
                ax, panel.activations, panel.y_train, panel.spec, n_classes, dataset, legend_size=7.5
            )
            ax.set_title("\n".join([f"Last hidden layer: {panel.heading}", panel.why, *notes]), fontsize=9)
        failure_text(fig.add_subplot(row[2]), strip or [])
    if baselines:
        row = outer[len(heights) - 1].subgridspec(1, max(len(baselines), cols), wspace=0.3)
        for j, baseline in enumerate(baselines):
            ax = fig.add_subplot(row[j])
            plt.figure(fig.number)
            draw_classifier_regions(ax, X, y, baseline.model, n_classes, dataset)
            n_support = baseline.support_vectors
            support = "" if n_support is None else f", {n_support} support vectors"
            title = f"Baseline {baseline.name}\ntest accuracy {baseline.test_accuracy:.1%}{support}"
            ax.set_title(title, fontsize=10)
    return fig  # a big figure: saved at 95 dpi, readable and under ~400 KB
