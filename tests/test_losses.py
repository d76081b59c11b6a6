"""The loss registry: encodings, and accuracy computed as predicted class == true class."""

import numpy as np
import pytest

from circles_hinge.losses import (
    LOSSES,
    decision_values,
    encode_labels,
    get_loss,
    point_margins,
    predict_classes,
)


def test_hinge_labels_are_minus_one_plus_one():
    y = np.array([0, 1, 1, 0])
    np.testing.assert_array_equal(encode_labels(get_loss("hinge"), y, 2)[:, 0], [-1, 1, 1, -1])
    np.testing.assert_array_equal(encode_labels(get_loss("binary_crossentropy"), y, 2)[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(
        encode_labels(get_loss("categorical_hinge"), np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]]
    )


def test_sign_accuracy_on_hand_made_predictions():
    """The Keras 3 'accuracy' string would compare tanh > 0.5 with -1/+1 labels; we use the sign."""
    spec = get_loss("hinge")
    y = np.array([0, 1, 1, 0, 1])
    out = np.array([[-0.2], [0.3], [-0.1], [0.9], [0.01]])
    pred = predict_classes(spec, out)
    np.testing.assert_array_equal(pred, [0, 1, 0, 1, 1])
    assert np.mean(pred == y) == pytest.approx(0.6)
    # A perfect model with small outputs is 100% accurate, not ~50%.
    assert np.mean(predict_classes(spec, np.array([[-0.3], [0.2], [0.4]])) == np.array([0, 1, 1])) == 1.0


def test_sign_accuracy_in_the_training_loop_matches_numpy():
    import tensorflow as tf

    from circles_hinge.engine.trainer import _correct

    spec = get_loss("hinge")
    y = np.array([0, 1, 1, 0, 1])
    out = np.array([[-0.2], [0.3], [-0.1], [0.9], [0.01]], np.float32)
    hits = _correct(spec, tf.constant(encode_labels(spec, y, 2)), tf.constant(out)).numpy()
    np.testing.assert_array_equal(hits, (predict_classes(spec, out) == y).astype(np.float32))


def test_threshold_and_argmax_predictions():
    assert list(predict_classes(get_loss("binary_crossentropy"), np.array([[0.2], [0.5], [0.9]]))) == [
        0,
        1,
        1,
    ]
    assert list(predict_classes(get_loss("multiclass_svm"), np.array([[1, 3, 2], [5, 0, 0]]))) == [1, 0]


def test_decision_values_and_margins():
    hinge = get_loss("hinge")
    np.testing.assert_allclose(point_margins(hinge, np.array([[0.5], [0.5]]), np.array([1, 0])), [0.5, -0.5])
    bce = get_loss("binary_crossentropy")
    np.testing.assert_allclose(decision_values(bce, np.array([[0.5], [0.880797]])), [0.0, 2.0], atol=1e-5)
    svm = get_loss("multiclass_svm")
    np.testing.assert_allclose(point_margins(svm, np.array([[1.0, 3.0, 2.5]]), np.array([1])), [0.5])


@pytest.mark.parametrize(
    ("name", "labels", "units", "activation", "prediction"),
    [
        ("hinge", "pm1", 1, "tanh", "sign"),
        ("squared_hinge", "pm1", 1, "tanh", "sign"),
        ("binary_crossentropy", "01", 1, "sigmoid", "threshold"),
        ("modified_huber", "pm1", 1, "linear", "sign"),
        ("perceptron", "pm1", 1, "linear", "sign"),
        ("categorical_hinge", "onehot", 3, "tanh", "argmax"),
        ("multiclass_svm", "index", 3, "linear", "argmax"),
    ],
)
def test_the_registry_table(name, labels, units, activation, prediction):
    spec = get_loss(name)
    assert (spec.labels, spec.output_units(3), spec.output_activation, spec.prediction) == (
        labels,
        units,
        activation,
        prediction,
    )
    assert encode_labels(spec, np.array([0, 2, 1]), 3).shape[1] == spec.target_width(3)
    assert set(LOSSES) == {
        "modified_huber",
        "perceptron",
        "hinge",
        "squared_hinge",
        "binary_crossentropy",
        "categorical_hinge",
        "multiclass_svm",
    }


@pytest.mark.parametrize(
    ("name", "display", "title"),
    [
        ("hinge", "hinge", "Hinge"),
        ("squared_hinge", "squared hinge", "Squared hinge"),
        ("binary_crossentropy", "binary cross-entropy", "Binary cross-entropy"),
        ("modified_huber", "modified Huber", "Modified Huber"),
        ("perceptron", "perceptron", "Perceptron"),
        ("categorical_hinge", "categorical hinge", "Categorical hinge"),
        ("multiclass_svm", "multi-class SVM (Weston-Watkins)", "Multi-class SVM (Weston-Watkins)"),
    ],
)
def test_every_loss_has_a_display_name_for_figures_and_reports(name, display, title):
    assert (get_loss(name).display, get_loss(name).title) == (display, title)
