"""Builds the tutorial's Sequential network from the config and the loss's needs, and the helpers on a
built Keras model: its outputs, hidden activations, evaluation, and saving it to model.keras.

Initial weights come from `initial_weights`: for seed s, exactly the weights stock Keras starts the
tutorial's model from after `keras.utils.set_random_seed(s)`, in a single run and in every replica.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import n_classes
from circles_hinge.engine.keras_losses import keras_loss
from circles_hinge.losses import LossSpec, encode_labels, get_loss, predict_classes

N_FEATURES = 2
# The tutorial sets he_uniform on the hidden layers only; its tanh output layer keeps Keras' default.
OUTPUT_INITIALIZER = "glorot_uniform"


def output_activation(config: Config) -> str:
    return config.model.output_activation or get_loss(config.training.loss).output_activation


def layer_shapes(config: Config) -> list[tuple[int, int]]:
    """(fan_in, units) for every Dense layer, the output layer last."""
    units = [*config.model.hidden_units, get_loss(config.training.loss).output_units(n_classes(config.data))]
    fan_in = [N_FEATURES, *units[:-1]]
    return list(zip(fan_in, units))


def build_model(config: Config, weights: list[np.ndarray] | None = None):
    """keras.Input((2,)), Dense(4, relu, he_uniform), Dense(2, relu, he_uniform), Dense(1, tanh)."""
    import keras

    shapes = layer_shapes(config)
    layers: list = [keras.Input(shape=(N_FEATURES,))]
    for _, units in shapes[:-1]:
        layers.append(
            keras.layers.Dense(
                units,
                activation=config.model.hidden_activation,
                kernel_initializer=config.model.kernel_initializer,
            )
        )
    layers.append(
        keras.layers.Dense(
            shapes[-1][1], activation=output_activation(config), kernel_initializer=OUTPUT_INITIALIZER
        )
    )
    model = keras.Sequential(layers, name="circles_hinge")
    if weights is not None:
        model.set_weights(weights)
    return model


def initial_weights(config: Config, seed: int, restart: int = 0) -> list[np.ndarray]:
    """[kernel, bias, kernel, bias, ...]: the weights the tutorial's model starts from after
    `keras.utils.set_random_seed(seed)`, without building a model.

    Keras 3 gives an unseeded initializer an integer seed when the layer is made, drawn from Python's
    `random` (`randint(1, 10**9)`), which set_random_seed seeds; biases start at zero and draw nothing.
    So the layers' seeds are the first draws of `random.Random(seed)`, in layer order, and the kernels
    are the configured Keras initializers called with them. Restart r takes the next draws, as a
    script building the model r more times would. A test holds this to a stock Sequential model.
    """
    return initial_weights_many(config, [seed], restart)[0]


# Keras' VarianceScaling initializers with a uniform distribution: (scale, mode). These draw one
# `stateless_uniform` each, which engine/stateless.py computes for many seeds at once.
_UNIFORM_SCALING = {
    "he_uniform": (2.0, "fan_in"),
    "glorot_uniform": (1.0, "fan_avg"),
    "lecun_uniform": (1.0, "fan_in"),
}


def initial_weights_many(config: Config, seeds: list[int], restart: int = 0) -> list[list[np.ndarray]]:
    """`initial_weights(config, s, restart)` for every seed s: the uniform initializers computed for
    all seeds in one vectorised call per layer, the others by Keras one seed at a time."""
    import random

    shapes = layer_shapes(config)
    n = len(shapes)
    layer_seeds = np.array(
        [
            [draws.randint(1, int(1e9)) for _ in range(n * (restart + 1))][-n:]
            for draws in (random.Random(seed) for seed in seeds)
        ],
        dtype=np.int64,
    ).reshape(len(seeds), n)
    kernels = []
    for i, (fan_in, units) in enumerate(shapes):
        name = config.model.kernel_initializer if i < n - 1 else OUTPUT_INITIALIZER
        kernels.append(_kernels(name, fan_in, units, layer_seeds[:, i]))
    return [
        [w for i, (_, units) in enumerate(shapes) for w in (kernels[i][j], np.zeros(units, dtype=np.float32))]
        for j in range(len(seeds))
    ]


def _kernels(name: str, fan_in: int, units: int, layer_seeds: np.ndarray) -> np.ndarray:
    """The kernels (len(layer_seeds), fan_in, units) of initializer `name` seeded with each seed."""
    if name in _UNIFORM_SCALING:
        from circles_hinge.engine.stateless import stateless_uniform

        scale, mode = _UNIFORM_SCALING[name]
        scale /= max(1.0, fan_in if mode == "fan_in" else (fan_in + units) / 2.0)
        limit = math.sqrt(3.0 * scale)
        values = stateless_uniform(layer_seeds, fan_in * units, -limit, limit)
        return values.reshape(len(layer_seeds), fan_in, units)
    import keras

    return np.stack(
        [
            np.asarray(type(keras.initializers.get(name))(seed=int(s))((fan_in, units), dtype="float32"))
            for s in layer_seeds
        ]
    ).reshape(len(layer_seeds), fan_in, units)


def count_parameters(config: Config) -> int:
    return sum(i * o + o for i, o in layer_shapes(config))


# --- helpers on a built Keras model ----------------------------------------------------------------
def keras_outputs(model) -> Callable[[np.ndarray], np.ndarray]:
    """Predict any number of points in one call: mlxtend's grid is ~300k points."""

    def outputs(X: np.ndarray) -> np.ndarray:
        return np.asarray(model(np.asarray(X, dtype=np.float32), training=False))

    return outputs


def hidden_activations(model, X: np.ndarray) -> np.ndarray:
    """The last hidden layer's output for X: what the output layer sees."""
    h = np.asarray(X, dtype=np.float32)
    for layer in model.layers[:-1]:
        h = layer(h)
    return np.asarray(h)


def evaluate_model(model, config: Config, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) of a Keras model trained as `config` says: the loss's batch mean, and
    predicted class == true class."""
    spec = get_loss(config.training.loss)
    out = keras_outputs(model)(X)
    loss = float(np.mean(np.asarray(keras_loss(spec)(encode_labels(spec, y, n_classes(config.data)), out))))
    accuracy = float(np.mean(predict_classes(spec, out) == y))
    return loss, accuracy


def save_model(model, spec: LossSpec, path: Path) -> None:
    """Compile with the run's loss (so it is saved with the model) and write via a temporary name."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(), loss=keras_loss(spec))
    model.optimizer.build(model.trainable_variables)  # so load_model restores it without a warning
    tmp = path.with_name(f".tmp-{path.name}")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:  # Ctrl-C or SIGTERM mid-save: no half-written file left behind
        tmp.unlink(missing_ok=True)
        raise
