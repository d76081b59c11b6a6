"""Keras' Dense for K replicas (engine/dense.py): the recorded matmul rounding reproduces this machine's
compiled matmuls, the tanh is the one Keras' fused Dense computes, and every replica's numbers are its own."""

import numpy as np
import pytest

from circles_hinge.engine.dense import (
    SEQUENTIAL_POINTS,
    Rounding,
    _add,
    _chain_np,
    _telling_draws,
    _terms,
    activation,
    dense,
    matmul_rounding,
)

# the tutorial's layers, a short batch of 7, and a batch too long to sum point by point (one reduction)
SHAPES = [(5, 2, 4), (5, 4, 2), (5, 2, 1), (7, 4, 2), (SEQUENTIAL_POINTS + 136, 4, 2)]


def _draws(rng, n, n_in, n_out, k):
    """k replicas' inputs, kernels, biases and upstream gradients, with magnitudes from 1e-3 to 1e2 so
    products and sums cover many exponents."""
    scale = lambda *shape: rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 2, shape)  # noqa: E731
    return [scale(*s).astype(np.float32) for s in ((k, n, n_in), (k, n_in, n_out), (k, n_out), (k, n, n_out))]


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
def test_dense_reproduces_compiled_keras_matmuls_for_every_replica(n, n_in, n_out):
    """For fresh numbers (not the recording's), replica k of `dense` equals a compiled matmul of replica
    k's numbers alone, forward and both gradients, bit for bit, wherever the recording found the rounding."""
    import tensorflow as tf

    rounding = matmul_rounding(n, n_in, n_out)
    k = 16
    h, kernel, bias, dz = _draws(np.random.default_rng(n * 100 + n_in * 10 + n_out), n, n_in, n_out, k)

    @tf.function(autograph=False)
    def keras_like(h, kernel, bias, dz):  # Keras' Dense's ops and the gradients TensorFlow builds for them
        with tf.GradientTape() as tape:
            tape.watch([h, kernel, bias])
            z = tf.nn.bias_add(tf.matmul(h, kernel), bias)
        return (z, *tape.gradient(z, [h, kernel, bias], output_gradients=dz))

    @tf.function(autograph=False)
    def ours(h, kernel, bias, dz):  # replicas last
        with tf.GradientTape() as tape:
            tape.watch([h, kernel, bias])
            z = dense(h, kernel, bias, rounding)
        return (z, *tape.gradient(z, [h, kernel, bias], output_gradients=dz))

    last = lambda a: tf.constant(np.ascontiguousarray(np.moveaxis(a, 0, -1)))  # noqa: E731
    mine = [np.moveaxis(v.numpy(), -1, 0) for v in ours(last(h), last(kernel), last(bias), last(dz))]
    names = ["forward", "input_grad", "kernel_grad", "bias_grad"]
    for r in range(k):
        theirs = [v.numpy() for v in keras_like(h[r], kernel[r], bias[r], dz[r])]
        for name, a, b in zip(names, mine, theirs):
            summed_at_once = name == "bias_grad" and n > SEQUENTIAL_POINTS  # one reduction, no chain
            if name in rounding.unmatched or summed_at_once:
                np.testing.assert_allclose(a[r], b, rtol=1e-5, atol=1e-5 * np.abs(b).max(), err_msg=name)
            else:
                np.testing.assert_array_equal(a[r], b, err_msg=f"{name} of replica {r}")


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
@pytest.mark.parametrize("k", [16, 1008])
def test_xla_computes_the_same_bits_as_tensorflow_ops(n, n_in, n_out, k):
    """dense(..., xla=True), the epoch function's path, gives every replica the same forward pass and
    gradients as TensorFlow's own ops, for either rounding of each matmul, on numbers across many
    exponents and on enough replicas for XLA's vector loops."""
    import tensorflow as tf

    draws = [
        np.ascontiguousarray(np.moveaxis(a, 0, -1))
        for a in _draws(np.random.default_rng(k + n), n, n_in, n_out, k)
    ]
    h, kernel, bias, dz = (tf.constant(a) for a in draws)

    def passes(rounding, xla):
        @tf.function(autograph=False)
        def run(h, kernel, bias, dz):
            with tf.GradientTape() as tape:
                tape.watch([h, kernel, bias])
                z = dense(h, kernel, bias, rounding, xla=xla)
            return (z, *tape.gradient(z, [h, kernel, bias], output_gradients=dz))

        return [v.numpy() for v in run(h, kernel, bias, dz)]

    for fused in (False, True):
        rounding = Rounding(fused, fused, fused)
        names = ["forward", "input_grad", "kernel_grad", "bias_grad"]
        for name, a, b in zip(names, passes(rounding, True), passes(rounding, False)):
            np.testing.assert_array_equal(a, b, err_msg=f"{name}, FMA {fused}")


@pytest.mark.parametrize("n, n_in, n_out", [(1, 2, 1), (1, 2, 2), (5, 2, 1), (5, 2, 4), (2, 3, 2)])
def test_every_probe_draw_tells_the_two_roundings_apart(n, n_in, n_out):
    """The probe's draws are chosen so that FMA and plain rounding differ on each, for every matmul that
    sums two products or more: on one point of a 2-unit layer, 3 random draws in 4 cannot tell them
    apart, and a probe of such draws would record plain whatever the machine does."""
    h, kernel, _, dz = _telling_draws(n, n_in, n_out)
    assert len(h) == 4
    for name, a_terms, b_terms in _terms(n, n_in, n_out, h, kernel, dz):
        if len(a_terms) < 2:
            continue
        differ = _chain_np(a_terms, b_terms, fused=True) != _chain_np(a_terms, b_terms, fused=False)
        assert differ.reshape(len(h), -1).any(axis=1).all(), name


def test_the_default_networks_matmuls_are_recorded():
    """The tutorial's three layers on batches of 5: every matmul a training step uses has a recorded
    rounding (the first layer's input gradient is never computed)."""
    unmatched = [set(matmul_rounding(5, a, b).unmatched) for a, b in [(2, 4), (4, 2), (2, 1)]]
    assert unmatched[0] <= {"input_grad"} and not unmatched[1] and not unmatched[2]


def test_tanh_is_keras_dense_tanh_wherever_the_number_sits():
    """The tanh of a compiled Dense(activation="tanh") (TensorFlow fuses matmul, bias and tanh into one
    kernel), for any position in any size of tensor, called eagerly or inside a compiled function."""
    import tensorflow as tf

    rng = np.random.default_rng(7)
    h = (rng.standard_normal((600, 2)) * 3).astype(np.float32)
    kernel = rng.standard_normal((2, 1)).astype(np.float32)
    bias = rng.standard_normal(1).astype(np.float32)
    keras_dense = tf.function(lambda h: tf.tanh(tf.nn.bias_add(tf.matmul(h, kernel), bias)))
    z = ((h[:, 0] * kernel[0, 0]) + (h[:, 1] * kernel[1, 0])).astype(np.float32)
    z = (z + bias[0]).astype(np.float32)
    tanh = activation("tanh")
    expected = keras_dense(h).numpy()[:, 0]
    np.testing.assert_array_equal(tanh(tf.constant(z)).numpy(), expected)
    compiled = tf.function(lambda z: tanh(z) * 1.0, autograph=False)
    for start, size in [(0, 1), (3, 5), (11, 80), (1, 599)]:
        part = z[start : start + size]
        np.testing.assert_array_equal(tanh(tf.constant(part)).numpy(), expected[start : start + size])
        np.testing.assert_array_equal(compiled(tf.constant(part)).numpy(), expected[start : start + size])
    # replicas last, any shape: each number is tanh'd alone
    grid = np.tile(z[:80], 16).reshape(16, 5, 16).transpose(1, 2, 0)
    np.testing.assert_array_equal(
        np.sort(tanh(tf.constant(grid)).numpy().ravel()), np.sort(np.tile(expected[:80], 16))
    )


def test_add_is_float32_addition_across_exponents():
    """_add computes in float64 and rounds back: for two float32s that is exactly their float32 sum as
    TensorFlow computes it (which flushes subnormal results to zero, as NumPy does not)."""
    import tensorflow as tf

    rng = np.random.default_rng(3)
    a = (rng.standard_normal(200_000) * 10.0 ** rng.uniform(-30, 30, 200_000)).astype(np.float32)
    b = (rng.standard_normal(200_000) * 10.0 ** rng.uniform(-30, 30, 200_000)).astype(np.float32)
    b[:1000] = -a[:1000] * np.float32(1 + 1e-7)  # cancellation
    np.testing.assert_array_equal(_add(a, b).numpy(), tf.add(a, b).numpy())
