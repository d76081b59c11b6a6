"""The figure of `plot-losses`: the margin-loss family as scikit-learn's `plot_sgd_loss_functions` draws
it (zero-one, hinge, perceptron, squared hinge, modified Huber, log loss) against the margin z = y*f, with
their gradients, every curve computed by the NumPy references in reference.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.engine import reference
from circles_hinge.outputs.style import loss_color, pyplot, save_figure


def plot_loss_functions(path: Path) -> None:
    """The losses of a point against its margin z = y*f, and their gradients, from reference.py."""
    save_figure(loss_functions_figure(), path)


def _curves(z: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, str, str]]:
    """label -> (loss, d loss / d z, colour, line style) for a +1 label, where f = z."""
    y = np.ones_like(z)
    n = len(z)
    p = 1 / (1 + np.exp(-z))  # cross-entropy on a sigmoid output is the log loss of the logit z
    bce_grad = reference.binary_crossentropy_grad(y, p)[:, 0] * n * (p * (1 - p))[:, 0]  # chain rule to z
    return {
        "zero-one  [z < 0]": ((z[:, 0] < 0).astype(float), np.zeros(n), "#999999", "-"),
        "hinge  max(0, 1 - z)": (
            reference.hinge(y, z),
            reference.hinge_grad(y, z)[:, 0] * n,
            loss_color("hinge"),
            "-",
        ),
        "perceptron  max(0, -z)": (
            reference.perceptron(y, z),
            reference.perceptron_grad(y, z)[:, 0] * n,
            loss_color("perceptron"),
            "--",
        ),
        "squared hinge  max(0, 1 - z)²": (
            reference.squared_hinge(y, z),
            reference.squared_hinge_grad(y, z)[:, 0] * n,
            loss_color("squared_hinge"),
            "-",
        ),
        "modified Huber  (z < -1: -4z)": (
            reference.modified_huber(y, z),
            reference.modified_huber_grad(y, z)[:, 0] * n,
            loss_color("modified_huber"),
            "-.",
        ),
        "log loss  log(1 + e^-z) (binary cross-entropy of the logit)": (
            reference.binary_crossentropy(y, p),
            bce_grad,
            loss_color("binary_crossentropy"),
            ":",
        ),
    }


def loss_functions_figure():
    plt = pyplot()
    z = np.linspace(-4, 4, 1601)[:, None]
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    for label, (loss, grad, color, style) in _curves(z).items():
        ax_loss.plot(z[:, 0], np.ravel(loss), color=color, ls=style, lw=2.2, label=label)
        ax_grad.plot(z[:, 0], np.ravel(grad), color=color, ls=style, lw=2.2, label=label)
    for ax in (ax_loss, ax_grad):
        ax.axvline(0, color="k", lw=0.6)
        ax.axvline(1, color="k", lw=0.6, ls="--")
        ax.grid(alpha=0.25)
        ax.set_xlabel("margin z = y·f(x): > 0 correct, ≥ 1 outside the margin")
    ax_loss.set(
        ylabel="loss", ylim=(-0.2, 8), title="The margin losses (scikit-learn's SGDClassifier family)"
    )
    ax_grad.set(
        ylabel="d loss / d z",
        ylim=(-8.5, 0.7),
        title="Their gradients: zero past the margin; zero-one has none",
    )
    ax_loss.legend(loc="upper right", fontsize=8)
    ax_grad.legend(loc="lower right", fontsize=8)
    return fig
