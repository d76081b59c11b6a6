"""What every figure shares: the Agg backend, the colour-blind-safe palette (classes and losses), the
names figures give classes and losses, the plane a data set is drawn on and its colour scales, saving
(atomic, thumbnails) and two small drawing helpers. The pages and training.gif read the same palette.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from circles_hinge.engine.data import BLOB_CENTERS
from circles_hinge.losses import (
    LOSSES,
    LossSpec,
    get_loss,
)
from circles_hinge.store.folders import write_atomic

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


def import_libraries() -> None:
    """matplotlib (on Agg) and mlxtend imported ahead of the first figure (see background.in_thread)."""
    pyplot()
    import mlxtend.plotting  # noqa: F401


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


def mlxtend_zoom(X, extent) -> float:
    """The `zoom_factor` that makes mlxtend's `plot_decision_regions` grid cover `extent` (it pads the
    data's range by 1 / zoom_factor on every side)."""
    lo, hi = np.asarray(X).min(axis=0), np.asarray(X).max(axis=0)
    reach = max(extent[1] - hi[0], lo[0] - extent[0], extent[3] - hi[1], lo[1] - extent[2])
    return 1 / max(reach, 1e-6)


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
