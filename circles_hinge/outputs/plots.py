"""The still figures of a run folder: data, loss curve, decision regions, margins (the hidden layer is
hidden_plots.py's; how they look, and what every figure shares, style.py's).

Plots never touch TensorFlow: they take arrays and an `outputs(X) -> (n, units)` function that
predicts a whole grid in one batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.losses import (
    LossSpec,
    decision_values,
    get_loss,
    point_margins,
    predict_classes,
)
from circles_hinge.outputs.style import (
    MARKERS,
    PAD,
    TANH_FLOAT32_ONE,
    Outputs,
    class_color,
    class_names,
    class_plane,
    data_extent,
    labelled_names,
    lead_cmap,
    loss_color,
    mlxtend_zoom,
    plane_height,
    plane_scale,
    pyplot,
    save_figure,
    scatter_classes,
    set_extent,
    value_cmap,
)
from circles_hinge.words import plural


def plot_data(
    path: Path,
    X: np.ndarray,
    y: np.ndarray,
    spec: LossSpec,
    n_classes: int,
    title: str,
    dataset: str | None = None,
) -> None:
    save_figure(data_figure(X, y, n_classes, title, dataset), path)


def data_figure(X: np.ndarray, y: np.ndarray, n_classes: int, title: str, dataset: str | None = None):
    plt = pyplot()
    extent = data_extent(X)
    fig, ax = plt.subplots(figsize=(5, plane_height(extent, 4.1, 1.0)), layout="compressed")
    scatter_classes(ax, X, y, class_names(dataset, n_classes), edge=0.3)
    set_extent(ax, extent)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return fig


def positive(values) -> np.ndarray:
    """The values a log axis can show; 0 (and anything below) becomes a gap, marked by `mark_zeros`."""
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)


def mark_zeros(ax, epochs: np.ndarray, values, color: str, what: str, ls: str = "-") -> bool:
    """A tick on the bottom edge at every epoch where a loss is exactly 0, which a log axis cannot
    show (hinge losses do reach 0 once every point is past the margin), in a strip that `log_y`
    keeps clear of the curves. True if there was any."""
    zero = np.asarray(values) == 0
    if not zero.any():
        return False
    first = int(epochs[zero][0])
    every = zero[np.flatnonzero(epochs == first)[0] :].all()
    count = f"every epoch from {first}" if every else f"{plural(int(zero.sum()), 'epoch')} from {first}"
    ax.plot(
        epochs[zero],
        np.full(int(zero.sum()), 0.025 if ls == "-" else 0.06),  # axes fraction: training lowest
        transform=ax.get_xaxis_transform(),
        ls="none",
        marker="|",
        ms=5,
        mew=1.2,
        color=color,
        label=f"{what} exactly 0 ({count})",
    )
    return True


def log_y(ax, any_positive: bool, zeros: bool = False) -> None:
    """A log y axis, with plain tick labels when it spans under two decades (matplotlib would label
    minor ticks as 9x10^-1), a fixed range when there is no positive value at all, and with `zeros`
    a strip at the bottom, below every curve, for `mark_zeros`' ticks."""
    ax.set_yscale("log")
    if not any_positive:
        ax.set_ylim(1e-6, 1)
        return
    low, high = ax.get_ylim()
    if zeros:
        low = low / (high / low) ** 0.1
        ax.set_ylim(low, high)
    if np.log10(high / low) < 1.5:
        from matplotlib.ticker import FuncFormatter

        plain = FuncFormatter(lambda v, _: f"{v:.3g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)


def draw_loss_curves(
    ax, history: dict[str, np.ndarray], loss: str, color: str, label_prefix: str = ""
) -> None:
    """Training (solid) and validation (dashed) loss on a log axis; epochs at exactly 0 are ticked."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    any_positive = zeros = False
    for metric, ls, word in (("loss", "-", "training"), ("val_loss", "--", "validation")):
        values = np.asarray(history[metric], dtype=float)
        if metric == "val_loss" and not np.isfinite(values).any():
            continue  # no validation data
        ax.plot(epochs, positive(values), color=color, lw=2, ls=ls, label=f"{label_prefix}{word} data")
        zeros = mark_zeros(ax, epochs, values, color, f"{label_prefix}{word} loss", ls) or zeros
        any_positive = any_positive or bool(np.any(values > 0))
    log_y(ax, any_positive, zeros)
    ax.set_xlabel("epoch")
    ax.grid(True, which="both", alpha=0.25)


def plot_loss_curve(path: Path, history: dict[str, np.ndarray], loss: str) -> None:
    save_figure(loss_curve_figure(history, loss), path)


def loss_curve_figure(history: dict[str, np.ndarray], loss: str):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    draw_loss_curves(ax, history, loss, loss_color(loss))
    spec = get_loss(loss)
    ax.set(title=f"{spec.title} loss per epoch (log scale)", ylabel=f"{spec.display} loss")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.92)
    return fig


class LabelModel:
    """What mlxtend's plot_decision_regions needs: `predict` returning labels, for a whole grid at once.

    A raw Keras model returns continuous tanh values, which mlxtend cannot map to a class. Labels are
    the classes 0..k-1 whatever the loss trains on: mlxtend sizes its contour levels from the largest
    predicted label, so -1/+1 labels fail when a collapsed model predicts -1 everywhere.
    """

    def __init__(self, outputs: Outputs, spec: LossSpec):
        self.outputs, self.spec = outputs, spec

    def predict(self, X: np.ndarray) -> np.ndarray:
        return predict_classes(self.spec, self.outputs(np.asarray(X, dtype=np.float32)))


def draw_decision_regions(
    ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, dataset: str | None = None, size: float = 22
) -> int:
    """mlxtend's decision regions on `data_extent(X)`, each class in its colour and marker, named
    with the label the loss trains it as, and the misclassified points crossed. Returns how many."""
    from mlxtend.plotting import plot_decision_regions

    names = labelled_names(spec, class_names(dataset, n_classes))
    extent = data_extent(X)
    if len(np.unique(y)) < 2:  # mlxtend fails when every plotted point has one label
        _draw_regions_by_hand(ax, X, y, outputs, spec, names, extent, size)
        handles, names = ax.get_legend_handles_labels()
    else:
        plot_decision_regions(
            X,
            np.asarray(y),
            clf=LabelModel(outputs, spec),
            ax=ax,
            legend=0,
            n_jobs=1,
            zoom_factor=mlxtend_zoom(X, extent),
            colors=",".join(class_color(c) for c in range(n_classes)),
            markers=MARKERS[:n_classes],
            scatter_kwargs={"linewidths": 0.4, "s": size, "alpha": 1.0},
        )
        handles = ax.collections[-n_classes:] if len(ax.collections) >= n_classes else []
    wrong = predict_classes(spec, outputs(np.asarray(X, dtype=np.float32))) != np.asarray(y)
    if wrong.any():
        label = f"misclassified ({int(wrong.sum())})"
        cross = ax.scatter(X[wrong, 0], X[wrong, 1], s=size * 2.2, marker="x", color="black", linewidths=1.4)
        handles, names = [*handles, cross], [*names, label]
    ax.legend(handles, names, loc="best", fontsize=8, framealpha=0.9)
    set_extent(ax, extent)
    return int(wrong.sum())


def _draw_regions_by_hand(ax, X, y, outputs: Outputs, spec: LossSpec, names, extent, size) -> None:
    from matplotlib.colors import ListedColormap

    n_classes = len(names)
    xx, yy, grid = make_grid(extent=extent)
    classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
    cmap = ListedColormap([class_color(c) for c in range(n_classes)])
    ax.contourf(xx, yy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.45)
    scatter_classes(ax, X, y, names, size=size)


def plot_decision_regions_png(
    path: Path,
    X,
    y,
    outputs: Outputs,
    spec: LossSpec,
    n_classes: int,
    accuracy: float,
    dataset: str | None = None,
) -> None:
    figure = decision_regions_figure(X, y, outputs, spec, n_classes, accuracy, dataset)
    save_figure(figure, path, thumbnail=True)


def decision_regions_figure(
    X, y, outputs: Outputs, spec: LossSpec, n_classes: int, accuracy: float, dataset: str | None = None
):
    plt = pyplot()
    # mlxtend sizes its grid from the current figure; "compressed" fits a plane of equal scales snugly
    fig = plt.figure(figsize=(5.5, plane_height(data_extent(X), 4.4, 1.1)), layout="compressed")
    ax = fig.add_subplot()
    draw_decision_regions(ax, X, y, outputs, spec, n_classes, dataset)
    ax.set_title(f"{spec.title}: decision regions\ntest data, accuracy {accuracy:.1%}", fontsize=11)
    return fig


def make_grid(
    X: np.ndarray | None = None, n: int = 241, pad: float = PAD, extent=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An n x n grid over `extent` (by default `data_extent(X, pad)`): xx, yy and the points as one
    float32 batch."""
    x0, x1, y0, y1 = data_extent(X, pad) if extent is None else extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].astype(np.float32)


def value_name(spec: LossSpec) -> str:
    """What the margin figures colour: the output f, the logit of p, or the lead of the top score."""
    if spec.multiclass:
        return "top score minus runner-up"
    return "logit of p" if spec.prediction == "threshold" else "model output f(x)"


def margin_levels(levels) -> list[float]:
    """Contour levels for margin lines at `levels` (±1): a hair inside them, so that a plateau of
    exactly ±1 (float32 tanh rounds to 1 from an input of about 7.9) is outlined, as a point there is
    on the margin (matplotlib draws a contour only where values cross the level, not reach it)."""
    return [float(level) * (1 - 3e-8) for level in levels]


def draw_plane(ax, outputs: Outputs, spec: LossSpec, n_classes: int, extent, scale=None, n: int = 241):
    """The decision value over `extent` in the class colours (deeper away from the boundary), the
    boundary (solid) and the margin (dashed). Returns what a colour bar shows, the values and the
    scale's end (`scale`: a zoomed panel keeps its parent's)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    xx, yy, grid = make_grid(extent=extent, n=n)
    out = outputs(grid)
    values = decision_values(spec, out).reshape(xx.shape)
    scale = plane_scale(spec, values) if scale is None else scale
    if spec.multiclass:
        classes = predict_classes(spec, out).reshape(xx.shape)
        ax.imshow(class_plane(classes, values, scale), extent=extent, origin="lower", aspect="auto")
        image = ScalarMappable(Normalize(0, scale), lead_cmap())
        if values.max() >= 1:
            ax.contour(
                xx, yy, values, levels=margin_levels([1.0]), colors="k", linestyles="--", linewidths=1.2
            )
        if len(np.unique(classes)) > 1:
            ax.contour(xx, yy, classes, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=1.6)
    else:
        image = ax.pcolormesh(
            xx, yy, values, cmap=value_cmap(), shading="auto", vmin=-scale, vmax=scale, rasterized=True
        )
        if values.min() < 0 < values.max():
            ax.contour(xx, yy, values, levels=[0.0], colors="k", linewidths=1.6)
        reached = [level for level in (-1.0, 1.0) if values.min() <= level <= values.max()]
        if reached:
            ax.contour(
                xx, yy, values, levels=margin_levels(reached), colors="k", linestyles="--", linewidths=1.2
            )
    return image, values, scale


def ring(ax, X: np.ndarray, size: float, **options) -> None:
    """Black rings around points (those inside the margin)."""
    ax.scatter(X[:, 0], X[:, 1], s=size, facecolors="none", edgecolors="black", linewidths=1.1, **options)


def draw_margins(
    ax,
    X,
    y,
    outputs: Outputs,
    spec: LossSpec,
    n_classes: int,
    colorbar: bool = True,
    dataset: str | None = None,
    extent=None,
    ring_size: float = 40,
    compact: bool = False,
    unringed: int | None = None,
    crowded: bool = False,
    scale: float | None = None,
):
    """The decision value in the class colours, its 0 contour (boundary) and ±1 contours (margin),
    and the points inside the margin ringed, except class `unringed`'s (a zoomed panel rings them).
    With `crowded`, a crowded class (the circles' inner circle, whose rings would merge into one dark
    doughnut) is not ringed and the legend says how many of it are inside. `compact`: a one-line
    colour-bar label and note, for a panel among many; `extent` (x0, x1, y0, y1) zooms in. Returns
    the colour bar's mappable, the number of margin violators among X and a note on any margin line
    the plane does not show."""
    extent = data_extent(X) if extent is None else extent
    image, values, scale = draw_plane(ax, outputs, spec, n_classes, extent, scale)
    names = class_names(dataset, n_classes)
    scatter_classes(ax, X, y, names, size=12, edge=0.3)
    inside = point_margins(spec, outputs(np.asarray(X, dtype=np.float32)), y) < 1
    skip = crowded_class(X, y) if crowded else unringed
    label = f"inside the margin ({int(inside.sum())})"
    if crowded and skip is not None:
        label += f"\n{names[skip]}: {int((inside & (y == skip)).sum())} of them, not ringed"
    ring(ax, X[inside & (y != skip)], ring_size, label=label)
    set_extent(ax, extent)
    if colorbar:
        label = value_name(spec) if compact else colorbar_label(spec, dataset)
        if ax.figure.get_layout_engine() is not None:  # a laid-out figure fits the bar to the plane
            ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
        else:  # in a grid: in the plane's slot, as tall as the plane is drawn (equal scales leave a
            # wide data set's plane shorter than its slot, and a bar of the slot's height runs into the title)
            from mpl_toolkits.axes_grid1 import make_axes_locatable

            cax = make_axes_locatable(ax).append_axes("right", size="4.6%", pad=0.1)
            ax.figure.colorbar(image, cax=cax, label=label)
    return image, int(inside.sum()), missing_margin_note(spec, values, short=compact)


def missing_margin_note(spec: LossSpec, values: np.ndarray, short: bool = False) -> str:
    """Why a dashed margin line is missing, from the values the plane actually holds; "" if none is.

    With a tanh output f reaches ±1 only where float32 tanh rounds to ±1 (an input beyond about ±7.9),
    so the margin on the side whose tanh input stays smaller is not on the plane at all.
    """
    import textwrap

    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:  # a diverged model: nothing on the plane to explain
        return ""
    top, bottom = float(finite.max()), float(finite.min())
    if spec.multiclass:
        return "" if top >= 1 else f"no dashed line: the top score leads by at most {top:.3g} here"
    symbol = "the logit" if spec.prediction == "threshold" else "f"
    notes = []
    for level, extreme in ((1.0, top), (-1.0, bottom)):
        if level * extreme >= 1:  # reached: the line is drawn
            continue
        gap = abs(level - extreme)  # shown as 1 - gap when 5 digits would round the extreme to ±1
        shown = f"{extreme:.5g}" if gap >= 5e-5 else f"{level:g} {'-' if level > 0 else '+'} {gap:.1e}"
        bound = f"{symbol} {'≤' if level > 0 else '≥'} {shown}"
        if short:
            notes.append(f"no {level:+g} line: {bound}")
            continue
        note = f"no dashed line at {level:+g}: {bound} here"
        if spec.output_activation == "tanh" and abs(extreme) < 1:
            beyond = f"above {TANH_FLOAT32_ONE:g}" if level > 0 else f"below -{TANH_FLOAT32_ONE:g}"
            note += f" (tanh of {np.arctanh(extreme):.1f}; float32 tanh is {level:g} only {beyond})"
        notes.append(textwrap.fill(note, 100))
    return ("; " if short else "\n").join(notes)


def crowded_class(X: np.ndarray, y: np.ndarray, share: float = 0.15) -> int | None:
    """A class whose points fill under `share` of the plane's width (the circles' inner circle), so
    that its points and rings would merge into one spot: the margins figure zooms in on it."""
    span = np.ptp(X, axis=0).max()
    for c in np.unique(y):
        pts = X[y == c]
        if len(pts) > 1 and np.ptp(pts, axis=0).max() < share * span:
            return int(c)
    return None


class RecordedOutputs:
    """A model's outputs for the points a figure will ask for, computed beforehand where the model is
    and looked up when the figure is drawn: the margins figure, drawn by a run's figure process, which
    has no TensorFlow (outputs/background.py). The numbers are the model's own, so the figure is the
    same bytes wherever it is drawn (a test). Points nobody recorded raise KeyError."""

    def __init__(self, outputs: Outputs, points: list[np.ndarray]):
        self.table = {_points_key(p): np.asarray(outputs(np.asarray(p, dtype=np.float32))) for p in points}

    def __call__(self, X: np.ndarray) -> np.ndarray:
        key = _points_key(X)
        if key not in self.table:
            raise KeyError(f"no outputs were recorded for these {len(X)} points")
        return self.table[key]


def _points_key(X) -> tuple:
    import hashlib

    X = np.ascontiguousarray(X, dtype=np.float32)
    return X.shape, hashlib.sha256(X.tobytes()).hexdigest()


def margins_points(X, y) -> list[np.ndarray]:
    """Every set of points `margins_figure` asks its outputs for: the points themselves, the plane's
    grid and, when a class is crowded, the zoomed panel's grid."""
    crowded = crowded_class(X, y)
    extents = [data_extent(X)] + ([] if crowded is None else [zoom_extent(X, y, crowded)])
    return [np.asarray(X, dtype=np.float32), *(make_grid(extent=extent)[2] for extent in extents)]


def zoom_extent(X, y, crowded: int):
    """The margins figure's zoomed panel: the crowded class's points, padded."""
    return data_extent(X[y == crowded], pad=0.3)


def plot_margins(
    path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, dataset: str | None = None
) -> int:
    fig, count = margins_figure(X, y, outputs, spec, n_classes, dataset)
    save_figure(fig, path)
    return count


def margins_figure(X, y, outputs: Outputs, spec: LossSpec, n_classes: int, dataset: str | None = None):
    """The margins figure, with a zoomed panel on a crowded class; returns (figure, violators)."""
    plt = pyplot()
    crowded = crowded_class(X, y)
    x0, x1, y0, y1 = data_extent(X)
    aspect = (y1 - y0) / (x1 - x0)  # moons: wide
    if crowded is None:
        fig, ax = plt.subplots(figsize=(6.8, 1.6 + 4.6 * min(aspect, 1.2)), layout="compressed")
        _, count, note = draw_margins(ax, X, y, outputs, spec, n_classes, dataset=dataset)
    else:
        fig, (ax, zoom) = plt.subplots(
            1, 2, figsize=(10, 5.6), layout="compressed", gridspec_kw={"width_ratios": [1, 0.8]}
        )
        _, count, note = draw_margins(
            ax, X, y, outputs, spec, n_classes, colorbar=False, dataset=dataset, unringed=crowded
        )
        scale = plane_scale(spec, decision_values(spec, outputs(make_grid(X)[2])))
        image, _, _ = draw_margins(
            zoom,
            X,
            y,
            outputs,
            spec,
            n_classes,
            colorbar=False,
            dataset=dataset,
            extent=zoom_extent(X, y, crowded),
            ring_size=70,
            scale=scale,
        )
        times = np.ptp(ax.get_xlim()) / np.ptp(zoom.get_xlim())
        name = class_names(dataset, n_classes)[crowded]
        zoom.set_title(f"{name}, zoomed ×{times:.0f} (its rings are shown here)", fontsize=10)
        zoom.set_ylabel("")
        ax.indicate_inset_zoom(zoom, edgecolor="0.15")
        fig.colorbar(image, ax=[ax, zoom], fraction=0.04, pad=0.02, label=colorbar_label(spec, dataset))
    margin = "margin = a lead of 1" if spec.multiclass else "margin ±1"
    lines = [
        f"{spec.title}: boundary (solid), {margin} (dashed)",
        f"{count} of {len(y)} test points are inside the margin (ringed) and still pay loss",
    ]
    fig.suptitle("\n".join([*lines, note] if note else lines), fontsize=10)
    ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    return fig, count


def colorbar_label(spec: LossSpec, dataset: str | None) -> str:
    """What the colour means and, for two classes, which side is which (here > 0 is class 1, e.g.
    the inner circle, whatever labels the loss trains on)."""
    if spec.multiclass:
        return f"{value_name(spec)} (the shade; the hue is the class)"
    names = class_names(dataset, 2)
    return f"{value_name(spec)}\n> 0: {names[1]}, < 0: {names[0]}"
