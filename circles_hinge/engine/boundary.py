"""Where a decision boundary lies on the circles: rays from the origin, the radius where the output crosses
0 and ±level on each, and the figures of one model (margins, distance from midway, band) from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import n_classes
from circles_hinge.engine.model import output_activation
from circles_hinge.losses import LossSpec, decision_values
from circles_hinge.results import Boundary

OUTER_RADIUS = 1.0  # make_circles puts the outer circle at radius 1 and the inner one at `factor`
# tanh reaches ±1 only in the limit, and squared hinge (whose gradient 2(1 - y·f) fades near 1) leaves
# it near 0.99 even deep inside the inner circle; so for a tanh output the band is |f| < 0.9, where a
# correctly classified point still pays hinge loss above 0.1. Other outputs (a logit) use ±1 itself.
TANH_BAND_LEVEL = 0.9


def ray_angles(n_angles: int) -> np.ndarray:
    return np.linspace(0.0, 2 * np.pi, n_angles, endpoint=False)


def boundary_radii(
    decision: Callable[[np.ndarray], np.ndarray],
    n_angles: int = 360,
    r_max: float = 2.0,
    n_radii: int = 801,
    levels: Sequence[float] = (0.0, -1.0, 1.0),
    coarse: int = 8,
) -> dict[float, np.ndarray]:
    """For each level, the radius along each ray from the origin where the decision value first
    crosses it, walking outwards: {level: array (..., n_angles)}, NaN where a ray never crosses.

    `decision(points)` takes points of shape (n, 2) and returns values of shape (..., n): one model,
    or K replicas at once; it must also take (..., n, 2), a set of points for each of them. Each ray
    is walked on n_radii radii; between the two around the crossing the radius is interpolated
    linearly (exact for a straight segment; where the output leaves a plateau exactly on the level,
    to within one grid step, r_max / (n_radii - 1)). A point counts as having crossed a level >= 0
    once its value is below it, and a level < 0 once its value is at or below it: so a tanh that
    saturates at exactly +1 near the origin leaves the +1 level where it first drops, an output of
    exactly -1 has reached the -1 level, and 0 counts as class 1, as in `predict_classes`.

    The walk first takes every `coarse`-th radius, then only the radii between the two around each
    level's first crossing there: 101 + 3 x 9 points a ray instead of 801, the same radius unless
    the value crosses a level and comes back within one coarse step (2 / 100 = 0.02), which this
    walk does not see.
    """
    radii = np.linspace(0.0, r_max, n_radii)
    theta = ray_angles(n_angles)
    step = coarse if coarse > 1 and (n_radii - 1) % coarse == 0 else 1
    grid = np.arange(0, n_radii, step)
    values = _on_rays(decision, theta, np.broadcast_to(radii[grid], (n_angles, len(grid))))
    levels = [float(level) for level in levels]
    sides = [_side(values, level) for level in levels]
    found = [(side != side[..., :1]).any(axis=-1) for side in sides]
    if step == 1:
        windows = [values] * len(levels)
        firsts = [np.zeros(f.shape, dtype=int) for f in found]
    else:  # the fine radii from the last coarse one before the crossing to the first past it
        firsts = [grid[np.maximum(np.argmax(side != side[..., :1], axis=-1), 1) - 1] for side in sides]
        fine = [first[..., None] + np.arange(step + 1) for first in firsts]
        # every level's windows in one evaluation (ray after ray, level after level)
        windows = np.split(
            _on_rays(decision, np.tile(theta, len(levels)), radii[np.concatenate(fine, axis=-2)]),
            len(levels),
            axis=-2,
        )
    out = {}
    for level, side, hit, first, window in zip(levels, sides, found, firsts, windows):
        changed = _side(window, level) != side[..., :1]
        j = np.maximum(np.argmax(changed, axis=-1), 1)[..., None]  # the first point past the crossing
        v0 = np.take_along_axis(window, j - 1, axis=-1)[..., 0]
        v1 = np.take_along_axis(window, j, axis=-1)[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip((level - v0) / (v1 - v0), 0.0, 1.0)
        r = radii[first + j[..., 0] - 1] + t * (radii[1] - radii[0])
        out[level] = np.where(hit, r, np.nan)
    return out


def _side(values: np.ndarray, level: float) -> np.ndarray:
    return values >= level if level >= 0 else values > level


def _on_rays(decision, theta: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Decision values at radii (..., n_angles, m) along the rays at angles theta, as float64 of the
    same shape; (n_angles, m) radii are the same for every model the decision covers."""
    points = np.stack([np.cos(theta)[:, None] * radii, np.sin(theta)[:, None] * radii], axis=-1)
    lead = radii.shape[:-2]
    values = np.asarray(decision(points.reshape(*lead, -1, 2).astype(np.float32)), dtype=np.float64)
    return values.reshape(*values.shape[:-1], *radii.shape[-2:])


def _stat(array: np.ndarray, fn) -> float | None:
    v = array[np.isfinite(array)]
    return float(fn(v)) if v.size else None


def midway_radius(factor: float) -> float:
    """The maximum-margin circle: midway between the inner circle (radius factor) and the outer (1)."""
    return (factor + OUTER_RADIUS) / 2


def boundary_summary(radii: dict[float, np.ndarray], factor: float, band_level: float = 1.0) -> Boundary:
    """The boundary figures of one model, from `boundary_radii(..., levels=(0, -band_level, band_level))`.

    inner/outer_margin: the gap from the data's inner circle (radius `factor`) to the boundary's
    nearest point, and from its farthest point to the outer circle (radius 1). distance_from_midway:
    the mean boundary radius minus the maximum-margin radius (factor + 1) / 2; negative means the
    boundary hugs the inner circle. band_*: where the value crosses +band_level and -band_level, the
    ring in which points on either side still pay hinge loss.
    """
    r0 = np.asarray(radii[0.0], dtype=np.float64)
    inner, outer = np.asarray(radii[band_level]), np.asarray(radii[-band_level])
    midway = midway_radius(factor)
    r_min, r_max = _stat(r0, np.min), _stat(r0, np.max)
    r_mean = _stat(r0, np.mean)
    return Boundary(
        boundary_radius_mean=r_mean,
        boundary_radius_min=r_min,
        boundary_radius_max=r_max,
        boundary_coverage=float(np.isfinite(r0).mean()),  # share of rays that cross the boundary
        inner_margin=None if r_min is None else r_min - factor,
        outer_margin=None if r_max is None else OUTER_RADIUS - r_max,
        distance_from_midway=None if r_mean is None else r_mean - midway,
        max_distance_from_midway=_stat(np.abs(r0 - midway), np.max),
        band_inner_radius_mean=_stat(inner, np.mean),
        band_outer_radius_mean=_stat(outer, np.mean),
        band_width_mean=_stat(outer - inner, np.mean),
    ).with_constants(boundary_constants(factor, band_level))


def boundary_constants(factor: float, band_level: float) -> Boundary:
    """What a model's boundary is measured against: the data's circles, the maximum-margin radius
    midway between them, and the band's level (no model's figures)."""
    return Boundary(
        inner_radius=float(factor),
        outer_radius=OUTER_RADIUS,
        midway_radius=midway_radius(factor),
        band_level=float(band_level),
    )


def band_level(config: Config) -> float:
    return TANH_BAND_LEVEL if output_activation(config) == "tanh" else 1.0


def signed_decision(spec: LossSpec, outputs: np.ndarray) -> np.ndarray | None:
    """Decision values for outputs of shape (..., n, units) whose sign is the class (+ = class 1, the
    inner circle); None for more than two classes, where no single signed value exists."""
    outputs = np.asarray(outputs)
    if not spec.multiclass:
        lead = outputs.shape[:-1]
        return decision_values(spec, outputs.reshape(-1, outputs.shape[-1])).reshape(lead)
    if outputs.shape[-1] == 2:
        return outputs[..., 1].astype(np.float64) - outputs[..., 0]
    return None


def has_boundary(config: Config) -> bool:
    """Circles, with two classes: every loss then has one signed decision value (see signed_decision)."""
    return config.data.dataset == "circles" and n_classes(config.data) == 2
