"""Data: the tutorial's split, labels and seeding."""

import numpy as np
import pytest
from sklearn.datasets import make_circles

from circles_hinge.config import Config, DataConfig
from circles_hinge.engine.data import load_split, make_dataset, n_classes, split_dataset
from circles_hinge.loading import load_config


def test_tutorial_split_sizes():
    s = load_split(Config().data, 42, 0.2)
    assert (len(s.X_fit), len(s.X_val), len(s.X_test)) == (600, 150, 250)  # 600 + 150 + 250 = 1000
    assert s.X_fit.shape[1] == 2 and s.X_fit.dtype == np.float32
    assert n_classes(Config().data) == 2


@pytest.mark.parametrize("dataset", ["circles", "moons", "blobs"])
@pytest.mark.parametrize("n_samples", [2, 3, 4, 5, 7, 200])
def test_the_class_count_is_what_the_data_holds(dataset, n_samples):
    """n_classes(data) is the largest class drawn plus one, down to the smallest data set the config
    allows (2 samples: a blobs set that small holds the first two blobs only)."""
    data = DataConfig(dataset=dataset, n_samples=n_samples, test_size=1)
    for seed in (0, 1, 42):
        _, y = make_dataset(data, seed)
        assert n_classes(data) == int(y.max()) + 1
    assert n_classes(data) == (min(3, n_samples) if dataset == "blobs" else 2)


def test_the_smallest_blobs_run_the_config_allows_has_two_classes():
    sets = ["data.dataset=blobs", "training.loss=categorical_hinge", "data.n_samples=2", "data.test_size=1"]
    config = load_config(None, [*sets, "training.validation_split=0"])
    X, y = make_dataset(config.data, config.seed)
    assert n_classes(config.data) == int(y.max()) + 1 == 2


def test_first_test_size_samples_are_the_test_set_and_validation_is_the_tail():
    X, y = make_dataset(Config().data, 42)
    s = split_dataset(X, y, 250, 0.2)
    np.testing.assert_array_equal(s.X_test, X[:250])
    np.testing.assert_array_equal(s.X_fit, X[250:850])
    np.testing.assert_array_equal(s.X_val, X[850:])  # Keras: the last 20%, before shuffling
    np.testing.assert_array_equal(s.X_train, X[250:])


def test_same_as_make_circles_with_random_state():
    X, y = make_dataset(Config().data, 7)
    X_ref, y_ref = make_circles(n_samples=1000, factor=0.1, noise=0.0, random_state=7)
    np.testing.assert_allclose(X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(y, y_ref)
    assert set(np.unique(y)) == {0, 1}


def test_seeding():
    d = Config().data
    a, b, c = make_dataset(d, 1), make_dataset(d, 1), make_dataset(d, 2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_factor_sets_the_inner_radius():
    X, y = make_dataset(load_config(None, ["data.factor=0.3"]).data, 0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-6)
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)


def test_keras_rounding_of_the_validation_split():
    X = np.zeros((13, 2), np.float32)
    s = split_dataset(X, np.zeros(13, int), 3, 0.25)  # 10 training samples: floor(7.5) = 7 fit
    assert (len(s.X_fit), len(s.X_val)) == (7, 3)


@pytest.mark.parametrize("dataset", ["xor", "spiral", "gauss"])
@pytest.mark.parametrize("n_samples", [2, 3, 101, 1000])
def test_playground_sets_hold_n_samples_points_seeded_and_shuffled(dataset, n_samples):
    data = DataConfig(dataset=dataset, n_samples=n_samples, test_size=1, noise=0.1)
    X, y = make_dataset(data, 5)
    assert X.shape == (n_samples, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1} and n_classes(data) == 2
    again, other = make_dataset(data, 5), make_dataset(data, 6)
    np.testing.assert_array_equal(X, again[0])
    assert not np.array_equal(X, other[0])
    if dataset != "xor":  # a class count set by n_samples; shuffled, so the test part holds both
        assert (y == 0).sum() == n_samples // 2
        if n_samples == 1000:
            assert 0.3 < y[:250].mean() < 0.7


def test_playground_sets_follow_the_playgrounds_geometry():
    clean = {
        name: make_dataset(DataConfig(dataset=name, noise=0.0), 0) for name in ("xor", "spiral", "gauss")
    }
    X, y = clean["xor"]
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))  # no noise: the quadrant
    assert np.abs(X).min() >= 0.3 - 1e-6 and np.abs(X).max() <= 5.3 + 1e-6  # pushed off the axes
    X, y = clean["spiral"]
    r = np.linalg.norm(X, axis=1)
    assert r.max() < 5 and np.isclose(np.sort(r[y == 1])[1], 5 / 500, atol=1e-6)  # i / n * 5
    X, y = clean["gauss"]
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.15)
    np.testing.assert_allclose(X[y == 0].std(axis=0), np.sqrt(0.5), rtol=0.1)  # variance 0.5 at noise 0
    noisy = make_dataset(DataConfig(dataset="gauss", noise=0.5), 0)
    np.testing.assert_allclose(noisy[0][noisy[1] == 0].std(axis=0), 2.0, rtol=0.1)  # variance 4 at 0.5
    xor_noisy = make_dataset(DataConfig(dataset="xor", noise=0.5), 0)
    flipped = xor_noisy[1] != (xor_noisy[0][:, 0] * xor_noisy[0][:, 1] >= 0)
    assert 0.05 < flipped.mean() < 0.45  # noise moves the label, not the point
