"""Every figure of a run folder. Agg backend, every figure closed, colour-blind-safe colours.

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


def _plt():
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


def _save(fig, path: Path) -> None:
    from circles_hinge.runs import write_atomic

    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    _plt().close(fig)
    write_atomic(path, buf.getvalue())


def _scatter_classes(ax, X: np.ndarray, y: np.ndarray, names: list[str], size: float = 14) -> None:
    for c, name in enumerate(names):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=size, c=CLASS_COLORS[c % 5], marker=MARKERS[c % 5],
            edgecolors="white", linewidths=0.4, label=name,
        )


def plot_data(path: Path, X: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, title: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    _scatter_classes(ax, X, y, class_names(spec, n_classes))
    ax.set(title=title, xlabel="x1", ylabel="x2", aspect="equal")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    _save(fig, path)


def draw_loss_curves(ax, history: dict[str, np.ndarray], loss: str, color: str, label_prefix: str = "") -> None:
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], color=color, lw=2, label=f"{label_prefix}training data")
    if np.isfinite(history["val_loss"]).any():
        ax.plot(epochs, history["val_loss"], color=color, lw=2, ls="--", label=f"{label_prefix}validation data")
    if np.all(np.asarray(history["loss"]) > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.grid(True, which="both", alpha=0.25)


def plot_loss_curve(path: Path, history: dict[str, np.ndarray], loss: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    draw_loss_curves(ax, history, loss, loss_color(loss))
    ax.set(title=f"{nice_name(loss)} loss per epoch (log scale)", ylabel=f"{loss} loss")
    ax.legend(loc="upper right")
    _save(fig, path)


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

    plot_decision_regions(
        X, np.asarray(y), clf=LabelModel(outputs, spec), ax=ax, legend=0, n_jobs=1,
        colors=",".join(CLASS_COLORS[:n_classes]), markers=MARKERS[:n_classes],
        scatter_kwargs={"edgecolor": "white", "linewidths": 0.4, "s": 22},
    )
    handles = ax.collections[-n_classes:] if len(ax.collections) >= n_classes else []
    ax.legend(handles, class_names(spec, n_classes), loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


def plot_decision_regions_png(
    path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, accuracy: float
) -> None:
    plt = _plt()
    fig = plt.figure(figsize=(5.5, 5))  # mlxtend sizes its grid from the current figure
    ax = fig.add_subplot()
    draw_decision_regions(ax, X, y, outputs, spec, n_classes)
    ax.set_title(f"Decision regions, {spec.name} — test accuracy {accuracy:.1%}")
    _save(fig, path)


def _grid(X: np.ndarray, n: int = 241, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    xs = np.linspace(lo[0] - pad * span[0], hi[0] + pad * span[0], n)
    ys = np.linspace(lo[1] - pad * span[1], hi[1] + pad * span[1], n)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].astype(np.float32)


def draw_margins(ax, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, colorbar: bool = True):
    """Heat-map of the decision value, its 0 contour (boundary) and ±1 contours (margin), and the
    points inside the margin ringed. Returns the number of margin violators."""
    xx, yy, grid = _grid(X)
    values = decision_values(spec, outputs(grid)).reshape(xx.shape)
    if spec.multiclass:
        image = ax.pcolormesh(xx, yy, values, cmap="cividis", shading="auto", vmin=0, vmax=max(2.0, values.max()))
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
    _scatter_classes(ax, X, y, class_names(spec, n_classes), size=12)
    margins = point_margins(spec, outputs(np.asarray(X, dtype=np.float32)), y)
    inside = margins < 1
    ax.scatter(X[inside, 0], X[inside, 1], s=70, facecolors="none", edgecolors="black", linewidths=1.0,
               label=f"inside the margin ({int(inside.sum())})")
    ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    return int(inside.sum())


def plot_margins(path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int) -> int:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    count = draw_margins(ax, X, y, outputs, spec, n_classes)
    ax.set_title(
        f"{nice_name(spec.name)}: boundary (solid), margin ±1 (dashed)\n"
        f"{count} of {len(y)} test points inside the margin (ringed) still pay loss",
        fontsize=10,
    )
    ax.legend(loc="upper right", fontsize=7, framealpha=0.9)
    _save(fig, path)
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
        xlabel, ylabel, note = "principal component 1", "principal component 2", f" (PCA of {hidden.shape[1]} units)"
    dead = [i + 1 for i in range(hidden.shape[1]) if np.all(hidden[:, i] == 0)]
    if dead:
        note += f" — dead unit{'s' if len(dead) > 1 else ''} {', '.join(map(str, dead))}: 0 for every point"
    _scatter_classes(ax, points, y, class_names(spec, n_classes), size=12)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return note


def plot_hidden_layer(path: Path, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    note = draw_hidden_layer(ax, hidden, y, spec, n_classes)
    ax.set_title(f"Training points as the last hidden layer sees them{note}", fontsize=10, wrap=True)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    _save(fig, path)


def save_training_gif(path: Path, frames, xx, yy, split, spec: LossSpec, fps: int = 4) -> None:
    """One frame per captured epoch: decision values, boundary, margins, test points, epoch metrics."""
    import tempfile

    from matplotlib.animation import FuncAnimation, PillowWriter

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 4.4))
    names = class_names(spec, split.n_classes)

    def draw(i: int):
        ax.clear()
        epoch, logs, out = frames[i]
        values = decision_values(spec, out).reshape(xx.shape)
        if spec.multiclass:
            ax.pcolormesh(xx, yy, values, cmap="cividis", shading="auto", vmin=0, vmax=2)
            ax.contour(xx, yy, values, levels=[1.0], colors="k", linestyles="--", linewidths=0.8)
        else:
            ax.pcolormesh(xx, yy, values, cmap="RdBu_r", shading="auto", vmin=-1.5, vmax=1.5)
            if values.min() < 0 < values.max():
                ax.contour(xx, yy, values, levels=[0.0], colors="k", linewidths=1.4)
            ax.contour(xx, yy, values, levels=[-1.0, 1.0], colors="k", linestyles="--", linewidths=0.8)
        _scatter_classes(ax, split.X_test, split.y_test, names, size=8)
        ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
        ax.set_title(
            f"epoch {epoch}: loss {logs['loss']:.2e}, accuracy {logs['accuracy']:.0%}\n"
            f"validation loss {logs['val_loss']:.2e}, accuracy {logs['val_accuracy']:.0%}",
            fontsize=9,
        )

    animation = FuncAnimation(fig, draw, frames=len(frames))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        target = Path(tmp) / path.name
        animation.save(target, writer=PillowWriter(fps=fps), dpi=72)
        target.replace(path)
    plt.close(fig)
