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
