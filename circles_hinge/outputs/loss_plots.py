"""The losses figure of `plot-losses`: the margin-loss family as scikit-learn's `plot_sgd_loss_functions`
draws it (zero-one, hinge, squared hinge, modified Huber, log loss, perceptron) against the margin y·f,
and their gradients, from the NumPy references in reference.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.engine import reference
from circles_hinge.outputs.plots import pyplot, save_figure

# Okabe & Ito's palette (as plots.py), one colour and line style per loss; the config name in brackets
# where the loss trains here, so a reader can find it in --loss.
FAMILY = [
    ("zero-one  [y·f < 0]", None, "#555555", ":"),
    ("hinge  max(0, 1 - y·f)  [hinge]", "hinge", "#0072B2", "-"),
    ("squared hinge  max(0, 1 - y·f)²  [squared_hinge]", "squared_hinge", "#D55E00", "-"),
    ("modified Huber  [modified_huber]", "modified_huber", "#CC79A7", "--"),
    ("log loss  log(1 + e^(-y·f))  [binary_crossentropy on the logit]", "log_loss", "#009E73", "-."),
    ("perceptron  max(0, -y·f)  [perceptron]", "perceptron", "#E69F00", "-"),
]


def plot_loss_functions(path: Path) -> None:
    """The family's losses against the margin y·f, and their gradients, from reference.py."""
    save_figure(loss_functions_figure(), path)


def family_curves(z: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{legend label: (loss, d loss / d f for y = +1)} at margins z, per point (not batch means)."""
    y, f = np.ones((len(z), 1)), z[:, None]  # a +1 label, so the margin y·f is f itself
    out = {}
    for label, name, _, _ in FAMILY:
        if name is None:
            out[label] = ((z < 0).astype(float), np.zeros(len(z)))  # flat wherever it is defined
            continue
        loss = getattr(reference, name)(y, f)
        out[label] = (loss, getattr(reference, f"{name}_grad")(y, f)[:, 0] * len(z))
    return out


def loss_functions_figure():
    plt = pyplot()
    z = np.linspace(-4, 4, 801)
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    for (label, (loss, grad)), (_, _, color, style) in zip(family_curves(z).items(), FAMILY):
        ax_loss.plot(z, loss, color=color, ls=style, lw=2.2, label=label)
        ax_grad.plot(z, grad, color=color, ls=style, lw=2.2, label=label)
    for ax in (ax_loss, ax_grad):
        ax.axvline(0, color="k", lw=0.6)
        ax.axvline(1, color="k", lw=0.6, ls="--")
        ax.grid(alpha=0.25)
        ax.set_xlabel("margin y·f (label y = ±1, score f)")
    title = "The margin losses (scikit-learn's SGDClassifier family)"
    ax_loss.set(ylabel="loss", ylim=(-0.2, 8), title=title)
    ax_grad.set(
        ylabel="d loss / d f  (for y = +1)",
        ylim=(-8.5, 0.5),
        title="Gradients: zero past the margin (dashed line); zero-one has none",
    )
    ax_loss.legend(loc="upper right", fontsize=7.5)
    ax_grad.legend(loc="lower right", fontsize=7.5)
    return fig
