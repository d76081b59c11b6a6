"""The batch order: the permutation seeded `model.fit` really trains on, recorded, not read from docs."""

import numpy as np
import pytest

from circles_hinge.engine.shuffle import epoch_order, op_seeds

# 0 and the seeds around 2**31 - 1 exercise TensorFlow's seed folding: seed mod 2**31 - 1, and
# (0, 0) -> (0, 2**31 - 1)
SEEDS = [0, 1, 42, 43, 2**31 - 2, 2**31 - 1, 2**31, 2**32 - 1]


def _tf_shuffles(seed: int, n: int, draws: int) -> list[np.ndarray]:
    """What Keras' array adapter computes: tf.random.shuffle of range(n) in a tf.data map function,
    after the global seed; `draws` successive elements of one iterator are the kernel's next draws."""
    import tensorflow as tf

    tf.random.set_seed(seed)
    dataset = tf.data.Dataset.range(draws).map(lambda _: tf.random.shuffle(tf.range(n, dtype=tf.int64)))
    return [element.numpy() for element in dataset]


@pytest.mark.parametrize("n", [1, 2, 3, 48, 600, 601])
def test_the_order_is_tensorflows_shuffle_under_the_global_seed(n):
    for seed in SEEDS:
        [expected] = _tf_shuffles(seed, n, 1)
        for epoch in (1, 2, 30):  # the same permutation every epoch
            np.testing.assert_array_equal(epoch_order([seed], n, True, epoch)[0], expected, err_msg=str(seed))


def test_every_epoch_draws_what_the_same_kernel_draws_next():
    for seed in (3, 42, 2**31 - 1):
        expected = _tf_shuffles(seed, 600, 3)
        got = [epoch_order([seed], 600, "every_epoch", epoch)[0] for epoch in (1, 2, 3)]
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(got[0], got[1])
        np.testing.assert_array_equal(got[0], epoch_order([seed], 600, True, 1)[0])


def test_no_shuffle_is_the_data_order_and_orders_are_pure():
    np.testing.assert_array_equal(epoch_order([5, 6], 7, False, 3), np.tile(np.arange(7), (2, 1)))
    # asked twice in one process (TensorFlow's stateful kernel would move on): the same order
    a, b = epoch_order([42], 600, True, 1), epoch_order([42], 600, True, 1)
    np.testing.assert_array_equal(a, b)
    # a study's row k is the seed's own order, whatever its neighbours (chunked for large studies)
    many = epoch_order(list(range(100)), 600, True, 1)
    np.testing.assert_array_equal(many[42], a[0])
    assert sorted(many[7].tolist()) == list(range(600))
    assert op_seeds(0) == (0, 2**31 - 1) and op_seeds(2**31 + 4) == (5, 0)


def test_the_batches_model_fit_trains_on_are_this_order(tiny_config):
    """Recorded inside a real model.fit(shuffle=True, validation_split=0.2) after set_random_seed:
    every epoch's batches, in order, are epoch_order's permutation of the fit part."""
    import keras

    seen = []

    class Recording(keras.Sequential):
        def train_step(self, data):
            seen.append(np.asarray(data[0])[:, 0].astype(int))
            return super().train_step(data)

    epochs, n_train = 3, 75
    for seed in (42, 7):
        seen.clear()
        keras.utils.set_random_seed(seed)
        model = Recording([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", run_eagerly=True)  # eager only to see the batches
        X = np.stack([np.arange(n_train), np.zeros(n_train)], axis=1).astype(np.float32)  # x1 = index
        model.fit(X, np.zeros(n_train), batch_size=5, epochs=epochs, validation_split=0.2, verbose=0)
        n_fit = 60
        order = np.concatenate(seen).reshape(epochs, n_fit)
        for epoch in range(epochs):
            np.testing.assert_array_equal(order[epoch], epoch_order([seed], n_fit, True, epoch + 1)[0])
