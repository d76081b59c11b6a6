"""The still figures of a run folder (data, loss curve, decision regions, margins, hidden layer) and what
every figure shares: Agg backend, colour-blind-safe colours, saving with every figure closed.

Plots never touch TensorFlow: they take arrays and an `outputs(X) -> (n, units)` function that
predicts a whole grid in one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from circles_hinge.losses import LossSpec, decision_values, point_margins, predict_classes

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
    return loss.replace("_", " ").capitalize()


def class_names(spec: LossSpec, n_classes: int) -> list[str]:
    """The labels as the loss sees them: -1/+1 for hinge (as in the tutorial), else 0..k-1."""
    if spec.labels == "pm1":
        return ["-1 (outer circle)", "+1 (inner circle)"] if n_classes == 2 else ["-1", "+1"]
    return [str(c) for c in range(n_classes)]


def save_png(fig, path: Path) -> None:
    import io

    from circles_hinge.runs import write_atomic

    buf = io.BytesIO()
    # Figures are laid out when made (layout="constrained"); bbox_inches="tight" would draw each twice.
    fig.savefig(buf, format="png", dpi=DPI)
    pyplot().close(fig)
    write_atomic(path, buf.getvalue())


def scatter_classes(ax, X: np.ndarray, y: np.ndarray, names: list[str], size: float = 14) -> None:
    for c, name in enumerate(names):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            c=CLASS_COLORS[c % 5],
            marker=MARKERS[c % 5],
            edgecolors="white",
            linewidths=0.4,
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


def plot_data(path: Path, X: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, title: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    scatter_classes(ax, X, y, class_names(spec, n_classes))
    ax.set(title=title, xlabel="x1", ylabel="x2", aspect="equal")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    save_png(fig, path)


def draw_loss_curves(
    ax, history: dict[str, np.ndarray], loss: str, color: str, label_prefix: str = ""
) -> None:
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], color=color, lw=2, label=f"{label_prefix}training data")
    if np.isfinite(history["val_loss"]).any():
        ax.plot(
            epochs, history["val_loss"], color=color, lw=2, ls="--", label=f"{label_prefix}validation data"
        )
    if np.all(np.asarray(history["loss"]) > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.grid(True, which="both", alpha=0.25)


def plot_loss_curve(path: Path, history: dict[str, np.ndarray], loss: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    draw_loss_curves(ax, history, loss, loss_color(loss))
    ax.set(title=f"{nice_name(loss)} loss per epoch (log scale)", ylabel=f"{loss} loss")
    ax.legend(loc="upper right")
    save_png(fig, path)


class LabelModel:
    """What mlxtend's plot_decision_regions needs: `predict` returning labels, for a whole grid at once.

    A raw Keras model returns continuous tanh values, which mlxtend cannot map to a class. Labels are
    the classes 0..k-1 (the legend names them -1/+1 for hinge): mlxtend sizes its contour levels from
    the largest predicted label, so -1/+1 labels fail when a collapsed model predicts -1 everywhere.
    """

    def __init__(self, outputs: Outputs, spec: LossSpec):
        self.outputs, self.spec = outputs, spec

    def predict(self, X: np.ndarray) -> np.ndarray:
        return predict_classes(self.spec, self.outputs(np.asarray(X, dtype=np.float32)))


def draw_decision_regions(ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int) -> None:
    from mlxtend.plotting import plot_decision_regions

    if len(np.unique(y)) < 2:  # mlxtend fails when every plotted point has one label
        _draw_regions_by_hand(ax, X, y, outputs, spec, n_classes)
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
    ax.legend(handles, class_names(spec, n_classes), loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


def _draw_regions_by_hand(ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int) -> None:
    from matplotlib.colors import ListedColormap

    xx, yy, grid = make_grid(X, pad=0.5)
    classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(xx, yy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.45)
    scatter_classes(ax, X, y, class_names(spec, n_classes), size=22)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


def plot_decision_regions_png(
    path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, accuracy: float
) -> None:
    plt = pyplot()
    fig = plt.figure(figsize=(5.5, 5), layout="constrained")  # mlxtend sizes its grid from the current figure
    ax = fig.add_subplot()
    draw_decision_regions(ax, X, y, outputs, spec, n_classes)
    ax.set_title(f"Decision regions, {spec.name} — test accuracy {accuracy:.1%}")
    save_png(fig, path)


def make_grid(X: np.ndarray, n: int = 241, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An n x n grid around X, padded by `pad` of its span: xx, yy and the points as one float32 batch."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 1e-9, hi - lo, 2.0)  # a single test point still gets a plane around it
    xs = np.linspace(lo[0] - pad * span[0], hi[0] + pad * span[0], n)
    ys = np.linspace(lo[1] - pad * span[1], hi[1] + pad * span[1], n)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].astype(np.float32)


def draw_margins(ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, colorbar: bool = True):
    """Heat-map of the decision value, its 0 contour (boundary) and ±1 contours (margin), and the
    points inside the margin ringed. Returns the number of margin violators."""
    xx, yy, grid = make_grid(X)
    values = decision_values(spec, outputs(grid)).reshape(xx.shape)
    if spec.multiclass:
        image = ax.pcolormesh(
            xx, yy, values, cmap="cividis", shading="auto", vmin=0, vmax=max(2.0, values.max())
        )
        ax.contour(xx, yy, values, levels=[1.0], colors="k", linestyles="--", linewidths=1.2)
        classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
        ax.contour(xx, yy, classes, levels=np.arange(n_classes) + 0.5, colors="k", linewidths=1.6)
        label = "top score minus runner-up"
    else:
        limit = max(1.0, float(np.nanpercentile(np.abs(values), 98)))  # tanh: exactly [-1, 1]
        image = ax.pcolormesh(xx, yy, values, cmap="RdBu_r", shading="auto", vmin=-limit, vmax=limit)
        ax.contour(xx, yy, values, levels=[0.0], colors="k", linewidths=1.6)
        ax.contour(xx, yy, values, levels=[-1.0, 1.0], colors="k", linestyles="--", linewidths=1.0)
        label = "logit of p" if spec.prediction == "threshold" else "model output f(x)"
    scatter_classes(ax, X, y, class_names(spec, n_classes), size=12)
    margins = point_margins(spec, outputs(np.asarray(X, dtype=np.float32)), y)
    inside = margins < 1
    ax.scatter(
        X[inside, 0],
        X[inside, 1],
        s=70,
        facecolors="none",
        edgecolors="black",
        linewidths=1.0,
        label=f"inside the margin ({int(inside.sum())})",
    )
    ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    return int(inside.sum())


def plot_margins(path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int) -> int:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 5.2), layout="constrained")
    count = draw_margins(ax, X, y, outputs, spec, n_classes)
    ax.set_title(
        f"{nice_name(spec.name)}: boundary (solid), margin ±1 (dashed)\n"
        f"{count} of {len(y)} test points inside the margin (ringed) still pay loss",
        fontsize=10,
    )
    ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    save_png(fig, path)
    return count


def draw_hidden_layer(ax, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int) -> str:
    """Scatter of the last hidden layer's activations; wider layers are projected with PCA."""
    note = ""
    if hidden.shape[1] == 2:
        points, xlabel, ylabel = hidden, "hidden unit 1", "hidden unit 2"
    elif hidden.shape[1] == 1:
        points = np.c_[hidden[:, 0], np.zeros(len(hidden))]
        xlabel, ylabel = "hidden unit 1", ""
    else:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2).fit_transform(hidden)
        xlabel, ylabel, note = (
            "principal component 1",
            "principal component 2",
            f" (PCA of {hidden.shape[1]} units)",
        )
    dead = [i + 1 for i in range(hidden.shape[1]) if np.all(hidden[:, i] == 0)]
    if dead:
        note += f" — dead unit{'s' if len(dead) > 1 else ''} {', '.join(map(str, dead))}: 0 for every point"
    names = class_names(spec, n_classes)
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
    return note


def plot_hidden_layer(path: Path, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    note = draw_hidden_layer(ax, hidden, y, spec, n_classes)
    ax.set_title(f"Training points as the last hidden layer sees them{note}", fontsize=10, wrap=True)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    save_png(fig, path)
