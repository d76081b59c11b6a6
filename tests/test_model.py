"""The model: the tutorial's 4-2-1 architecture, 25 parameters, seeded initial weights."""

import numpy as np

from circles_hinge.config import Config, load_config
from circles_hinge.losses import get_loss
from circles_hinge.model import build_model, count_parameters, initial_weights


def test_tutorial_model_has_25_trainable_parameters():
    model = build_model(Config(), get_loss("hinge"), 2)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 25
    assert count_parameters(Config(), get_loss("hinge"), 2) == 25
    acts = [layer.activation.__name__ for layer in model.layers]
    assert acts == ["relu", "relu", "tanh"]
    assert [layer.units for layer in model.layers] == [4, 2, 1]
    assert [type(layer.kernel_initializer).__name__ for layer in model.layers] == [
        "HeUniform",
        "HeUniform",
        "GlorotUniform",
    ]


def test_hidden_layers_come_from_the_config():
    c = load_config(None, ["model.hidden_units=[8, 3, 2]", "model.hidden_activation=tanh"])
    model = build_model(c, get_loss("squared_hinge"), 2)
    assert [layer.units for layer in model.layers] == [8, 3, 2, 1]
    assert model.layers[0].activation.__name__ == "tanh"


def test_output_layer_follows_the_loss():
    assert (
        build_model(Config(), get_loss("binary_crossentropy"), 2).layers[-1].activation.__name__ == "sigmoid"
    )


def test_initial_weights_are_seeded_and_follow_he_uniform():
    a, b, c = (initial_weights(Config(), get_loss("hinge"), 2, s) for s in (1, 1, 2))
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a[0], c[0])
    assert [w.shape for w in a] == [(2, 4), (4,), (4, 2), (2,), (2, 1), (1,)]
    assert np.all(np.abs(a[0]) <= np.sqrt(6 / 2)) and np.all(a[1] == 0)  # he_uniform limit sqrt(6/fan_in)
    model = build_model(Config(), get_loss("hinge"), 2, a)
    for w, m in zip(a, model.get_weights()):
        np.testing.assert_array_equal(w, m)
