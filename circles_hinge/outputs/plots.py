"""The still figures of a run folder (data, loss curve, decision regions, margins, hidden layer) and what
every figure shares: Agg backend, colour-blind-safe colours, saving with every figure closed.

Plots never touch TensorFlow: they take arrays and an `outputs(X) -> (n, units)` function that
predicts a whole grid in one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from circles_hinge.engine.data import BLOB_CENTERS
from circles_hinge.losses import LossSpec, decision_values, get_loss, point_margins, predict_classes
from circles_hinge.store.folders import write_atomic
from circles_hinge.words import plural

Outputs = Callable[[np.ndarray], np.ndarray]

# Okabe & Ito's colour-blind-safe palette: blue, orange, bluish green, vermillion, sky blue.
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9"]
LOSS_COLORS = {"hinge": "#0072B2", "squared_hinge": "#D55E00", "binary_crossentropy": "#009E73"}
MARKERS = "s^ovD"
DPI = 110


def pyplot():
    """matplotlib.pyplot on the Agg backend, imported only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def loss_color(name: str, i: int = 0) -> str:
    return LOSS_COLORS.get(name, CLASS_COLORS[(i + 1) % len(CLASS_COLORS)])


def nice_name(loss: str) -> str:
    """The registry's display name of a loss, capitalised to start a title: "Squared hinge"."""
    return get_loss(loss).title


# make_circles puts class 0 on the outer circle, make_moons on the upper moon; blobs follow BLOB_CENTERS.
CLASS_NAMES = {
    "circles": ["outer circle", "inner circle"],
    "moons": ["upper moon", "lower moon"],
    "xor": ["quadrants 2 and 4", "quadrants 1 and 3"],  # the Playground's xor: class 1 where x1·x2 >= 0
    "spiral": ["arm from angle π", "arm from angle 0"],
    "gauss": ["cloud at (-2, -2)", "cloud at (2, 2)"],
}
# tanh in float32 (TensorFlow's) is exactly 1 from an input of about 7.9: measured, for the margin note
TANH_FLOAT32_ONE = 7.9


def class_names(dataset: str | None, n_classes: int) -> list[str]:
    """What each class is, in words, the same in every figure and for every loss (whatever labels the
    loss trains on: -1/+1, 0/1 or one-hot). Without a data set name: "class 0", "class 1", ..."""
    if dataset in CLASS_NAMES and n_classes == 2:
        return list(CLASS_NAMES[dataset])
    if dataset == "blobs":
        if n_classes <= len(BLOB_CENTERS):
            return [f"blob at ({x:g}, {y:g})" for x, y in BLOB_CENTERS[:n_classes]]
    return [f"class {c}" for c in range(n_classes)]


FIGURE_FORMATS = ("png", "svg", "pdf")  # what `plot-losses --out` may name; run folders hold PNGs


def save_figure(fig, path: Path, dpi: int = DPI, tight: bool = False) -> None:
    """Write `fig` atomically in the format its suffix names (PNG when it names none) and close it.
    tight=True trims the margins (one more draw; only for figures not laid out when made)."""
    import io

    buf = io.BytesIO()
    fmt = path.suffix.lstrip(".").lower() or "png"
    # Figures are laid out when made (layout="constrained"); bbox_inches="tight" would draw each twice.
    options = {"bbox_inches": "tight"} if tight else {}
    if fmt == "pdf":
        options["metadata"] = {"CreationDate": None}  # the same figure gives the same bytes
    fig.savefig(buf, format=fmt, dpi=dpi, **options)
    pyplot().close(fig)
    write_atomic(path, buf.getvalue())


def scatter_classes(
    ax, X: np.ndarray, y: np.ndarray, names: list[str], size: float = 14, edge: float = 0.4
) -> None:
    """Each class in its colour and marker, white-edged, labelled with its name for the legend."""
    for c, name in enumerate(names):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            c=CLASS_COLORS[c % 5],
            marker=MARKERS[c % 5],
            edgecolors="white",
            linewidths=edge,
            label=name,
        )


def text_panel(ax, lines: list[str], top: float, fontsize: float) -> None:
    """A panel of monospaced text instead of a plot."""
    ax.axis("off")
    ax.text(
        0.02,
        top,
        "\n".join(lines),
        va="top",
        ha="left",
        family="monospace",
        fontsize=fontsize,
        transform=ax.transAxes,
    )


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
    fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    scatter_classes(ax, X, y, class_names(dataset, n_classes))
    ax.set(title=title, xlabel="x1", ylabel="x2", aspect="equal")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
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
    ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, dataset: str | None = None
) -> None:
    from mlxtend.plotting import plot_decision_regions

    names = class_names(dataset, n_classes)
    if len(np.unique(y)) < 2:  # mlxtend fails when every plotted point has one label
        _draw_regions_by_hand(ax, X, y, outputs, spec, names)
        return
    plot_decision_regions(
        X,
        np.asarray(y),
        clf=LabelModel(outputs, spec),
        ax=ax,
        legend=0,
        n_jobs=1,
        colors=",".join(CLASS_COLORS[:n_classes]),
        markers=MARKERS[:n_classes],
        scatter_kwargs={"edgecolor": "white", "linewidths": 0.4, "s": 22},
    )
    handles = ax.collections[-n_classes:] if len(ax.collections) >= n_classes else []
    ax.legend(handles, names, loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


def _draw_regions_by_hand(ax, X, y, outputs: Outputs, spec: LossSpec, names: list[str]) -> None:
    from matplotlib.colors import ListedColormap

    n_classes = len(names)
    xx, yy, grid = make_grid(X, pad=0.5)
    classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(xx, yy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.45)
    scatter_classes(ax, X, y, names, size=22)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


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
    save_figure(decision_regions_figure(X, y, outputs, spec, n_classes, accuracy, dataset), path)


def decision_regions_figure(
    X, y, outputs: Outputs, spec: LossSpec, n_classes: int, accuracy: float, dataset: str | None = None
):
    plt = pyplot()
    fig = plt.figure(figsize=(5.5, 5), layout="constrained")  # mlxtend sizes its grid from the current figure
    ax = fig.add_subplot()
    draw_decision_regions(ax, X, y, outputs, spec, n_classes, dataset)
    ax.set_title(f"{spec.title}: decision regions\ntest data, accuracy {accuracy:.1%}", fontsize=11)
    return fig


def make_grid(X: np.ndarray, n: int = 241, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An n x n grid around X, padded by `pad` of its span: xx, yy and the points as one float32 batch."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 1e-9, hi - lo, 2.0)  # a single test point still gets a plane around it
    xs = np.linspace(lo[0] - pad * span[0], hi[0] + pad * span[0], n)
    ys = np.linspace(lo[1] - pad * span[1], hi[1] + pad * span[1], n)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].astype(np.float32)


def value_name(spec: LossSpec) -> str:
    """What the margin figures colour: the output f, the logit of p, or the lead of the top score."""
    if spec.multiclass:
        return "top score minus runner-up"
    return "logit of p" if spec.prediction == "threshold" else "model output f(x)"


def draw_margins(
    ax,
    X,
    y,
    outputs: Outputs,
    spec: LossSpec,
    n_classes: int,
    colorbar: bool = True,
    dataset: str | None = None,
    extent: np.ndarray | None = None,
    ring: float = 40,
    compact: bool = False,
    unringed: int | None = None,
):
    """Heat-map of the decision value, its 0 contour (boundary) and ±1 contours (margin), and the
    points inside the margin ringed (except class `unringed`'s, when a zoomed panel rings them;
    `compact`: a one-line colour-bar label and note, for a panel among many);
    `extent` (points to frame) zooms in. Returns the image, the number of margin violators among X,
    and a note on any margin line the plane does not show."""
    xx, yy, grid = make_grid(X if extent is None else extent, pad=0.25 if extent is None else 0.3)
    values = decision_values(spec, outputs(grid)).reshape(xx.shape)
    names = class_names(dataset, n_classes)
    if spec.multiclass:
        image = ax.pcolormesh(
            xx, yy, values, cmap="cividis", shading="auto", vmin=0, vmax=max(2.0, values.max())
        )
        ax.contour(xx, yy, values, levels=[1.0], colors="k", linestyles="--", linewidths=1.2)
        classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
        ax.contour(xx, yy, classes, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=1.6)
        label = value_name(spec)
    else:
        limit = max(1.0, float(np.nanpercentile(np.abs(values), 98)))  # tanh: exactly [-1, 1]
        image = ax.pcolormesh(xx, yy, values, cmap="RdBu_r", shading="auto", vmin=-limit, vmax=limit)
        ax.contour(xx, yy, values, levels=[0.0], colors="k", linewidths=1.6)
        ax.contour(xx, yy, values, levels=[-1.0, 1.0], colors="k", linestyles="--", linewidths=1.0)
        label = value_name(spec) if compact else colorbar_label(spec, dataset)
    scatter_classes(ax, X, y, names, size=12)
    margins = point_margins(spec, outputs(np.asarray(X, dtype=np.float32)), y)
    inside = margins < 1
    ringed = inside & (y != unringed)  # a crowded class gets its rings in the zoomed panel
    ax.scatter(
        X[ringed, 0],
        X[ringed, 1],
        s=ring,
        facecolors="none",
        edgecolors="black",
        linewidths=0.6,
        alpha=0.8,
        label=f"inside the margin ({int(inside.sum())})",
    )
    ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
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
    lo, hi = X.min(axis=0), X.max(axis=0)
    aspect = float(np.clip((hi[1] - lo[1] + 1e-9) / (hi[0] - lo[0] + 1e-9), 0.4, 1.2))  # moons: wide
    if crowded is None:
        fig, ax = plt.subplots(figsize=(6.8, 1.6 + 4.6 * aspect), layout="constrained")
        _, count, note = draw_margins(ax, X, y, outputs, spec, n_classes, dataset=dataset)
    else:
        fig, (ax, zoom) = plt.subplots(
            1, 2, figsize=(10, 5.6), layout="constrained", gridspec_kw={"width_ratios": [1, 0.8]}
        )
        _, count, note = draw_margins(
            ax, X, y, outputs, spec, n_classes, colorbar=False, dataset=dataset, unringed=crowded
        )
        near = X[y == crowded]
        image, _, _ = draw_margins(
            zoom, X, y, outputs, spec, n_classes, colorbar=False, dataset=dataset, extent=near, ring=70
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
        return value_name(spec)
    names = class_names(dataset, 2)
    return f"{value_name(spec)}\n> 0: {names[1]}, < 0: {names[0]}"


def draw_hidden_layer(
    ax, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, dataset: str | None = None
) -> list[str]:
    """Scatter of the last hidden layer's activations; wider layers are projected with PCA. Returns
    notes for the title, one per line: the projection, dead units."""
    notes = []
    if hidden.shape[1] == 2:
        points, xlabel, ylabel = hidden, "hidden unit 1", "hidden unit 2"
    elif hidden.shape[1] == 1:
        points = np.c_[hidden[:, 0], np.zeros(len(hidden))]
        xlabel, ylabel = "hidden unit 1", ""
    else:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2).fit_transform(hidden)
        xlabel, ylabel = "principal component 1", "principal component 2"
        notes.append(f"principal components of its {hidden.shape[1]} units")
    dead = [i + 1 for i in range(hidden.shape[1]) if np.all(hidden[:, i] == 0)]
    if dead:
        units = f"unit{'s' if len(dead) > 1 else ''} {', '.join(map(str, dead))}"
        notes.append(f"dead {units}: 0 for every point")
    names = class_names(dataset, n_classes)
    for c in range(n_classes):  # a class squeezed onto a few spots (dead ReLUs) would be invisible
        spots = len(np.unique(points[y == c].round(4), axis=0))
        if 0 < spots <= max(3, (y == c).sum() // 20):
            names[c] += f": {(y == c).sum()} points on {spots} spot{'s' if spots > 1 else ''}"
    scatter_classes(ax, points, y, names, size=12)
    for c in range(n_classes):
        if ":" in names[c]:
            pts = points[y == c]
            ax.scatter(
                pts[:, 0], pts[:, 1], s=160, facecolors="none", edgecolors=CLASS_COLORS[c % 5], linewidths=2
            )
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return notes


def plot_hidden_layer(
    path: Path, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, dataset: str | None = None
) -> None:
    save_figure(hidden_layer_figure(hidden, y, spec, n_classes, dataset), path)


def hidden_layer_figure(hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, dataset=None):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    notes = draw_hidden_layer(ax, hidden, y, spec, n_classes, dataset)
    ax.set_title(
        "\n".join([f"{spec.title}: the last hidden layer", "the training points as it sees them", *notes]),
        fontsize=10,
    )
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return fig
