"""Keras' Dense layer for K replicas at once, rounded as stock `model.fit` rounds it on this machine.

In `model.fit`'s compiled step, TensorFlow's graph optimiser turns each Dense layer into one fused
kernel (matmul, bias and activation: oneDNN's `_FusedMatMul` by default), and the gradients into
MatMuls and bias-gradient sums. Each of those rounds in its own way: a matmul may sum its products
with FMA (one rounding per product) or round every product first, and oneDNN's tanh is not Eigen's
(they differ in the last bits on about half of all inputs). Training is chaotic, so one ulp at step
3 grows into a different epoch 1 and, on some seeds, a different outcome.

The trainer keeps every replica's numbers independent of how many replicas run beside it (see
trainer.py), so it cannot call a matmul over all replicas: a matmul's kernel, and with it the rounding,
depends on the shape. Instead this module

- **records** what this machine's matmul does for the network's shapes (`matmul_rounding`: a
  compiled matmul on random numbers, against both candidate roundings, once per process), as the
  batch order is recorded from `model.fit` rather than read from docs;
- **writes it out** element-wise for any number of replicas: sums in the kernel's order, each product
  either rounded (`plain`) or fused into the sum (FMA: the float32 product is exact in float64, and
  the float64 sum rounds once more, to float32; the two roundings differ from one only for a sum
  exactly halfway between two float32s, about 1 in 2^29);
- computes tanh with the very kernel Keras' Dense uses: the same fused pattern (a matmul and a bias,
  here by 1 and 0, which are exact, then the activation), compiled, so it is oneDNN's tanh when
  Keras' is, and Eigen's when TF_ENABLE_ONEDNN_OPTS=0 makes Keras' Eigen's too. That kernel's result
  does not depend on an element's position or on the tensor's size (a test).

What it matches is measured, not assumed: tests/test_trainer.py holds seed s's first epochs to stock
`model.fit`, and benchmarks/keras_success.py counts, over 500 seeds, the seeds whose histories are
stock Keras' bit for bit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# Draws per probe of a matmul, chosen among _PROBE_CANDIDATES random ones as those on which the two
# candidate roundings differ (see `_telling_draws`): each kept draw then decides, where a random draw
# of a small layer often cannot (both candidates agree on 3 draws in 4 of a 2-term sum on one point).
# Few draws, as the probe's trace is most of its cost (16 random draws took 0.25 s, 4 chosen 0.09 s).
_PROBE_DRAWS = 4
_PROBE_CANDIDATES = 64

# Batches of more points than this sum their gradients over the batch with one reduction, not a chain
# of one op per point (a batch of 2,000 would be 6,000 ops a layer to trace and run). Keras' kernels
# block such long sums anyway, so no chain in order would match them; the tutorial's batch is 5.
SEQUENTIAL_POINTS = 64


@dataclass(frozen=True)
class Rounding:
    """How one layer's matmuls sum their products, for a batch of n points: True means with FMA.
    `forward`: h @ kernel; `kernel_grad`: h^T @ dz; `input_grad`: dz @ kernel^T. `unmatched`: those
    of the three that were neither candidate (they fall back to plain, and may differ from Keras')."""

    forward: bool
    kernel_grad: bool
    input_grad: bool
    unmatched: tuple[str, ...] = ()


def _chain_np(a_terms, b_terms, fused: bool) -> np.ndarray:
    """NumPy reference of `_chain`: float32 sums of products in order, with or without FMA."""
    acc = (a_terms[0] * b_terms[0]).astype(np.float32)
    for a, b in zip(a_terms[1:], b_terms[1:]):
        if fused:
            acc = (a.astype(np.float64) * b.astype(np.float64) + acc.astype(np.float64)).astype(np.float32)
        else:
            acc = (acc + (a * b).astype(np.float32)).astype(np.float32)
    return acc


def _which(observed: np.ndarray, candidates: dict[bool, np.ndarray]) -> bool | None:
    matches = [fused for fused, value in candidates.items() if np.array_equal(observed, value)]
    return matches[0] if len(matches) == 1 else (False if len(matches) == 2 else None)


@functools.cache
def matmul_rounding(n: int, n_in: int, n_out: int) -> Rounding:
    """The rounding this machine's compiled matmuls use for a Dense layer of n_in -> n_out units on n
    points, as `model.fit` computes its forward pass and gradients; a candidate that never matches
    falls back to rounding every product (plain), which is how element-wise code has always rounded."""
    return matmul_roundings(((n, n_in, n_out),))[0]


@functools.cache
def matmul_roundings(shapes: tuple[tuple[int, int, int], ...]) -> tuple[Rounding, ...]:
    """`matmul_rounding` for several (n, n_in, n_out) at once: one compiled probe, one trace (a trace
    costs about 0.2 s, a network has a few layers and batch sizes)."""
    import tensorflow as tf

    draws = [_telling_draws(n, n_in, n_out) for n, n_in, n_out in shapes]

    @tf.function(autograph=False)
    def probe(draws):  # the ops of Keras' Dense and of their gradients, draw by draw, shape by shape
        results = []
        for arrays in draws:
            out = [], [], []
            # unstack: one op per array, where 16 slices each cost most of the trace
            for h, kernel, bias, dz in zip(*(tf.unstack(a) for a in arrays)):
                out[0].append(tf.nn.bias_add(tf.matmul(h, kernel), bias))
                out[1].append(tf.matmul(h, dz, transpose_a=True))
                out[2].append(tf.matmul(dz, kernel, transpose_b=True))
            results.append([tf.stack(o) for o in out])
        return results

    logger = tf.get_logger()  # each set of shapes is a new trace by design: no retracing warning
    level = logger.level
    logger.setLevel("ERROR")
    try:
        observed = probe([tuple(tf.constant(a) for a in d) for d in draws])
    finally:
        logger.setLevel(level)
    return tuple(
        _recorded(n, n_in, n_out, d, [o.numpy() for o in obs])
        for (n, n_in, n_out), d, obs in zip(shapes, draws, observed)
    )


def _terms(n: int, n_in: int, n_out: int, h, kernel, dz):
    """The three matmuls of a Dense layer as (name, a_terms, b_terms) for `_chain_np`, on draws of
    shape (draws, ...): the products each sums, in the kernel's order."""
    return (
        ("forward", [h[:, :, i, None] for i in range(n_in)], [kernel[:, None, i] for i in range(n_in)]),
        ("kernel_grad", [h[:, p, :, None] for p in range(n)], [dz[:, p, None, :] for p in range(n)]),
        (
            "input_grad",
            [dz[:, :, j, None] for j in range(n_out)],
            [kernel[:, None, :, j] for j in range(n_out)],
        ),
    )


def _telling_draws(n: int, n_in: int, n_out: int):
    """_PROBE_DRAWS draws of (h, kernel, bias, dz) for a layer of n_in -> n_out units on n points: of
    _PROBE_CANDIDATES random ones, those on which FMA and plain rounding differ for the most of the
    three matmuls (a sum of one product never differs), in the order drawn."""
    rng = np.random.default_rng(0)
    c = _PROBE_CANDIDATES
    h = rng.standard_normal((c, n, n_in)).astype(np.float32)
    kernel = rng.standard_normal((c, n_in, n_out)).astype(np.float32)
    dz = rng.standard_normal((c, n, n_out)).astype(np.float32)
    tells = np.zeros(c, dtype=int)
    for name, a_terms, b_terms in _terms(n, n_in, n_out, h, kernel, dz):
        if len(a_terms) > 1 and not (name == "kernel_grad" and n > SEQUENTIAL_POINTS):
            differ = _chain_np(a_terms, b_terms, fused=True) != _chain_np(a_terms, b_terms, fused=False)
            tells += differ.reshape(c, -1).any(axis=1)
    kept = np.sort(np.argsort(-tells, kind="stable")[:_PROBE_DRAWS])
    return h[kept], kernel[kept], np.zeros((len(kept), n_out), dtype=np.float32), dz[kept]


def _recorded(n: int, n_in: int, n_out: int, draws, observed) -> Rounding:
    """Which candidate each of the three matmuls matched on the probe's numbers."""
    h, kernel, _, dz = draws
    votes, unmatched = [], []
    for (name, *terms), value in zip(_terms(n, n_in, n_out, h, kernel, dz), observed):
        if name == "kernel_grad" and n > SEQUENTIAL_POINTS:  # one reduction (see SEQUENTIAL_POINTS)
            votes.append(False)
            unmatched.append(name)
            continue
        found = _which(value, {f: _chain_np(*terms, fused=f) for f in (False, True)})
        votes.append(bool(found))  # None (neither matches): plain
        if found is None:
            unmatched.append(name)
    return Rounding(*votes, unmatched=tuple(unmatched))


def _add(a, b):
    """a + b in float32, computed in float64 and rounded back: the same bits (float64 has more than
    2 * 24 + 2 bits, so rounding twice is harmless for a sum of two float32s), but an op TensorFlow's
    graph optimiser cannot merge with its neighbours into one AddN, which sums in its own order (it
    did, for a layer's last product and its bias, in a compiled validation pass)."""
    import tensorflow as tf

    f64 = tf.float64
    return tf.cast(tf.cast(a, f64) + tf.cast(b, f64), tf.float32)


def _chain(a_terms, b_terms, fused: bool):
    """a_terms[0] * b_terms[0] + a_terms[1] * b_terms[1] + ..., summed in that order into float32.
    With FMA the terms come in float64 (`_operands`): a product of two float32s is exact there, and
    each step rounds the product plus the float32 sum so far once more, to float32. Plain, they come in
    float32 and every product is rounded before it is added."""
    import tensorflow as tf

    if not fused:
        acc = a_terms[0] * b_terms[0]
        for a, b in zip(a_terms[1:], b_terms[1:]):
            acc = _add(acc, a * b)
        return acc
    acc = tf.cast(a_terms[0] * b_terms[0], tf.float32)  # the exact product rounded once: float32's
    for a, b in zip(a_terms[1:], b_terms[1:]):
        acc = tf.cast(a * b + tf.cast(acc, tf.float64), tf.float32)
    return acc


def _operands(x, fused: bool, axis: int, new_axis: int):
    """The slices of x along `axis`, with a new axis of length 1 at `new_axis` (of x) for broadcasting,
    in float64 for an FMA chain: one cast and one reshape for the whole tensor, where a cast and a
    slice per term made most of a trace's ops."""
    import tensorflow as tf

    return tf.unstack(tf.expand_dims(tf.cast(x, tf.float64 if fused else tf.float32), new_axis), axis=axis)


def _forward_sums(h, kernel, bias, fused: bool):
    """h @ kernel + bias, element-wise: h (n, in, K), kernel (in, out, K), bias (out, K)."""
    import tensorflow as tf

    # unstack, not slices: the gradient of an unstack is one stack, where each slice's gradient is
    # a tensor of zeros the size of the whole, added up (the same numbers, several times the work)
    columns = _operands(h, fused, axis=1, new_axis=2)  # in x (n, 1, K)
    rows = tf.unstack(tf.cast(kernel, tf.float64 if fused else tf.float32), axis=0)  # in x (out, K)
    return _add(_chain(columns, rows, fused), bias)


def _kernel_and_bias_grads(h, dz, fused: bool):
    """The kernel's gradient, a sum over the batch's points in order, and the bias', a plain sum in
    order (as TensorFlow's bias-gradient reduction sums 5 rows); one reduction each for more than
    SEQUENTIAL_POINTS points."""
    import tensorflow as tf

    if dz.shape[0] > SEQUENTIAL_POINTS:
        return tf.reduce_sum(h[:, :, None, :] * dz[:, None, :, :], axis=0), tf.reduce_sum(dz, axis=0)
    points = tf.unstack(dz, axis=0)  # n x (out, K)
    d_bias = points[0]
    for p in points[1:]:
        d_bias = _add(d_bias, p)
    h_points = _operands(h, fused, axis=0, new_axis=2)  # n x (in, 1, K)
    dz_points = _operands(dz, fused, axis=0, new_axis=1)  # n x (1, out, K)
    return _chain(h_points, dz_points, fused), d_bias


def _input_grad(kernel, dz, fused: bool):
    """The input's gradient, a sum over the output units in order."""
    d_units = _operands(dz, fused, axis=2, new_axis=1)  # out x (n, 1, K)
    k_units = _operands(kernel, fused, axis=2, new_axis=0)  # out x (1, in, K)
    return _chain(d_units, k_units, fused)


@functools.cache
def _compiled(part, shapes: tuple):
    """`part` with FMA sums for inputs of these shapes, compiled by XLA into one loop over the elements:
    in TensorFlow, a chain's float64 products, sums and roundings are a dozen ops a step, each a pass
    over K replicas' numbers. XLA computes the same bits (IEEE arithmetic with every conversion written
    out; contracting a float64 product and sum into an FMA changes nothing, the product being exact),
    which tests hold. Only FMA chains: in a plain chain XLA may contract a float32 product with the
    sum after it, which then rounds once where the product must round first (measured: it does).
    One function a shape: one trace each, and no retracing warning."""
    import tensorflow as tf

    return tf.function(functools.partial(part, fused=True), jit_compile=True, autograph=False)


def dense(h, kernel, bias, rounding: Rounding | None = None, xla: bool = False):
    """h @ kernel + bias for every replica at once: h (n, in, K), kernel (in, out, K), bias (out, K).

    Element-wise multiplies and adds (each rounded once, or fused as `rounding` says), so replica k
    computes the same numbers alone and beside 10,000 others. Without `rounding` every product is
    rounded (plain), for shapes no probe has seen. Its gradient is written out the same way (see
    `_kernel_and_bias_grads` and `_input_grad`). `xla`: FMA sums through XLA (`_compiled`), the same
    numbers in fewer passes (a 1,000-replica epoch 95 -> 60 ms), for compiled callers.
    """
    import tensorflow as tf

    rounding = rounding or Rounding(False, False, False, unmatched=("forward", "kernel_grad", "input_grad"))

    def part(function, fused: bool):
        if xla and fused:
            return lambda *args: _compiled(function, tuple(tuple(a.shape) for a in args))(*args)
        return functools.partial(function, fused=fused)

    forward = part(_forward_sums, rounding.forward)
    # a long batch's one reduction (or a batch of unknown size) stays TensorFlow's: XLA sums in another order
    chained = h.shape[0] is not None and h.shape[0] <= SEQUENTIAL_POINTS
    kernel_and_bias = part(_kernel_and_bias_grads, rounding.kernel_grad and chained)
    inputs = part(_input_grad, rounding.input_grad)

    @tf.custom_gradient
    def _dense(h, kernel, bias):
        z = forward(h, kernel, bias)

        def grad(dz):
            dz = tf.reshape(dz, z.shape)  # static, for unstacking (a transpose after may have lost it)
            d_kernel, d_bias = kernel_and_bias(h, dz)
            return inputs(kernel, dz), d_kernel, d_bias

        return z, grad

    return _dense(h, kernel, bias)


def dense_plain(h, kernel, bias):
    """`dense` with every product and sum rounded once in float32, in the same order: as cheap as
    element-wise code gets, and still each replica's own numbers (no gradient is asked of it)."""
    import tensorflow as tf

    columns, rows = tf.unstack(h, axis=1), tf.unstack(kernel, axis=0)
    z = columns[0][:, None, :] * rows[0]
    for c, r in zip(columns[1:], rows[1:]):
        z = z + c[:, None, :] * r
    return z + bias


@functools.cache
def _tanh_as_dense():
    import tensorflow as tf

    # 1 and 0 made eagerly and captured, so the compiled function takes them as inputs: as constants
    # inside it, the graph optimiser folds the multiply and the add away, and the tanh is Eigen's
    with tf.init_scope():
        one, zero = tf.ones([1, 1]), tf.zeros([1])

    def tanh(z):
        fused = tf.nn.bias_add(tf.matmul(tf.reshape(z, [-1, 1]), one), zero)  # z * 1 + 0: exact
        return tf.reshape(tf.tanh(fused), tf.shape(z))

    # compiled even when called eagerly, so the graph optimiser fuses it as it fuses Keras' Dense;
    # inside another compiled function it is inlined and fused there
    return tf.function(tanh, autograph=False, reduce_retracing=True)


def activation(name: str):
    """Keras' activation `name`, computed as Keras' Dense computes it in model.fit (see above)."""
    import keras

    if name == "tanh":
        return lambda z: _tanh_as_dense()(z)
    return keras.activations.get(name)
