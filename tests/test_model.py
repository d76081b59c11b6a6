"""The model: the tutorial's 4-2-1 architecture, 25 parameters, seeded initial weights."""

import numpy as np
import pytest

from circles_hinge.config import Config
from circles_hinge.engine.model import build_model, count_parameters, initial_weights
from circles_hinge.loading import load_config
from circles_hinge.losses import get_loss


def test_tutorial_model_has_25_trainable_parameters():
    model = build_model(Config())
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 25
    assert count_parameters(Config()) == 25
    acts = [layer.activation.__name__ for layer in model.layers]
    assert acts == ["relu", "relu", "tanh"]
    assert [layer.units for layer in model.layers] == [4, 2, 1]
    assert [type(layer.kernel_initializer).__name__ for layer in model.layers] == [
        "HeUniform",
        "HeUniform",
        "GlorotUniform",
    ]


def test_hidden_layers_come_from_the_config():
    sets = ["model.hidden_units=[8, 3, 2]", "model.hidden_activation=tanh", "training.loss=squared_hinge"]
    model = build_model(load_config(None, sets))
    assert [layer.units for layer in model.layers] == [8, 3, 2, 1]
    assert model.layers[0].activation.__name__ == "tanh"


def test_output_layer_follows_the_loss():
    config = load_config(None, ["training.loss=binary_crossentropy"])
    assert build_model(config).layers[-1].activation.__name__ == "sigmoid"


def test_initial_weights_are_seeded_and_follow_he_uniform():
    a, b, c = (initial_weights(Config(), s) for s in (1, 1, 2))
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a[0], c[0])
    assert [w.shape for w in a] == [(2, 4), (4,), (4, 2), (2,), (2, 1), (1,)]
    assert np.all(np.abs(a[0]) <= np.sqrt(6 / 2)) and np.all(a[1] == 0)  # he_uniform limit sqrt(6/fan_in)
    model = build_model(Config(), a)
    for w, m in zip(a, model.get_weights()):
        np.testing.assert_array_equal(w, m)


@pytest.mark.parametrize(
    "overrides,n_classes",
    [
        ([], 2),  # the tutorial: he_uniform hidden layers, glorot_uniform output
        (["model.hidden_units=[8, 3, 2]", "model.kernel_initializer=glorot_normal"], 2),
        (["training.loss=categorical_hinge", "data.dataset=blobs"], 3),
    ],
)
@pytest.mark.parametrize("seed", [0, 42, 4294967295])
def test_initial_weights_are_stock_keras_after_set_random_seed(overrides, n_classes, seed):
    """Seed s starts where the tutorial's script starts after keras.utils.set_random_seed(s)."""
    import keras

    config = load_config(None, overrides)
    spec = get_loss(config.training.loss)
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(2,))]
    for units in config.model.hidden_units:
        layers.append(
            keras.layers.Dense(units, activation="relu", kernel_initializer=config.model.kernel_initializer)
        )
    layers.append(keras.layers.Dense(spec.output_units(n_classes), activation="tanh"))
    stock = keras.Sequential(layers).get_weights()
    ours = initial_weights(config, seed)
    assert len(ours) == len(stock)
    for a, b in zip(ours, stock):
        np.testing.assert_array_equal(a, b)


def test_restarts_take_the_next_initialisations_a_script_would_build():
    """Restart r is the (r+1)-th model the same seeded script would build."""
    import keras

    config = Config()
    keras.utils.set_random_seed(42)
    models = [build_model(config) for _ in range(3)]
    for r, model in enumerate(models):
        for a, b in zip(initial_weights(config, 42, restart=r), model.get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["he_uniform", "glorot_uniform", "lecun_uniform", "he_normal"])
def test_initial_kernels_for_many_seeds_are_keras_initializers_bit_for_bit(name):
    """The vectorised kernels of many layer seeds at once (engine/stateless.py for the uniform ones)
    against the Keras initializer called with each seed: shapes of 1 to 24 weights, seeds from 1 to
    Keras' largest draw (10**9)."""
    import keras

    from circles_hinge.engine.model import _kernels

    seeds = np.array([1, 2, 3, 42, 12345, 2**24 + 1, 987654321, 10**9])
    for fan_in, units in [(1, 1), (2, 1), (2, 4), (4, 2), (8, 3)]:
        ours = _kernels(name, fan_in, units, seeds)
        for s, kernel in zip(seeds, ours):
            stock = type(keras.initializers.get(name))(seed=int(s))((fan_in, units), dtype="float32")
            assert kernel.tobytes() == np.asarray(stock).tobytes(), (name, fan_in, units, s)


def test_initial_weights_of_many_seeds_are_each_seeds_own():
    from circles_hinge.engine.model import initial_weights_many

    config = load_config(None, ["model.kernel_initializer=lecun_normal"])
    seeds = [0, 7, 42, 4294967295]
    for restart in (0, 2):
        for seed, many in zip(seeds, initial_weights_many(Config(), seeds, restart)):
            for a, b in zip(many, initial_weights(Config(), seed, restart)):
                assert a.tobytes() == b.tobytes()
        for seed, many in zip(seeds, initial_weights_many(config, seeds, restart)):
            assert [w.shape for w in many] == [(2, 4), (4,), (4, 2), (2,), (2, 1), (1,)], seed
