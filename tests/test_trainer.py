"""The training engine: the same model `model.fit` trains, replicas equal single runs, determinism."""

import numpy as np
import pytest

from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.engine.keras_losses import keras_loss
from circles_hinge.engine.model import build_model, initial_weights
from circles_hinge.engine.restarts import best_initialisation, final_scores, fit_with_restarts
from circles_hinge.engine.trainer import ReplicaTrainer
from circles_hinge.errors import TrainingDiverged
from circles_hinge.loading import load_config
from circles_hinge.losses import encode_labels, get_loss


def _setup(overrides, seeds):
    config = load_config(None, overrides)
    spec = get_loss(config.training.loss)
    splits = [load_split(config.data, s, config.training.validation_split) for s in seeds]
    inits = [initial_weights(config, s) for s in seeds]
    return config, spec, splits, inits


def _stock_fit(config, split, init):
    import keras

    spec = get_loss(config.training.loss)
    model = build_model(config, init)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.training.learning_rate), loss=keras_loss(spec)
    )
    history = model.fit(
        split.X_train,
        encode_labels(spec, split.y_train, n_classes(config.data)),
        batch_size=config.training.batch_size,
        epochs=config.training.epochs,
        shuffle=False,
        validation_split=config.training.validation_split,
        verbose=0,
    )
    return model.get_weights(), history.history


FIDELITY_CASES = [
    ["training.shuffle=false"],  # the tutorial's data, batch size 5, Adam
    ["training.shuffle=false", "training.loss=squared_hinge"],
    ["training.shuffle=false", "training.loss=binary_crossentropy"],
    # a short last batch (93 fit samples, batch 7) and a different split
    [
        "training.shuffle=false",
        "data.n_samples=150",
        "data.test_size=33",
        "training.batch_size=7",
        "training.validation_split=0.2",
    ],
    # the k-class losses on the companion's blobs (one-hot and integer targets, 3 outputs)
    ["training.shuffle=false", "data.dataset=blobs", "training.loss=categorical_hinge"],
    ["training.shuffle=false", "data.dataset=blobs", "training.loss=multiclass_svm"],
]


@pytest.mark.parametrize("overrides", FIDELITY_CASES)
def test_gradients_agree_with_keras(overrides):
    """Our replicated forward pass and its gradient against a Keras model's, at the same weights.

    Tolerance from float32 analysis: each output is a chain of 3 layers of at most 5 products and
    sums, each rounded once (relative 6e-8), where Keras' eager matmul may round in another order or
    with FMA than the compiled one the trainer follows; with weights and activations of order 1-10,
    outputs differ by at most ~1e-5 * |f|-scale, and the mean loss and its gradient likewise. 1e-5
    relative (plus 1e-6 absolute for entries near 0) leaves that margin and still catches any real
    difference (a wrong sign, a missing term, a different mean), which moves them by orders of
    magnitude more.
    """
    import tensorflow as tf

    config, spec, [split], [init] = _setup(overrides, [42])
    trainer = ReplicaTrainer(config, [split], [init])
    model = build_model(config, init)
    X = split.X_fit[:40]
    Y = encode_labels(spec, split.y_fit[:40], n_classes(config.data))
    with tf.GradientTape() as tape:
        out = trainer.forward(tf.constant(np.repeat(X[:, :, None], trainer.k_pad, axis=-1)))[:, 0]
        ours = tf.reduce_mean(keras_loss(spec)(Y, out))  # replica 0 of the padded ones, (n, units)
    (ours_grad,) = tape.gradient(ours, [trainer.params])
    ours_grad = tf.transpose(ours_grad)
    with tf.GradientTape() as tape:
        stock = tf.reduce_mean(keras_loss(spec)(Y, model(X)))
    stock_grads = tape.gradient(stock, model.trainable_weights)
    np.testing.assert_allclose(float(ours), float(stock), rtol=1e-5, atol=1e-6)
    ours_rows = trainer.weights(0, ours_grad.numpy())
    for a, b in zip(ours_rows, stock_grads):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trainer.outputs(X)[0], np.asarray(model(X)), rtol=1e-5, atol=1e-6)


def test_adam_is_keras_adam():
    """The written-out Adam applies Keras' update to the same gradients: same operations, same order."""
    import keras
    import tensorflow as tf

    from circles_hinge.engine.trainer import _Adam

    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 7)).astype(np.float32)
    ours_var, keras_var = tf.Variable(start), keras.Variable(start)
    ours, stock = _Adam(ours_var, 0.03), keras.optimizers.Adam(learning_rate=0.03)
    for _ in range(50):
        grad = tf.constant((rng.normal(size=(3, 7)) * rng.choice([1e-6, 1.0, 1e3])).astype(np.float32))
        ours.apply(grad)
        stock.apply_gradients([(grad, keras_var)])
    np.testing.assert_allclose(ours_var.numpy(), np.asarray(keras_var), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("overrides", FIDELITY_CASES)
def test_weights_agree_with_stock_model_fit(overrides):
    """An epoch against model.fit, from the same weights with shuffling off: batching, the short last
    batch, the validation split and the epoch averages mean what Keras' mean.

    Only one epoch, at learning rate 0.003: Adam divides each gradient by its own running size, so a
    weight whose true gradient is near 0 moves by about the learning rate in a direction set by
    rounding noise, and these cases include what the trainer does not round as Keras does (sigmoid
    and softmax are Eigen's, the blobs' 3-unit matmuls may be unrecorded: engine/dense.py). Over many
    steps that drift, not a bug, dominates (measured here: 1.6e-4 after 2 epochs on blobs,
    0.3 after 3 epochs of hinge at 0.03); over one epoch at 0.003 it stays below 2e-5. The per-step
    arithmetic at the tutorial's own settings is what the gradient and Adam tests above pin.
    """
    config, spec, [split], [init] = _setup(
        [*overrides, "training.epochs=1", "training.learning_rate=0.003"], [42]
    )
    ours = ReplicaTrainer(config, [split], [init]).fit([42])
    stock_weights, stock_history = _stock_fit(config, split, init)
    # On the blobs (inputs up to 20, three hinge kinks per point) a rounding difference can tip a point
    # across a kink: its gradient term switches on or off, and Adam moves the weight by up to about
    # one learning rate. A few such events bound the drift by a small multiple of it (measured: 1e-4).
    tolerance = 3 * config.training.learning_rate if config.data.dataset == "blobs" else 1e-4
    for a, b in zip(ours.weights[0], stock_weights):
        np.testing.assert_allclose(a, b, atol=tolerance, rtol=0)
    # and the epoch losses mean what model.fit's mean
    np.testing.assert_allclose(ours.history["loss"][0], stock_history["loss"], rtol=1e-3)
    np.testing.assert_allclose(ours.history["val_loss"][0], stock_history["val_loss"], rtol=1e-3)


def test_training_changes_the_weights_and_learns():
    config, spec, [split], [init] = _setup(["training.epochs=5"], [42])
    result = ReplicaTrainer(config, [split], [init]).fit([42])
    assert not np.allclose(result.weights[0][0], init[0])
    assert result.history["loss"][0, -1] < result.history["loss"][0, 0]
    assert result.history["val_accuracy"][0, -1] > 0.6  # above chance (0.5): it learned something
    assert result.train_seconds > 0


REPLICA_CASES = [
    ["training.loss=hinge"],
    ["training.loss=squared_hinge", "model.hidden_activation=tanh"],
    ["training.loss=binary_crossentropy", "model.hidden_activation=gelu"],  # exp and log: scalar tails
    ["training.loss=categorical_hinge", "data.dataset=blobs"],
    ["training.loss=multiclass_svm", "data.dataset=blobs", "model.hidden_activation=elu"],
]


@pytest.mark.parametrize("shuffle", ["true", "every_epoch", "false"])
@pytest.mark.parametrize("overrides", REPLICA_CASES)
def test_a_replica_is_the_single_run_bit_for_bit(overrides, shuffle):
    """Seed s trains to the same bytes alone and inside studies of 3 and 50 seeds, at any position,
    for every training.shuffle."""
    overrides = [
        *overrides,
        "data.n_samples=120",
        "data.test_size=30",
        "training.epochs=3",
        f"training.shuffle={shuffle}",
    ]
    seeds = list(range(40, 90))
    config, spec, splits, inits = _setup(overrides, seeds)
    of_50 = ReplicaTrainer(config, splits, inits).fit(seeds, study=True)
    of_3 = ReplicaTrainer(config, splits[7:10], inits[7:10]).fit(seeds[7:10], study=True)
    for k in (0, 8, 17, 49):  # first, middle of the 3-study, past a padding boundary, last
        single = ReplicaTrainer(config, [splits[k]], [inits[k]]).fit([seeds[k]], study=True)
        for m in single.history:
            assert of_50.history[m][k].tobytes() == single.history[m][0].tobytes(), (k, m)
            if 7 <= k < 10:
                assert of_3.history[m][k - 7].tobytes() == single.history[m][0].tobytes(), (k, m)
        for a, b in zip(of_50.weights[k], single.weights[0]):
            assert a.tobytes() == b.tobytes(), k


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_a_chunked_epoch_is_the_whole_epoch_bit_for_bit(chunk):
    """An epoch run as several calls of `chunk` batches (as long epochs are, so a stop request is seen
    between them) trains to the same bytes as one call over every batch: 93 fit samples in batches
    of 5 (19 batches, a short last one), 5 replicas padded to 16, 3 epochs."""
    overrides = ["data.n_samples=150", "data.test_size=33", "training.epochs=3"]
    seeds = [40, 41, 42, 43, 44]
    config, spec, splits, inits = _setup(overrides, seeds)
    whole = ReplicaTrainer(config, splits, inits)
    whole.chunk = whole.n_batches
    chunked = ReplicaTrainer(config, splits, inits)
    chunked.chunk = chunk
    calls = []
    a = whole.fit(seeds, study=True, on_batches=lambda *args: calls.append(("whole", *args)))
    b = chunked.fit(seeds, study=True, on_batches=lambda *args: calls.append(("chunked", *args)))
    assert whole.n_batches == 19
    for m in a.history:
        assert a.history[m].tobytes() == b.history[m].tobytes(), m
    assert whole.theta.numpy().tobytes() == chunked.theta.numpy().tobytes()
    # progress inside the epoch: only for the chunked one, after every chunk, ending at 19 of 19
    assert {c[0] for c in calls} == {"chunked"}
    done = [c[2] for c in calls if c[1] == 1]
    assert done == [*range(chunk, 19, chunk), 19] and all(c[3] == 19 for c in calls)


def test_the_measured_chunk_keeps_a_call_near_a_quarter_second():
    """Without a fixed chunk the trainer measures its batches and sizes the next call to about
    CHUNK_SECONDS: a tiny config fits a whole epoch in one call after the first."""
    from circles_hinge.engine.trainer import CHUNK_SECONDS

    config, spec, [split], [init] = _setup(["training.epochs=2"], [42])
    trainer = ReplicaTrainer(config, [split], [init])
    calls = []
    trainer.fit([42], on_batches=lambda *args: calls.append(args))
    assert trainer._chunk >= trainer.n_batches  # epoch 2 ran in one call: no progress calls for it
    assert calls and all(c[0] == 1 for c in calls)
    assert CHUNK_SECONDS <= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
def test_seed_s_follows_stock_model_fit_epoch_by_epoch(loss, tiny_path):
    """The tutorial's script, stock: set_random_seed(s), build, compile, model.fit(shuffle=True,
    validation_split=0.2). The trainer's history for seed s equals it, every epoch of the tiny config.

    Both sides start from the same weights, visit the same batches in the same order, and round as
    the same kernels round (engine/dense.py records this machine's matmul rounding and computes tanh
    with Keras' fused kernel): so where every matmul was recorded, the histories and the final weights
    are stock Keras' bit for bit. Anywhere, they agree to 1e-6 relative; a wrong order or a wrong
    rounding moves epoch 1 by far more (measured before dense.py: 1.8e-4 on some seeds).
    """
    import keras

    for seed in range(5):
        config = load_config(tiny_path, [f"training.loss={loss}", f"seed={seed}"])
        spec = get_loss(loss)
        split = load_split(config.data, seed, config.training.validation_split)
        trainer = ReplicaTrainer(config, [split], [initial_weights(config, seed)])
        ours = trainer.fit([seed])
        keras.utils.set_random_seed(seed)
        model = build_model(config)  # from Keras' own initialisers, as the tutorial's script
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=config.training.learning_rate), loss=loss)
        stock = model.fit(
            split.X_train,
            encode_labels(spec, split.y_train, n_classes(config.data)),
            batch_size=config.training.batch_size,
            epochs=config.training.epochs,
            validation_split=config.training.validation_split,
            verbose=0,
        ).history
        for metric in ("loss", "val_loss"):
            np.testing.assert_allclose(ours.history[metric][0], stock[metric], rtol=1e-6, err_msg=metric)
            if trainer.rounds_as_keras:
                assert ours.history[metric][0].tolist() == stock[metric], (seed, metric)
        if trainer.rounds_as_keras:
            for a, b in zip(ours.weights[0], model.get_weights()):
                np.testing.assert_array_equal(a, b)


def test_shuffling_is_seeded_and_matters():
    config, spec, [split], [init] = _setup(["training.epochs=2"], [42])
    a = ReplicaTrainer(config, [split], [init]).fit([42])
    b = ReplicaTrainer(config, [split], [init]).fit([42])
    c = ReplicaTrainer(config, [split], [init]).fit([43])  # same data and weights, other shuffle order
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    assert not np.array_equal(a.history["loss"], c.history["loss"])


def test_no_validation_split_gives_nan_validation_metrics():
    config, spec, [split], [init] = _setup(["training.epochs=1", "training.validation_split=0"], [42])
    result = ReplicaTrainer(config, [split], [init]).fit([42])
    assert len(split.X_val) == 0
    assert np.isnan(result.history["val_loss"]).all() and np.isfinite(result.history["loss"]).all()


def test_on_epoch_is_called_every_epoch_and_may_stop_training():
    config, spec, [split], [init] = _setup(["training.epochs=5"], [42])
    trainer = ReplicaTrainer(config, [split], [init])
    seen = []

    def stop_at_two(epoch, logs):
        seen.append((epoch, float(logs["loss"][0])))
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.fit([42], on_epoch=stop_at_two)
    assert [e for e, _ in seen] == [1, 2]
    assert trainer.history["loss"].shape == (1, 2)  # the partial history stays available


def test_a_diverging_single_run_raises():
    overrides = [
        "training.loss=multiclass_svm",
        "data.dataset=blobs",
        "training.learning_rate=1e30",
        "model.hidden_activation=linear",  # no unit can switch off: overflow on any machine
        "training.epochs=5",
        "model.output_activation=linear",
    ]
    config = load_config(None, overrides)
    split = load_split(config.data, 0, 0.2)
    init = initial_weights(config, 0)
    with pytest.raises(TrainingDiverged, match="lower training.learning_rate"):
        ReplicaTrainer(config, [split], [init]).fit([0])


# --- restarts -------------------------------------------------------------------------------------
def _blobs(seed, restarts, n=200, epochs=3, extra=()):
    config = load_config(
        None,
        [
            "data.dataset=blobs",
            "training.loss=categorical_hinge",
            f"data.n_samples={n}",
            f"data.test_size={n // 4}",
            f"training.epochs={epochs}",
            f"seed={seed}",
            f"training.restarts={restarts}",
            *extra,
        ],
    )
    split = load_split(config.data, seed, config.training.validation_split)
    return config, split, lambda r: initial_weights(config, seed, restart=r)


def _dead(weights):
    """A deliberately collapsed start: every first-layer ReLU is off for every input (blobs lie in
    [-10, 25]^2), so no gradient reaches the hidden layers and the net predicts one class. This holds
    on any machine, unlike a seed that happens to collapse on one."""
    weights = [w.copy() for w in weights]
    weights[0] = -np.abs(weights[0]) - 0.1
    weights[1] = np.full_like(weights[1], -1000.0)
    return weights


def _collapsing(make_init, dead=(0,)):
    return lambda r: _dead(make_init(r)) if r in dead else make_init(r)


def test_restart_zero_is_the_tutorials_start_and_restarts_differ():
    config, _, make_init = _blobs(44, 5)
    plain = initial_weights(config, 44)
    for a, b in zip(make_init(0), plain):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(make_init(1)[0], plain[0])
    np.testing.assert_array_equal(make_init(2)[0], make_init(2)[0])  # seeded, not random


def test_a_collapsed_start_is_replaced_by_the_best_restart_on_validation():
    config, split, make_init = _blobs(44, 5, epochs=10)
    make_init = _collapsing(make_init)
    result, restarts = fit_with_restarts(config, split, make_init)
    assert restarts.tried == 6 and restarts.measured_on == "validation"
    assert restarts.accuracies[0] < 0.99  # the dead start predicts one class of three
    assert restarts.kept == best_initialisation(np.array(restarts.accuracies), np.array(restarts.losses)) > 0
    assert restarts.accuracies[restarts.kept] == max(restarts.accuracies)
    # the kept result is that restart's own training, bit for bit as a single run from its weights
    single = ReplicaTrainer(config, [split], [make_init(restarts.kept)]).fit([44])
    for m in single.history:
        assert result.history[m].tobytes() == single.history[m].tobytes()
    for a, b in zip(result.weights[0], single.weights[0]):
        assert a.tobytes() == b.tobytes()


def test_a_good_start_trains_once_and_equals_the_plain_single_run():
    # the first seed whose tutorial start succeeds (found, not assumed: which seeds do is data)
    for seed in range(40, 100):
        config, split, make_init = _blobs(seed, 5, n=300)
        plain = ReplicaTrainer(config, [split], [make_init(0)]).fit([seed])
        if plain.history["val_accuracy"][0, -1] >= 0.99:
            break
    else:
        pytest.fail("no seed in 40..99 trains the blobs to 99%: the trainer is broken")
    result, restarts = fit_with_restarts(config, split, make_init)
    assert (restarts.tried, restarts.kept) == (1, 0) and restarts.accuracies[0] >= 0.99
    for m in plain.history:
        assert result.history[m].tobytes() == plain.history[m].tobytes()


def test_restarts_zero_keeps_a_collapsed_start():
    config, split, make_init = _blobs(44, 0)
    _, restarts = fit_with_restarts(config, split, _collapsing(make_init))
    assert restarts.tried == 1 and restarts.kept == 0 and restarts.accuracies[0] < 0.99


def test_among_equal_accuracies_the_lowest_loss_wins_then_the_earliest():
    assert best_initialisation(np.array([0.6, 0.9, 0.9]), np.array([0.1, 0.5, 0.2])) == 2
    assert best_initialisation(np.array([0.9, 0.9, 0.6]), np.array([0.3, 0.3, 0.0])) == 0
    assert best_initialisation(np.array([-1.0, 0.5]), np.array([np.inf, 2.0])) == 1
    # in a real run: three dead starts tie on accuracy; the kept one has the lowest loss, and the time
    # spent on restarts counts although none beat the first on accuracy
    config, split, make_init = _blobs(42, 2)
    import time

    start, first_done = time.perf_counter(), []
    result, restarts = fit_with_restarts(
        config,
        split,
        _collapsing(make_init, dead=(0, 1, 2)),
        on_restart=lambda *_: first_done.append(time.perf_counter()),
    )
    assert restarts.tried == 3 and len(set(restarts.accuracies)) == 1
    assert restarts.kept == int(np.argmin(restarts.losses))
    assert result.train_seconds > first_done[0] - start


def test_without_a_validation_part_restarts_judge_on_the_training_part():
    config, split, make_init = _blobs(44, 3, extra=["training.validation_split=0"])
    result, restarts = fit_with_restarts(config, split, _collapsing(make_init))
    assert restarts.measured_on == "training" and restarts.tried == 4
    assert all(0.0 <= a <= 1.0 for a in restarts.accuracies)
    assert np.isnan(result.history["val_accuracy"]).all()


def test_a_diverged_restart_scores_below_every_real_accuracy():
    config, split, make_init = _blobs(44, 2)
    trainer = ReplicaTrainer(config, [split] * 2, [make_init(1), make_init(2)])
    history = {
        "loss": np.array([[0.5], [np.nan]]),
        "val_accuracy": np.array([[0.3], [np.nan]]),
        "val_loss": np.array([[0.9], [np.nan]]),
    }
    accuracy, loss, where = final_scores(trainer, split, history)
    assert where == "validation" and accuracy.tolist() == [0.3, -1.0] and loss.tolist() == [0.9, np.inf]


@pytest.mark.parametrize("overrides", REPLICA_CASES)
def test_eager_and_compiled_outputs_are_the_same_bits(overrides):
    """Evaluation runs the network eagerly and boundary grids through a traced forward pass: both give
    the same bytes (TensorFlow's graph optimiser rewrites nothing that rounds differently), for all
    replicas or a block of them, on shared points and on points of each replica's own."""
    seeds = list(range(40, 45))
    config, spec, splits, inits = _setup([*overrides, "training.epochs=2"], seeds)
    trainer = ReplicaTrainer(config, splits, inits)
    trainer.fit(seeds, study=True)
    rng = np.random.default_rng(0)
    shared = (rng.standard_normal((300, 2)) * 3).astype(np.float32)
    own = (rng.standard_normal((3, 200, 2)) * 3).astype(np.float32)
    for X, replicas in [(shared, None), (shared, range(1, 4)), (own, range(2, 5))]:
        eager = trainer.outputs(X, replicas=replicas)
        compiled = trainer.outputs(X, replicas=replicas, compiled=True)
        assert eager.tobytes() == compiled.tobytes()
        assert np.isfinite(eager).all()


def test_the_fast_forward_pass_keeps_each_replica_its_own_and_stays_within_ulps():
    """`fast` (plain float32 sums, Eigen's tanh: what boundary radii use) gives replica k the same bits
    alone as beside 19 others, and stays within a few float32 ulps of the exact pass (Keras' rounding):
    the same products and sums, each rounded once, in the same order, FMA or not."""
    seeds = list(range(42, 62))
    config, _, splits, inits = _setup(["training.epochs=1"], seeds)
    many = ReplicaTrainer(config, splits, inits)
    trained = many.fit(seeds).weights
    grid = np.random.default_rng(0).uniform(-1.5, 1.5, size=(500, 2)).astype(np.float32)
    fast = many.outputs(grid, compiled=True, fast=True)
    exact = many.outputs(grid)
    np.testing.assert_allclose(fast, exact, rtol=1e-5, atol=1e-6)
    for k in (0, 7, 19):
        alone = ReplicaTrainer(config, [splits[k]], [trained[k]])
        np.testing.assert_array_equal(alone.outputs(grid, compiled=True, fast=True)[0], fast[k])
