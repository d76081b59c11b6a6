"""Data sets and their split. Classes are integers 0..k-1 here; each loss encodes them its own way."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from circles_hinge.config import DataConfig

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
    return 2


def make_dataset(data: DataConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X of shape (n_samples, 2) float32 and integer classes y, generated with random_state=seed."""
    from sklearn.datasets import make_blobs, make_circles, make_moons

    if data.dataset == "circles":
        X, y = make_circles(n_samples=data.n_samples, factor=data.factor, noise=data.noise, random_state=seed)
    elif data.dataset == "moons":
        X, y = make_moons(n_samples=data.n_samples, noise=data.noise, random_state=seed)
    else:
        X, y = make_blobs(
            n_samples=data.n_samples, centers=BLOB_CENTERS, cluster_std=BLOB_STD, random_state=seed
        )
    return X.astype(np.float32), y.astype(np.int64)


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
    X, y = make_dataset(data, seed)
    return split_dataset(X, y, data.test_size, validation_split)
