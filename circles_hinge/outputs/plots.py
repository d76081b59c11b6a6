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
from circles_hinge.losses import (
    LOSSES,
    LossSpec,
    decision_values,
    get_loss,
    point_margins,
    predict_classes,
)
from circles_hinge.store.folders import write_atomic
from circles_hinge.words import plural

Outputs = Callable[[np.ndarray], np.ndarray]

# Okabe & Ito's colour-blind-safe palette, split so that no colour means two things: the light hues
# are the classes (areas and points, each also with its own marker), the dark hues the losses (lines;
# training solid, validation dashed). Figures, training.gif and the pages all read these.
CLASS_COLORS = ["#56B4E9", "#E69F00", "#F0E442", "#999999", "#FFFFFF"]  # sky blue, orange, yellow, greys
# blue, vermillion, green, reddish purple, black (Okabe-Ito), then wine and teal (Paul Tol's muted scheme,
# also colour-blind safe): one line colour per registered loss
LINE_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#882255", "#44AA99"]
LOSS_COLORS = {name: LINE_COLORS[i % len(LINE_COLORS)] for i, name in enumerate(LOSSES)}
MARKERS = "s^ovD"
EDGE = "#1b1b1b"  # outlines of grey points and rings
# A plane's colour at a point: white mixed with the predicted class's colour, TINT[0] at the boundary
# and TINT[0] + TINT[1] where |decision value| reaches the colour scale's end (the page does the same)
TINT = (0.12, 0.6)
DPI = 110


def pyplot():
    """matplotlib.pyplot on the Agg backend, imported only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def loss_color(name: str, i: int = 0) -> str:
    """A loss's line colour, the same in every figure and page (a name not in the registry: by position)."""
    return LOSS_COLORS.get(name, LINE_COLORS[i % len(LINE_COLORS)])


def class_color(c: int) -> str:
    return CLASS_COLORS[c % len(CLASS_COLORS)]


def class_edge(c: int) -> str:
    """A class's points' outline: its colour darkened, so that a light point stays visible on a plane
    of its own hue and a crowd of points keeps its colour."""
    from matplotlib.colors import to_hex, to_rgb

    return to_hex(np.array(to_rgb(class_color(c))) * 0.55)


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


def labelled_names(spec: LossSpec, names: list[str]) -> list[str]:
    """The class names with the label the loss trains them as, where it has one number per point:
    "outer circle (-1)", "inner circle (+1)" for hinge; "(0)", "(1)" for cross-entropy."""
    if spec.labels == "pm1" and len(names) == 2:
        return [f"{names[0]} (−1)", f"{names[1]} (+1)"]
    if spec.labels == "01" and len(names) == 2:
        return [f"{names[0]} (0)", f"{names[1]} (1)"]
    return list(names)


PAD = 0.15  # the share of the data's span left around it on every side of a plane


def data_extent(X: np.ndarray, pad: float = PAD, widest: float = 2.0) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the plane every figure, training.gif and the page's replay draw, from the
    data's own range (any data set: circles, moons, blobs, a CSV file's points), padded by `pad` of
    its span on each side, and widened along the shorter side so that neither side is more than
    `widest` times the other (equal scales on both axes never leave a sliver)."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    if not np.all(span > 1e-9):  # one point, or a line of points: give the flat side the other's span
        span = np.where(span > 1e-9, span, max(float(span.max()), 1.0))
    centre = (lo + hi) / 2
    half = span * (0.5 + pad)
    half = np.maximum(half, half.max() / widest)
    return (
        float(centre[0] - half[0]),
        float(centre[0] + half[0]),
        float(centre[1] - half[1]),
        float(centre[1] + half[1]),
    )


def plane_height(extent, width: float, room: float) -> float:
    """A figure's height in inches for a plane `width` inches wide, plus `room` for titles and labels."""
    x0, x1, y0, y1 = extent
    return room + width * (y1 - y0) / (x1 - x0)


def set_extent(ax, extent) -> None:
    x0, x1, y0, y1 = extent
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal", xlabel="x1", ylabel="x2")


def plane_scale(spec: LossSpec, values: np.ndarray) -> float:
    """Where the plane's colour scale ends: 1 for a tanh output (exactly its range), else the 98th
    percentile of |value| and at least 1.5 (a logit) or 2 (the lead of the top score)."""
    if spec.prediction == "sign" and spec.output_activation == "tanh":
        return 1.0
    finite = np.abs(np.asarray(values, dtype=float))
    finite = finite[np.isfinite(finite)]
    spread = float(np.percentile(finite, 98)) if finite.size else 1.0
    return max(2.0 if spec.multiclass else 1.5, spread)


def tint(color: str, strength) -> np.ndarray:
    """White mixed with `color`: TINT[0] at strength 0 to TINT[0] + TINT[1] at strength 1 (RGB, 0..1)."""
    from matplotlib.colors import to_rgb

    t = TINT[0] + TINT[1] * np.clip(np.asarray(strength, dtype=float), 0, 1)
    return 1 + t[..., None] * (np.array(to_rgb(color)) - 1)


def value_cmap():
    """The colour scale of a two-class plane, from -scale to +scale: class 0's colour below 0, class
    1's from 0 up, deeper away from the boundary (vmin=-scale, vmax=scale)."""
    from matplotlib.colors import ListedColormap

    v = np.linspace(-1, 1, 256)
    rgb = np.where(v[:, None] < 0, tint(CLASS_COLORS[0], -v), tint(CLASS_COLORS[1], v))
    return ListedColormap(rgb, name="classes")


def lead_cmap():
    """The colour bar of a k-class plane: how deep the predicted class's colour is, by the lead."""
    from matplotlib.colors import ListedColormap

    return ListedColormap(tint("#555555", np.linspace(0, 1, 256)), name="lead")


def class_plane(classes: np.ndarray, lead: np.ndarray, scale: float) -> np.ndarray:
    """A k-class plane as RGB: each point in its predicted class's colour, deeper with its lead."""
    rgb = np.ones((*classes.shape, 3))
    for c in np.unique(classes):
        at = classes == c
        rgb[at] = tint(class_color(int(c)), lead[at] / scale)
    return rgb


FIGURE_FORMATS = ("png", "svg", "pdf")  # what `plot-losses --out` may name; run folders hold PNGs


THUMBNAIL = "thumbnail.png"  # a folder's main figure, small, for the index of a runs folder
THUMBNAIL_WIDTH, THUMBNAIL_COLORS = 320, 64  # shown 160 px wide: sharp at 2 pixels per CSS pixel


def save_figure(fig, path: Path, dpi: int = DPI, tight: bool = False, thumbnail: bool = False) -> None:
    """Write `fig` atomically in the format its suffix names (PNG when it names none) and close it.
    tight=True trims the margins (one more draw; only for figures not laid out when made);
    thumbnail=True also writes THUMBNAIL beside it (a folder's main figure)."""
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
    if thumbnail:
        write_thumbnail(buf.getvalue(), path.parent / THUMBNAIL)


def write_thumbnail(png: bytes, path: Path) -> None:
    """A PNG THUMBNAIL_WIDTH px wide in THUMBNAIL_COLORS colours (a few KB), made from `png`."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image = image.convert("RGB")
        height = max(1, round(image.height * THUMBNAIL_WIDTH / image.width))
        small = image.resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.quantize(colors=THUMBNAIL_COLORS, dither=Image.Dither.NONE).save(buf, format="PNG", optimize=True)
    write_atomic(path, buf.getvalue())


def scatter_classes(
    ax, X: np.ndarray, y: np.ndarray, names: list[str], size: float = 14, edge: float = 0.4, **options
) -> None:
    """Each class in its colour and marker, outlined dark, labelled with its name for the legend."""
    for c, name in enumerate(names):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            color=class_color(c),
            marker=MARKERS[c % 5],
            edgecolors=class_edge(c),
            linewidths=edge,
            label=name,
            **options,
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
        lo, hi = np.asarray(X).min(axis=0), np.asarray(X).max(axis=0)
        reach = max(extent[1] - hi[0], lo[0] - extent[0], extent[3] - hi[1], lo[1] - extent[2])
        plot_decision_regions(
            X,
            np.asarray(y),
            clf=LabelModel(outputs, spec),
            ax=ax,
            legend=0,
            n_jobs=1,
            zoom_factor=1 / max(reach, 1e-6),  # mlxtend pads by 1 / zoom_factor: exactly our extent
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
            extent=data_extent(X[y == crowded], pad=0.3),
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


def draw_hidden_layer(
    ax,
    hidden: np.ndarray,
    y: np.ndarray,
    spec: LossSpec,
    n_classes: int,
    dataset: str | None = None,
    legend_size: float = 8,
) -> list[str]:
    """Scatter of the last hidden layer's activations, with its legend; wider layers are projected
    with PCA. A class squeezed onto a few spots (dead ReLUs) gets a ring around each spot, as its
    legend entry shows. Returns notes for the title, one per line: the projection, dead units."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

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
    scatter_classes(ax, points, y, names, size=12, edge=0.3)
    handles, labels = [], []
    for c in range(n_classes):
        marker = Line2D(
            [], [], ls="none", marker=MARKERS[c % 5], color=class_color(c), mec=class_edge(c), mew=0.3, ms=6
        )
        spots = np.unique(points[y == c].round(4), axis=0)
        if 0 < len(spots) <= max(3, (y == c).sum() // 20):
            ax.scatter(spots[:, 0], spots[:, 1], s=200, facecolors="none", edgecolors=EDGE, linewidths=1.2)
            rim = Line2D([], [], ls="none", marker="o", mfc="none", mec=EDGE, mew=1.2, ms=13)
            handles.append((rim, marker))
            labels.append(f"{names[c]}: {(y == c).sum()} points on {plural(len(spots), 'spot')} (ringed)")
        else:
            handles.append(marker)
            labels.append(names[c])
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(
        handles,
        labels,
        handler_map={tuple: HandlerTuple(ndivide=1)},
        loc="best",
        fontsize=legend_size,
        framealpha=0.9,
    )
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
    return fig
