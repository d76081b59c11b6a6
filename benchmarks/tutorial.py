"""The reference: the tutorial's hinge-loss script, ported to Keras 3 with the fewest changes to run.

Changes from the tutorial (christianversloot/keras-loss-functions, hinge-loss.py), and why:
- `Adam(lr=0.03)` -> `Adam(learning_rate=0.03)`: Keras 3 removed `lr`.
- `make_circles(..., random_state=42)`: deterministic, the same data as the project's default seed.
- `fit(..., verbose=0)` instead of 1: no progress bar, which only makes the reference slower.
- mlxtend 0.25 needs integer class labels from `clf.predict`; the model's predict returns tanh outputs
  of shape (n, 1). `SignClassifier` maps them to -1/+1 with the model's default predict batch size (32),
  which is what the tutorial's `clf=model` used (`--predict-batch-size 0`: the whole grid in one batch).
- each `plt.show()` -> `plt.savefig(OUT/...)` and `plt.close()` (showing a window and closing it is what
  started the next figure afresh). `Dense(..., input_shape=...)` still works in Keras 3 (with a warning).

Run: `python benchmarks/tutorial.py --out DIR`. `stock_fit_seconds()` times only `model.fit`, in-process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", message=".*input_shape.*")  # Keras 3 prefers keras.Input

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow.keras  # noqa: E402
from mlxtend.plotting import plot_decision_regions  # noqa: E402
from sklearn.datasets import make_circles  # noqa: E402
from tensorflow.keras.layers import Dense  # noqa: E402
from tensorflow.keras.models import Sequential  # noqa: E402

# Configuration options
num_samples_total = 1000
training_split = 250


class SignClassifier:
    """What mlxtend 0.25 needs from `clf`: integer labels. The tanh output's sign, as -1/+1.

    `batch_size=None` is Keras' default (32), what the tutorial's `clf=model` used; 0 means one batch.
    """

    def __init__(self, model, batch_size: int | None = None):
        self.model, self.batch_size = model, batch_size

    def predict(self, X):
        batch_size = len(X) if self.batch_size == 0 else self.batch_size
        return np.where(self.model.predict(X, batch_size=batch_size, verbose=0)[:, 0] >= 0, 1, -1)


def make_data():
    # Generate data
    X, targets = make_circles(n_samples=num_samples_total, factor=0.1, random_state=42)
    targets[np.where(targets == 0)] = -1
    X_training = X[training_split:, :]
    X_testing = X[:training_split, :]
    Targets_training = targets[training_split:]
    Targets_testing = targets[:training_split]
    return X_training, X_testing, Targets_training, Targets_testing


def make_model(input_shape, loss_function_used="hinge"):
    # Create the model
    model = Sequential()
    model.add(Dense(4, input_shape=input_shape, activation="relu", kernel_initializer="he_uniform"))
    model.add(Dense(2, activation="relu", kernel_initializer="he_uniform"))
    model.add(Dense(1, activation="tanh"))

    # Configure the model and start training
    model.compile(
        loss=loss_function_used,
        optimizer=tensorflow.keras.optimizers.Adam(learning_rate=0.03),
        metrics=["accuracy"],
    )
    return model


def fit(model, X_training, Targets_training, epochs=30):
    return model.fit(
        X_training, Targets_training, epochs=epochs, batch_size=5, verbose=0, validation_split=0.2
    )


def stock_fit_seconds(epochs: int = 30) -> float:
    """Build the tutorial's model afresh and time only its `model.fit` (its tracing included)."""
    X_training, _, Targets_training, _ = make_data()
    model = make_model((len(X_training[0]),))
    start = time.perf_counter()
    fit(model, X_training, Targets_training, epochs)
    return time.perf_counter() - start


def main(out: Path, predict_batch_size: int | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    X_training, X_testing, Targets_training, Targets_testing = make_data()

    # Generate scatter plot for training data
    plt.scatter(X_training[:, 0], X_training[:, 1])
    plt.title("Nonlinear data")
    plt.xlabel("X1")
    plt.ylabel("X2")
    plt.savefig(out / "data.png")
    plt.close()

    # Set the input shape
    feature_vector_shape = len(X_training[0])
    input_shape = (feature_vector_shape,)
    loss_function_used = "hinge"  # or: squared_hinge
    print(f"Feature shape: {input_shape}")

    model = make_model(input_shape, loss_function_used)
    history = fit(model, X_training, Targets_training)

    # Test the model after training
    test_results = model.evaluate(X_testing, Targets_testing, verbose=1)
    print(f"Test results - Loss: {test_results[0]} - Accuracy: {test_results[1] * 100}%")

    # Plot decision boundary
    plot_decision_regions(X_testing, Targets_testing, clf=SignClassifier(model, predict_batch_size), legend=2)
    plt.savefig(out / "decision_regions.png")
    plt.close()

    # Visualize training process
    plt.plot(history.history["loss"], label="Hinge loss (training data)")
    plt.plot(history.history["val_loss"], label="Hinge loss (validation data)")
    plt.title("Hinge loss for circles")
    plt.ylabel("Hinge loss value")
    plt.yscale("log")
    plt.xlabel("No. epoch")
    plt.legend(loc="upper left")
    plt.savefig(out / "loss.png")
    plt.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder for the three figures.")
    parser.add_argument(
        "--predict-batch-size",
        type=int,
        default=None,
        help="For the decision regions; 0: one batch. Default: 32.",
    )
    args = parser.parse_args()
    main(args.out, args.predict_batch_size)
    sys.exit(0)
