"""The Typer app: each command parses its options, asks the door for a plan (studies/door.py, the same
checks the API makes), shows the plan's notices, runs it with progress, and prints the summary.

Nothing here imports TensorFlow, pydantic or matplotlib at module level, so `--help` is instant.
"""

from __future__ import annotations

import json
import os
import sys
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
    NameOpt,
    OutOpt,
    ParamOpt,
    QuietOpt,
    ReplaysOpt,
    ResumeOpt,
    RunsDirOpt,
    RunsJsonOpt,
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
    show,
    split_list,
    stop_on_sigterm,
)

# TensorFlow's C++ INFO and WARNING lines are noise for a user; set before anything can load it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

app = typer.Typer(
    name="circles-hinge",
    help="Train, inspect and compare hinge-loss classifiers on the circles experiment.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion; the completers are in options.py
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with Rich would double the time --help takes
)


def _say(line: str, as_json: bool) -> None:
    """A summary line: stdout normally, stderr when stdout is reserved for --json."""
    typer.echo(line, err=as_json)


def _print_json(path: Path, key: str, value: dict) -> None:
    typer.echo(json.dumps({"path": str(path), "status": "complete", key: value}, indent=1))


def _version(value: bool) -> None:
    if value:
        from circles_hinge import __version__

        typer.echo(f"circles-hinge {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    _version_flag: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Train, inspect and compare hinge-loss classifiers on the circles experiment."""


@app.command()
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
    """Train the tutorial's 4-2-1 network on circles and write a run folder.

    The run folder holds config.yaml, metrics.json, history.csv, model.keras and the pictures:
    loss_curve.png, decision_regions.png, data.png, margins.png and hidden_layer.png, and
    report.html, all of it in one page with training replayed (open it in a browser).

    Not every initialisation trains: if the first ends below 99% validation accuracy, the
    training.restarts (default 19) next initialisations are trained at once and the best on
    validation is kept; the summary and metrics.json say so. --set training.restarts=0 keeps the
    first whatever happens, as the tutorial does.
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
        from circles_hinge.studies.experiment import run_train

        with EpochProgress(plan.config.training.epochs, enabled=not quiet) as bar:
            result = run_train(plan, on_epoch=bar.epoch, on_stage=bar.stage)
            bar.stage("done")
    m = result.metrics
    _say(run_line(m, time.perf_counter() - started), as_json)
    if m["initialisations_tried"] > 1:
        _say(restart_line(m), as_json)
    for line in baseline_lines(m.get("baselines"), {m["loss"]: m.get("boundary_distance_from_svm")}):
        _say(line, as_json)
    if as_json:
        _print_json(result.path, "metrics", m)
    else:
        typer.echo(str(result.path))


@app.command()
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
    """Train several losses on the same data, split and initial weights, and compare them.

    Writes one folder with a run folder per loss, comparison.png, comparison.json and comparison.md.
    With --seeds N it is a seed study instead: success rates with Wilson intervals, boundary figures
    over the successful seeds, and seeds.csv with one row per loss and seed.

    Every loss trains one initialisation per seed, the same for all: there are no restarts here, so
    a collapsed start counts as a failure rather than being retried.
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
        _say(comparison_line(r), as_json)
    for paired in result.report.paired:
        _say(paired.verdict, as_json)
    found = result.report.baselines
    for line in baseline_lines(found.get("models"), found.get("boundary_distance_from_svm") or {}):
        _say(line, as_json)
    _say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        _print_json(result.path, "report", result.report.to_json())
    else:
        typer.echo(str(result.path))


@app.command()
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
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a seed study of each loss at every cell of a grid of config values (a separability sweep).

    Cells that differ only in their data (data.noise, data.factor) train together as one batch. Writes
    sweep.json, sweep.csv (a row per cell and loss), seeds.csv (a row per training), sweep.md and
    sweep.png: success rate with its 95% interval against the value for one key, heat maps for two or
    more. A stopped sweep keeps the cells it finished; --resume FOLDER finishes it.
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
        from circles_hinge.studies.grid import default_workers, parse_shard

        n_workers = n_workers or default_workers()
        if resume is not None:
            plan = door.plan_resume(resume, n_workers)
        else:
            axes, option = _axes(grid, param, values)
            plan = door.plan_sweep(
                door.Ask(config, sets or []),
                axes,
                split_list(losses, "--losses"),
                count(seeds, "--seeds") or 10,
                runs_dir,
                name,
                None if shard is None else parse_shard(shard),
                n_workers,
                option,
                None if success is None else number(success),
            )
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
        _say(sweep_line(result.report.keys, r), as_json)
    if len(results) > 40:
        _say(f"... and {len(results) - 40} more rows in sweep.csv", as_json)
    _say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        _print_json(result.path, "report", result.report.to_json())
    else:
        typer.echo(str(result.path))


@app.command()
def merge(
    folders: Annotated[
        list[Path],
        typer.Argument(
            metavar="FOLDER...",
            autocompletion=complete_folder,
            help="The shard folders of one sweep (sweep --shard I/N).",
        ),
    ],
    runs_dir: RunsDirOpt = "outputs",
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put the shards of one sweep together into the folder a single run would have made.

    sweep.csv and seeds.csv are byte for byte those of the unsharded sweep; sweep.png, sweep.md,
    sweep.json and report.html are drawn from them. Every shard must be complete.
    """
    from circles_hinge.studies.door import plan_merge

    started = time.perf_counter()
    with errors_to_exit_codes():
        plan = plan_merge(folders, runs_dir, name)
    with errors_to_exit_codes(), index_after(plan.runs_dir):
        from circles_hinge.studies.sweeps import merge_shards

        result = merge_shards(plan)
    _say(f"merged {len(folders)} shards: {len(result.report.results)} cell-and-loss rows", as_json)
    _sweep_summary(result, started, as_json)


@app.command()
def report(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FOLDER]...",
            autocompletion=complete_folder,
            help="A run, comparison or sweep folder (default: --runs-dir); with --compare, two or more.",
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Set two or more run, comparison, study or sweep folders side by side on one page: one "
            "table, their loss curves, their replays under one slider, and a paired verdict where they "
            "share seeds.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="With --compare: the page to write (a new .html file)."),
    ] = None,
    runs_dir: RunsDirOpt = "outputs",
) -> None:
    """Write report.html again for a run, comparison or sweep folder, or index.html for a folder of runs.

    Reads only the files already there. A run made before report.html existed has no weights per
    epoch, so its replay shows the final model (from model.keras) and says so. With --compare A B
    [C...], writes one page that sets the folders side by side (default: compare-A-vs-B.html in
    --runs-dir), from any runs folder or machine.
    """
    folders = folders or []
    if compare:
        from circles_hinge.studies.door import plan_gather

        with errors_to_exit_codes():
            plan = plan_gather(folders, runs_dir, out)
            from circles_hinge.studies.gather import run_gather

            written, gathered = run_gather(plan)
        for paired in gathered.paired:
            if paired.n_seeds > 1:  # a one-seed pair is an anecdote: the page lists those
                typer.echo(paired.verdict, err=True)
        typer.echo(str(written))
        return
    if out is not None:
        raise fail("--out applies to report --compare; report FOLDER writes FOLDER/report.html", 2)
    if len(folders) > 1:
        raise fail(
            f"report takes one folder (got {len(folders)}); to set folders side by side: report --compare", 2
        )
    with errors_to_exit_codes():
        from circles_hinge.outputs.html import INDEX_FILE, REPORT_FILE, rebuild, write_index
        from circles_hinge.studies.door import check_runs_dir

        written = rebuild(folders[0] if folders else check_runs_dir(runs_dir))
        if written.name == REPORT_FILE and (written.parent.parent / INDEX_FILE).is_file():
            write_index(written.parent.parent)  # the folder's row may have changed
    typer.echo(str(written))


@app.command("plot-losses")
def plot_losses(
    out: OutOpt = Path("outputs/losses.png"),
) -> None:
    """Draw the margin-loss family: the losses and their gradients against the margin y·f.

    Zero-one, hinge, squared hinge, modified Huber, log loss (binary cross-entropy on the logit) and
    perceptron, as scikit-learn's SGDClassifier defines them, computed with the NumPy reference
    implementations. An existing file is never overwritten.
    """
    with errors_to_exit_codes():
        from circles_hinge.errors import RunDirError
        from circles_hinge.outputs.loss_plots import plot_loss_functions
        from circles_hinge.outputs.plots import FIGURE_FORMATS
        from circles_hinge.store.folders import new_file_path

        path = new_file_path(out, "--out", "losses.png", FIGURE_FORMATS)
        try:
            plot_loss_functions(path)
        except OSError as exc:
            raise RunDirError(f"--out {path} cannot be written: {exc.strerror or exc}") from None
    typer.echo(str(path))


@app.command("config")
def show_config(config: ConfigOpt = None, sets: SetOpt = None) -> None:
    """Print the resolved config as YAML, after checking it; trains nothing.

    The same defaults < --config FILE < --set order as every command, so the output, saved to a
    file, is what `train --config` would run. Bad input is one line and exit code 2, as for train.
    """
    from circles_hinge.config import dump_yaml
    from circles_hinge.studies.door import Ask

    with errors_to_exit_codes():
        cfg, _ = Ask(config, sets or []).read()
    typer.echo(dump_yaml(cfg), nl=False)


@app.command()
def runs(
    runs_dir: RunsDirOpt = "outputs",
    as_json: RunsJsonOpt = False,
) -> None:
    """List the run, comparison and sweep folders under --runs-dir, newest first.

    A folder that did not finish is listed with its status (running, interrupted, failed), and one
    whose status.json cannot be read as unreadable. A comparison or sweep has one line per loss.
    """
    from circles_hinge.cli.listing import print_runs
    from circles_hinge.store.listing import list_runs, listing_json
    from circles_hinge.studies.door import check_runs_dir

    with errors_to_exit_codes():
        path = check_runs_dir(runs_dir, must_exist=False)
        found = list_runs(path)
    if as_json:
        typer.echo(json.dumps(listing_json(found), indent=1))
    elif not found:
        typer.echo(f"no runs in {path}" + ("" if path.exists() else " (it does not exist)"))
    else:
        print_runs(path, found)


def main() -> None:
    """The console script. Once TensorFlow is loaded, exit without its slow teardown (about 1.5 s):
    by then every file is written, fsynced and closed, so there is nothing left to clean up."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # Ctrl-C outside training (e.g. while TensorFlow loads)
        typer.echo("interrupted", err=True)
        code = 130
    if "tensorflow" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
