"""boundary.py: where a decision boundary lies, measured on hand-set models whose answer is known."""

import json
import math

import numpy as np
import pytest

from circles_hinge.engine.boundary import boundary_radii, boundary_summary, signed_decision
from circles_hinge.losses import get_loss


def _radial(fn):
    """A hand-set 'model': decision values as a function of the distance from the origin."""
    return lambda X: fn(np.linalg.norm(np.asarray(X, dtype=np.float64), axis=-1))


def test_boundary_of_a_tanh_circle_and_its_level_crossings():
    r0, k = 0.4, 10.0
    radii = boundary_radii(_radial(lambda r: np.tanh(k * (r0 - r))), levels=(0.0, -0.5, 0.5))
    assert radii[0.0].shape == (360,)
    np.testing.assert_allclose(radii[0.0], r0, atol=1e-5)
    np.testing.assert_allclose(radii[0.5], r0 - math.atanh(0.5) / k, atol=1e-4)  # +0.5 is left first
    np.testing.assert_allclose(radii[-0.5], r0 + math.atanh(0.5) / k, atol=1e-4)


def test_saturated_output_crosses_plus_and_minus_one_where_it_leaves_and_reaches_them():
    """An output clipped to exactly ±1 (as float32 tanh saturates): +1 is crossed where the output
    drops below 1, and -1 where it first equals -1; on a plateau, to within one grid step."""
    r0, k, step = 0.5, 10.0, 2.0 / 800
    radii = boundary_radii(_radial(lambda r: np.clip(k * (r0 - r), -1, 1)), r_max=2.0, n_radii=801)
    np.testing.assert_allclose(radii[0.0], r0, atol=1e-5)
    np.testing.assert_allclose(radii[1.0], r0 - 1 / k, atol=step)
    np.testing.assert_allclose(radii[-1.0], r0 + 1 / k, atol=step)
    assert np.all(radii[1.0] <= r0 - 1 / k + 1e-6), "never past the point where the output leaves +1"


def test_boundary_of_an_off_centre_circle_follows_the_angle():
    centre, radius = np.array([0.1, 0.0]), 0.4
    radii = boundary_radii(lambda X: radius - np.linalg.norm(X - centre, axis=-1), n_angles=8)[0.0]
    theta = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    along = centre[0] * np.cos(theta)  # |r u - c| = R solved for r along the unit vector u
    expected = along + np.sqrt(along**2 - centre @ centre + radius**2)
    np.testing.assert_allclose(radii, expected, atol=1e-5)


def test_no_crossing_is_nan_and_several_models_are_measured_at_once():
    radii = boundary_radii(lambda X: np.ones(len(X)))
    assert np.isnan(radii[0.0]).all() and np.isnan(radii[1.0]).all()
    centres = np.array([0.3, 0.6])

    def two_models(X):  # (n, 2) shared by both models, or (2, n, 2): a set of points for each
        r = np.linalg.norm(X, axis=-1)
        return centres[:, None] - (r if X.ndim == 3 else r[None, :])

    two = boundary_radii(two_models)
    assert two[0.0].shape == (2, 360)
    np.testing.assert_allclose(two[0.0][0], 0.3, atol=1e-6)
    np.testing.assert_allclose(two[0.0][1], 0.6, atol=1e-6)


def test_boundary_summary_of_a_known_circle():
    r0, k, factor, level = 0.4, 10.0, 0.1, 0.5
    radii = boundary_radii(_radial(lambda r: np.tanh(k * (r0 - r))), levels=(0.0, -level, level))
    s = boundary_summary(radii, factor, band_level=level).to_json()
    assert len(s) == 15 and all(value is not None for value in s.values())
    half = math.atanh(level) / k
    expected = {
        "boundary_radius_mean": r0,
        "boundary_radius_min": r0,
        "boundary_radius_max": r0,
        "boundary_coverage": 1.0,
        "inner_margin": r0 - factor,
        "outer_margin": 1 - r0,
        "distance_from_midway": r0 - 0.55,
        "max_distance_from_midway": 0.55 - r0,
        "band_inner_radius_mean": r0 - half,
        "band_outer_radius_mean": r0 + half,
        "band_width_mean": 2 * half,
        "inner_radius": factor,
        "outer_radius": 1.0,
        "midway_radius": 0.55,
        "band_level": level,
    }
    for key, value in expected.items():
        assert s[key] == pytest.approx(value, abs=1e-4), key


def test_boundary_summary_without_a_boundary_is_json_safe():
    s = boundary_summary(boundary_radii(lambda X: -np.ones(len(X))), 0.1).to_json()
    assert (
        s["boundary_coverage"] == 0.0 and s["boundary_radius_mean"] is None and s["band_width_mean"] is None
    )
    json.dumps(s, allow_nan=False)


def test_signed_decision_puts_class_one_on_the_positive_side():
    outputs = np.array([[[0.2, 0.9], [0.8, 0.1]]])  # (K=1, n=2, 2 units)
    np.testing.assert_allclose(signed_decision(get_loss("categorical_hinge"), outputs), [[0.7, -0.7]])
    p = np.array([[0.5], [0.9]])
    np.testing.assert_allclose(signed_decision(get_loss("binary_crossentropy"), p), [0.0, math.log(9)])
    assert signed_decision(get_loss("categorical_hinge"), np.zeros((4, 3))) is None


def test_the_coarse_walk_finds_the_radius_the_full_walk_finds_and_says_what_it_misses():
    """Every 8th radius first, then the 9 around each crossing: the same radius as walking all 801
    (the values at the radii it evaluates are the same); a dip below the level narrower than one
    coarse step (0.02) can fall between two coarse radii, which the docstring states."""
    wavy = _radial(lambda r: np.tanh(3 * (0.55 + 0.05 * np.sin(7 * r) - r)))
    coarse, full = (
        boundary_radii(wavy, levels=(0.0, -0.5, 0.5)),
        boundary_radii(wavy, coarse=1, levels=(0.0, -0.5, 0.5)),
    )
    for level in full:
        np.testing.assert_array_equal(coarse[level], full[level])
    dip = _radial(lambda r: np.where(np.abs(r - 0.31) < 0.004, -1.0, 1.0) * (1.0 - r))  # 0.30, 0.32 outside
    assert np.allclose(boundary_radii(dip, coarse=1)[0.0], 0.306, atol=0.002)  # the full walk sees the dip
    assert np.allclose(boundary_radii(dip)[0.0], 1.0, atol=0.003)  # the coarse one steps over it
