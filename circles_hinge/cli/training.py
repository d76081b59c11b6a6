"""The commands that train and make folders: train, compare, sweep and merge. Each parses its options,
asks the door for a plan (studies/door.py, the same checks the API makes), shows the plan's notices, runs
it with progress, and prints the summary. Registered on the app in app.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from circles_hinge.cli.options import (
    AnimateOpt,
    BaselinesOpt,
    CompareAnimateOpt,
    ConfigOpt,
    EpochsOpt,
    GridOpt,
    JsonOpt,
    LossesOpt,
    LossOpt,
    MergeRunsDirOpt,
    NameOpt,
    ParamOpt,
    QuietOpt,
    ReplaysOpt,
    ResumeOpt,
    RunsDirOpt,
    SeedOpt,
    SeedsOpt,
    SetOpt,
    ShardOpt,
    SuccessOpt,
    SweepSeedsOpt,
    TrainNameOpt,
    ValuesOpt,
    WorkersOpt,
    complete_folder,
)
from circles_hinge.cli.running import (
    count,
    errors_to_exit_codes,
    fail,
    index_after,
    number,
    print_json,
    say,
    show,
    split_list,
    stop_on_sigterm,
)


def train(
    config: ConfigOpt = None,
    loss: LossOpt = None,
    seed: SeedOpt = None,
    epochs: EpochsOpt = None,
    sets: SetOpt = None,
    runs_dir: RunsDirOpt = "outputs",
    name: TrainNameOpt = None,
    animate: AnimateOpt = False,
    baselines: BaselinesOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train one network and write a run folder: by default the tutorial's 4-2-1 network on circles.

    The run folder holds config.yaml, metrics.json, history.csv, model.keras, the pictures
    (loss_curve.png, decision_regions.png, data.png, margins.png, hidden_layer.png) and report.html, all
    of it in one page with training replayed (open it in a browser). Any data set, loss and width the
    config allows: see `circles-hinge config` and docs/reference/config.md.

    Not every initialisation trains: if the first ends below 99% validation accuracy, the
    training.restarts (default 19) next initialisations are trained at once and the best on
    validation is kept; the summary and metrics.json say so. --set training.restarts=0 keeps the
    first whatever happens, as the tutorial does.

    \b
    Examples:
      circles-hinge train                                   # the tutorial: hinge, seed 42
      circles-hinge train --loss squared_hinge --seed 7
      circles-hinge train --set data.dataset=moons --set training.epochs=50
    """
    from circles_hinge.cli.progress import EpochProgress
    from circles_hinge.studies.door import Ask, plan_train

    started = time.perf_counter()
    with errors_to_exit_codes():
        ask = Ask(config, sets or [], loss, number(seed), number(epochs))
        plan = plan_train(ask, runs_dir, name, animate, baselines)  # every check, before any folder
    show(plan.notices)
    with errors_to_exit_codes(), stop_on_sigterm(), index_after(plan.runs_dir):
        from circles_hinge.cli.summary import baseline_lines, restart_line, run_line
        from circles_hinge.results import BaselineRow
        from circles_hinge.studies.experiment import run_train

        with EpochProgress(plan.config.training.epochs, enabled=not quiet) as bar:
            result = run_train(plan, on_epoch=bar.epoch, on_stage=bar.stage)
            bar.stage("done")
    m = result.metrics
    say(run_line(m, time.perf_counter() - started), as_json)
    if m["initialisations_tried"] > 1:
        say(restart_line(m), as_json)
    rows = [BaselineRow.from_json(b) for b in m.get("baselines") or []]  # metrics.json's, as written
    for line in baseline_lines(rows, {m["loss"]: m.get("boundary_distance_from_svm")}):
        say(line, as_json)
    if as_json:
        print_json(result.path, "metrics", m)
    else:
        typer.echo(str(result.path))


def compare(
    config: ConfigOpt = None,
    losses: LossesOpt = "hinge,squared_hinge",
    seeds: SeedsOpt = None,
    seed: SeedOpt = None,
    epochs: EpochsOpt = None,
    sets: SetOpt = None,
    runs_dir: RunsDirOpt = "outputs",
    name: NameOpt = None,
    animate: CompareAnimateOpt = False,
    replays: ReplaysOpt = False,
    success: SuccessOpt = None,
    baselines: BaselinesOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train several losses on the same data, split and initial weights, and compare them, seed by seed.

    Writes one folder with a run folder per loss, comparison.png, comparison.json, comparison.md and
    report.html. With --seeds N it is a seed study instead: success rates with Wilson intervals, the
    paired verdict of every pair of losses (McNemar's exact test on the seeds where one succeeded and
    the other failed), curves across seeds, and seeds.csv with one row per loss and seed.

    Every loss trains one initialisation per seed, the same for all: there are no restarts here, so
    a collapsed start counts as a failure rather than being retried. One seed is an anecdote: use
    --seeds for an answer.

    \b
    Examples:
      circles-hinge compare                                  # hinge vs squared hinge, seed 42
      circles-hinge compare --seeds 40                       # a paired seed study
      circles-hinge compare --losses hinge,squared_hinge,binary_crossentropy --seeds 100
    """
    from circles_hinge.cli.progress import StudyProgress
    from circles_hinge.studies.door import Ask, plan_compare

    started = time.perf_counter()
    loss_list = split_list(losses, "--losses")
    n_seeds = count(seeds, "--seeds")
    with errors_to_exit_codes():
        ask = Ask(config, sets or [], None, number(seed), number(epochs))
        threshold = None if success is None else number(success)
        plan = plan_compare(ask, loss_list, n_seeds, runs_dir, name, animate, replays, threshold, baselines)
    show(plan.notices)
    with errors_to_exit_codes(), stop_on_sigterm(), index_after(plan.runs_dir):
        from circles_hinge.cli.summary import baseline_lines, comparison_line
        from circles_hinge.studies.comparison import run_compare

        total = len(plan.request.losses) * plan.request.config.training.epochs
        with StudyProgress(total, enabled=not quiet, label="comparing") as bar:
            result = run_compare(plan, on_progress=bar.update)
    for r in result.report.results:
        say(comparison_line(r), as_json)
    for paired in result.report.paired:
        say(paired.verdict, as_json)
    found = result.report.baselines
    for line in baseline_lines(found.models, found.distance_from_svm) if found else []:
        say(line, as_json)
    say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        print_json(result.path, "report", result.report.to_json())
    else:
        typer.echo(str(result.path))


def sweep(
    grid: GridOpt = None,
    param: ParamOpt = None,
    values: ValuesOpt = None,
    config: ConfigOpt = None,
    losses: LossesOpt = "hinge,squared_hinge",
    seeds: SweepSeedsOpt = None,
    sets: SetOpt = None,
    workers: WorkersOpt = None,
    shard: ShardOpt = None,
    runs_dir: RunsDirOpt = "outputs",
    name: NameOpt = None,
    resume: ResumeOpt = None,
    success: SuccessOpt = None,
    baselines: BaselinesOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a seed study of each loss at every cell of a grid of config values (a separability sweep).

    Cells that differ only in their data (data.noise, data.factor) train together as one batch. Writes
    sweep.json, sweep.csv (a row per cell and loss), seeds.csv (a row per training), sweep.md,
    sweep.png (success rate and mean test accuracy with their intervals) and report.html, with the
    paired verdict of each pair of losses in each cell. A stopped sweep keeps the cells it finished;
    --resume FOLDER finishes it.

    \b
    Examples:
      circles-hinge sweep --param data.noise --values 0,0.05,0.1,0.2 --seeds 30
      circles-hinge sweep --grid data.noise=0,0.1 --grid data.factor=0.3,0.5,0.7
      circles-hinge sweep --grid data.noise=0,0.1 --shard 2/4       # one part of four
    """
    from circles_hinge.cli.progress import StudyProgress
    from circles_hinge.studies import door

    started = time.perf_counter()
    n_workers = count(workers, "--workers")
    if resume is not None:
        given = [
            o
            for o, v in (
                ("--grid", grid),
                ("--param", param),
                ("--values", values),
                ("--config", config),
                ("--set", sets),
                ("--seeds", seeds),
                ("--shard", shard),
                ("--name", name),
                ("--success", success),
            )
            if v
        ]
        if given:
            raise fail(
                f"--resume takes the sweep's settings from its folder; leave out {', '.join(given)}", 2
            )
    with errors_to_exit_codes():
        from circles_hinge.studies.grid import default_workers
        from circles_hinge.studies.shards import resolve_shard, shard_folder_name

        n_workers = n_workers or default_workers()
        if resume is not None:
            plan = door.plan_resume(resume, n_workers)
        else:
            axes, option = _axes(grid, param, values)
            parts, source = (None, None) if shard is None else resolve_shard(shard)
            if source is not None and name is not None:  # every task of the array has this --name
                name = shard_folder_name(name, parts)
            plan = door.plan_sweep(
                door.Ask(config, sets or []),
                axes,
                split_list(losses, "--losses"),
                count(seeds, "--seeds") or 10,
                runs_dir,
                name,
                parts,
                n_workers,
                option,
                None if success is None else number(success),
            )
            if source is not None:
                plan.notices.insert(0, source)
    show(plan.notices)
    with errors_to_exit_codes(), stop_on_sigterm(), index_after(plan.runs_dir):
        from circles_hinge.studies.grid import sweep_epochs
        from circles_hinge.studies.sweeps import resume_sweep, run_sweep

        with StudyProgress(sweep_epochs(plan.grid), enabled=not quiet, label="sweeping") as bar:
            run = resume_sweep if resume is not None else run_sweep
            result = run(plan, on_progress=bar.update)
    _sweep_summary(result, started, as_json)


def _axes(grid: list[str] | None, param: str | None, values: str | None):
    """--grid KEY=V1,... (repeatable) or --param KEY --values LIST, as [(key, [value text, ...])], and
    the option that named them."""
    from circles_hinge.errors import ConfigError
    from circles_hinge.studies.grid import parse_axis, split_values

    if grid:
        if param is not None or values is not None:
            raise ConfigError("give the grid with --grid, or one key with --param and --values, not both")
        return [parse_axis(text) for text in grid], "--grid"
    for option, value in (("--param", param), ("--values", values)):
        if value is None:
            raise ConfigError(
                f"{option} is required (or --resume FOLDER to finish a stopped sweep, "
                "or --grid KEY=V1,V2,... for a grid)"
            )
    return [(param, split_values(values, "--values"))], "--param"


def _sweep_summary(result, started: float, as_json: bool = False) -> None:
    from circles_hinge.cli.summary import sweep_line

    results = result.report.results
    for r in results[:40]:
        say(sweep_line(result.report.keys, r), as_json)
    if len(results) > 40:
        say(f"... and {len(results) - 40} more rows in sweep.csv", as_json)
    say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        print_json(result.path, "report", result.report.to_json())
    else:
        typer.echo(str(result.path))


def merge(
    folders: Annotated[
        list[Path],
        typer.Argument(
            metavar="FOLDER...",
            readable=False,  # the door says what is wrong with a folder, in its own words
            autocompletion=complete_folder,
            help="The shard folders of one sweep (sweep --shard I/N).",
        ),
    ],
    runs_dir: MergeRunsDirOpt = "outputs",
    name: NameOpt = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Merge the finished shards among FOLDER... even if some are missing or unfinished; "
            "every file and page says partial, and the commands that would make the rest are printed.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Put the shards of one sweep together into the folder a single run would have made.

    sweep.csv and seeds.csv are byte for byte those of the unsharded sweep; sweep.png, sweep.md,
    sweep.json and report.html are drawn from them. Every shard must be complete, unless --partial:
    then the finished ones are merged into a folder marked partial (sweep.json, sweep.md, report.html
    and the picture's title say which shards it lacks), and the commands that would make the missing
    shards are printed.

    \b
    Example:
      circles-hinge merge outputs/sweep-data.noise-shard*of4
    """
    from circles_hinge.studies.door import plan_merge

    started = time.perf_counter()
    with errors_to_exit_codes():
        plan = plan_merge(folders, runs_dir, name, partial)
    show(plan.notices)
    with errors_to_exit_codes(), index_after(plan.runs_dir):
        from circles_hinge.studies.sweeps import merge_shards

        result = merge_shards(plan)
    merged = f"merged {len(plan.folders)} of {plan.parts.n} shards"
    say(f"{merged}: {len(result.report.results)} cell-and-loss rows", as_json)
    _sweep_summary(result, started, as_json)
