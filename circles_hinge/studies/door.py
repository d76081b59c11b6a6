"""The door every request comes through, from the command line and from the API alike.

`plan_train`, `plan_compare`, `plan_sweep`, `plan_resume` and `plan_merge` read the config, run every
check once (the config, the losses and seeds, the folder name, memory, the page budget) and return a
checked plan with the notices to show before the work starts; the `run_*` functions of the pipelines
trust it. A refusal is one `ConfigError` line, raised before TensorFlow loads or a folder is made, with
the same words for both doors; only where a value was given is named in each door's own words
(`--set data.noise=x` on the command line, `overrides['data.noise']` in the API).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from circles_hinge.config import Config, ignored_by_dataset, show, test_count
from circles_hinge.engine.points import check_test_part, read_points
from circles_hinge.errors import ConfigError
from circles_hinge.loading import API_LABELS, Labels, resolve_config
from circles_hinge.reports import CellResult
from circles_hinge.results import SUCCESS_ACCURACY
from circles_hinge.store.folders import check_name_free, new_file_path
from circles_hinge.store.names import check_name
from circles_hinge.studies.budget import (
    Estimate,
    batch_notice,
    check_run_fits,
    check_study_fits,
    estimate_sweep,
    long_notice,
)
from circles_hinge.studies.gather import check_folders
from circles_hinge.studies.grid import Grid, check_grid
from circles_hinge.studies.requests import ComparisonRequest, check_comparison
from circles_hinge.studies.shards import MergeParts, check_merge, check_resume

ConfigLike = Config | Mapping[str, Any] | str | Path | None
Given = dict[str, tuple[Any, str]]  # dotted key -> (value, where it was given): what the user asked for


@dataclass
class Ask:
    """What a user asked for, before any check: a config (a YAML file's path, a mapping or a Config),
    `--set KEY=VALUE` items (the API's overrides become the same), and the named options. `api`
    names the sources in the API's words in messages."""

    config: ConfigLike = None
    sets: Sequence[str] = ()
    loss: Any = None
    seed: Any = None
    epochs: Any = None
    api: bool = False

    @classmethod
    def from_api(
        cls,
        config: ConfigLike = None,
        overrides: Mapping[str, Any] | None = None,
        *,
        loss: Any = None,
        seed: Any = None,
        epochs: Any = None,
    ) -> Ask:
        import json

        sets = [f"{key}={json.dumps(value)}" for key, value in (overrides or {}).items()]
        return cls(config, sets, loss, seed, epochs, api=True)

    def labels(self) -> Labels:
        return API_LABELS if self.api else Labels()

    def read(self) -> tuple[Config, Given]:
        """The validated Config and what the file and --set asked for (for the ignored-key notices)."""
        config = self.config
        if isinstance(config, Config):
            config = config.to_dict()
        named = {"loss": self.loss, "seed": self.seed, "epochs": self.epochs}
        if isinstance(config, Mapping):
            return resolve_config(
                None, list(self.sets), base=dict(config), labels=self.labels(), prepare=points_file, **named
            )
        if isinstance(config, str) and not config.strip():
            raise ConfigError("--config is empty; give a YAML file such as configs/default.yaml")
        path = Path(config) if config is not None else None
        return resolve_config(path, list(self.sets), labels=self.labels(), prepare=points_file, **named)


def points_file(raw: dict[str, Any]) -> dict[str, Any]:
    """data.dataset csv: read and check the file data.path now, before TensorFlow loads or a folder is
    made, and set data.n_samples to its row count (what every later check and estimate counts on).
    Anything else, and a csv request without a usable data.path, goes to the schema as it is."""
    data = raw.get("data")
    if not isinstance(data, dict) or data.get("dataset") != "csv":
        return raw
    path = data.get("path")
    if not isinstance(path, str) or not path.strip():
        return raw  # the schema says data.path is missing or not a path
    points = read_points(path)
    test_size = data.get("test_size")
    valid_count = isinstance(test_size, int) and not isinstance(test_size, bool) and test_size > 0
    if test_size is None or valid_count or (isinstance(test_size, float) and 0 < test_size < 1):
        check_test_part(points, test_count(test_size, len(points.y), "csv"))
    return {**raw, "data": {**data, "n_samples": len(points.y)}}


def check_classes(config: Config, losses: Sequence[str]) -> None:
    """A file of k > 2 classes needs k-class losses, as blobs does (the schema checks blobs itself)."""
    from circles_hinge.losses import get_loss

    if config.data.dataset != "csv":
        return
    k = read_points(config.data.path).n_classes
    for loss in losses:
        if k > 2 and not get_loss(loss).multiclass:
            raise ConfigError(
                f"training.loss {loss} is a two-class loss but data.path {config.data.path} has {k} "
                "classes; use categorical_hinge or multiclass_svm"
            )


@dataclass
class Plan:
    """What every plan has: the runs folder, and the lines to show the user before the work starts
    (settings the command ignores, a long run's estimated time)."""

    runs_dir: Path
    notices: list[str] = field(default_factory=list)


@dataclass
class TrainPlan(Plan):
    config: Config = None  # type: ignore[assignment]
    name: str | None = None
    animate: bool = False
    estimate: Estimate | None = None
    baselines: bool = False  # scikit-learn's classical answers on the same split, beside the network


@dataclass
class ComparePlan(Plan):
    request: ComparisonRequest = None  # type: ignore[assignment]
    animate: bool = False
    estimate: Estimate | None = None
    baselines: bool = False


@dataclass
class SweepPlan(Plan):
    grid: Grid = None  # type: ignore[assignment]
    name: str | None = None
    workers: int = 1
    estimate: Estimate | None = None


@dataclass
class ResumePlan(Plan):
    folder: Path = None  # type: ignore[assignment]
    grid: Grid = None  # type: ignore[assignment]
    record: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    workers: int = 1


@dataclass
class GatherPlan(Plan):
    folders: list[Path] = field(default_factory=list)
    out: Path = None  # type: ignore[assignment]  # the page to write (a new file)


@dataclass
class MergePlan(Plan):
    folders: list[Path] = field(default_factory=list)
    grid: Grid = None  # type: ignore[assignment]
    entries: list[CellResult] = field(default_factory=list)
    name: str | None = None
    parts: MergeParts | None = None  # with --partial: the missing shards and the commands for them


# ---------------------------------------------------------------------------------------------------
# The plans


def plan_train(
    ask: Ask,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    animate: bool = False,
    baselines: bool = False,
):
    """`train`: the config, the folder name, and memory, checked; notices for ignored settings, for an
    option that overrides a --set of the same key, and for a long run."""
    config, given = ask.read()
    check_classes(config, [config.training.loss])
    runs_path = check_runs_dir(runs_dir)
    name = _name(name, runs_path)
    set_sources = {ask.labels().set_item(item) for item in ask.sets}
    overridden = {  # --set and a named option for one key: the option wins, as documented; say so
        key: f"{ask.labels().named(option)} {show(value) if not isinstance(value, str) else value} "
        "comes later and wins"
        for key, option, value in (
            ("training.loss", "loss", ask.loss),
            ("seed", "seed", ask.seed),
            ("training.epochs", "epochs", ask.epochs),
        )
        if value is not None and key in given and given[key][1] in set_sources and given[key][0] != value
    }
    notices = ignored_notices("train", config, given, overridden)
    estimate = check_run_fits(config)
    notices += _long(estimate, config)
    return TrainPlan(runs_path, notices, config, name, animate, estimate, baselines)


def plan_compare(
    ask: Ask,
    losses: Sequence[str] = ("hinge", "squared_hinge"),
    seeds: int | None = None,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    animate: bool = False,
    replays: bool = False,
    success: float | None = None,
    baselines: bool = False,
) -> ComparePlan:
    """`compare`: side by side (seeds None) or a seed study; every loss, the seeds, the page budget of
    replays, the folder name and memory, checked."""
    from circles_hinge.studies.requests import check_loss_names

    losses = check_loss_names(list(losses))
    ask = _first_loss(ask, losses)
    config, given = ask.read()
    check_classes(config, losses)
    runs_path = check_runs_dir(runs_dir)
    success = SUCCESS_ACCURACY if success is None else success
    request = check_comparison(config, losses, seeds, name, replays, success)
    _name(request.name, runs_path)
    notices = []
    if animate and seeds is not None:
        notices.append(
            "warning: --animate applies to a side-by-side comparison; a seed study writes no run folders"
        )
    if replays and seeds is None:
        notices.append(
            "warning: --replays applies to a seed study (--seeds N); a side-by-side comparison always "
            "replays every loss"
        )
    if seeds is None:
        estimate = check_run_fits(request.config)
        estimate.seconds *= len(losses)
    else:
        estimate = check_study_fits(request.config, seeds, len(losses))
    notices += _long(estimate, config)
    notices += ignored_notices("compare", config, given, _ignored_by_studies(given, losses))
    return ComparePlan(runs_path, notices, request, animate, estimate, baselines)


def plan_sweep(
    ask: Ask,
    axes: Sequence[tuple[str, Sequence[Any]]],
    losses: Sequence[str] = ("hinge", "squared_hinge"),
    seeds: int = 10,
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    shard: tuple[int, int] | None = None,
    workers: int = 1,
    option: str = "--grid",
    success: float | None = None,
) -> SweepPlan:
    """`sweep`: the whole grid (every cell's config, the losses, the seeds, the shard), a key the data
    set ignores (every value would train the very same models), the folder name and the memory of the
    largest batch, checked."""
    from circles_hinge.studies.requests import check_loss_names

    losses = check_loss_names(list(losses))
    ask = _first_loss(ask, losses)
    config, given = ask.read()
    check_classes(config, losses)
    runs_path = check_runs_dir(runs_dir)
    if option == "--param" and not any(values for _, values in axes):
        raise ConfigError("--values is empty; give at least one value, e.g. --values 0,0.1,0.2")
    for key, _ in axes:
        if key == "data.path":  # each file has its own row count and classes, read once at this door
            raise ConfigError(f"{option} data.path cannot be swept: run one sweep per file")
        if key in ignored_by_dataset(config):
            raise ConfigError(f"{option} {key} cannot be swept here: {ignored_by_dataset(config)[key]}")
    success = SUCCESS_ACCURACY if success is None else success
    grid = check_grid(config, axes, losses, seeds, name, shard, option=option, success=success)
    name = _name(name, runs_path)
    estimate = estimate_sweep(grid, workers)
    notices = _long(estimate, config)
    ignored = _ignored_by_studies(given, losses)
    for key, parsed in grid.axes:
        if key in given:
            where = "--values" if option == "--param" else f"--grid {key}="
            ignored[key] = f"{where} gives its values ({', '.join(map(str, parsed))})"
    notices += ignored_notices("sweep", config, given, ignored)
    return SweepPlan(runs_path, notices, grid, name, workers, estimate)


def plan_resume(folder: str | Path, workers: int = 1) -> ResumePlan:
    """`sweep --resume FOLDER`: a sweep folder that stopped, with what it finished."""
    folder = Path(folder)
    grid, record, status = check_resume(folder)
    notices = [
        f"resuming {folder}: {len(record['done'])} of {len(grid.shard_units())} cell studies finished before"
    ]
    return ResumePlan(folder.parent, notices, folder, grid, record, status, workers)


def plan_merge(
    folders: Sequence[str | Path],
    runs_dir: str | Path = "outputs",
    name: str | None = None,
    partial: bool = False,
):
    """`merge`: the shards of one sweep, each complete, together covering it once; with `partial`, the
    finished ones, with a notice for each folder left out and each missing shard's command."""
    folders = [Path(f) for f in folders]
    runs_path = check_runs_dir(runs_dir)
    parts = check_merge(folders, partial, runs_path)
    name = _name(name, runs_path)
    notices = [f"warning: left out {why}" for why in parts.skipped]
    notices += [
        f"missing shard {i}/{parts.n}: {command}" for i, command in zip(parts.missing, parts.commands)
    ]
    return MergePlan(runs_path, notices, parts.used, parts.grid, parts.entries, name, parts)


def plan_gather(
    folders: Sequence[str | Path], runs_dir: str | Path = "outputs", out: str | Path | None = None
) -> GatherPlan:
    """`report --compare`: the folders (each finished and of a kind we read, none twice) and the page to
    write: `out`, which must not exist, or a new `compare-A-vs-B.html` in the runs folder."""
    paths = check_folders(folders)
    runs_path = check_runs_dir(runs_dir)
    if out is not None:
        page = new_file_path(Path(out), "--out", "compare.html", ("html",))
    else:
        stem = "compare-" + "-vs-".join(p.name for p in paths[:3]) + ("-and-more" if len(paths) > 3 else "")
        page = runs_path / f"{stem}.html"
        n = 2
        while page.exists():  # never over a page already there
            page = runs_path / f"{stem}-{n}.html"
            n += 1
    return GatherPlan(runs_path, [], paths, page)


# ---------------------------------------------------------------------------------------------------
# The checks and notices the plans share


def check_runs_dir(runs_dir: str | Path, must_exist: bool = False) -> Path:
    """The runs folder as a Path. An empty one would quietly mean the current folder: say `.` for that;
    a file is not a folder of runs."""
    if not str(runs_dir).strip():
        raise ConfigError("--runs-dir is empty; give a folder such as outputs (or . for the current folder)")
    path = Path(runs_dir)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--runs-dir {path} is a file, not a folder of runs")
    if must_exist and not path.exists():
        raise ConfigError(f"--runs-dir {path} does not exist")
    return path


def _name(name: str | None, runs_dir: Path) -> str | None:
    """--name checked in full (a plain folder name, and not taken) before any folder or progress."""
    if name is None:
        return None
    name = check_name(name)
    check_name_free(runs_dir, name)
    return name


def _first_loss(ask: Ask, losses: list[str]) -> Ask:
    """The first loss stands in for training.loss while the config loads, so `--set data.dataset=blobs`
    with k-class losses is not judged against the default hinge."""
    return Ask(ask.config, ask.sets, losses[0], ask.seed, ask.epochs, ask.api)


def _long(estimate: Estimate, config: Config) -> list[str]:
    """A long run's estimated time, and a batch_size larger than the data (clipped to it)."""
    notices = [long_notice(estimate, config.training.epochs), batch_notice(config)]
    return [n for n in notices if n is not None]


def _ignored_by_studies(given: Given, losses: list[str]) -> dict[str, str]:
    """What compare and sweep do not use: restarts (one initialisation per seed, the same for every
    loss, so a collapse shows) and training.loss (--losses names them)."""
    ignored = {}
    if "training.restarts" in given and given["training.restarts"][0] != 0:
        ignored["training.restarts"] = "every loss trains one initialisation per seed, without restarts"
    if "training.loss" in given and given["training.loss"][0] not in losses:
        ignored["training.loss"] = f"--losses names the losses ({','.join(losses)})"
    return ignored


def ignored_notices(command: str, config: Config, given: Given, ignored: dict[str, str]) -> list[str]:
    """One line for each setting the user asked for that this command does not use."""
    lines = []
    for key, why in {**ignored_by_dataset(config), **ignored}.items():
        if key in given:
            value, source = given[key]
            where = "given with --set" if source.startswith("--set") else f"from {source}"
            text = value if isinstance(value, str) else show(value)
            lines.append(f"warning: {command} ignores {key}={text} ({where}): {why}")
    return lines
