"""reference.py against Keras, TF autodiff, scikit-learn, finite differences, and its own invariants."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import doctest
from collections.abc import Callable
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import hinge_loss

from circles_hinge.engine import reference
from circles_hinge.engine.keras_losses import modified_huber as keras_modified_huber
from circles_hinge.engine.keras_losses import multiclass_svm as keras_multiclass_svm
from circles_hinge.engine.keras_losses import perceptron as keras_perceptron

GAP = 1e-2  # gradient checks use inputs at least this far from every kink; the FD step is 1e-6
K = 4  # classes in the multi-class cases
TOL = {np.float32: {"rtol": 2e-6, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def _onehot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def _top_gap(a: np.ndarray) -> np.ndarray:
    """Per row, the largest entry minus the second largest: near 0 means a tie inside a max."""
    top2 = np.sort(a, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


# Each sampler draws m candidate rows: (y_true for reference, y_pred, y_true for Keras, row is far
# from every kink). Scores are N(0, 1.5^2), so margins land on both sides of every kink.


def _binary(rng, m, zero_one):
    y = rng.choice([-1.0, 1.0], size=(m, 3))
    f = rng.normal(0, 1.5, size=(m, 3))
    far = np.min(np.abs(1 - y * f), axis=1) > GAP
    labels = (y + 1) / 2 if zero_one else y
    return labels, f, labels, far


def _perceptron(rng, m):
    y = rng.choice([-1.0, 1.0], size=(m, 3))
    f = rng.normal(0, 1.5, size=(m, 3))
    far = np.min(np.abs(y * f), axis=1) > GAP  # the perceptron's only kink is y*f = 0
    return y, f, y, far


def _bce(rng, m):
    y = rng.random((m, 3))  # soft targets: Keras' formula takes any y in [0, 1]
    p = rng.uniform(0.02, 0.98, size=(m, 3))  # inside the clip, where the loss is smooth
    return y, p, y, np.ones(m, dtype=bool)


def _categorical(rng, m, pm1):
    labels = rng.integers(0, K, size=m)
    t = _onehot(labels, K)
    t = 2 * t - 1 if pm1 else t
    s = rng.normal(0, 1.5, size=(m, K))
    masked = (1 - t) * s
    loss_arg = masked.max(axis=1) - np.sum(t * s, axis=1) + 1
    far = (_top_gap(masked) > GAP) & (np.abs(loss_arg) > GAP)
    return t, s, t, far


def _multiclass_svm(rng, m):
    labels = rng.integers(0, K, size=m)
    s = rng.normal(0, 1.5, size=(m, K))
    margins = s - s[np.arange(m), labels][:, None] + 1
    margins[np.arange(m), labels] = np.inf
    far = np.min(np.abs(margins), axis=1) > GAP
    return labels, s, labels[:, None].astype(float), far


def _crammer_singer(rng, m):
    # Oracle: Keras' categorical_hinge, which equals Crammer-Singer when some wrong score is >= 0.
    labels = rng.integers(0, K, size=m)
    s = rng.normal(0, 1.5, size=(m, K))
    wrong = np.where(_onehot(labels, K) == 1, -np.inf, s)
    loss_arg = 1 + wrong.max(axis=1) - s[np.arange(m), labels]
    far = (wrong.max(axis=1) > GAP) & (_top_gap(wrong) > GAP) & (np.abs(loss_arg) > GAP)
    return labels, s, _onehot(labels, K), far


@dataclass(frozen=True)
class Case:
    loss: Callable  # reference per-sample loss, (y_true, y_pred)
    grad: Callable  # reference gradient of the batch mean, (y_true, y_pred)
    keras_loss: Callable  # the implementation under comparison, (keras y_true, y_pred tensor)
    sampler: Callable  # (rng, m) -> (y_true, y_pred, keras y_true, far-from-kink mask)

    def sample(self, n: int = 8, seed: int = 0):
        t, p, tk, far = self.sampler(np.random.default_rng(seed), 50 * n)
        rows = np.flatnonzero(far)[:n]
        assert len(rows) == n, "the sampler should find enough rows away from kinks"
        return t[rows], p[rows], tk[rows]


CASES = {
    "hinge": Case(
        reference.hinge, reference.hinge_grad, keras.losses.hinge, lambda r, m: _binary(r, m, False)
    ),
    "hinge_01_labels": Case(
        reference.hinge, reference.hinge_grad, keras.losses.hinge, lambda r, m: _binary(r, m, True)
    ),
    "squared_hinge": Case(
        reference.squared_hinge,
        reference.squared_hinge_grad,
        keras.losses.squared_hinge,
        lambda r, m: _binary(r, m, False),
    ),
    "squared_hinge_01_labels": Case(
        reference.squared_hinge,
        reference.squared_hinge_grad,
        keras.losses.squared_hinge,
        lambda r, m: _binary(r, m, True),
    ),
    "categorical_hinge": Case(
        reference.categorical_hinge,
        reference.categorical_hinge_grad,
        keras.losses.categorical_hinge,
        lambda r, m: _categorical(r, m, False),
    ),
    "categorical_hinge_pm1_onehot": Case(
        reference.categorical_hinge,
        reference.categorical_hinge_grad,
        keras.losses.categorical_hinge,
        lambda r, m: _categorical(r, m, True),
    ),
    "binary_crossentropy": Case(
        reference.binary_crossentropy,
        reference.binary_crossentropy_grad,
        keras.losses.binary_crossentropy,
        _bce,
    ),
    "multiclass_svm": Case(
        lambda t, p: reference.multiclass_svm(p, t),
        lambda t, p: reference.multiclass_svm_grad(p, t),
        keras_multiclass_svm,
        _multiclass_svm,
    ),
    "modified_huber": Case(
        reference.modified_huber,
        reference.modified_huber_grad,
        keras_modified_huber,
        lambda r, m: _binary(r, m, False),
    ),
    "perceptron": Case(
        reference.perceptron,
        reference.perceptron_grad,
        keras_perceptron,
        _perceptron,
    ),
    "crammer_singer": Case(
        lambda t, p: reference.crammer_singer(p, t),
        lambda t, p: reference.crammer_singer_grad(p, t),
        keras.losses.categorical_hinge,
        _crammer_singer,
    ),
}


def _keras_value(case: Case, y_true_keras, y_pred) -> np.ndarray:
    y_pred = tf.constant(y_pred)
    return case.keras_loss(tf.constant(y_true_keras, dtype=y_pred.dtype), y_pred).numpy()


def _tf_grad(case: Case, y_true_keras, y_pred) -> np.ndarray:
    """TensorFlow autodiff of the batch mean of the Keras loss."""
    y_pred = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        loss = tf.reduce_mean(case.keras_loss(tf.constant(y_true_keras, dtype=y_pred.dtype), y_pred))
    return tape.gradient(loss, y_pred).numpy()


def _central_differences(f: Callable, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = h
        grad[idx] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


# --- values and gradients against independent implementations -------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_loss_matches_keras(name, dtype):
    case = CASES[name]
    t, p, tk = case.sample(n=32)
    p = p.astype(dtype)
    ours = case.loss(t, p)
    assert ours.shape == (32,) and ours.dtype == dtype
    np.testing.assert_allclose(ours, _keras_value(case, tk, p), **TOL[dtype])


@pytest.mark.parametrize("name", CASES)
def test_grad_matches_central_differences(name):
    case = CASES[name]
    t, p, _ = case.sample()
    numeric = _central_differences(lambda x: case.loss(t, x).mean(), p)
    grad = case.grad(t, p)
    assert grad.shape == p.shape
    assert np.any(grad != 0)  # the sample exercises the active branch
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", CASES)
def test_grad_matches_tf_autodiff(name):
    case = CASES[name]
    t, p, tk = case.sample()
    np.testing.assert_allclose(case.grad(t, p), _tf_grad(case, tk, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_crossentropy_clip_matches_keras(dtype):
    # Probabilities at and beyond the clip bounds: the loss is capped and its gradient is 0 there.
    y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.5, 0.5, 1.0, 0.0]], dtype=dtype)
    p = np.array([[0.0, 1.0, 1e-9, 1 - 1e-9, 1e-7, 0.5], [0.0, 1.0, 0.0, 1.0, 1e-3, 0.999]], dtype=dtype)
    case = CASES["binary_crossentropy"]
    np.testing.assert_allclose(reference.binary_crossentropy(y, p), _keras_value(case, y, p), **TOL[dtype])
    np.testing.assert_allclose(reference.binary_crossentropy_grad(y, p), _tf_grad(case, y, p), rtol=1e-6)
    assert np.all(reference.binary_crossentropy_grad(y, p)[:, :2] == 0)


def test_binary_crossentropy_float32_clip_is_asymmetric_like_keras():
    # In float32, 1 - 1e-7 rounds to 1 - 2**-23, so a confident wrong "1" costs -log(1.19e-7) = 15.94
    # while a confident wrong "0" costs -log(1e-7) = 16.12. float64 gives 16.12 for both.
    y = np.array([[0.0], [1.0]])
    p = np.array([[1.0], [0.0]])
    for dtype, expected in [(np.float32, [15.942385, 16.118095]), (np.float64, [16.118096, 16.118096])]:
        ours = reference.binary_crossentropy(y.astype(dtype), p.astype(dtype))
        np.testing.assert_allclose(ours, expected, rtol=1e-6)
        np.testing.assert_allclose(ours, _keras_value(CASES["binary_crossentropy"], y, p.astype(dtype)))


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize(
    "y_true",
    [
        [[0.0], [1.0], [1.0], [0.0]],  # all 0/1: converted to -1/+1
        [[0.0], [0.0], [0.0], [0.0]],  # all 0: converted to -1
        [[1.0], [1.0], [1.0], [1.0]],  # all 1: converted, unchanged
        [[0.0], [1.0], [-1.0], [1.0]],  # one -1 in the batch: nothing converted, 0 stays 0
        [[0.5], [1.0], [0.0], [1.0]],  # soft labels: nothing converted
        [[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]],  # several columns, all 0/1
        [[0.0, 1.0], [-1.0, 1.0], [0.0, 0.0], [1.0, 0.0]],  # several columns, one -1
    ],
    ids=["01", "all0", "all1", "mixed_with_minus1", "soft", "01_2cols", "minus1_2cols"],
)
def test_binary_label_conversion_matches_keras(loss, y_true):
    y_true = np.array(y_true)
    f = np.random.default_rng(1).normal(0, 1.5, size=y_true.shape)
    ours = getattr(reference, loss)(y_true, f)
    np.testing.assert_allclose(ours, getattr(keras.losses, loss)(y_true, f).numpy(), rtol=1e-12)
    if not np.all(np.isin(y_true, [0.0, 1.0])):  # not converted: 0 labels really stay 0
        expected = np.maximum(1 - y_true * f, 0)
        expected = expected if loss == "hinge" else expected**2
        np.testing.assert_allclose(ours, expected.mean(axis=-1), rtol=1e-12)


@pytest.mark.parametrize("classes", [(-1, 1), (0, 1)])
def test_hinge_matches_sklearn(classes):
    # sklearn.metrics.hinge_loss binarises the two classes to -1/+1 and returns the mean over samples.
    rng = np.random.default_rng(2)
    y = rng.choice(classes, size=40)
    f = rng.normal(0, 1.5, size=40)
    ours = reference.hinge(y[:, None], f[:, None])
    assert ours.shape == (40,)
    np.testing.assert_allclose(ours.mean(), hinge_loss(y, f), rtol=1e-12)


SCORES = np.linspace(-3, 3, 601)  # a grid of scores f, every 0.01 (kinks at y*f = -1, 0 and 1 included)


@pytest.mark.parametrize(
    ("name", "sklearn_loss"), [("modified_huber", "ModifiedHuber"), ("perceptron", "Hinge")]
)
@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_sgd_losses_match_sklearns_own_values_and_gradients(name, sklearn_loss, y):
    """scikit-learn's SGDClassifier losses (its Cython loss objects: loss and d loss / d f) against our
    NumPy reference (to 1e-12) and our Keras functions with TensorFlow's autodiff (to float32)."""
    from sklearn.linear_model import _sgd_fast

    theirs = _sgd_fast.ModifiedHuber() if sklearn_loss == "ModifiedHuber" else _sgd_fast.Hinge(0.0)
    want = np.array([theirs.py_loss(f, y) for f in SCORES])
    want_grad = np.array([theirs.py_dloss(f, y) for f in SCORES])
    labels = np.full((len(SCORES), 1), y)
    ours = getattr(reference, name)(labels, SCORES[:, None])
    np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-12)
    # gradients of the batch mean, per sample: scikit-learn picks -y at the perceptron's kink, we pick 0
    grad = getattr(reference, f"{name}_grad")(labels, SCORES[:, None])[:, 0] * len(SCORES)
    away = np.abs(y * SCORES) > 1e-9 if name == "perceptron" else np.ones(len(SCORES), dtype=bool)
    np.testing.assert_allclose(grad[away], want_grad[away], rtol=1e-12, atol=1e-12)
    case = CASES[name]
    f32 = SCORES[:, None].astype(np.float32)
    np.testing.assert_allclose(_keras_value(case, labels, f32), want, rtol=2e-6, atol=1e-6)
    autodiff = _tf_grad(case, labels, f32)[:, 0] * len(SCORES)
    kinks = np.abs(np.abs(y * SCORES) - (0 if name == "perceptron" else 1)) < 1e-6
    np.testing.assert_allclose(autodiff[~kinks], want_grad[~kinks], rtol=2e-6, atol=1e-5)


def test_crammer_singer_matches_sklearn_multiclass_hinge():
    # With (n, k) decision values, sklearn.metrics.hinge_loss is the mean Crammer-Singer loss.
    rng = np.random.default_rng(3)
    labels = rng.integers(0, K, size=40)
    s = rng.normal(0, 1.5, size=(40, K))
    expected = hinge_loss(labels, s, labels=np.arange(K))
    np.testing.assert_allclose(reference.crammer_singer(s, labels).mean(), expected, rtol=1e-12)


def test_categorical_hinge_differs_from_crammer_singer_worked_example():
    s = np.array([[-0.5, -0.8, 0.3]])
    labels = np.array([2])
    onehot = np.array([[0.0, 0.0, 1.0]])
    keras_value = keras.losses.categorical_hinge(onehot, s).numpy()
    np.testing.assert_allclose(keras_value, [0.7], rtol=1e-12)  # max(0, 1 + 0 - 0.3): the "extra 0"
    np.testing.assert_allclose(reference.categorical_hinge(onehot, s), [0.7], rtol=1e-12)
    np.testing.assert_allclose(reference.crammer_singer(s, labels), [0.2], rtol=1e-12)  # 1 - 0.5 - 0.3
    np.testing.assert_allclose(hinge_loss(labels, s, labels=np.arange(3)), 0.2, rtol=1e-12)
    np.testing.assert_allclose(reference.multiclass_svm(s, labels), [0.2], rtol=1e-12)  # 0.2 + 0
    # -1/+1 one-hot is not converted by Keras: neg = max(-1, -1.6, 0) = 0, pos = 0.5 + 0.8 + 0.3.
    pm1 = 2 * onehot - 1
    np.testing.assert_allclose(keras.losses.categorical_hinge(pm1, s).numpy(), [0.0], atol=1e-15)
    np.testing.assert_allclose(reference.categorical_hinge(pm1, s), [0.0], atol=1e-15)


def test_docstring_examples_run():
    result = doctest.testmod(reference, extraglobs={"np": np})
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize(
    "grad, y_true, y_pred, expected",
    [
        (reference.hinge_grad, [[1.0]], [[1.0]], [[0.0]]),  # 1 - y*f == 0
        (reference.hinge_grad, [[0.0], [1.0]], [[-1.0], [0.0]], [[0.0], [-0.5]]),  # 0/1 labels
        (reference.squared_hinge_grad, [[-1.0]], [[-1.0]], [[0.0]]),
        (reference.categorical_hinge_grad, [[0.0, 0.0, 1.0]], [[0.5, 0.0, 1.5]], [[0.0, 0.0, 0.0]]),
        # wrong score 0 ties with the true class's masked 0: the first maximiser (class 0) gets it
        (reference.categorical_hinge_grad, [[0.0, 0.0, 1.0]], [[0.0, -1.0, 0.5]], [[1.0, 0.0, -1.0]]),
        (reference.binary_crossentropy_grad, [[1.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]),  # clipped
        (lambda t, s: reference.multiclass_svm_grad(s, t), [2], [[0.5, 0.0, 1.5]], [[0.0, 0.0, 0.0]]),
        (lambda t, s: reference.multiclass_svm_grad(s, t), [2], [[0.5, 1.0, 1.5]], [[0.0, 1.0, -1.0]]),
        (lambda t, s: reference.crammer_singer_grad(s, t), [2], [[0.5, 0.0, 1.5]], [[0.0, 0.0, 0.0]]),
        (lambda t, s: reference.crammer_singer_grad(s, t), [2], [[1.0, 1.0, 1.5]], [[1.0, 0.0, -1.0]]),
    ],
    ids=[
        "hinge",
        "hinge_01",
        "squared_hinge",
        "categorical",
        "categorical_tie",
        "bce_clip",
        "ww",
        "ww_one_active",
        "cs",
        "cs_tie",
    ],
)
def test_grad_choice_at_kinks(grad, y_true, y_pred, expected):
    np.testing.assert_array_equal(grad(np.array(y_true), np.array(y_pred)), expected)


@pytest.mark.parametrize(
    "fn", [reference.multiclass_svm, reference.crammer_singer, reference.multiclass_svm_grad]
)
@pytest.mark.parametrize(
    "labels",
    [np.array([[0], [1]]), np.array([0, 3]), np.array([0, -1]), np.array([0.0, 1.5])],
    ids=["column", "too_big", "negative", "fractional"],
)
def test_bad_labels_are_rejected(fn, labels):
    with pytest.raises(ValueError, match="labels"):
        fn(np.zeros((2, 3)), labels)


# --- the linear SVM of seed 002 ---------------------------------------------------------------------


def _svm_naive(W, X, y, reg):
    """Loop over samples and classes: an implementation that shares nothing with reference.py."""
    n, k = X.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(n):
        s = X[i] @ W
        for j in range(k):
            margin = s[j] - s[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W


def _svm_problem(n=12, d=5, k=K):
    """A linear SVM problem whose margins are all at least GAP from the kink."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        W, X, y = rng.normal(size=(d, k)), rng.normal(size=(n, d)), rng.integers(0, k, size=n)
        s = X @ W
        margins = s - s[np.arange(n), y][:, None] + 1
        margins[np.arange(n), y] = np.inf
        if np.min(np.abs(margins)) > GAP and np.any(margins[np.isfinite(margins)] > 0):
            return W, X, y
    raise AssertionError("no kink-free problem in 100 seeds")


@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_svm_loss_and_grad_matches_naive_loop(reg):
    W, X, y = _svm_problem()
    loss, dW = reference.svm_loss_and_grad(W, X, y, reg)
    naive_loss, naive_dW = _svm_naive(W, X, y, reg)
    np.testing.assert_allclose(loss, naive_loss, rtol=1e-12)
    np.testing.assert_allclose(dW, naive_dW, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_svm_gradient_matches_central_differences(reg):
    W, X, y = _svm_problem()
    _, dW = reference.svm_loss_and_grad(W, X, y, reg)
    numeric = _central_differences(lambda w: reference.svm_loss_and_grad(w, X, y, reg)[0], W)
    np.testing.assert_allclose(dW, numeric, rtol=1e-6, atol=1e-8)


# --- invariants (hypothesis) ------------------------------------------------------------------------

PROPERTY = settings(deadline=None)  # fast tests; a busy machine must not make them flaky
FLOATS = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
SHAPES = st.tuples(st.integers(1, 6), st.integers(1, 4))


@st.composite
def binary_problems(draw, labels=(-1.0, 1.0)):
    """(y_true, f) of the same shape (n, d)."""
    shape = draw(SHAPES)
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from(labels)))
    return y, draw(hnp.arrays(np.float64, shape, elements=FLOATS))


@st.composite
def multiclass_problems(draw, min_k=2, max_k=5):
    """(scores (n, k), labels (n,))."""
    n, k = draw(st.integers(1, 6)), draw(st.integers(min_k, max_k))
    scores = draw(hnp.arrays(np.float64, (n, k), elements=FLOATS))
    return scores, draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))


@PROPERTY
@given(binary_problems())
def test_hinge_is_zero_exactly_when_every_margin_reaches_one(problem):
    y, f = problem
    loss = reference.hinge(y, f)
    assert np.all(loss >= 0)
    np.testing.assert_array_equal(loss == 0, np.all(y * f >= 1, axis=-1))


@PROPERTY
@given(binary_problems())
def test_squared_hinge_below_hinge_inside_margin_and_above_when_wrong(problem):
    y, f = problem
    y, f = y[:, :1], f[:, :1]  # one output: the inequality holds per element, not per mean
    hinge, squared = reference.hinge(y, f), reference.squared_hinge(y, f)
    margin = (y * f)[:, 0]
    inside, wrong = (margin >= 0) & (margin <= 1), margin < 0
    assert np.all(squared[inside] <= hinge[inside])
    assert np.all(squared[wrong] >= hinge[wrong])
    assert np.all(squared[margin >= 1] == 0)


@PROPERTY
@given(binary_problems(), hnp.arrays(np.float64, 24, elements=FLOATS), st.floats(0, 1))
def test_hinge_is_convex_and_1_lipschitz_in_f(problem, other, t):
    y, f = problem
    g = other[: f.size].reshape(f.shape)
    mix = reference.hinge(y, t * f + (1 - t) * g)
    assert np.all(mix <= t * reference.hinge(y, f) + (1 - t) * reference.hinge(y, g) + 1e-12)
    distance = np.abs(reference.hinge(y, f) - reference.hinge(y, g))
    assert np.all(distance <= np.mean(np.abs(f - g), axis=-1) + 1e-12)


@pytest.mark.parametrize("loss", [reference.hinge, reference.squared_hinge])
@PROPERTY
@given(problem=binary_problems(labels=(0.0, 1.0)))
def test_01_labels_give_the_same_loss_as_pm1_labels(loss, problem):
    y01, f = problem
    np.testing.assert_array_equal(loss(y01, f), loss(2 * y01 - 1, f))


@PROPERTY
@given(multiclass_problems())
def test_weston_watkins_between_crammer_singer_and_k_minus_1_times_it(problem):
    # WW sums the k-1 violations, CS takes the largest: CS <= WW <= (k-1) CS.
    s, labels = problem
    ww, cs = reference.multiclass_svm(s, labels), reference.crammer_singer(s, labels)
    k = s.shape[1]
    assert np.all(cs <= ww + 1e-12)
    assert np.all(ww <= (k - 1) * cs + 1e-12)


@pytest.mark.parametrize(
    "loss, grad",
    [
        (reference.multiclass_svm, reference.multiclass_svm_grad),
        (reference.crammer_singer, reference.crammer_singer_grad),
    ],
    ids=["weston_watkins", "crammer_singer"],
)
@PROPERTY
@given(problem=multiclass_problems(), shift=FLOATS)
def test_multiclass_losses_ignore_a_common_shift(loss, grad, problem, shift):
    # Only score differences matter, so the gradient's rows sum to zero.
    s, labels = problem
    np.testing.assert_allclose(loss(s + shift, labels), loss(s, labels), atol=1e-12)
    np.testing.assert_allclose(grad(s, labels).sum(axis=1), 0, atol=1e-15)


@PROPERTY
@given(multiclass_problems())
def test_categorical_hinge_is_crammer_singer_when_a_wrong_score_is_nonnegative(problem):
    s, labels = problem
    cat = reference.categorical_hinge(_onehot(labels, s.shape[1]), s)
    cs = reference.crammer_singer(s, labels)
    wrong = np.where(_onehot(labels, s.shape[1]) == 1, -np.inf, s)
    assert np.all(cat >= cs - 1e-12)  # the extra 0 in neg can only raise the loss
    some_nonnegative = wrong.max(axis=1) >= 0
    np.testing.assert_allclose(cat[some_nonnegative], cs[some_nonnegative], atol=1e-12)


@PROPERTY
@given(multiclass_problems())
def test_categorical_hinge_gradient_sums_to_minus_one_when_every_wrong_score_is_negative(problem):
    # Not shift invariant: when every wrong score is < 0, the winner of neg is the true class's 0,
    # so only -s_y moves the loss and the row of the gradient sums to -1/n instead of 0.
    s, labels = problem
    n, k = s.shape
    wrong_max = np.where(_onehot(labels, k) == 1, -np.inf, s).max(axis=1)
    active = reference.categorical_hinge(_onehot(labels, k), s) > 0
    expected = np.where(active & (wrong_max < 0), -1 / n, 0.0)
    sums = reference.categorical_hinge_grad(_onehot(labels, k), s).sum(axis=1)
    decided = wrong_max != 0  # a tie between the 0 and a wrong score is decided by position
    np.testing.assert_allclose(sums[decided], expected[decided], atol=1e-15)


@PROPERTY
@given(multiclass_problems(max_k=2))
def test_two_class_losses_are_the_binary_hinge_of_the_score_difference(problem):
    s, labels = problem
    f, y = (s[:, 1] - s[:, 0])[:, None], np.where(labels == 1, 1.0, -1.0)[:, None]
    binary = reference.hinge(y, f)
    np.testing.assert_allclose(reference.multiclass_svm(s, labels), binary, atol=1e-12)
    np.testing.assert_allclose(reference.crammer_singer(s, labels), binary, atol=1e-12)


PROBS = st.floats(1e-3, 1 - 1e-3)


@PROPERTY
@given(hnp.arrays(np.float64, SHAPES, elements=PROBS), st.data())
def test_binary_crossentropy_is_minimal_at_the_target_and_symmetric(y, data):
    p = data.draw(hnp.arrays(np.float64, y.shape, elements=PROBS))
    assert np.all(reference.binary_crossentropy(y, p) >= reference.binary_crossentropy(y, y) - 1e-12)
    np.testing.assert_array_equal(reference.binary_crossentropy_grad(y, y), 0)  # stationary at p = y
    np.testing.assert_allclose(
        reference.binary_crossentropy(y, p), reference.binary_crossentropy(1 - y, 1 - p), rtol=1e-9
    )


@pytest.mark.parametrize(
    "loss, grad",
    [
        (reference.multiclass_svm, reference.multiclass_svm_grad),
        (reference.crammer_singer, reference.crammer_singer_grad),
        (
            lambda s, t: reference.categorical_hinge(_onehot(t, s.shape[1]), s),
            lambda s, t: reference.categorical_hinge_grad(_onehot(t, s.shape[1]), s),
        ),
    ],
    ids=["weston_watkins", "crammer_singer", "categorical_hinge"],
)
@PROPERTY
@given(problem=multiclass_problems(), direction=hnp.arrays(np.float64, 30, elements=FLOATS))
def test_multiclass_gradients_are_subgradients_of_a_convex_loss(loss, grad, problem, direction):
    # Convex losses, and the kink choices are valid subgradients: L(s + v) >= L(s) + <g, v> for any v.
    s, labels = problem
    v = direction[: s.size].reshape(s.shape)
    lhs = loss(s + v, labels).mean()
    rhs = loss(s, labels).mean() + np.sum(grad(s, labels) * v)
    assert lhs >= rhs - 1e-9


@PROPERTY
@given(binary_problems(), hnp.arrays(np.float64, 24, elements=FLOATS))
def test_hinge_gradient_is_a_subgradient(problem, direction):
    y, f = problem
    v = direction[: f.size].reshape(f.shape)
    rhs = reference.hinge(y, f).mean() + np.sum(reference.hinge_grad(y, f) * v)
    assert reference.hinge(y, f + v).mean() >= rhs - 1e-9
