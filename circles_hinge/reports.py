"""The whole reports a comparison and a sweep write (comparison.json, sweep.json), typed: what was asked,
a result per loss (and cell), the time, the config and where it ran. Each owns its JSON: `to_json()` is
the file, `from_json()` reads one back (also from folders written before a field existed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from circles_hinge.config import Config, validate
from circles_hinge.results import BaselineRecord, Paired, RunRow, SeedRow, SeedSummary


@dataclass
class ComparisonReport:
    """comparison.json: several losses on the same data and initial weights, side by side (a `RunRow`
    per loss, each with its run folder) or as a seed study (a `SeedSummary` per loss)."""

    losses: list[str]
    seeds_label: str
    n_seeds: int
    success_accuracy: float | None  # the threshold of a seed study; None side by side
    results: list[RunRow] | list[SeedSummary]
    seconds: float
    files: dict[str, Any]  # the folder's files: {"picture": ..., "runs": {loss: folder}} or "per_seed"
    config: Config
    versions: dict[str, Any]
    machine: dict[str, Any]
    paired: list[Paired] = field(default_factory=list)  # every pair of losses, seed by seed
    kind: str = "compare"
    baselines: BaselineRecord | None = None  # with --baselines: scikit-learn's answers on the same split

    @property
    def study(self) -> bool:
        return self.success_accuracy is not None

    @property
    def runs(self) -> list[RunRow]:
        return [r for r in self.results if isinstance(r, RunRow)]

    @property
    def summaries(self) -> list[SeedSummary]:
        return [r for r in self.results if isinstance(r, SeedSummary)]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "losses": self.losses,
            "seeds_label": self.seeds_label,
            "n_seeds": self.n_seeds,
            "success_accuracy": self.success_accuracy,
            "results": [r.to_json() for r in self.results],
            "paired": [p.to_json() for p in self.paired],
            **({"baselines": self.baselines.to_json()} if self.baselines else {}),
            "seconds": self.seconds,
            "files": self.files,
            "config": self.config.to_dict(),
            "versions": self.versions,
            "machine": self.machine,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], source: str = "comparison.json") -> ComparisonReport:
        """A comparison.json as read; KeyError, TypeError or ConfigError when it is not one."""
        study = raw.get("success_accuracy") is not None
        read = SeedSummary.from_json if study else RunRow.from_json
        return cls(
            losses=list(raw["losses"]),
            seeds_label=str(raw.get("seeds_label", "")),
            n_seeds=raw.get("n_seeds", 1),
            success_accuracy=raw.get("success_accuracy"),
            results=[read(r) for r in raw["results"]],
            seconds=raw.get("seconds", 0.0),
            files=dict(raw.get("files") or {}),
            config=validate(raw["config"], f"{source} config"),
            versions=dict(raw.get("versions") or {}),
            machine=dict(raw.get("machine") or {}),
            paired=[Paired.from_json(p) for p in raw.get("paired") or []],
            baselines=BaselineRecord.from_json(raw["baselines"]) if raw.get("baselines") else None,
        )


@dataclass
class Partial:
    """`merge --partial`: the shards a folder holds, of how many, the ones missing, and the commands
    that would make them."""

    shards: list[int]
    of: int
    missing: list[int]
    commands: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"shards": self.shards, "of": self.of, "missing": self.missing, "commands": self.commands}


@dataclass
class SweepReport:
    """sweep.json: a seed study of each loss at every cell of a grid (a `SeedSummary` per cell and loss,
    its cell's values first); a shard holds only its share of the cells."""

    grid: list[tuple[str, list[Any]]]  # (key, values) per axis, in the order given
    losses: list[str]
    seeds_label: str
    n_seeds: int
    success_accuracy: float
    shard: list[int] | None  # [i, n]: this folder is the i-th of n parts
    units: list[list[Any]]  # [cell index, loss] of each result, in order
    results: list[SeedSummary]
    seconds: float
    workers: int | None  # processes it trained in (None: merged from shards)
    files: dict[str, Any]
    config: Config
    versions: dict[str, Any]
    machine: dict[str, Any]
    merged_from: list[str] | None = None
    paired: list[Paired] = field(default_factory=list)  # every pair of losses in every cell
    partial: Partial | None = None  # merge --partial: some shards are missing
    kind: str = "sweep"
    extra: dict[str, Any] = field(default_factory=dict)  # fields of a newer version, kept as read

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.grid]

    @property
    def part(self) -> str:
        """What part of its sweep the folder holds, for its picture, pages and summary: 'Partial:
        shards 1, 3 of 3 only; shard 2 missing' for `merge --partial`, 'Shard 2 of 3: ...' for a
        shard; '' for all of it."""
        if self.partial is not None:
            missing = self.partial.missing
            return (
                f"Partial: shards {', '.join(map(str, self.partial.shards))} of {self.partial.of} only; "
                f"shard{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} missing"
            )
        if self.shard:
            return f"Shard {self.shard[0]} of {self.shard[1]}: only its share of the cells"
        return ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "grid": [{"key": key, "values": values} for key, values in self.grid],
            "keys": self.keys,
        }
        if len(self.grid) == 1:  # the one-key form, as `--param KEY --values LIST` gives it
            out["param"], out["values"] = self.grid[0]
        out.update(
            {
                "losses": self.losses,
                "seeds_label": self.seeds_label,
                "n_seeds": self.n_seeds,
                "success_accuracy": self.success_accuracy,
                "shard": self.shard,
                "units": self.units,
                "results": [r.to_json() for r in self.results],
                "paired": [p.to_json() for p in self.paired],
                "seconds": self.seconds,
                "workers": self.workers,
                "files": self.files,
                "config": self.config.to_dict(),
                "versions": self.versions,
                "machine": self.machine,
            }
        )
        if self.merged_from is not None:
            out["merged_from"] = self.merged_from
        if self.partial is not None:
            out["partial"] = self.partial.to_json()
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any], source: str = "sweep.json") -> SweepReport:
        """A sweep.json as read (a folder made before grids has only `param` and `values`)."""
        axes = raw.get("grid") or [{"key": raw["param"], "values": raw.get("values", [])}]
        grid = [(axis["key"], list(axis["values"])) for axis in axes]
        keys = [key for key, _ in grid]
        known = set(cls.__dataclass_fields__) | {"keys", "param", "values"}
        return cls(
            grid=grid,
            losses=list(raw["losses"]),
            seeds_label=str(raw.get("seeds_label", "")),
            n_seeds=raw["n_seeds"],
            success_accuracy=raw["success_accuracy"],
            shard=raw.get("shard"),
            units=list(raw.get("units") or []),
            results=[SeedSummary.from_json(r, keys) for r in raw["results"]],
            seconds=raw.get("seconds", 0.0),
            workers=raw.get("workers"),
            files=dict(raw.get("files") or {}),
            config=validate(raw["config"], f"{source} config"),
            versions=dict(raw.get("versions") or {}),
            machine=dict(raw.get("machine") or {}),
            merged_from=raw.get("merged_from"),
            paired=[Paired.from_json(p) for p in raw.get("paired") or []],
            partial=None if not raw.get("partial") else Partial(**raw["partial"]),
            extra={k: v for k, v in raw.items() if k not in known},
        )


@dataclass
class CellResult:
    """One cell and loss of a sweep as it finished: its summary and its seeds' rows of seeds.csv (as
    written: a shard's rows read back are text, which seeds.csv writes back unchanged). resume.json keeps
    the finished ones, so a stopped sweep resumes from them."""

    cell: int  # the cell's index in the grid
    loss: str
    summary: SeedSummary
    seed_rows: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "loss": self.loss,
            "result": self.summary.to_json(),
            "seed_rows": self.seed_rows,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], keys: list[str]) -> CellResult:
        summary = SeedSummary.from_json(raw["result"], keys)
        return cls(raw["cell"], raw["loss"], summary, list(raw["seed_rows"]))


# ---------------------------------------------------------------------------------------------------
# report --compare: folders side by side


@dataclass
class Entry:
    """One loss of one folder (and one cell of a sweep), as the page sets it beside the others."""

    label: str
    folder: Path  # the folder given (a comparison's runs are entries of their comparison)
    kind: str  # run, compare (side by side), study, sweep
    loss: str
    config: Config
    rows: list[SeedRow]  # one per seed: a run or a side-by-side loss has one
    success: float  # the threshold its folder used
    curves: dict[str, dict[str, list[float | None]]] | None = None  # per metric: median, q25, q75
    replay: dict[str, Any] | None = None  # the replay its page holds
    cell: dict[str, Any] = field(default_factory=dict)
    restart: int = 0  # a `train` run that kept restart k > 0 started from other weights than its seed's

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.rows]


@dataclass
class Gathered:
    """What `report --compare` sets side by side: the folders, their entries, and the verdicts."""

    folders: list[Path]
    entries: list[Entry]
    paired: list[Paired]
    left_out: int = 0  # pairs beyond MAX_PAIRS
    differences: list[tuple[str, list[str]]] = field(default_factory=list)  # config key, value per folder
