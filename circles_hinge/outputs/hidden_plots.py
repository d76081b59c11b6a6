"""The last hidden layer as the network sees the training points: hidden_layer.png of a run folder, and
the panels of a seed study's worst failure beside a typical success (compare_plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.losses import LossSpec
from circles_hinge.outputs.style import (
    EDGE,
    MARKERS,
    class_color,
    class_edge,
    class_names,
    pyplot,
    save_figure,
    scatter_classes,
)
from circles_hinge.words import plural


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
