"""The results schema: metric names and the success threshold, and the typed records a run folder, a seed
study and a sweep write: where a boundary lies (`Boundary`), a median with its spread (`Spread`), a seed
of a study (`SeedRow`, a row of seeds.csv), a loss's seed study (`SeedSummary`) and a loss of a
side-by-side comparison (`RunRow`). Each owns its JSON (and CSV) form, so every other module reads
fields, never string keys. The whole reports are in reports.py."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.files import read_text

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")  # per epoch: history.csv's columns after epoch
SUCCESS_ACCURACY = 0.99  # a seed "succeeds" (and a first initialisation is kept) from this test accuracy


def finite_or_none(value: Any) -> float | None:
    """A finite float for JSON, or None (JSON has no NaN)."""
    return float(value) if value is not None and np.isfinite(value) else None


def history_rows(history: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """history.csv's rows: the epoch, then every metric written exactly (repr of the float)."""
    n = len(history["loss"])
    return [{"epoch": e + 1, **{m: repr(float(history[m][e])) for m in METRICS}} for e in range(n)]


def epochs_to_perfect(val_accuracy: np.ndarray) -> int | None:
    """The first epoch (1-based) at which validation accuracy is 100%, or None."""
    hits = np.flatnonzero(np.asarray(val_accuracy) >= 1.0)
    return int(hits[0]) + 1 if hits.size else None


# ---------------------------------------------------------------------------------------------------
# Where a boundary lies


@dataclass
class Boundary:
    """Where a model's boundary lies against two circles around the origin (engine/boundary.py measures
    it on rays from the origin); every field None where there is no boundary to measure (other data, or
    a collapsed model). The first eleven are the model's figures; the last four are the data's circles,
    the maximum-margin radius between them and the band's level, against which they are read."""

    boundary_radius_mean: float | None = None
    boundary_radius_min: float | None = None
    boundary_radius_max: float | None = None
    boundary_coverage: float | None = None  # the share of rays that cross the boundary
    inner_margin: float | None = None
    outer_margin: float | None = None
    distance_from_midway: float | None = None
    max_distance_from_midway: float | None = None
    band_inner_radius_mean: float | None = None
    band_outer_radius_mean: float | None = None
    band_width_mean: float | None = None
    inner_radius: float | None = None
    outer_radius: float | None = None
    midway_radius: float | None = None
    band_level: float | None = None

    @classmethod
    def figures(cls) -> tuple[str, ...]:
        """The names of the model's own figures (a study reports their median over successful seeds)."""
        return tuple(f.name for f in fields(cls))[:11]

    @classmethod
    def constants(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))[11:]

    def to_json(self, figures_only: bool = False) -> dict[str, Any]:
        names = self.figures() if figures_only else self.figures() + self.constants()
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Boundary:
        return cls(**{f.name: raw.get(f.name) for f in fields(cls)})

    def with_constants(self, other: Boundary) -> Boundary:
        """These figures against `other`'s circles and band."""
        return Boundary(**{**self.to_json(), **{n: getattr(other, n) for n in self.constants()}})

    @property
    def found(self) -> bool:
        return self.boundary_radius_mean is not None


@dataclass(frozen=True)
class Spread:
    """A median over seeds and its interquartile range; Nones where no seed has a finite value."""

    median: float | None = None
    iqr: float | None = None


def _spread_json(name: str, spread: Spread) -> dict[str, Any]:
    return {name: spread.median, f"{name}_iqr": spread.iqr}


def _spread(raw: dict[str, Any], name: str) -> Spread:
    return Spread(raw.get(name), raw.get(f"{name}_iqr"))


# ---------------------------------------------------------------------------------------------------
# A seed of a study, a loss's seed study, a loss of a side-by-side comparison


@dataclass
class SeedRow:
    """One seed of one loss in a study: a row of seeds.csv (a sweep puts the cell's values first)."""

    loss: str
    seed: int
    success: bool
    test_accuracy: float
    test_loss: float | None
    final_loss: float | None
    final_val_loss: float | None
    epochs_to_perfect_val: int | None
    boundary: Boundary = field(default_factory=Boundary)

    def to_row(self, cell: dict[str, Any] | None = None) -> dict[str, Any]:
        """The row as seeds.csv writes it: the cell's values, then the seed's numbers."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "boundary"}
        return {**(cell or {}), **own, **self.boundary.to_json(figures_only=True)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SeedRow:
        """A row of seeds.csv as read (every field text; an empty field is None), or as written."""

        def number(name: str, kind=float):
            value = row.get(name)
            return None if value is None or value == "" else kind(value)

        boundary = Boundary(**{name: number(name) for name in Boundary.figures()})
        return cls(
            loss=row["loss"],
            seed=int(row["seed"]),
            success=str(row["success"]) == "True",
            test_accuracy=float(row["test_accuracy"]),
            test_loss=number("test_loss"),
            final_loss=number("final_loss"),
            final_val_loss=number("final_val_loss"),
            epochs_to_perfect_val=number("epochs_to_perfect_val", int),
            boundary=boundary,
        )


def read_seed_rows(path: Path) -> list[SeedRow]:
    """seeds.csv of a seed study, read as a regular file of bounded size (files.py); FileProblem when it
    cannot be read, KeyError or ValueError when it is not one."""
    text = read_text(path)
    return [SeedRow.from_row(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


@dataclass
class SeedSummary:
    """One loss's seed study, in comparison.json and (with its cell's values first) in sweep.json: the
    success rate with its Wilson interval, the failed seeds, the test accuracy over seeds, medians with
    IQRs, and the boundary figures over the successful seeds."""

    loss: str
    seeds: int
    seed_range: list[int]
    success_rate: float
    success_ci95: list[float]
    successes: int
    failed_seeds: list[int]
    test_accuracy: float  # the mean over seeds
    test_accuracy_median: float
    test_accuracy_min: float
    test_accuracy_ci95: list[float] | None  # the mean's 95% bootstrap interval over seeds
    test_loss: Spread
    final_loss: Spread
    final_val_loss: Spread
    epochs_to_perfect_val: Spread
    perfect_val_seeds: int
    train_seconds: float | None  # None in a grid sweep: a batch of cells trains together
    boundary_seeds: int  # successful seeds whose boundary was found (the boundary figures' count)
    boundary: Boundary  # medians over those seeds, against the data's circles
    boundary_iqr: Boundary  # their interquartile ranges (the circles' fields unused)
    cell: dict[str, Any] = field(default_factory=dict)  # a sweep's cell: {key: value}
    # a comparison's seed study: per metric (loss, val_loss, val_accuracy) and epoch, the median and
    # quartiles over the seeds ({"loss": {"median": [...], "q25": [...], "q75": [...]}, ...})
    curves: dict[str, dict[str, list[float | None]]] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.cell)
        for name in ("loss", "seeds", "seed_range", "success_rate", "success_ci95", "successes"):
            out[name] = getattr(self, name)
        out["failed_seeds"] = self.failed_seeds
        out["test_accuracy"] = self.test_accuracy
        out["test_accuracy_median"] = self.test_accuracy_median
        out["test_accuracy_min"] = self.test_accuracy_min
        if self.test_accuracy_ci95 is not None:
            out["test_accuracy_ci95"] = self.test_accuracy_ci95
        for name in ("test_loss", "final_loss", "final_val_loss", "epochs_to_perfect_val"):
            out.update(_spread_json(name, getattr(self, name)))
        out["perfect_val_seeds"] = self.perfect_val_seeds
        if self.train_seconds is not None:
            out["train_seconds"] = self.train_seconds
        out["boundary_seeds"] = self.boundary_seeds
        for name in Boundary.figures():
            out[name], out[f"{name}_iqr"] = getattr(self.boundary, name), getattr(self.boundary_iqr, name)
        out.update({name: getattr(self.boundary, name) for name in Boundary.constants()})
        if self.curves is not None:
            out["curves"] = self.curves
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], keys: list[str] | tuple[str, ...] = ()) -> SeedSummary:
        """A summary as a folder holds it; `keys`: a sweep's grid keys, whose values come first."""
        boundary = Boundary.from_json(raw)
        iqr = Boundary(**{name: raw.get(f"{name}_iqr") for name in Boundary.figures()})
        return cls(
            loss=raw["loss"],
            seeds=raw["seeds"],
            seed_range=list(raw.get("seed_range") or []),
            success_rate=raw["success_rate"],
            success_ci95=list(raw["success_ci95"]),
            successes=raw["successes"],
            failed_seeds=list(raw.get("failed_seeds") or []),
            test_accuracy=raw["test_accuracy"],
            test_accuracy_median=raw.get("test_accuracy_median", raw["test_accuracy"]),
            test_accuracy_min=raw.get("test_accuracy_min", raw["test_accuracy"]),
            test_accuracy_ci95=raw.get("test_accuracy_ci95"),
            test_loss=_spread(raw, "test_loss"),
            final_loss=_spread(raw, "final_loss"),
            final_val_loss=_spread(raw, "final_val_loss"),
            epochs_to_perfect_val=_spread(raw, "epochs_to_perfect_val"),
            perfect_val_seeds=raw.get("perfect_val_seeds", 0),
            train_seconds=raw.get("train_seconds"),
            boundary_seeds=raw.get("boundary_seeds", 0),
            boundary=boundary,
            boundary_iqr=iqr,
            cell={key: raw.get(key, raw.get("value")) for key in keys},  # "value": a folder before grids
            curves=raw.get("curves"),
        )


@dataclass
class RunRow:
    """One loss of a side-by-side comparison: its run folder's numbers and where its boundary lies."""

    loss: str
    seed: int
    test_accuracy: float
    test_loss: float | None
    final_loss: float | None
    final_val_loss: float | None
    epochs_to_perfect_val: int | None
    train_seconds: float
    run: str  # the run folder's name inside the comparison folder
    boundary: Boundary = field(default_factory=Boundary)

    def to_json(self) -> dict[str, Any]:
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "boundary"}
        return {**own, **self.boundary.to_json()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunRow:
        names = [f.name for f in fields(cls) if f.name != "boundary"]
        own = {name: raw.get(name) for name in names}
        own["run"] = raw.get("run") or raw["loss"]
        return cls(**own, boundary=Boundary.from_json(raw))


@dataclass
class BaselineRow:
    """One of scikit-learn's classical answers (engine/baselines.py): its name as constructed, its test
    accuracy, its support vectors (None for the linear models) and, the SVC on circles, its boundary's
    mean radius."""

    name: str
    test_accuracy: float
    support_vectors: int | None = None
    fit_seconds: float = 0.0
    boundary_radius_mean: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BaselineRow:
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})


@dataclass
class BaselineRecord:
    """--baselines in a comparison: the classifiers, what they were fitted on, and on circles how far
    each network's boundary lies from the RBF SVM's on average (360 rays; None where it has none)."""

    fitted_on: str
    models: list[BaselineRow]
    distance_from_svm: dict[str, float | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        distances = {"boundary_distance_from_svm": self.distance_from_svm} if self.distance_from_svm else {}
        return {"fitted_on": self.fitted_on, "models": [m.to_json() for m in self.models], **distances}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BaselineRecord:
        return cls(
            fitted_on=str(raw["fitted_on"]),
            models=[BaselineRow.from_json(m) for m in raw["models"]],
            distance_from_svm=dict(raw.get("boundary_distance_from_svm") or {}),
        )


# ---------------------------------------------------------------------------------------------------
# Two losses on the same seeds


@dataclass(frozen=True)
class Difference:
    """The per-seed difference second - first of a number: its median and mean over the seeds, each
    with a 95% interval from a bootstrap over seeds (pairs kept together)."""

    median: float
    ci95: tuple[float, float]
    mean: float
    mean_ci95: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "median": finite_or_none(self.median),
            "ci95": [finite_or_none(v) for v in self.ci95],
            "mean": finite_or_none(self.mean),
            "mean_ci95": [finite_or_none(v) for v in self.mean_ci95],
        }


@dataclass
class Paired:
    """Two losses trained on the same seeds (the same data and initial weights): how often each
    succeeded where the other failed, McNemar's exact test of that, the per-seed difference in test
    accuracy (second minus first), and the verdict in one sentence a teacher can read out."""

    losses: tuple[str, str]
    n_seeds: int
    both_succeed: int
    only_first: int
    only_second: int
    neither: int
    mcnemar_p: float
    accuracy_difference: Difference
    test_loss_difference: Difference | None  # only where both losses share a scale (the same loss)
    seeds_to_detect: int | None  # seeds that would make a difference this large significant
    verdict: str
    cell: dict[str, Any] = field(default_factory=dict)  # a sweep's cell: {key: value}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cell": self.cell} if self.cell else {}
        out.update(
            {
                "losses": list(self.losses),
                "n_seeds": self.n_seeds,
                "both_succeed": self.both_succeed,
                "only_first": self.only_first,
                "only_second": self.only_second,
                "neither": self.neither,
                "mcnemar_p": self.mcnemar_p,
                "accuracy_difference": self.accuracy_difference.to_json(),
                "test_loss_difference": None
                if self.test_loss_difference is None
                else self.test_loss_difference.to_json(),
                "seeds_to_detect": self.seeds_to_detect,
                "verdict": self.verdict,
            }
        )
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Paired:
        def difference(d: dict[str, Any] | None) -> Difference | None:
            if d is None:
                return None
            nan = float("nan")
            number = lambda v: nan if v is None else v  # noqa: E731
            return Difference(
                number(d["median"]),
                tuple(number(v) for v in d["ci95"]),
                number(d.get("mean")),
                tuple(number(v) for v in d.get("mean_ci95") or (None, None)),
            )

        return cls(
            losses=tuple(raw["losses"]),
            n_seeds=raw["n_seeds"],
            both_succeed=raw["both_succeed"],
            only_first=raw["only_first"],
            only_second=raw["only_second"],
            neither=raw["neither"],
            mcnemar_p=raw["mcnemar_p"],
            accuracy_difference=difference(raw["accuracy_difference"]),
            test_loss_difference=difference(raw.get("test_loss_difference")),
            seeds_to_detect=raw.get("seeds_to_detect"),
            verdict=raw.get("verdict", ""),
            cell=dict(raw.get("cell") or {}),
        )
