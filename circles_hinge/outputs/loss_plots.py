"""The losses figure of `plot-losses`: hinge, squared hinge, binary cross-entropy and zero-one for a +1
target against the model output, and their gradients, from the NumPy references in reference.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.engine import reference
from circles_hinge.outputs.plots import pyplot, save_figure


def plot_loss_functions(path: Path) -> None:
    """The losses for a +1 target against the output f, and their gradients, from reference.py."""
    save_figure(loss_functions_figure(), path)


def loss_functions_figure():
    plt = pyplot()
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
    ax_grad.legend(loc="lower right", fontsize=8)  # below the flat gradients, right of squared hinge's
    return fig
