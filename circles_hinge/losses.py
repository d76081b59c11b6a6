"""The loss registry: one table that says, for each loss, which labels it needs, which output layer,
and how outputs become class labels. Model, training, metrics and plots all read it.

Nothing here imports TensorFlow at module level, so the config can validate loss names instantly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Encoding = Literal["pm1", "01", "onehot", "index"]
Prediction = Literal["sign", "threshold", "argmax"]


@dataclass(frozen=True)
class LossSpec:
    name: str
    labels: Encoding  # how integer classes 0..k-1 are encoded as targets
    multiclass: bool  # False: one output unit and two classes; True: k output units
    output_activation: str  # the activation the loss expects on the last layer
    prediction: Prediction  # how outputs become class labels
    formula: str
    display: str  # the name figures and reports show; `name` stays the Keras string a config uses

    @property
    def title(self) -> str:
        """The display name at the start of a title or sentence: "Squared hinge", "Multi-class SVM"."""
        return self.display[:1].upper() + self.display[1:]

    def output_units(self, n_classes: int) -> int:
        return n_classes if self.multiclass else 1

    def target_width(self, n_classes: int) -> int:
        """Columns of the encoded target array."""
        return n_classes if self.labels == "onehot" else 1


LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in [
        # Hinge needs -1/+1 targets and an output in [-1, 1]: tanh, as in the tutorial.
        LossSpec("hinge", "pm1", False, "tanh", "sign", "max(0, 1 - y*f)", "hinge"),
        LossSpec("squared_hinge", "pm1", False, "tanh", "sign", "max(0, 1 - y*f)^2", "squared hinge"),
        # Cross-entropy on a sigmoid output p = 1 / (1 + exp(-f)) is the log loss log(1 + exp(-y*f)) of
        # the logit f with y = -1/+1: scikit-learn's "log_loss"; figures draw it against the logit.
        LossSpec(
            "binary_crossentropy",
            "01",
            False,
            "sigmoid",
            "threshold",
            "-y log p - (1-y) log(1-p) = log(1 + exp(-y*f)) of the logit f",
            "binary cross-entropy",
        ),
        # scikit-learn's SGDClassifier losses on a linear score f, as there: a tanh output would keep
        # y*f in [-1, 1], so modified Huber's linear part (y*f < -1) could never be reached (it would be
        # squared hinge) and the perceptron's loss could never exceed 1.
        LossSpec(
            "modified_huber",
            "pm1",
            False,
            "linear",
            "sign",
            "max(0, 1 - y*f)^2 if y*f >= -1, else -4*y*f",
            "modified Huber",
        ),
        LossSpec("perceptron", "pm1", False, "linear", "sign", "max(0, -y*f)", "perceptron"),
        LossSpec(
            "categorical_hinge",
            "onehot",
            True,
            "tanh",
            "argmax",
            "max(0, 1 + max(0, max_{j!=y} s_j) - s_y)",
            "categorical hinge",
        ),
        LossSpec(
            "multiclass_svm",
            "index",
            True,
            "linear",
            "argmax",
            "sum_{j!=y} max(0, s_j - s_y + 1)",
            "multi-class SVM (Weston-Watkins)",
        ),
    ]
}


def get_loss(name: str) -> LossSpec:
    return LOSSES[name]


def encode_labels(spec: LossSpec, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Turn integer classes 0..k-1 into the float32 targets `spec` trains on, shape (n, width)."""
    y = np.asarray(y, dtype=np.int64)
    if spec.labels == "pm1":  # class 0 becomes -1, as the tutorial does for make_circles
        return np.where(y == 1, 1.0, -1.0).astype(np.float32)[:, None]
    if spec.labels == "01":
        return y.astype(np.float32)[:, None]
    if spec.labels == "onehot":
        return np.eye(n_classes, dtype=np.float32)[y]
    return y.astype(np.float32)[:, None]  # "index": the class number itself


def predict_classes(spec: LossSpec, outputs: np.ndarray) -> np.ndarray:
    """Class labels 0..k-1 from model outputs of shape (n, units). Output 0 (sign) counts as class 1."""
    outputs = np.asarray(outputs)
    if spec.prediction == "sign":
        return (outputs[:, 0] >= 0).astype(np.int64)
    if spec.prediction == "threshold":
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1).astype(np.int64)


def decision_values(spec: LossSpec, outputs: np.ndarray) -> np.ndarray:
    """A signed score per point whose zero is the decision boundary, for margin plots and radii.

    Hinge losses: the output f itself. Cross-entropy: the logit of p. k classes: the top score minus
    the runner-up (always >= 0, so the boundary is where it reaches 0).
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if spec.prediction == "sign":
        return outputs[:, 0]
    if spec.prediction == "threshold":
        p = np.clip(outputs[:, 0], 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))
    top2 = np.sort(outputs, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def point_margins(spec: LossSpec, outputs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each point's functional margin: y·f for binary losses (f the decision value, y = -1/+1), and
    s_y - max_{j != y} s_j for k classes. Hinge-type losses charge every point whose margin is < 1."""
    outputs = np.asarray(outputs, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if not spec.multiclass:
        return np.where(y == 1, 1.0, -1.0) * decision_values(spec, outputs)
    rows = np.arange(len(y))
    correct = outputs[rows, y]
    others = outputs.copy()
    others[rows, y] = -np.inf
    return correct - others.max(axis=1)
