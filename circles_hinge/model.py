"""Builds the tutorial's Sequential network from the config and the loss's needs. No file I/O.

Initial weights come from `initial_weights`, seeded per layer, so a single run and replica k of a
batched seed study start from exactly the same numbers.
"""

from __future__ import annotations

import numpy as np

from circles_hinge.config import Config
from circles_hinge.losses import LossSpec

N_FEATURES = 2
# The tutorial sets he_uniform on the hidden layers only; its tanh output layer keeps Keras' default.
OUTPUT_INITIALIZER = "glorot_uniform"


def output_activation(config: Config, spec: LossSpec) -> str:
    return config.model.output_activation or spec.output_activation


def layer_shapes(config: Config, spec: LossSpec, n_classes: int) -> list[tuple[int, int]]:
    """(fan_in, units) for every Dense layer, the output layer last."""
    units = [*config.model.hidden_units, spec.output_units(n_classes)]
    fan_in = [N_FEATURES, *units[:-1]]
    return list(zip(fan_in, units))


def build_model(config: Config, spec: LossSpec, n_classes: int, weights: list[np.ndarray] | None = None):
    """keras.Input((2,)), Dense(4, relu, he_uniform), Dense(2, relu, he_uniform), Dense(1, tanh)."""
    import keras

    shapes = layer_shapes(config, spec, n_classes)
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
            shapes[-1][1], activation=output_activation(config, spec), kernel_initializer=OUTPUT_INITIALIZER
        )
    )
    model = keras.Sequential(layers, name="circles_hinge")
    if weights is not None:
        model.set_weights(weights)
    return model


def _layer_seed(seed: int, layer: int, restart: int = 0) -> int:
    entropy = [seed, layer] if restart == 0 else [seed, layer, restart]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def initial_weights(
    config: Config, spec: LossSpec, n_classes: int, seed: int, restart: int = 0
) -> list[np.ndarray]:
    """[kernel, bias, kernel, bias, ...] as Keras' initializers draw them for this seed.

    Each kernel comes from the configured Keras initializer with a seed derived from (seed, layer),
    or (seed, layer, restart) for a restart, and biases start at zero, as Dense does.
    """
    import keras

    weights: list[np.ndarray] = []
    shapes = layer_shapes(config, spec, n_classes)
    for i, (fan_in, units) in enumerate(shapes):
        name = config.model.kernel_initializer if i < len(shapes) - 1 else OUTPUT_INITIALIZER
        init = type(keras.initializers.get(name))(seed=_layer_seed(seed, i, restart))
        weights.append(np.asarray(init((fan_in, units), dtype="float32")))
        weights.append(np.zeros(units, dtype=np.float32))
    return weights


def count_parameters(config: Config, spec: LossSpec, n_classes: int) -> int:
    return sum(i * o + o for i, o in layer_shapes(config, spec, n_classes))
