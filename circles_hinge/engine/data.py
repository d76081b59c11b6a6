"""Data sets and their split. Classes are integers 0..k-1 here; each loss encodes them its own way.

circles, moons and blobs are scikit-learn's generators; xor, spiral and gauss are TensorFlow
Playground's (src/dataset.ts), drawn with NumPy from the same seed and shuffled as make_circles
shuffles, so the first test_size points are a random test part as for circles.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from circles_hinge.config import DataConfig
from circles_hinge.engine.points import read_points, test_rows

# The tutorial's 3-class companion experiment (categorical hinge on blobs).
BLOB_CENTERS = [(0, 0), (15, 15), (0, 15)]
BLOB_STD = 1.5


@dataclass(frozen=True)
class Split:
    """Test, fit and validation parts of one data set, in the tutorial's order."""

    X_test: np.ndarray
    y_test: np.ndarray
    X_fit: np.ndarray
    y_fit: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    test_rows: np.ndarray | None = None  # a file's rows (data.dataset csv) that make the test part

    @property
    def X_train(self) -> np.ndarray:
        """The whole training part (fit + validation), as the tutorial plots it."""
        return np.concatenate([self.X_fit, self.X_val])

    @property
    def y_train(self) -> np.ndarray:
        return np.concatenate([self.y_fit, self.y_val])


def n_classes(data: DataConfig) -> int:
    """The number of classes `make_dataset` draws: 2 for circles and moons, one per blob centre. With
    fewer samples than centres make_blobs gives the first n_samples centres one point each, so a
    2-sample blobs set has 2 classes."""
    if data.dataset == "blobs":
        return min(len(BLOB_CENTERS), data.n_samples)
    if data.dataset == "csv":
        return read_points(data.path).n_classes
    return 2


def make_dataset(data: DataConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X of shape (n_samples, 2) float32 and integer classes y, generated with random_state=seed."""
    from sklearn.datasets import make_blobs, make_circles, make_moons

    if data.dataset == "csv":
        points = read_points(data.path)
        return points.X, points.y
    if data.dataset in PLAYGROUND:
        X, y = make_playground(data.dataset, data.n_samples, data.noise, seed)
    elif data.dataset == "circles":
        X, y = make_circles(n_samples=data.n_samples, factor=data.factor, noise=data.noise, random_state=seed)
    elif data.dataset == "moons":
        X, y = make_moons(n_samples=data.n_samples, noise=data.noise, random_state=seed)
    else:
        X, y = make_blobs(
            n_samples=data.n_samples, centers=BLOB_CENTERS, cluster_std=BLOB_STD, random_state=seed
        )
    return X.astype(np.float32), y.astype(np.int64)


# --- TensorFlow Playground's classification sets ------------------------------------------------------
# Each as the Playground's dataset.ts draws it, its label +1 our class 1 and -1 our class 0. `noise` is
# the Playground's noise (its slider runs 0 to 0.5): 0 is clean, more is harder, as for circles. The
# Playground draws n/2 points per class; here class 0 gets n // 2 and class 1 the rest, so a data set
# holds exactly n_samples points (make_circles' rule).


def _xor(rng: np.random.RandomState, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-5, 5]^2 pushed 0.3 away from both axes; class 1 where x1*x2 >= 0 after the point
    is moved by noise * U(-5, 5) in each coordinate (the label is noisy, the point is not)."""
    X = rng.uniform(-5, 5, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    moved = X + rng.uniform(-5, 5, size=(n, 2)) * noise
    return X, (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)


def _spiral(rng: np.random.RandomState, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two arms of 1.75 turns out to radius 5, class 1 from angle 0 and class 0 from angle pi, each
    point moved by noise * U(-1, 1) in each coordinate."""
    parts = []
    for label, count, delta in ((1, n - n // 2, 0.0), (0, n // 2, np.pi)):
        i = np.arange(count)
        r = i / max(count, 1) * 5
        t = 1.75 * i / max(count, 1) * 2 * np.pi + delta
        xy = np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1, 1, size=(count, 2)) * noise
        parts.append((xy, np.full(count, label)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _gauss(rng: np.random.RandomState, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds, class 1 around (2, 2) and class 0 around (-2, -2), each coordinate with
    variance 0.5 + 7 * noise (the Playground's scale: 0.5 at noise 0, 4 at noise 0.5)."""
    std = np.sqrt(0.5 + 7 * noise)
    counts = (n - n // 2, n // 2)
    X = np.concatenate([rng.normal(c, std, size=(k, 2)) for c, k in zip((2.0, -2.0), counts)])
    return X, np.repeat([1, 0], counts)


PLAYGROUND = {"xor": _xor, "spiral": _spiral, "gauss": _gauss}


def make_playground(name: str, n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The Playground set `name` from RandomState(seed), its points in a seeded random order."""
    rng = np.random.RandomState(seed)
    X, y = PLAYGROUND[name](rng, n_samples, noise)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def split_dataset(X: np.ndarray, y: np.ndarray, test_size: int, validation_split: float) -> Split:
    """The first test_size samples are the test set (as in the tutorial); of the rest, the last
    validation_split fraction is the validation set, taken before any shuffling (as model.fit does)."""
    X_test, y_test = X[:test_size], y[:test_size]
    X_train, y_train = X[test_size:], y[test_size:]
    split_at = math.floor(len(X_train) * (1.0 - validation_split))  # Keras' own rounding
    return Split(
        X_test,
        y_test,
        X_train[:split_at],
        y_train[:split_at],
        X_train[split_at:],
        y_train[split_at:],
    )


def load_split(data: DataConfig, seed: int, validation_split: float) -> Split:
    if data.dataset == "csv":  # the file's points, its test part a seeded stratified draw
        points = read_points(data.path)
        test, train = test_rows(points, data.test_size, seed)
        order = np.concatenate([test, train])
        split = split_dataset(points.X[order], points.y[order], data.test_size, validation_split)
        return dataclasses.replace(split, test_rows=test)
    X, y = make_dataset(data, seed)
    return split_dataset(X, y, data.test_size, validation_split)
