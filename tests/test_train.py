"""The training engine: the same model `model.fit` trains, replicas equal single runs, determinism."""

import numpy as np
import pytest

from circles_hinge.config import load_config
from circles_hinge.data import load_split
from circles_hinge.errors import TrainingDiverged
from circles_hinge.losses import encode_labels, get_loss, keras_loss
from circles_hinge.model import build_model, initial_weights
from circles_hinge.train import ReplicaTrainer, final_accuracies, fit_with_restarts


def _setup(overrides, seeds):
    config = load_config(None, overrides)
    spec = get_loss(config.training.loss)
    splits = [load_split(config.data, s, config.training.validation_split) for s in seeds]
    inits = [initial_weights(config, spec, splits[0].n_classes, s) for s in seeds]
    return config, spec, splits, inits


def _stock_fit(config, spec, split, init):
    import keras

    model = build_model(config, spec, split.n_classes, init)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.training.learning_rate), loss=keras_loss(spec)
    )
    history = model.fit(
        split.X_train,
        encode_labels(spec, split.y_train, split.n_classes),
        batch_size=config.training.batch_size,
        epochs=config.training.epochs,
        shuffle=False,
        validation_split=config.training.validation_split,
        verbose=0,
    )
    return model.get_weights(), history.history


@pytest.mark.parametrize(
    "overrides",
    [
        ["training.epochs=3", "training.shuffle=false"],  # the tutorial's data, batch size 5, Adam
        ["training.epochs=3", "training.shuffle=false", "training.loss=squared_hinge"],
        # a short last batch (93 fit samples, batch 7) and a different split
        [
            "training.epochs=3",
            "training.shuffle=false",
            "data.n_samples=150",
            "data.test_size=33",
            "training.batch_size=7",
            "training.validation_split=0.2",
        ],
        # the k-class losses on the companion's blobs (one-hot and integer targets, 3 outputs)
        [
            "training.epochs=3",
            "training.shuffle=false",
            "data.dataset=blobs",
            "training.loss=categorical_hinge",
        ],
        ["training.epochs=3", "training.shuffle=false", "data.dataset=blobs", "training.loss=multiclass_svm"],
    ],
)
def test_weights_agree_with_stock_model_fit(overrides):
    config, spec, [split], [init] = _setup(overrides, [42])
    ours = ReplicaTrainer(config, spec, [split], [init]).fit([42])
    stock_weights, stock_history = _stock_fit(config, spec, split, init)
    for a, b in zip(ours.weights[0], stock_weights):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    # and the epoch losses mean what model.fit's mean
    np.testing.assert_allclose(ours.history["loss"][0], stock_history["loss"], rtol=1e-3)
    np.testing.assert_allclose(ours.history["val_loss"][0], stock_history["val_loss"], rtol=1e-3)


def test_training_changes_the_weights_and_learns():
    config, spec, [split], [init] = _setup(["training.epochs=5"], [42])
    result = ReplicaTrainer(config, spec, [split], [init]).fit([42])
    assert not np.allclose(result.weights[0][0], init[0])
    assert result.history["loss"][0, -1] < result.history["loss"][0, 0]
    assert result.history["val_accuracy"][0, -1] == 1.0
    assert result.train_seconds > 0


def test_replicas_equal_single_runs():
    seeds = [3, 4, 5]
    overrides = ["data.n_samples=300", "data.test_size=75", "training.epochs=4"]
    config, spec, splits, inits = _setup(overrides, seeds)
    batched = ReplicaTrainer(config, spec, splits, inits).fit(seeds)
    for k, seed in enumerate(seeds):
        single = ReplicaTrainer(config, spec, [splits[k]], [inits[k]]).fit([seed])
        for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(
                batched.history[metric][k], single.history[metric][0], rtol=1e-4, atol=1e-6
            )
        for a, b in zip(batched.weights[k], single.weights[0]):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_shuffling_is_seeded_and_matters():
    config, spec, [split], [init] = _setup(["training.epochs=2"], [42])
    a = ReplicaTrainer(config, spec, [split], [init]).fit([42])
    b = ReplicaTrainer(config, spec, [split], [init]).fit([42])
    c = ReplicaTrainer(config, spec, [split], [init]).fit([43])  # same data and weights, other shuffle order
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    assert not np.array_equal(a.history["loss"], c.history["loss"])


def test_no_validation_split_gives_nan_validation_metrics():
    config, spec, [split], [init] = _setup(["training.epochs=1", "training.validation_split=0"], [42])
    result = ReplicaTrainer(config, spec, [split], [init]).fit([42])
    assert len(split.X_val) == 0
    assert np.isnan(result.history["val_loss"]).all() and np.isfinite(result.history["loss"]).all()


def test_on_epoch_is_called_every_epoch_and_may_stop_training():
    config, spec, [split], [init] = _setup(["training.epochs=5"], [42])
    trainer = ReplicaTrainer(config, spec, [split], [init])
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
        "training.epochs=5",
        "model.output_activation=linear",
    ]
    config = load_config(None, overrides)
    spec = get_loss("multiclass_svm")
    split = load_split(config.data, 0, 0.2)
    init = initial_weights(config, spec, 3, 0)
    with pytest.raises(TrainingDiverged, match="lower training.learning_rate"):
        ReplicaTrainer(config, spec, [split], [init]).fit([0])


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
    spec = get_loss(config.training.loss)
    split = load_split(config.data, seed, config.training.validation_split)
    return config, spec, split, lambda r: initial_weights(config, spec, 3, seed, restart=r)


def test_restart_zero_is_the_tutorials_start_and_restarts_differ():
    config, spec, _, make_init = _blobs(44, 5)
    plain = initial_weights(config, spec, 3, 44)
    for a, b in zip(make_init(0), plain):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(make_init(1)[0], plain[0])
    np.testing.assert_array_equal(make_init(2)[0], make_init(2)[0])  # seeded, not random


def test_a_collapsed_start_is_replaced_by_the_best_restart_on_validation():
    config, spec, split, make_init = _blobs(44, 5)
    result, restarts = fit_with_restarts(config, split, spec, make_init)
    assert restarts.tried == 6 and restarts.measured_on == "validation"
    assert restarts.accuracies[0] < 0.99  # the tutorial's start collapsed here
    assert restarts.kept == int(np.argmax(restarts.accuracies)) > 0
    assert restarts.accuracies[restarts.kept] >= 0.99
    # the kept result is that restart's own training, as a single run from its weights gives it
    single = ReplicaTrainer(config, spec, [split], [make_init(restarts.kept)]).fit([44])
    np.testing.assert_allclose(result.history["val_accuracy"], single.history["val_accuracy"])
    np.testing.assert_allclose(result.history["loss"], single.history["loss"], rtol=1e-4)
    for a, b in zip(result.weights[0], single.weights[0]):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_good_start_trains_once_and_equals_the_plain_single_run():
    config, spec, split, make_init = _blobs(43, 5, n=300)
    result, restarts = fit_with_restarts(config, split, spec, make_init)
    assert (restarts.tried, restarts.kept) == (1, 0) and restarts.accuracies[0] >= 0.99
    plain = ReplicaTrainer(config, spec, [split], [make_init(0)]).fit([43])
    for m in plain.history:
        np.testing.assert_array_equal(result.history[m], plain.history[m])


def test_restarts_zero_keeps_a_collapsed_start_and_ties_keep_the_first():
    config, spec, split, make_init = _blobs(44, 0)
    _, restarts = fit_with_restarts(config, split, spec, make_init)
    assert restarts.tried == 1 and restarts.kept == 0 and restarts.accuracies[0] < 0.99
    # seed 42: no restart beats the first, and one ties it; the first is kept
    config, spec, split, make_init = _blobs(42, 5)
    import time

    start, first_done = time.perf_counter(), []
    result, restarts = fit_with_restarts(
        config, split, spec, make_init, on_restart=lambda *_: first_done.append(time.perf_counter())
    )
    assert restarts.tried == 6 and restarts.kept == 0
    assert max(restarts.accuracies[1:]) <= restarts.accuracies[0] < 0.99
    # the time spent on the restarts counts, although none was kept
    assert result.train_seconds > first_done[0] - start


def test_without_a_validation_part_restarts_judge_on_the_training_part():
    config, spec, split, make_init = _blobs(44, 3, extra=["training.validation_split=0"])
    result, restarts = fit_with_restarts(config, split, spec, make_init)
    assert restarts.measured_on == "training"
    assert all(0.0 <= a <= 1.0 for a in restarts.accuracies)
    assert np.isnan(result.history["val_accuracy"]).all()


def test_a_diverged_restart_scores_below_every_real_accuracy():
    config, spec, split, make_init = _blobs(44, 2)
    trainer = ReplicaTrainer(config, spec, [split] * 2, [make_init(1), make_init(2)])
    history = {
        "loss": np.array([[0.5], [np.nan]]),
        "val_accuracy": np.array([[0.3], [np.nan]]),
    }
    accuracy, where = final_accuracies(trainer, split, history)
    assert where == "validation" and accuracy.tolist() == [0.3, -1.0]
