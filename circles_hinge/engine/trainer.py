"""Trains K independent copies ("replicas") of the network at once and returns their histories.

Why not `model.fit`: at batch size 5 its cost is per-step dispatch, not arithmetic (the net has 25
weights). Here one compiled TensorFlow call runs a whole epoch, and K seeds are stacked along the last
axis of every tensor: weights (in, out, K), activations (points, units, K). Each replica's loss is its
own batch mean and the total is their sum, so every replica gets exactly its own gradient, and Adam,
being element-wise, updates each independently. A single run is K = 1. Fidelity to `model.fit` is
pinned by tests.

Why replicas last: every broadcast is then over leading axes, so each op runs over contiguous rows
of K numbers (Eigen's vector loops), and gradients reduce over leading axes too; with replicas first,
a weight (K, 1, out) times an activation (K, n, 1) broadcast along the innermost axis, which ran
20x slower per element. And a batch is a slice of leading rows of the epoch's data, put in the
epoch's order once (not a gather every step).

Semantics kept from `model.fit`: the validation part is fixed before shuffling; the training part is
visited in the order seeded `model.fit` uses (one permutation, reused every epoch: see shuffle.py);
the epoch's loss and accuracy are the running averages over its batches (as
the progress bar of model.fit shows them); validation metrics are computed at the end of the epoch.
No plotting, no files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import Split, n_classes
from circles_hinge.engine.dense import activation, dense, dense_plain, matmul_roundings
from circles_hinge.engine.keras_losses import keras_loss
from circles_hinge.engine.model import output_activation
from circles_hinge.engine.runtime import quiet_native_stderr
from circles_hinge.engine.shuffle import epoch_order
from circles_hinge.errors import TrainingDiverged
from circles_hinge.losses import LossSpec, encode_labels, get_loss, predict_classes
from circles_hinge.results import METRICS

# An epoch runs in calls of about this long, so a stop request waits at most about this long.
CHUNK_SECONDS = 0.25
# on_batches(epoch, batches done, batches in the epoch, seconds into the epoch), inside long epochs
BatchCallback = Callable[[int, int, int, float], None]


@dataclass
class TrainResult:
    history: dict[str, np.ndarray]  # each metric: shape (K, epochs run)
    weights: list[list[np.ndarray]]  # per replica, in Keras' get_weights() order
    train_seconds: float

    @property
    def epochs_run(self) -> int:
        return self.history["loss"].shape[1]


def _correct(spec: LossSpec, y_true, y_pred):
    """1.0 where the predicted class equals the true class, else 0.0; the same rule for every loss."""
    import tensorflow as tf

    if spec.prediction == "sign":  # -1/+1 labels: compare the sign of the output, never y_pred > 0.5
        hit = tf.equal(y_pred[..., 0] >= 0, y_true[..., 0] > 0)
    elif spec.prediction == "threshold":
        hit = tf.equal(y_pred[..., 0] >= 0.5, y_true[..., 0] > 0.5)
    elif spec.labels == "onehot":
        hit = tf.equal(tf.argmax(y_pred, axis=-1), tf.argmax(y_true, axis=-1))
    else:
        hit = tf.equal(tf.argmax(y_pred, axis=-1), tf.cast(y_true[..., 0], tf.int64))
    return tf.cast(hit, tf.float32)


class _Adam:
    """Adam exactly as keras.optimizers.Adam computes it (Keras 3: same defaults, same order of
    operations, epsilon outside the square root), on one flat variable.

    Written out because Keras' optimizer adds per-variable bookkeeping ops to every step; a test
    holds the result to stock `model.fit` with Keras' Adam (they agree to float rounding).
    """

    def __init__(
        self,
        variable,
        learning_rate: float,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ):
        import tensorflow as tf

        self.variable = variable
        self.m = tf.Variable(tf.zeros_like(variable), name="m")
        self.v = tf.Variable(tf.zeros_like(variable), name="v")
        self.iterations = tf.Variable(0, dtype=tf.int64, name="iterations")
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon

    def apply(self, grad) -> None:
        import tensorflow as tf

        step = tf.cast(self.iterations + 1, tf.float32)
        alpha = (self.learning_rate * tf.sqrt(1 - tf.pow(self.beta_2, step))) / (
            1 - tf.pow(self.beta_1, step)
        )
        self.m.assign_add((grad - self.m) * (1 - self.beta_1))
        self.v.assign_add((tf.square(grad) - self.v) * (1 - self.beta_2))
        self.variable.assign_sub((self.m * alpha) / (tf.sqrt(self.v) + self.epsilon))
        self.iterations.assign_add(1)


# Tensors whose element count is a multiple of this are computed by Eigen's vector loops alone (8
# floats for AVX, 16 for AVX-512). Any remainder goes through a scalar loop whose exp, log and tanh
# round differently from the vector ones, and a replica whose numbers landed there would change with
# the number of replicas beside it. So replicas are padded to a multiple of LANES everywhere (the
# extra ones copy replica 0 and are dropped): with replicas on the last axis, every row is whole
# vectors.
LANES = 16


def _round_up(n: int) -> int:
    return -(-n // LANES) * LANES


def _pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    """a (K, ...) with rows K.. copies of row 0, up to `rows`."""
    if a.shape[0] == rows:
        return a
    return np.concatenate([a, np.repeat(a[:1], rows - a.shape[0], axis=0)])


def _replicas_last(a: np.ndarray, rows: int) -> np.ndarray:
    """(K, n, w) -> (n, w, rows) float32, replicas padded to `rows` with copies of replica 0."""
    return np.ascontiguousarray(np.moveaxis(_pad_rows(np.asarray(a, dtype=np.float32), rows), 0, -1))


def _point_mean(values):
    """Each replica's mean over points of values (n, K), summed along each replica's own row: the
    order a row of any length is summed in does not depend on K (a reduction down the columns of
    (n, K) is another order, which rounds the last bit differently for long n)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.transpose(values), axis=-1)


class ReplicaTrainer:
    """K replicas of one architecture and loss, each with its own data, initial weights and order.

    Replica k's arithmetic does not depend on K or on k: every op is element-wise or reduces within
    one replica, in a fixed order, on tensors padded to LANES replicas (see `dense` and LANES). A test
    holds seed s alone and inside studies of 3 and 50 seeds to the same bytes.
    """

    def __init__(self, config: Config, splits: list[Split], init: list[list[np.ndarray]]):
        import keras
        import tensorflow as tf

        self.config = config
        self.spec = spec = get_loss(config.training.loss)
        self.n_classes = n_classes(config.data)
        self.k = len(splits)
        self.k_pad = _round_up(self.k)  # replicas actually trained; k.. copy replica 0

        # the fit part stays in NumPy (K, n_fit, w): each epoch puts it in that epoch's order
        self.X_fit = np.stack([s.X_fit for s in splits]).astype(np.float32)
        Y_fit = [encode_labels(spec, s.y_fit, self.n_classes) for s in splits]
        self.Y_fit = np.stack(Y_fit).astype(np.float32)
        self.n_fit = int(self.X_fit.shape[1])
        self.n_val = len(splits[0].X_val)
        self.X_val = tf.constant(_replicas_last(np.stack([s.X_val for s in splits]), self.k_pad))
        Y_val = np.stack([encode_labels(spec, s.y_val, self.n_classes) for s in splits])
        self.Y_val = tf.constant(np.moveaxis(_replicas_last(Y_val, self.k_pad), -1, 1))  # (n, K, w)
        self.batch_size = config.training.batch_size
        self.n_batches = -(-self.n_fit // self.batch_size)  # the last batch may be short, as in fit

        n_layers = len(init[0]) // 2
        names = [config.model.hidden_activation] * (n_layers - 1) + [output_activation(config)]
        self.activations = [activation(name) for name in names]  # as Keras' fused Dense computes them
        self.plain_activations = [keras.activations.get(name) for name in names]  # for `fast` passes
        # how this machine's matmuls round each layer on a batch, as model.fit computes it (dense.py)
        units = [int(w.shape[-1]) for w in init[0][::2]]
        widths = list(zip([int(init[0][0].shape[0])] + units[:-1], units))
        sizes = sorted({self.batch_size, self.n_fit % self.batch_size or self.batch_size})
        recorded = iter(matmul_roundings(tuple((n, a, b) for n in sizes for a, b in widths)))
        self.roundings = {n: [next(recorded) for _ in widths] for n in sizes}
        # All weights of a replica live in one flat column of `params` (n_params, K): the optimizer then
        # updates one tensor per step instead of one per layer, which is most of a step's ops.
        self.shapes = [w.shape for w in init[0]]
        self.offsets = np.cumsum([0] + [int(np.prod(shape)) for shape in self.shapes])
        rows = _pad_rows(np.stack([np.concatenate([w.ravel() for w in ws]) for ws in init]), self.k_pad)
        self.params = tf.Variable(np.ascontiguousarray(rows.T), name="params")
        self.adam = _Adam(self.params, config.training.learning_rate)
        self.loss_fn = keras_loss(spec)
        # The epoch's compiled function: a run of batches, then validation. Evaluation and hidden layers
        # run the same ops eagerly, which compute the same bits (a test) and cost no trace: a trace and
        # its first call take about as long as 30 epochs of a single run. Large grids (boundary radii)
        # use a compiled forward pass, made on first use: 1.5-3x faster on large tensors.
        self._batches = tf.function(self._batches_impl, autograph=False)
        self._forward = None
        self.chunk: int | None = None  # batches per call; None: measured (see _run_epoch)
        self._chunk, self._traced = 1, False

    @property
    def theta(self):
        """Every replica's flat weights as rows, (k_pad, n_params), in Keras' get_weights() order."""
        import tensorflow as tf

        return tf.transpose(self.params)

    # --- the network, replicated ------------------------------------------------------------------
    def forward(self, X, upto: int | None = None, params=None, fast: bool = False, xla: bool = False):
        """Outputs of shape (n, K, units) for inputs (n, 2, K), with the first K columns of `params`
        (all of `self.params` by default); `upto` stops after that many layers. `fast`: plain float32
        sums and Eigen's activations (dense.dense_plain), for large grids whose results are summaries:
        each replica's numbers are still its own, within a few ulps of Keras' rounding, at a fraction of
        its cost. `xla`: the FMA sums through XLA (dense.dense), for the epoch's function at any K, so
        that a replica's graph is the same alone and in a study (compiled once a shape, where eager
        calls would compile each new shape). XLA's sums are TensorFlow's bits (a test), but a step
        around them is not always: with GELU, its gradients differed between the two paths (measured),
        so a choice of path by K made replica k move with K.

        The last layer's sums are put units last before its activation, so the output is the
        activation's own result, as in Keras: Keras' cross-entropy takes the logits from a sigmoid's
        input when it is given a sigmoid's output (and computes another formula otherwise)."""
        import tensorflow as tf

        h = X
        n_layers = len(self.activations) if upto is None else upto
        weights = self._unpack(self.params[:, : X.shape[-1]] if params is None else params)
        for i in range(n_layers):
            if fast:
                z = dense_plain(h, weights[2 * i], weights[2 * i + 1])
            else:
                z = dense(h, weights[2 * i], weights[2 * i + 1], self._rounding(X.shape[0], i), xla)
            if i == n_layers - 1:  # (n, units, K) -> (n, K, units); one unit: the same memory order
                k = z.shape[2] if z.shape[2] is not None else tf.shape(z)[2]  # unknown in a generic trace
                z = tf.reshape(z, (-1, k, 1)) if z.shape[1] == 1 else tf.transpose(z, [0, 2, 1])
            h = (self.plain_activations if fast else self.activations)[i](z)
        return h

    @property
    def rounds_as_keras(self) -> bool:
        """Whether every matmul a training step uses was recorded (dense.matmul_rounding): then a step
        rounds as model.fit's does. The first layer's input gradient is never computed by Keras."""
        return all(
            set(r.unmatched) <= ({"input_grad"} if layer == 0 else set())
            for rounding in self.roundings.values()
            for layer, r in enumerate(rounding)
        )

    def _rounding(self, n: int | None, layer: int):
        """How layer `layer` rounds on n points: as model.fit's matmul does on a batch of n (the
        training batch's rounding for any other n: validation and evaluation only report numbers)."""
        return self.roundings.get(n, self.roundings[self.batch_size])[layer]

    def _unpack(self, params):
        """The flat columns of params as Keras-ordered weights [kernel, bias, ...], each (*shape, K)."""
        import tensorflow as tf

        sizes = [int(b - a) for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        parts = tf.split(params, sizes, axis=0)  # its gradient is one concat (see `dense`)
        return [tf.reshape(part, (*shape, -1)) for part, shape in zip(parts, self.shapes)]

    def _point_losses(self, Y, out):
        """Per-point loss, shape (n, K), for targets (n, K, w) and outputs (n, K, units)."""
        return self.loss_fn(Y, out)

    def _hits(self, Y, out):
        return _correct(self.spec, Y, out)

    def _batches_impl(self, X, Y, start, stop, loss_sum, hits):
        """Batches start..stop-1 of the epoch whose fit part, in the epoch's order, is X (n_fit, 2, K)
        and Y (n_fit, K, w), carrying the running sums of loss and hits; an epoch is one or more such
        calls; the call that reaches the epoch's end also validates (`_validation`; the others return
        zeros there).

        Calling it for 0..n or for 0..a, a..b, ..., ..n runs the same steps in the same order on the
        same numbers, so a chunked epoch equals a whole one bit for bit (a test); chunks only let
        Python see a stop request between them (see `fit`).
        An explicit tf.while_loop under autograph=False: autograph's rewriting of this function and
        everything it calls was most of the first epoch's time (about 1 s of 1.7 s).
        """
        import tensorflow as tf

        def step(i, loss_sum, hits, size=self.batch_size):
            # batches of a static size: the layers' rounding and their gradients are written per point
            xb = tf.reshape(X[i * self.batch_size : i * self.batch_size + size], (size, *X.shape[1:]))
            yb = tf.reshape(Y[i * self.batch_size : i * self.batch_size + size], (size, *Y.shape[1:]))
            with tf.GradientTape() as tape:
                out = self.forward(xb, xla=True)
                per_replica = tf.reduce_mean(self._point_losses(yb, out), axis=0)
                total = tf.reduce_sum(per_replica)  # replicas share no weights: each gets its own gradient
            self.adam.apply(tape.gradient(total, self.params))
            hits = hits + tf.reduce_sum(self._hits(yb, out), axis=0)
            return i + 1, loss_sum + per_replica * float(size), hits

        # the full batches, then the short last one (model.fit's too) when this call reaches it
        full, short = divmod(self.n_fit, self.batch_size)
        i, loss_sum, hits = tf.while_loop(
            lambda i, *_: i < tf.minimum(stop, full), step, (start, loss_sum, hits)
        )
        if short:
            loss_sum, hits = tf.cond(
                stop > full,
                lambda: step(tf.constant(full), loss_sum, hits, short)[1:],
                lambda: (loss_sum, hits),
            )
        # validation only in the call that ends the epoch: on a large validation part it costs more
        # than a chunk's batches, and every chunk paying it made a 1,000x run crawl (2 batches/s)
        none = tf.zeros([self.k_pad])
        val_loss, val_acc = tf.cond(stop >= self.n_batches, self._validation, lambda: (none, none))
        return loss_sum, hits, val_loss, val_acc

    def _validation(self):
        """Every replica's loss and accuracy on its validation part, with the weights as they are:
        computed at the end of every call of `_batches` (in the same graph: no second trace), kept
        from the epoch's last call."""
        import tensorflow as tf

        if not self.n_val:
            return tf.fill([self.k_pad], float("nan")), tf.fill([self.k_pad], float("nan"))
        val_out = self.forward(self.X_val, xla=True)
        # sums of 0s and 1s are exact in any order (no transpose: TensorFlow's graph optimiser would
        # move it before the cast, onto booleans, which oneDNN warns about on stderr)
        return self._batched_total(self._point_losses(self.Y_val, val_out)), tf.reduce_mean(
            self._hits(self.Y_val, val_out), axis=0
        )

    def _batched_total(self, values):
        """Each replica's total of values (n, K) as model.fit's validation computes it: the mean of
        each batch of batch_size points, in order, times the batch's size, summed in order (a running
        sum: cumsum's last row). The caller divides by n, outside the graph: inside it, TensorFlow's
        graph optimiser turns a division by a constant into a multiplication by its reciprocal."""
        import tensorflow as tf

        n, size = int(values.shape[0]), self.batch_size
        full, short = divmod(n, size)
        parts = []
        if full:
            # points first, as a training step reduces its batch (a middle axis reduces in another order)
            batches = tf.transpose(tf.reshape(values[: full * size], (full, size, -1)), [1, 0, 2])
            parts.append(tf.reduce_mean(batches, axis=0) * float(size))
        if short:
            parts.append(tf.reduce_mean(values[full * size :], axis=0, keepdims=True) * float(short))
        return tf.cumsum(tf.concat(parts, axis=0) if len(parts) > 1 else parts[0], axis=0)[-1]

    def _epoch_data(self, perm: np.ndarray):
        """The fit part in the order `perm` (K, n_fit): X (n_fit, 2, k_pad), Y (n_fit, k_pad, w)."""
        import tensorflow as tf

        rows = np.arange(self.k)[:, None]
        X = _replicas_last(self.X_fit[rows, perm], self.k_pad)
        Y = np.moveaxis(_replicas_last(self.Y_fit[rows, perm], self.k_pad), -1, 1)
        return tf.constant(X), tf.constant(np.ascontiguousarray(Y))

    def _run_epoch(self, data, epoch: int, on_batches: BatchCallback | None):
        """One epoch in chunks of batches that each take about CHUNK_SECONDS (all of them at once
        when they fit), so Ctrl-C or SIGTERM, which Python handles between calls into TensorFlow, is
        answered within a chunk whatever the size. `self.chunk` fixes the chunk size (tests)."""
        import tensorflow as tf

        loss_sum, hits = tf.zeros([self.k_pad]), tf.zeros([self.k_pad])
        done, start = 0, time.perf_counter()
        while done < self.n_batches:
            size = min(self.chunk or self._chunk, self.n_batches - done)
            began = time.perf_counter()
            # the first epoch's calls read XLA's kept kernels, which logs lines that are not errors
            # (runtime.py); its callbacks, progress included, run between the calls, not muted
            with quiet_native_stderr() if epoch == 1 else nullcontext():
                loss_sum, hits, val_loss, val_acc = self._batches(
                    *data, tf.constant(done), tf.constant(done + size), loss_sum, hits
                )
            seconds = time.perf_counter() - began
            if self._traced:  # the first call also traces the function: no measure of a batch
                self._chunk = max(1, int(CHUNK_SECONDS * size / max(seconds, 1e-9)))
            self._traced = True
            done += size
            if on_batches is not None and (done < self.n_batches or size < self.n_batches):
                on_batches(epoch, done, self.n_batches, time.perf_counter() - start)
        # the epoch's averages of its running sums, divided as Keras' Mean metric divides its total
        n_fit = np.float32(self.n_fit)
        return (
            loss_sum.numpy()[: self.k] / n_fit,
            hits.numpy()[: self.k] / n_fit,
            val_loss.numpy()[: self.k] / np.float32(max(self.n_val, 1)),  # the total (see _batched_total)
            val_acc.numpy()[: self.k],
        )

    # --- public -------------------------------------------------------------------------------------
    def weights(self, k: int, theta: np.ndarray | None = None) -> list[np.ndarray]:
        """Replica k's weights in Keras' order, now or from a saved copy of `theta.numpy()`."""
        row = (self.theta.numpy() if theta is None else theta)[k]
        return [
            row[a:b].reshape(shape) for a, b, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)
        ]

    def _columns(self, replicas: range | None):
        """The params of `replicas` (all by default), padded to a multiple of LANES with copies of
        the first: (n_params, padded count)."""
        import tensorflow as tf

        if replicas is None:
            return self.params, self.k
        block = self.params[:, replicas.start : replicas.stop]
        pad = _round_up(len(replicas)) - len(replicas)
        if pad:
            block = tf.concat([block, tf.repeat(block[:, :1], pad, axis=1)], axis=1)
        return block, len(replicas)

    def outputs(
        self,
        X: np.ndarray,
        upto: int | None = None,
        replicas: range | None = None,
        compiled: bool = False,
        fast: bool = False,
    ) -> np.ndarray:
        """Every replica's outputs for X of shape (n, 2) or (K, n, 2), as (K, n, units); or only those
        of `replicas` (a range of replica indices), for X of shape (n, 2) or (len(replicas), n, 2).
        `compiled`: through a traced forward pass (the same bits; worth its trace for many calls).
        `fast`: see `forward`."""
        import tensorflow as tf

        params, k = self._columns(replicas)
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2:  # the same points for every replica: broadcast inside the first layer
            X = X[:, :, None]
        else:
            X = _replicas_last(X, int(params.shape[1]))
        X = tf.constant(X)
        if compiled and self._forward is None:
            self._forward = tf.function(self.forward, autograph=False, reduce_retracing=True)
        out = (self._forward if compiled else self.forward)(X, upto, params, fast)
        return np.moveaxis(out.numpy()[:, :k], 1, 0)

    def evaluate(self, X: np.ndarray, Y_enc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-replica (batch-mean loss, outputs) on data of shape (K, n, 2) / encoded (K, n, w)."""
        import tensorflow as tf

        out = self.forward(tf.constant(_replicas_last(X, self.k_pad)))
        Y = tf.constant(np.ascontiguousarray(np.moveaxis(_replicas_last(Y_enc, self.k_pad), -1, 1)))
        loss = _point_mean(self._point_losses(Y, out))
        return loss.numpy()[: self.k], np.moveaxis(out.numpy()[:, : self.k], 1, 0)

    def fit(
        self,
        seeds: list[int],
        on_epoch: Callable[[int, dict[str, np.ndarray]], None] | None = None,
        study: bool = False,
        on_batches: BatchCallback | None = None,
    ) -> TrainResult:
        """Train for config.training.epochs; replica k visits its fit part in seeds[k]'s order
        (`shuffle.epoch_order`: by default the permutation seeded `model.fit` uses, every epoch).

        A single run raises TrainingDiverged when its loss stops being finite; in a study
        (`study=True`, even of one seed) a diverged replica ends with a non-finite loss and counts as failed.
        `on_epoch(epoch, logs)` is called after every epoch with that epoch's metrics, one value per
        replica; it may raise (e.g. KeyboardInterrupt) to stop, and the history so far stays in
        `self.history`. `on_batches` follows an epoch that runs in more than one chunk.
        """
        shuffle = self.config.training.shuffle
        epochs = self.config.training.epochs
        self.history = {m: np.zeros((self.k, 0), dtype=np.float64) for m in METRICS}
        start = time.perf_counter()
        data = None
        for epoch in range(1, epochs + 1):
            if data is None or shuffle == "every_epoch":
                data = self._epoch_data(epoch_order(seeds, self.n_fit, shuffle, epoch))
            values = self._run_epoch(data, epoch, on_batches)
            logs = {m: np.asarray(v, dtype=np.float64) for m, v in zip(METRICS, values)}
            for m in METRICS:
                self.history[m] = np.concatenate([self.history[m], logs[m][:, None]], axis=1)
            if not study and not np.isfinite(logs["loss"][0]):
                raise TrainingDiverged(epoch, float(logs["loss"][0]), self.config.training.learning_rate)
            if on_epoch is not None:
                on_epoch(epoch, logs)
        seconds = time.perf_counter() - start
        theta = self.theta.numpy()
        return TrainResult(self.history, [self.weights(k, theta) for k in range(self.k)], seconds)


def evaluate_replica(trainer: ReplicaTrainer, replica: int, split: Split) -> tuple[float, float]:
    """(test loss, test accuracy) of one replica, computed by the trainer's own arithmetic, so seed s
    scores the same numbers in `train` as inside a seed study (Keras' Dense may round differently)."""
    X = np.broadcast_to(split.X_test, (trainer.k, *split.X_test.shape))
    Y_enc = encode_labels(trainer.spec, split.y_test, trainer.n_classes)
    Y = np.broadcast_to(Y_enc, (trainer.k, *Y_enc.shape))
    losses, outputs = trainer.evaluate(X, Y)
    accuracy = float(np.mean(predict_classes(trainer.spec, outputs[replica]) == split.y_test))
    return float(losses[replica]), accuracy
