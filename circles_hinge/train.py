"""Trains K independent copies ("replicas") of the network at once and returns their histories.

Why not `model.fit`: at batch size 5 its cost is per-step dispatch, not arithmetic (the net has 25
weights). Here one compiled TensorFlow call runs a whole epoch, and K seeds are stacked as weights of
shape (K, in, out) and multiplied with einsum. Each replica's loss is its own batch mean and the total is
their sum, so every replica gets exactly its own gradient, and Adam, being element-wise, updates each
independently. A single run is K = 1. Fidelity to `model.fit` is pinned by tests.

Semantics kept from `model.fit`: the validation part is fixed before shuffling; the training part is
reshuffled every epoch; the epoch's loss and accuracy are the running averages over its batches (as
the progress bar of model.fit shows them); validation metrics are computed at the end of the epoch.
No plotting, no files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from circles_hinge.config import Config
from circles_hinge.data import Split
from circles_hinge.errors import TrainingDiverged
from circles_hinge.losses import LossSpec, encode_labels, keras_loss
from circles_hinge.model import output_activation

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


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


class ReplicaTrainer:
    """K replicas of one architecture and loss, each with its own data, initial weights and shuffling."""

    def __init__(self, config: Config, spec: LossSpec, splits: list[Split], init: list[list[np.ndarray]]):
        import keras
        import tensorflow as tf

        self.config, self.spec = config, spec
        self.k = len(splits)
        n_classes = splits[0].n_classes

        def stack(arrays):
            return tf.constant(np.stack(arrays), dtype=tf.float32)

        self.X_fit = stack([s.X_fit for s in splits])
        self.Y_fit = stack([encode_labels(spec, s.y_fit, n_classes) for s in splits])
        self.X_val = stack([s.X_val for s in splits])
        self.Y_val = stack([encode_labels(spec, s.y_val, n_classes) for s in splits])
        self.n_fit = int(self.X_fit.shape[1])
        self.n_val = int(self.X_val.shape[1])
        self.batch_size = config.training.batch_size
        self.n_batches = -(-self.n_fit // self.batch_size)  # the last batch may be short, as in fit

        n_layers = len(init[0]) // 2
        self.activations = [keras.activations.get(config.model.hidden_activation)] * (n_layers - 1)
        self.activations.append(keras.activations.get(output_activation(config, spec)))
        # All weights of a replica live in one flat row of `theta` (K, n_params): the optimizer then
        # updates one tensor per step instead of one per layer, which is most of a step's ops.
        self.shapes = [w.shape for w in init[0]]
        self.offsets = np.cumsum([0] + [int(np.prod(shape)) for shape in self.shapes])
        self.theta = tf.Variable(
            np.stack([np.concatenate([w.ravel() for w in ws]) for ws in init]), name="theta"
        )
        self.adam = _Adam(self.theta, config.training.learning_rate)
        self.loss_fn = keras_loss(spec)
        self._epoch = tf.function(self._epoch_impl, autograph=False)
        self._forward = tf.function(self.forward, autograph=False)

    # --- the network, replicated ------------------------------------------------------------------
    def forward(self, X, upto: int | None = None):
        """Outputs of shape (K, n, units) for inputs (K, n, 2); `upto` stops after that many layers."""
        import tensorflow as tf

        h = X
        n_layers = len(self.activations) if upto is None else upto
        params = self._unpack(self.theta)
        for i in range(n_layers):
            kernel, bias = params[2 * i], params[2 * i + 1]
            h = self.activations[i](tf.einsum("kbi,kio->kbo", h, kernel) + bias[:, None, :])
        return h

    def _unpack(self, theta):
        """The flat rows of theta as Keras-ordered weights [kernel, bias, ...], each (K, *shape)."""
        import tensorflow as tf

        return [
            tf.reshape(theta[:, a:b], (-1, *shape))
            for a, b, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)
        ]

    def _losses(self, Y, out):
        """Per-replica batch-mean loss, shape (K,)."""
        import tensorflow as tf

        return tf.reduce_mean(self.loss_fn(Y, out), axis=-1)

    def _epoch_impl(self, perm):
        """One epoch over the fit part in the order `perm` (K, n_fit), then validation.

        An explicit tf.while_loop under autograph=False: autograph's rewriting of this function and
        everything it calls was most of the first epoch's time (about 1 s of 1.7 s).
        """
        import tensorflow as tf

        def step(i, loss_sum, hits):
            idx = perm[:, i * self.batch_size : (i + 1) * self.batch_size]
            xb = tf.gather(self.X_fit, idx, batch_dims=1)
            yb = tf.gather(self.Y_fit, idx, batch_dims=1)
            with tf.GradientTape() as tape:
                out = self.forward(xb)
                per_replica = self._losses(yb, out)
                total = tf.reduce_sum(per_replica)  # replicas share no weights: each gets its own gradient
            self.adam.apply(tape.gradient(total, self.theta))
            n = tf.cast(tf.shape(idx)[1], tf.float32)
            return (
                i + 1,
                loss_sum + per_replica * n,
                hits + tf.reduce_sum(_correct(self.spec, yb, out), axis=-1),
            )

        _, loss_sum, hits = tf.while_loop(
            lambda i, *_: i < self.n_batches, step, (tf.constant(0), tf.zeros([self.k]), tf.zeros([self.k]))
        )
        if self.n_val:
            val_out = self.forward(self.X_val)
            val_loss = self._losses(self.Y_val, val_out)
            val_acc = tf.reduce_mean(_correct(self.spec, self.Y_val, val_out), axis=-1)
        else:
            val_loss = val_acc = tf.fill([self.k], float("nan"))
        return loss_sum / self.n_fit, hits / self.n_fit, val_loss, val_acc

    # --- public -------------------------------------------------------------------------------------
    def weights(self, k: int, theta: np.ndarray | None = None) -> list[np.ndarray]:
        """Replica k's weights in Keras' order, now or from a saved copy of `theta.numpy()`."""
        row = (self.theta.numpy() if theta is None else theta)[k]
        return [
            row[a:b].reshape(shape) for a, b, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)
        ]

    def outputs(self, X: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Every replica's outputs for X of shape (n, 2) or (K, n, 2), as (K, n, units)."""
        import tensorflow as tf

        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2:
            X = np.broadcast_to(X, (self.k, *X.shape))
        if upto is not None:
            return self.forward(tf.constant(X), upto).numpy()
        return self._forward(tf.constant(X)).numpy()

    def evaluate(self, X: np.ndarray, Y_enc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-replica (batch-mean loss, outputs) on data of shape (K, n, 2) / encoded (K, n, w)."""
        import tensorflow as tf

        out = self._forward(tf.constant(X, dtype=tf.float32))
        return self._losses(tf.constant(Y_enc, dtype=tf.float32), out).numpy(), out.numpy()

    def fit(
        self,
        seeds: list[int],
        on_epoch: Callable[[int, dict[str, np.ndarray]], None] | None = None,
        study: bool = False,
    ) -> TrainResult:
        """Train for config.training.epochs; each replica shuffles with its own seed's generator.

        A single run raises TrainingDiverged when its loss stops being finite; in a study
        (`study=True`, even of one seed) a diverged replica ends with a non-finite loss and counts as failed.
        `on_epoch(epoch, logs)` is called after every epoch with that epoch's metrics, one value per
        replica; it may raise (e.g. KeyboardInterrupt) to stop, and the history so far stays in
        `self.history`.
        """
        import tensorflow as tf

        rngs = [np.random.default_rng(seed) for seed in seeds]
        epochs = self.config.training.epochs
        self.history = {m: np.zeros((self.k, 0), dtype=np.float64) for m in METRICS}
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            if self.config.training.shuffle:
                perm = np.stack([rng.permutation(self.n_fit) for rng in rngs])
            else:
                perm = np.broadcast_to(np.arange(self.n_fit), (self.k, self.n_fit))
            values = self._epoch(tf.constant(perm, dtype=tf.int32))
            logs = {m: np.asarray(v.numpy(), dtype=np.float64) for m, v in zip(METRICS, values)}
            for m in METRICS:
                self.history[m] = np.concatenate([self.history[m], logs[m][:, None]], axis=1)
            if not study and not np.isfinite(logs["loss"][0]):
                raise TrainingDiverged(epoch, float(logs["loss"][0]), self.config.training.learning_rate)
            if on_epoch is not None:
                on_epoch(epoch, logs)
        seconds = time.perf_counter() - start
        return TrainResult(self.history, [self.weights(k) for k in range(self.k)], seconds)


# --- restarts: one `train` run that does not settle for a collapsed start --------------------------
@dataclass
class Restarts:
    """Which initialisation a run kept. accuracies[r] is initialisation r's final accuracy on the
    validation part (on the fit part when there is none); r = 0 is the tutorial's start."""

    accuracies: list[float]
    kept: int
    measured_on: str

    @property
    def tried(self) -> int:
        return len(self.accuracies)


def final_accuracies(
    trainer: ReplicaTrainer, split: Split, history: dict[str, np.ndarray]
) -> tuple[np.ndarray, str]:
    """Each replica's accuracy with its final weights: validation, or the fit part without one.
    A replica whose loss is not finite scores -1, below any real accuracy."""
    from circles_hinge.losses import predict_classes

    if split.X_val.shape[0]:
        accuracy, where = np.array(history["val_accuracy"][:, -1], dtype=np.float64), "validation"
    else:
        out = trainer.outputs(split.X_fit)
        accuracy = np.array([np.mean(predict_classes(trainer.spec, o) == split.y_fit) for o in out])
        where = "training"
    return np.where(np.isfinite(history["loss"][:, -1]), accuracy, -1.0), where


def fit_with_restarts(
    config: Config,
    split: Split,
    spec: LossSpec,
    make_init: Callable[[int], list[np.ndarray]],
    on_epoch: Callable[[ReplicaTrainer, int, dict[str, np.ndarray]], None] | None = None,
    on_restart: Callable[[float, int], None] | None = None,
    on_trainer: Callable[[ReplicaTrainer], None] | None = None,
) -> tuple[TrainResult, Restarts]:
    """Train initialisation 0 exactly as a single run; if it ends below 99% accuracy (stats'
    SUCCESS_ACCURACY, measured as `final_accuracies` does), train `config.training.restarts` more at
    once, with the same data and shuffling, and keep the one with the best accuracy (the earliest on
    a tie, so initialisation 0 stays unless a restart beats it). The test set plays no part.
    Returns the kept replica's result (K = 1) and the record of what was tried.

    `on_trainer(trainer)` is told each trainer before it trains (for partial results on Ctrl-C);
    `on_epoch(trainer, epoch, logs)` follows both phases; `on_restart(first_accuracy, n)` announces
    the second.
    """
    from circles_hinge.stats import SUCCESS_ACCURACY

    seed = config.seed
    first = ReplicaTrainer(config, spec, [split], [make_init(0)])
    if on_trainer is not None:
        on_trainer(first)
    result = first.fit([seed], on_epoch=_bind(on_epoch, first))
    accuracy, where = final_accuracies(first, split, result.history)
    n_more = config.training.restarts
    if accuracy[0] >= SUCCESS_ACCURACY or n_more == 0:
        return result, Restarts([float(accuracy[0])], 0, where)

    if on_restart is not None:
        on_restart(float(accuracy[0]), n_more)
    more = ReplicaTrainer(config, spec, [split] * n_more, [make_init(r) for r in range(1, n_more + 1)])
    if on_trainer is not None:
        on_trainer(more)
    others = more.fit([seed] * n_more, on_epoch=_bind(on_epoch, more), study=True)
    accuracies = np.concatenate([accuracy, final_accuracies(more, split, others.history)[0]])
    kept = int(np.argmax(accuracies))  # the first of equals: initialisation 0 wins a tie
    seconds = result.train_seconds + others.train_seconds  # the restarts count even when none is kept
    if kept == 0:
        chosen = TrainResult(result.history, result.weights, seconds)
    else:
        j = kept - 1
        chosen = TrainResult(
            {m: v[j : j + 1] for m, v in others.history.items()}, [others.weights[j]], seconds
        )
    return chosen, Restarts(accuracies.tolist(), kept, where)


def _bind(on_epoch, trainer):
    if on_epoch is None:
        return None
    return lambda epoch, logs: on_epoch(trainer, epoch, logs)
