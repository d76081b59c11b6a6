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
    import io

    from circles_hinge.runs import write_atomic

    buf = io.BytesIO()
    # Figures are laid out when made (layout="constrained"); bbox_inches="tight" would draw each twice.
    fig.savefig(buf, format="png", dpi=DPI)
    _plt().close(fig)
    write_atomic(path, buf.getvalue())


def _scatter_classes(ax, X: np.ndarray, y: np.ndarray, names: list[str], size: float = 14) -> None:
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


def plot_data(path: Path, X: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int, title: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    _scatter_classes(ax, X, y, class_names(spec, n_classes))
    ax.set(title=title, xlabel="x1", ylabel="x2", aspect="equal")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    _save(fig, path)


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
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
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

    xx, yy, grid = _grid(X, pad=0.5)
    classes = predict_classes(spec, outputs(grid)).reshape(xx.shape)
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(xx, yy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.45)
    _scatter_classes(ax, X, y, class_names(spec, n_classes), size=22)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlabel="x1", ylabel="x2")


def plot_decision_regions_png(
    path: Path, X, y, outputs: Outputs, spec: LossSpec, n_classes: int, accuracy: float
) -> None:
    plt = _plt()
    fig = plt.figure(figsize=(5.5, 5), layout="constrained")  # mlxtend sizes its grid from the current figure
    ax = fig.add_subplot()
    draw_decision_regions(ax, X, y, outputs, spec, n_classes)
    ax.set_title(f"Decision regions, {spec.name} — test accuracy {accuracy:.1%}")
    _save(fig, path)


def _grid(X: np.ndarray, n: int = 241, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 1e-9, hi - lo, 2.0)  # a single test point still gets a plane around it
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
    _scatter_classes(ax, X, y, class_names(spec, n_classes), size=12)
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
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 5.2), layout="constrained")
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
    _scatter_classes(ax, points, y, names, size=12)
    for c in range(n_classes):
        if ":" in names[c]:
            pts = points[y == c]
            ax.scatter(
                pts[:, 0], pts[:, 1], s=160, facecolors="none", edgecolors=CLASS_COLORS[c % 5], linewidths=2
            )
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return note


def plot_hidden_layer(path: Path, hidden: np.ndarray, y: np.ndarray, spec: LossSpec, n_classes: int) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    note = draw_hidden_layer(ax, hidden, y, spec, n_classes)
    ax.set_title(f"Training points as the last hidden layer sees them{note}", fontsize=10, wrap=True)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    _save(fig, path)


def save_training_gif(path: Path, frames, xx, yy, split, spec: LossSpec, fps: int = 4) -> None:
    """One frame per captured epoch: decision values, boundary, margins, test points, epoch metrics."""
    import tempfile

    from matplotlib.animation import FuncAnimation, PillowWriter

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.4, 4.6))
    fig.subplots_adjust(left=0.15, right=0.97, bottom=0.11, top=0.87)
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
        _scatter_classes(ax, split.X_test, split.y_test, names, size=12)
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


# ---------------------------------------------------------------------------------------------------
# The comparison and sweep figures (compare.py). A "view" is one trained model with .loss, .spec,
# .outputs, .decision (signed values, + for class 1), .history, .history_band, .test_accuracy,
# .caption, .radii ({level: radius per angle} or None) and .band_level.


def _reference_circles(ax, factor: float, with_labels: bool = True) -> list:
    """The data's two circles (dashed grey) and the maximum-margin circle midway (dotted black)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    midway = (factor + 1) / 2
    for r in (factor, 1.0):
        ax.add_patch(Circle((0, 0), r, fill=False, ls="--", lw=1.0, color="0.45"))
    ax.add_patch(Circle((0, 0), midway, fill=False, ls=":", lw=1.6, color="black"))
    if not with_labels:
        return []
    return [
        Line2D([], [], ls="--", lw=1.0, color="0.45", label=f"data circles, r = {factor:g} and 1"),
        Line2D([], [], ls=":", lw=1.6, color="black", label=f"maximum margin, r = {midway:g}"),
    ]


def draw_boundary_overlay(ax, X, y, views, n_classes: int, factor: float | None) -> None:
    """Every view's decision boundary on one plot of the test data (grey), so their positions compare."""
    from matplotlib.lines import Line2D

    xx, yy, grid = _grid(X)
    greys = ["0.55", "0.78", "0.35", "0.65", "0.25"]
    for c in range(n_classes):
        pts = X[y == c]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=12,
            c=greys[c % 5],
            marker=MARKERS[c % 5],
            edgecolors="white",
            linewidths=0.3,
            zorder=1,
        )
    handles = []
    for i, view in enumerate(views):
        color = loss_color(view.loss, i)
        decision = view.decision(grid)
        if decision is None:  # k classes: no single signed value; draw where the predicted class changes
            classes = predict_classes(view.spec, view.outputs(grid)).reshape(xx.shape)
            ax.contour(xx, yy, classes, levels=np.arange(n_classes) + 0.5, colors=[color], linewidths=2.2)
            handles.append(Line2D([], [], color=color, lw=2.2, label=f"{nice_name(view.loss)} boundaries"))
            continue
        values = np.asarray(decision).reshape(xx.shape)
        if np.nanmin(values) < 0 < np.nanmax(values):
            ax.contour(xx, yy, values, levels=[0.0], colors=[color], linewidths=2.2, zorder=3)
            handles.append(Line2D([], [], color=color, lw=2.2, label=f"{nice_name(view.loss)} boundary"))
        else:
            handles.append(Line2D([], [], color=color, lw=2.2, ls="none", label=f"{view.loss}: no boundary"))
    if factor is not None:
        handles += _reference_circles(ax, factor)
    ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    ax.legend(handles=handles, loc="upper right", fontsize=7.5, framealpha=0.92)


def draw_boundary_by_angle(ax, views, factor: float) -> None:
    """Boundary radius along each ray from the origin, with the band where |output| < level shaded."""
    for i, view in enumerate(views):
        if view.radii is None:
            continue
        color = loss_color(view.loss, i)
        r0 = view.radii[0.0]
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
            label=f"{nice_name(view.loss)} band",
        )
        ax.plot(degrees, r0, color=color, lw=2, label=f"{nice_name(view.loss)} boundary")
    midway = (factor + 1) / 2
    ax.axhline(factor, color="0.45", ls="--", lw=1, label=f"data circles ({factor:g}, 1)")
    ax.axhline(1.0, color="0.45", ls="--", lw=1)
    ax.axhline(midway, color="black", ls=":", lw=1.6, label=f"max margin ({midway:g})")
    ax.set(
        xlabel="angle of the ray from the origin (degrees)",
        ylabel="radius",
        xlim=(0, 360),
        ylim=(0, 1.6),
        xticks=[0, 90, 180, 270, 360],
    )
    ax.grid(True, alpha=0.25)
    ax.legend(loc="upper center", fontsize=6.5, framealpha=0.92, ncol=2)  # above r = 1, clear of the lines


def draw_loss_comparison(ax, views, n_seeds: int | None = None) -> None:
    """Every loss's training (solid) and validation (dashed) curve on one axis, log scale when it can."""
    lowest = np.inf
    for i, view in enumerate(views):
        color = loss_color(view.loss, i)
        epochs = np.arange(1, len(view.history["loss"]) + 1)
        for metric, ls, word in (("loss", "-", "training"), ("val_loss", "--", "validation")):
            values = np.asarray(view.history[metric], dtype=float)
            if not np.isfinite(values).any():
                continue
            ax.plot(epochs, values, color=color, lw=2, ls=ls, label=f"{nice_name(view.loss)}: {word}")
            if metric in view.history_band:
                lo, hi = view.history_band[metric]
                ax.fill_between(epochs, lo, hi, color=color, alpha=0.12, lw=0)
                values = np.concatenate([values, lo])
            lowest = min(lowest, np.nanmin(values))
    if lowest > 0:
        ax.set_yscale("log")
        low, high = ax.get_ylim()
        if np.log10(high / low) < 1.5:  # under two decades matplotlib labels minor ticks as 9x10^-1
            from matplotlib.ticker import FuncFormatter

            plain = FuncFormatter(lambda v, _: f"{v:.3g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
            ax.tick_params(axis="y", which="minor", labelsize=7)
    else:  # an exactly-zero hinge loss has no logarithm: linear near zero, logarithmic above
        ax.set_yscale("symlog", linthresh=1e-3)
    what = f"median over {n_seeds} seeds, shaded 25–75%" if n_seeds else "log scale"
    ax.set(xlabel="epoch", ylabel="loss (each on its own scale)")
    ax.set_title(f"Training and validation loss per epoch ({what})", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    if ax.get_legend_handles_labels()[0]:  # a diverged study may have no finite curve to label
        ax.legend(loc="upper right", fontsize=7.5, framealpha=0.92)


def draw_accuracy_strip(ax, strip, success_accuracy: float) -> None:
    """One dot per seed: test accuracy by loss, with the success threshold and each success rate."""
    rng = np.random.default_rng(0)  # the jitter only spreads the dots; fixed so the picture is stable
    labels, lowest = [], 1.0
    for i, (loss, accuracy, summary) in enumerate(strip):
        x = i + rng.uniform(-0.2, 0.2, size=len(accuracy))
        ax.scatter(
            x, accuracy, s=20, color=loss_color(loss, i), alpha=0.75, edgecolors="white", linewidths=0.4
        )
        lo, hi = summary["success_ci95"]
        labels.append(
            f"{nice_name(loss)}\n{summary['successes']}/{summary['seeds']} succeed\n"
            f"(95% CI {lo:.0%}–{hi:.0%})"
        )
        lowest = min(lowest, float(np.min(accuracy)))
    ax.axhline(success_accuracy, color="black", ls=":", lw=1.2, label=f"success: ≥ {success_accuracy:.0%}")
    ax.set_xticks(range(len(strip)), labels, fontsize=8)
    ax.set(xlim=(-0.6, len(strip) - 0.4), ylim=(min(0.4, lowest - 0.05), 1.03), ylabel="test accuracy")
    ax.set_title("Test accuracy of every seed (one dot each)", fontsize=10)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.grid(True, axis="y", alpha=0.25)
    ax.legend(loc="lower right", fontsize=7.5, framealpha=0.92)


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


def _failure_text(ax, strip) -> None:
    """Which seeds failed for which loss, and which failed for every loss: a seed fixes the data and
    the initial weights, so failures shared by all losses point at the start, not at the loss."""
    lines = ["Failed seeds (test accuracy below the threshold)", ""]
    shared = None
    for loss, _, summary in strip:
        failed = summary["failed_seeds"]
        shared = set(failed) if shared is None else shared & set(failed)
        lines += [f"{nice_name(loss)}: {len(failed)} of {summary['seeds']}", *_wrapped(failed), ""]
    if len(strip) > 1:
        lines += [f"Failed for every loss: {len(shared or ())}", *_wrapped(sorted(shared or ()))]
    _text_panel(ax, lines, top=0.95, fontsize=8.5)


def _text_panel(ax, lines: list[str], top: float, fontsize: float) -> None:
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


def _wrapped(seeds, per_line: int = 8) -> list[str]:
    if not seeds:
        return ["  none"]
    words = [str(s) for s in seeds]
    return ["  " + ", ".join(words[i : i + per_line]) for i in range(0, len(words), per_line)]


def _summary_text(ax, views) -> None:
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
                lines.append(f"  band width {np.nanmean(band):.3f} (|f| < {view.band_level:g})")
        lines.append("")
    _text_panel(ax, lines, top=0.98, fontsize=9)
    ax.set_title("In numbers", loc="left")


def plot_comparison(
    path: Path,
    views,
    X,
    y,
    n_classes: int,
    factor: float | None,
    n_seeds: int | None = None,
    strip=None,
    hidden=None,
    success_accuracy: float = 0.99,
) -> None:
    """The comparison picture: decision regions and margin views side by side, the boundaries overlaid,
    boundary radius by angle, the loss curves; for a seed study also test accuracy per seed and the
    hidden layer of a failed seed beside a successful one."""
    plt = _plt()
    cols = len(views) + 1
    heights = [1, 1, 0.85] + ([0.8] if hidden else [])
    # mlxtend predicts one grid point per figure pixel at figure.dpi; 50 keeps that grid modest
    fig = plt.figure(figsize=(4.9 * max(cols, 3), 4.9 * sum(heights)), dpi=50)
    outer = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.42)
    top = outer[0].subgridspec(1, cols, wspace=0.3)
    # room for the colour bars' labels, and for the legend of the radius-by-angle panel
    middle = outer[1].subgridspec(1, cols, wspace=0.5, width_ratios=[1] * (cols - 1) + [1.2])
    for i, view in enumerate(views):
        ax = fig.add_subplot(top[i])
        plt.figure(fig.number)
        draw_decision_regions(ax, X, y, view.outputs, view.spec, n_classes)
        ax.set_title(
            f"{nice_name(view.loss)}: decision regions ({view.caption})\n"
            f"test accuracy {view.test_accuracy:.1%}",
            fontsize=10,
        )
        ax = fig.add_subplot(middle[i])
        count = draw_margins(ax, X, y, view.outputs, view.spec, n_classes, colorbar=True)
        ax.set_title(
            f"{nice_name(view.loss)}: output, boundary (solid), ±1 (dashed)\n"
            f"{count} of {len(y)} test points inside the margin (ringed)",
            fontsize=10,
        )
        ax.legend(loc="upper right", fontsize=6.5, framealpha=0.9)
    ax = fig.add_subplot(top[cols - 1])
    draw_boundary_overlay(ax, X, y, views, n_classes, factor)
    ax.set_title(
        "Both decision boundaries on the test data"
        if len(views) == 2
        else "The decision boundaries on the test data",
        fontsize=10,
    )
    ax = fig.add_subplot(middle[cols - 1])
    if factor is not None and any(v.radii is not None for v in views):
        draw_boundary_by_angle(ax, views, factor)
        level = next(v.band_level for v in views if v.radii is not None)
        ax.set_title(
            f"Where the boundary lies: radius along each ray\n(band: |output| < {level:g}, still pays loss)",
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
        for j, (title, activations, y_train, spec) in enumerate(hidden):
            ax = fig.add_subplot(row[j])
            note = draw_hidden_layer(ax, activations, y_train, spec, n_classes).strip(" —")
            who, _, outcome = title.partition(" (")  # "hinge, seed 56" / "failed, test accuracy 95%)"
            lines = [f"Last hidden layer: {who}", f"({outcome}" if outcome else "", note]
            ax.set_title("\n".join(line for line in lines if line), fontsize=9)
            ax.legend(loc="best", fontsize=7, framealpha=0.9)
        _failure_text(fig.add_subplot(row[2]), strip or [])
    _save_at(fig, path, dpi=95)  # a big figure: 95 dpi keeps it readable and under ~400 KB


def _save_at(fig, path: Path, dpi: int) -> None:
    import io

    from circles_hinge.runs import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _plt().close(fig)
    write_atomic(path, buf.getvalue())


def plot_sweep(
    path: Path, param: str, results: list[dict], losses: list[str], n_seeds: int, success_accuracy: float
) -> None:
    """Success rate (with its 95% Wilson interval) and mean test accuracy against the swept value."""
    plt = _plt()
    values = list(dict.fromkeys(r["value"] for r in results))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    positions = np.array(values, dtype=float) if numeric else np.arange(len(values), dtype=float)
    span = np.ptp(positions) if len(positions) > 1 else 1.0
    fig, (ax_rate, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for i, loss in enumerate(losses):
        rows = {r["value"]: r for r in results if r["loss"] == loss}
        x = positions + (i - (len(losses) - 1) / 2) * 0.015 * span  # nudge apart overlapping error bars
        rate = np.array([rows[v]["success_rate"] for v in values])
        lo = np.array([rows[v]["success_ci95"][0] for v in values])
        hi = np.array([rows[v]["success_ci95"][1] for v in values])
        color, marker = loss_color(loss, i), MARKERS[i % 5]
        ax_rate.errorbar(
            x,
            rate,
            yerr=[rate - lo, hi - rate],
            color=color,
            marker=marker,
            lw=2,
            capsize=4,
            label=nice_name(loss),
        )
        accuracy = [rows[v]["test_accuracy"] for v in values]
        ax_acc.plot(x, accuracy, color=color, marker=marker, lw=2, label=f"{nice_name(loss)}: mean")
        ax_acc.plot(
            x,
            [rows[v]["test_accuracy_min"] for v in values],
            color=color,
            marker=marker,
            lw=1,
            ls=":",
            alpha=0.8,
            label=f"{nice_name(loss)}: worst seed",
        )
    ax_rate.set(
        title=f"Success rate (test accuracy ≥ {success_accuracy:.0%}) over {n_seeds} seeds,\n"
        "with its 95% Wilson interval",
        ylabel="share of seeds that succeed",
        ylim=(-0.03, 1.03),
    )
    ax_acc.set(title=f"Test accuracy over {n_seeds} seeds", ylabel="test accuracy")
    for ax in (ax_rate, ax_acc):
        ax.set_xlabel(param)
        ax.yaxis.set_major_formatter(_percent_formatter())
        if not numeric:
            ax.set_xticks(positions, [str(v) for v in values])
        ax.grid(True, alpha=0.25)
        ax.legend(loc="best", fontsize=8, framealpha=0.92)
    _save(fig, path)


def plot_loss_functions(path: Path) -> None:
    """The losses for a +1 target against the output f, and their gradients, from reference.py."""
    from circles_hinge import reference

    plt = _plt()
    f = np.linspace(-2, 2, 801)[:, None]
    y = np.ones_like(f)
    n = len(f)
    p = 1 / (1 + np.exp(-f))  # cross-entropy is drawn on the logit: p = sigmoid(f)
    curves = {
        "hinge  max(0, 1 - f)": (reference.hinge(y, f), reference.hinge_grad(y, f) * n, "#0072B2", "-"),
        "squared hinge  max(0, 1 - f)²": (
            reference.squared_hinge(y, f),
            reference.squared_hinge_grad(y, f) * n,
            "#D55E00",
            "-",
        ),
        "binary cross-entropy  -log σ(f)": (
            reference.binary_crossentropy(y, p),
            reference.binary_crossentropy_grad(y, p)[:, 0] * n * (p * (1 - p))[:, 0],
            "#009E73",
            "-.",
        ),
        "zero-one  [f < 0]": ((f[:, 0] < 0).astype(float), np.zeros(n), "#555555", ":"),
    }
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    for label, (loss, grad, color, style) in curves.items():
        ax_loss.plot(f[:, 0], np.ravel(loss), color=color, ls=style, lw=2.2, label=label)
        ax_grad.plot(f[:, 0], np.ravel(grad), color=color, ls=style, lw=2.2, label=label)
    for ax in (ax_loss, ax_grad):
        ax.axvline(0, color="k", lw=0.6)
        ax.axvline(1, color="k", lw=0.6, ls="--")
        ax.grid(alpha=0.25)
        ax.set_xlabel("model output f for a point whose label is +1")
    ax_loss.set(ylabel="loss", ylim=(-0.1, 4), title="Losses: hinge pays until f >= 1 (dashed line)")
    ax_grad.set(
        ylabel="d loss / d f", ylim=(-4.5, 0.5), title="Gradients: zero past the margin; zero-one has none"
    )
    ax_loss.legend(loc="upper right", fontsize=8)
    _save(fig, path)
