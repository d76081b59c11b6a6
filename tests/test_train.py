"""The training engine: the same model `model.fit` trains, replicas equal single runs, determinism."""

import numpy as np
import pytest

from circles_hinge.config import load_config
from circles_hinge.data import load_split
from circles_hinge.errors import TrainingDiverged
from circles_hinge.losses import encode_labels, get_loss
from circles_hinge.model import build_model, initial_weights
from circles_hinge.train import ReplicaTrainer


def _setup(overrides, seeds):
    config = load_config(None, overrides)
    spec = get_loss(config.training.loss)
    splits = [load_split(config.data, s, config.training.validation_split) for s in seeds]
    inits = [initial_weights(config, spec, 2, s) for s in seeds]
    return config, spec, splits, inits


def _stock_fit(config, spec, split, init):
    import keras

    model = build_model(config, spec, split.n_classes, init)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.training.learning_rate), loss=spec.name
    )
    history = model.fit(
        split.X_train,
        encode_labels(spec, split.y_train, 2),
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
