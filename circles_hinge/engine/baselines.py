"""Classical baselines on a run's own data: scikit-learn's LinearSVC, SGDClassifier with the run's loss
(where scikit-learn has it) and SVC with an RBF kernel (the kernel trick the tutorial mentions), fitted
on the very points the network's weights learned from (the fit part of the split), each with its test
accuracy, support vectors where it has them, and a decision function for the figures; and on circles
how far a network's boundary lies from the SVM's, the maximum-margin answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from circles_hinge.engine.boundary import boundary_radii
from circles_hinge.engine.data import Split
from circles_hinge.results import BaselineRow

# The config's loss name -> SGDClassifier's name for the same loss on -1/+1 labels and a linear score
# (binary cross-entropy on a sigmoid is the log loss of the logit); the k-class losses have none.
SGD_LOSSES = {
    "hinge": "hinge",
    "squared_hinge": "squared_hinge",
    "binary_crossentropy": "log_loss",
    "modified_huber": "modified_huber",
    "perceptron": "perceptron",
}
# SVC's fit grows with the square of the points (and more): above this many it is left out, and said.
SVC_MAX_POINTS = 20_000


@dataclass
class Baseline:
    """One fitted scikit-learn classifier: its name as constructed, test accuracy, support vectors
    (None for the linear models, which keep none), fit time, and the model itself."""

    name: str
    test_accuracy: float
    support_vectors: int | None
    fit_seconds: float
    model: Any
    boundary_radius_mean: float | None = None  # the SVC on circles: the mean radius of its boundary

    def decision(self, X: np.ndarray) -> np.ndarray:
        """decision_function for points of shape (..., n, 2): (..., n) for two classes, the sign the
        class (+: class 1, as signed_decision); (..., n, k) for k classes."""
        X = np.asarray(X, dtype=np.float64)
        values = self.model.decision_function(X.reshape(-1, 2))
        return values.reshape(*X.shape[:-1], *values.shape[1:])

    def row(self) -> BaselineRow:
        """What the folders record of it (everything but the model)."""
        return BaselineRow(
            self.name,
            self.test_accuracy,
            self.support_vectors,
            round(self.fit_seconds, 4),
            self.boundary_radius_mean,
        )


def estimators(losses: list[str], seed: int, n_points: int) -> list[tuple[str, Any]]:
    """(name, unfitted estimator) for LinearSVC, SGDClassifier with each loss scikit-learn has, and
    SVC(kernel="rbf") unless there are more than SVC_MAX_POINTS points. scikit-learn's defaults
    otherwise (C=1, gamma="scale", alpha=1e-4), seeded with the run's seed."""
    from sklearn.linear_model import SGDClassifier
    from sklearn.svm import SVC, LinearSVC

    out: list[tuple[str, Any]] = [("LinearSVC", LinearSVC(random_state=seed))]
    for loss in losses:
        if loss in SGD_LOSSES:
            name = SGD_LOSSES[loss]
            out.append((f"SGDClassifier(loss={name!r})", SGDClassifier(loss=name, random_state=seed)))
    if n_points <= SVC_MAX_POINTS:
        out.append(("SVC(kernel='rbf')", SVC(kernel="rbf")))
    return out


def fit_baselines(split: Split, losses: list[str], seed: int, circles: bool = False) -> list[Baseline]:
    """Each baseline fitted on split.X_fit, scored on split.X_test; with `circles`, also the mean radius
    of each one's boundary. None at all when the fit part holds a single class (nothing to separate)."""
    X, y = split.X_fit.astype(np.float64), split.y_fit
    if len(np.unique(y)) < 2:
        return []
    found = []
    for name, model in estimators(losses, seed, len(X)):
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(model.predict(split.X_test.astype(np.float64)) == split.y_test))
        support = int(model.n_support_.sum()) if hasattr(model, "n_support_") else None
        baseline = Baseline(name, accuracy, support, seconds, model)
        if circles and name.startswith("SVC"):  # a line crosses some rays only: no radius to speak of
            radii = svm_radii(baseline)
            baseline.boundary_radius_mean = float(np.nanmean(radii)) if np.isfinite(radii).any() else None
        found.append(baseline)
    return found


def svm_radii(baseline: Baseline) -> np.ndarray:
    """The radius of a two-class baseline's boundary along each ray from the origin (NaN: none)."""
    return boundary_radii(baseline.decision, levels=(0.0,))[0.0]


def svc(baselines: list[Baseline]) -> Baseline | None:
    return next((b for b in baselines if b.name.startswith("SVC")), None)


def distance_from_svm(network: Callable[[np.ndarray], np.ndarray], baselines: list[Baseline]) -> float | None:
    """On circles: the mean over the rays (360 angles) of |r_network - r_SVM|, the gap between the
    network's boundary and the RBF SVM's along each ray from the origin, where both cross; None without
    an SVC or a common crossing. `network(points)` is the network's signed decision value."""
    machine = svc(baselines)
    if machine is None:
        return None
    ours, theirs = boundary_radii(network, levels=(0.0,))[0.0], svm_radii(machine)
    both = np.isfinite(ours) & np.isfinite(theirs)
    return float(np.mean(np.abs(ours[both] - theirs[both]))) if both.any() else None
