"""The Typer app only: parse options, call one function, print the summary, map errors to exit codes.

Nothing here imports TensorFlow, pydantic or matplotlib at module level, so `--help` is instant.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

# TensorFlow's C++ INFO and WARNING lines are noise for a user; set before anything can load it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

app = typer.Typer(
    name="circles-hinge",
    help="Train, inspect and compare hinge-loss classifiers on the circles experiment.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion; the completers are below
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with Rich would double the time --help takes
)

# --- shell completion: each completer imports what it needs only when the shell asks ----------------


def _complete_loss(incomplete: str) -> list[tuple[str, str]]:
    from circles_hinge.losses import LOSSES

    return [(name, spec.display) for name, spec in LOSSES.items() if name.startswith(incomplete)]


def _complete_losses(incomplete: str) -> list[str]:
    """--losses hinge,sq<TAB> -> hinge,squared_hinge: the last name of the list, not given before."""
    from circles_hinge.losses import LOSSES

    head, _, last = incomplete.rpartition(",")
    given = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    return [prefix + name for name in LOSSES if name.startswith(last) and name not in given]


def _complete_key(incomplete: str) -> list[str]:
    """--set / --grid: the config's dotted keys, each followed by '='."""
    from circles_hinge.config import config_keys

    if "=" in incomplete:
        return []
    return [f"{key}=" for key in config_keys() if key.startswith(incomplete)]


def _complete_folder(incomplete: str) -> list[str]:
    """Folders starting with what was typed; at the start, those here and the run folders in outputs/."""
    parent = Path(incomplete) if incomplete.endswith("/") else Path(incomplete).parent
    roots = [parent] if "/" in incomplete else [Path("."), Path("outputs")]
    found = []
    for root in roots:
        try:
            folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            continue
        found += [str(p) for p in folders if str(p).startswith(incomplete)]
    return found


ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", "-c", metavar="FILE", help="YAML config; its keys override the defaults."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY=VALUE",
        autocompletion=_complete_key,
        help="Override one key, e.g. --set training.epochs=50 (value parsed as YAML). Repeatable.",
    ),
]
# Numbers are read here, not by Typer, whose own message for `--epochs x` is pydantic's wording.
SeedOpt = Annotated[
    str | None,
    typer.Option("--seed", metavar="INTEGER", help="Seed for data, initial weights and shuffling."),
]
EpochsOpt = Annotated[
    str | None, typer.Option("--epochs", metavar="INTEGER", help="Number of training epochs.")
]
RunsDirOpt = Annotated[
    str,
    typer.Option(
        "--runs-dir", metavar="DIR", autocompletion=_complete_folder, help="Where run folders are made."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document (path, status, metrics or report) on stdout; "
        "the summary and progress go to stderr.",
    ),
]


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


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class _Terminated(KeyboardInterrupt):
    signal_name = "SIGTERM"


@contextmanager
def _stop_on_sigterm():
    """SIGTERM stops training the way Ctrl-C does, so the folder is marked `interrupted`."""

    def handler(signum, frame):
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _load(config: str | None, sets: list[str] | None, **named):
    """The config, and what the file and --set asked for ({key: (value, where)}, for _warn_ignored)."""
    from circles_hinge.config import resolve_config
    from circles_hinge.errors import ConfigError

    if config is not None and not config.strip():
        raise _fail("--config is empty; give a YAML file such as configs/default.yaml", 2)
    try:
        return resolve_config(None if config is None else Path(config), sets or [], **named)
    except ConfigError as exc:
        raise _fail(str(exc), exc.exit_code) from None


def _runs_dir(text: str) -> Path:
    """--runs-dir as a Path. An empty one would quietly mean the current folder: say `.` for that."""
    if not text.strip():
        raise _fail("--runs-dir is empty; give a folder such as outputs (or . for the current folder)", 2)
    return Path(text)


def _check_name(name: str | None, runs_dir: Path) -> str | None:
    """--name checked in full (a plain folder name, and not taken) before any folder or progress."""
    if name is None:
        return None
    from circles_hinge.errors import CirclesHingeError
    from circles_hinge.store.folders import check_name, check_name_free

    try:
        name = check_name(name)
        check_name_free(runs_dir, name)
    except CirclesHingeError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    return name


def _warn_ignored(command: str, cfg, given: dict, ignored: dict[str, str]) -> None:
    """One line on stderr for each setting the user asked for that this command does not use."""
    from circles_hinge.config import ignored_by_dataset, show

    for key, why in {**ignored_by_dataset(cfg), **ignored}.items():
        if key in given:
            value, source = given[key]
            where = "given with --set" if source.startswith("--set") else f"from {source}"
            text = value if isinstance(value, str) else show(value)
            typer.echo(f"warning: {command} ignores {key}={text} ({where}): {why}", err=True)


def _number(text: str | None) -> int | float | str | None:
    """--seed or --epochs as written: 7 -> 7, 1.5 -> 1.5, anything else stays text, so the config's
    own check says what is allowed (`training.epochs must be an integer in [1, 1000000] — got 'x'`)."""
    if text is None:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _seeds(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise _fail(f"--seeds must be an integer >= 1 — got {text!r}", 2) from None


@contextmanager
def _errors_to_exit_codes():
    """Every expected failure becomes one line on stderr (the error's own `report()`) and its exit
    code; no traceback."""
    from circles_hinge.errors import CirclesHingeError

    try:
        yield
    except CirclesHingeError as exc:
        typer.echo(exc.report(), err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


_INSIDE_EPOCH = ": epoch "  # a stage text with progress inside an epoch: 'training: epoch 3/30: ...'


@contextmanager
def _index_after(runs_path: Path):
    """index.html in --runs-dir is rewritten when a command ends, however it ends (report_html)."""
    try:
        yield
    finally:
        if runs_path.is_dir():
            from circles_hinge.outputs.html import write_index

            try:
                write_index(runs_path)
            except OSError:  # a full disk must not hide the command's own outcome
                pass


class _PlainLines:
    """Progress for a log file or a pipe, where a live bar cannot redraw and ends up cut off: one line
    per stage, and a progress line at most every few seconds and at the end of a stage."""

    interval = 5.0  # seconds between progress lines

    def __init__(self, label: str):
        self.current = label
        self.last = time.monotonic()

    def stage(self, text: str) -> None:
        if _INSIDE_EPOCH in text:  # progress inside a long epoch: a line at most every few seconds
            if time.monotonic() - self.last >= self.interval:
                typer.echo(text, err=True)
                self.last = time.monotonic()
            return
        if text != self.current and text != "done":
            typer.echo(text, err=True)
        self.current = text
        self.last = time.monotonic()

    def progress(self, text: str, final: bool) -> None:
        if final or time.monotonic() - self.last >= self.interval:
            typer.echo(f"{self.current}: {text}", err=True)
            self.last = time.monotonic()


class _EpochProgress:
    """A Rich progress bar over the epochs, showing loss, val_loss and the accuracies; plain lines
    instead when stderr is not a terminal (`make train > log 2>&1`)."""

    def __init__(self, total: int, enabled: bool, label: str = "training"):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.total, self.ended = total, False
        self.plain = _PlainLines(label) if enabled and not sys.stderr.isatty() else None
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled or self.plain is not None,
            transient=False,
        )
        self.task = self.progress.add_task(label, total=total, metrics="")

    def stage(self, text: str) -> None:
        if self.plain is not None:
            self.plain.stage(text)
        self.progress.update(self.task, description=text)

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        metrics = (
            f"loss {logs['loss']:.3g}  val_loss {logs['val_loss']:.3g}  "
            f"acc {logs['accuracy']:.1%}  val_acc {logs['val_accuracy']:.1%}"
        )
        if self.plain is not None:
            self.plain.progress(f"epoch {epoch}/{self.total}  {metrics}", final=epoch == self.total)
        self.progress.update(self.task, completed=epoch, metrics=metrics)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)


@app.command()
def train(
    config: ConfigOpt = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss",
            "-l",
            metavar="LOSS",
            autocompletion=_complete_loss,
            help="hinge | squared_hinge | binary_crossentropy | categorical_hinge | multiclass_svm",
        ),
    ] = None,
    seed: SeedOpt = None,
    epochs: EpochsOpt = None,
    sets: SetOpt = None,
    runs_dir: RunsDirOpt = "outputs",
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="Folder name instead of <time>-<loss>-s<seed>: letters and digits (any alphabet), "
            "'.', '_', '+', '-'.",
        ),
    ] = None,
    animate: Annotated[
        bool, typer.Option("--animate", help="Also write training.gif, one frame per epoch.")
    ] = False,
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
    started = time.perf_counter()
    cfg, given = _load(config, sets, loss=loss, seed=_number(seed), epochs=_number(epochs))
    runs_path = _runs_dir(runs_dir)
    name = _check_name(name, runs_path)
    overridden = {  # --set and a named option for one key: the option wins, as documented; say so
        key: f"{option} {text} comes later and wins"
        for key, option, text in (
            ("training.loss", "--loss", loss),
            ("seed", "--seed", seed),
            ("training.epochs", "--epochs", epochs),
        )
        if text is not None
        and key in given
        and given[key][1].startswith("--set")
        and given[key][0] != _number(text)
    }
    _warn_ignored("train", cfg, given, overridden)
    with _errors_to_exit_codes(), _stop_on_sigterm(), _index_after(runs_path):
        from circles_hinge.results import restart_line, run_line
        from circles_hinge.store.folders import prepare_runs_dir
        from circles_hinge.studies.budget import check_run_fits, long_notice
        from circles_hinge.studies.experiment import run_experiment

        _say_long(long_notice(check_run_fits(cfg), cfg.training.epochs))  # or refuse, before any folder
        prepare_runs_dir(runs_path)
        with _EpochProgress(cfg.training.epochs, enabled=not quiet) as bar:
            result = run_experiment(
                cfg, runs_path, name=name, on_epoch=bar.epoch, on_stage=bar.stage, animate=animate
            )
            bar.stage("done")
    m = result.metrics
    _say(run_line(m, time.perf_counter() - started), as_json)
    if m["initialisations_tried"] > 1:
        _say(restart_line(m), as_json)
    if as_json:
        _print_json(result.path, "metrics", m)
    else:
        typer.echo(str(result.path))


def _say_long(notice: str | None) -> None:
    if notice is not None:
        typer.echo(notice, err=True)


LossesOpt = Annotated[
    str,
    typer.Option(
        "--losses",
        metavar="LOSSES",
        autocompletion=_complete_losses,
        help="Comma-separated losses, e.g. hinge,squared_hinge,binary_crossentropy.",
    ),
]
SeedsOpt = Annotated[
    str | None,
    typer.Option(
        "--seeds",
        metavar="INTEGER",
        help="Seed study: train seeds seed..seed+N-1 for each loss, all at once.",
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="Folder name instead of a generated one: letters and digits (any alphabet), '.', '_', '+', '-'.",
    ),
]


class _StudyProgress(_EpochProgress):
    """Progress over the epochs of every loss (and value) of a comparison, study or sweep."""

    def update(self, stage: str, done: int, total: int) -> None:
        if self.plain is not None:
            self.plain.stage(stage)
            self.plain.progress(f"{done}/{total} epochs in all", final=done == total and not self.ended)
            self.ended = done == total
        self.progress.update(self.task, description=stage, completed=done, total=total)


def _ignored_by_studies(given: dict, losses: list[str]) -> dict[str, str]:
    """What compare and sweep do not use: restarts (one initialisation per seed, the same for every
    loss, so a collapse shows) and training.loss (--losses names them)."""
    ignored = {}
    if "training.restarts" in given and given["training.restarts"][0] != 0:
        ignored["training.restarts"] = "every loss trains one initialisation per seed, without restarts"
    if "training.loss" in given and given["training.loss"][0] not in losses:
        ignored["training.loss"] = f"--losses names the losses ({','.join(losses)})"
    return ignored


def _loss_list(text: str) -> list[str]:
    """--losses as a list of registered names. The first stands in for training.loss while the config
    loads, so --set data.dataset=blobs with k-class losses is not judged against the default hinge."""
    from circles_hinge.config import check_loss_names
    from circles_hinge.errors import ConfigError

    try:
        return check_loss_names(_split_list(text, "--losses"))
    except ConfigError as exc:
        raise _fail(str(exc), exc.exit_code) from None


def _split_list(text: str, option: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise _fail(f"{option} {text!r} must be a comma-separated list without empty items", 2)
    return items


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
    animate: Annotated[
        bool, typer.Option("--animate", help="Also write training.gif in each loss's run folder.")
    ] = False,
    replays: Annotated[
        bool,
        typer.Option(
            "--replays",
            help="With --seeds: keep every seed's weights at every epoch, so report.html replays any seed "
            "you click. Each seed adds its own points and weights to the page, which stays under 2 MB: "
            "at most 55 seeds with the default config and two losses (21.5 kB a seed); fewer with more "
            "samples, epochs or losses.",
        ),
    ] = False,
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
    started = time.perf_counter()
    loss_list = _loss_list(losses)
    cfg, given = _load(config, sets, loss=loss_list[0], seed=_number(seed), epochs=_number(epochs))
    seeds = _seeds(seeds)
    runs_path = _runs_dir(runs_dir)
    if animate and seeds is not None:
        typer.echo(
            "warning: --animate applies to a side-by-side comparison; a seed study writes no run folders",
            err=True,
        )
    if replays and seeds is None:
        typer.echo(
            "warning: --replays applies to a seed study (--seeds N); a side-by-side comparison always "
            "replays every loss",
            err=True,
        )
    with _errors_to_exit_codes(), _stop_on_sigterm(), _index_after(runs_path):
        from circles_hinge.results import comparison_line
        from circles_hinge.store.folders import check_name_free, prepare_runs_dir
        from circles_hinge.studies.budget import check_run_fits, check_study_fits, long_notice
        from circles_hinge.studies.comparison import check_comparison, run_comparison

        request = check_comparison(cfg, loss_list, seeds, name, replays)  # every check, before a folder
        if request.name is not None:
            check_name_free(runs_path, request.name)
        if seeds is None:
            need = check_run_fits(request.config)
            need.seconds *= len(loss_list)
        else:
            need = check_study_fits(cfg, seeds, len(loss_list))
        _say_long(long_notice(need, cfg.training.epochs))
        _warn_ignored("compare", cfg, given, _ignored_by_studies(given, loss_list))
        prepare_runs_dir(runs_path)
        with _StudyProgress(
            len(loss_list) * cfg.training.epochs, enabled=not quiet, label="comparing"
        ) as bar:
            result = run_comparison(request, runs_path, on_progress=bar.update, animate=animate)
    for r in result.report["results"]:
        _say(comparison_line(r), as_json)
    _say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        _print_json(result.path, "report", result.report)
    else:
        typer.echo(str(result.path))


@app.command()
def sweep(
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            metavar="KEY=V1,V2,...",
            autocompletion=_complete_key,
            help="One axis of a grid, e.g. --grid data.noise=0,0.05,0.1 (values read as YAML). Repeatable: "
            "the grid is the cross product of the axes.",
        ),
    ] = None,
    param: Annotated[
        str | None,
        typer.Option(
            "--param", metavar="KEY", help="The one-axis form: the config key to vary, e.g. data.noise."
        ),
    ] = None,
    values: Annotated[
        str | None,
        typer.Option(
            "--values", metavar="VALUES", help="With --param: comma-separated values, e.g. 0,0.1,0.2."
        ),
    ] = None,
    config: ConfigOpt = None,
    losses: LossesOpt = "hinge,squared_hinge",
    seeds: Annotated[
        str | None, typer.Option("--seeds", metavar="INTEGER", help="Seeds per cell and loss (default 10).")
    ] = None,
    sets: SetOpt = None,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            metavar="N",
            help="Processes that train independent groups (different losses or graphs) side by side; "
            "default: the number of cores. The results are the same for any N.",
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Train only the I-th of N disjoint parts of the grid, into its own folder; "
            "`circles-hinge merge` puts the N folders together.",
        ),
    ] = None,
    runs_dir: RunsDirOpt = "outputs",
    name: NameOpt = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="FOLDER",
            autocompletion=_complete_folder,
            help="Finish a sweep that was stopped, in its folder, keeping the cells it finished.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a seed study of each loss at every cell of a grid of config values (a separability sweep).

    Cells that differ only in their data (data.noise, data.factor) train together as one batch. Writes
    sweep.json, sweep.csv (a row per cell and loss), seeds.csv (a row per training), sweep.md and
    sweep.png: success rate with its 95% interval against the value for one key, heat maps for two or
    more. A stopped sweep keeps the cells it finished; --resume FOLDER finishes it.
    """
    started = time.perf_counter()
    n_workers = _workers(workers)
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
            )
            if v
        ]
        if given:
            raise _fail(
                f"--resume takes the sweep's settings from its folder; leave out {', '.join(given)}", 2
            )
        _resume_sweep(resume, quiet, started, as_json, n_workers)
        return
    axes = _axes(grid, param, values)
    seeds = "10" if seeds is None else seeds
    loss_list = _loss_list(losses)
    cfg, given = _load(config, sets, loss=loss_list[0])
    seeds = _seeds(seeds)
    runs_path = _runs_dir(runs_dir)
    with _errors_to_exit_codes(), _stop_on_sigterm(), _index_after(runs_path):
        from circles_hinge.config import ignored_by_dataset
        from circles_hinge.store.folders import prepare_runs_dir
        from circles_hinge.studies.budget import check_study_fits, long_notice
        from circles_hinge.studies.sweeps import check_grid, parse_shard, run_grid, sweep_epochs

        option = "--grid" if grid else "--param"
        for key, _ in axes:
            if key in ignored_by_dataset(cfg):  # every value would train the very same models
                raise _fail(f"{option} {key} cannot be swept here: {ignored_by_dataset(cfg)[key]}", 2)
        shard_part = None if shard is None else parse_shard(shard)
        checked = check_grid(
            cfg, axes, loss_list, seeds, name, shard_part, option=option
        )  # before any folder
        name = _check_name(name, runs_path)
        batches = checked.batches(checked.shard_units())
        needs = [check_study_fits(checked.configs[b[0][0]][b[0][1]], len(b) * seeds, 1) for b in batches]
        worst = max(needs, key=lambda e: e.bytes)
        worst.seconds = sum(e.seconds for e in needs) / max(1, min(n_workers, len(batches)))
        _say_long(long_notice(worst, cfg.training.epochs))
        ignored = _ignored_by_studies(given, loss_list)
        for key, parsed in checked.axes:
            if key in given:
                where = "--values" if option == "--param" else f"--grid {key}="
                ignored[key] = f"{where} gives its values ({', '.join(map(str, parsed))})"
        _warn_ignored("sweep", cfg, given, ignored)
        prepare_runs_dir(runs_path)
        with _StudyProgress(sweep_epochs(checked), enabled=not quiet, label="sweeping") as bar:
            result = run_grid(checked, runs_path, name=name, on_progress=bar.update, workers=n_workers)
    _sweep_summary(result, started, as_json)


def _axes(grid: list[str] | None, param: str | None, values: str | None) -> list[tuple[str, list[str]]]:
    """--grid KEY=V1,... (repeatable) or --param KEY --values LIST, as [(key, [value text, ...])]."""
    from circles_hinge.errors import ConfigError
    from circles_hinge.studies.sweeps import parse_axis, split_values

    try:
        if grid:
            if param is not None or values is not None:
                raise ConfigError("give the grid with --grid, or one key with --param and --values, not both")
            return [parse_axis(text) for text in grid]
        for option, value in (("--param", param), ("--values", values)):
            if value is None:
                raise ConfigError(
                    f"{option} is required (or --resume FOLDER to finish a stopped sweep, "
                    "or --grid KEY=V1,V2,... for a grid)"
                )
        return [(param, split_values(values, "--values"))]
    except ConfigError as exc:
        raise _fail(str(exc), exc.exit_code) from None


def _workers(text: str | None) -> int:
    from circles_hinge.studies.sweeps import default_workers

    if text is None:
        return default_workers()
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise _fail(f"--workers must be an integer >= 1 — got {text!r}", 2)
    return n


def _resume_sweep(folder: Path, quiet: bool, started: float, as_json: bool, workers: int) -> None:
    with _errors_to_exit_codes(), _stop_on_sigterm(), _index_after(folder.parent):
        from circles_hinge.studies.sweeps import check_resume, resume_sweep, sweep_epochs

        grid, record, _ = check_resume(folder)
        typer.echo(
            f"resuming {folder}: {len(record['done'])} of {len(grid.shard_units())} "
            "cell studies finished before",
            err=True,
        )
        with _StudyProgress(sweep_epochs(grid), enabled=not quiet, label="sweeping") as bar:
            result = resume_sweep(folder, on_progress=bar.update, workers=workers)
    _sweep_summary(result, started, as_json)


def _sweep_summary(result, started: float, as_json: bool = False) -> None:
    from circles_hinge.results import sweep_line

    results = result.report["results"]
    for r in results[:40]:
        _say(sweep_line(result.report["keys"], r), as_json)
    if len(results) > 40:
        _say(f"... and {len(results) - 40} more rows in sweep.csv", as_json)
    _say(f"{time.perf_counter() - started:.1f} s in all", as_json)
    if as_json:
        _print_json(result.path, "report", result.report)
    else:
        typer.echo(str(result.path))


@app.command()
def merge(
    folders: Annotated[
        list[Path],
        typer.Argument(
            metavar="FOLDER...",
            autocompletion=_complete_folder,
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
    started = time.perf_counter()
    runs_path = _runs_dir(runs_dir)
    with _errors_to_exit_codes(), _index_after(runs_path):
        from circles_hinge.store.folders import prepare_runs_dir
        from circles_hinge.studies.sweeps import check_merge, merge_shards

        check_merge(folders)
        name = _check_name(name, runs_path)
        prepare_runs_dir(runs_path)
        result = merge_shards(folders, runs_path, name)
    _say(f"merged {len(folders)} shards: {len(result.report['results'])} cell-and-loss rows", as_json)
    _sweep_summary(result, started, as_json)


@app.command()
def report(
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FOLDER]",
            autocompletion=_complete_folder,
            help="A run, comparison or sweep folder (default: --runs-dir).",
        ),
    ] = None,
    runs_dir: RunsDirOpt = "outputs",
) -> None:
    """Write report.html again for a run, comparison or sweep folder, or index.html for a folder of runs.

    Reads only the files already there. A run made before report.html existed has no weights per
    epoch, so its replay shows the final model (from model.keras) and says so.
    """
    with _errors_to_exit_codes():
        from circles_hinge.outputs.html import INDEX_FILE, REPORT_FILE, rebuild, write_index

        written = rebuild(folder if folder is not None else _runs_dir(runs_dir))
        if written.name == REPORT_FILE and (written.parent.parent / INDEX_FILE).is_file():
            write_index(written.parent.parent)  # the folder's row may have changed
    typer.echo(str(written))


@app.command("plot-losses")
def plot_losses(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE|DIR",
            help="Where to write the picture: a .png, .svg or .pdf file, or a folder (losses.png in it).",
        ),
    ] = Path("outputs/losses.png"),
) -> None:
    """Draw the hinge family for a +1 target: the losses and their gradients against the output.

    Hinge, squared hinge, zero-one and binary cross-entropy (on the logit), computed with the NumPy
    reference implementations. An existing file is never overwritten.
    """
    from circles_hinge.outputs.loss_plots import plot_loss_functions
    from circles_hinge.outputs.plots import FIGURE_FORMATS

    if str(out) in ("", "."):
        raise _fail("--out is empty; give a file such as outputs/losses.png or a folder", 2)
    if out.is_dir() or str(out).endswith(("/", os.sep)):
        out = out / "losses.png"
    if out.suffix.lstrip(".").lower() not in FIGURE_FORMATS:
        allowed = ", ".join(f".{f}" for f in FIGURE_FORMATS)
        raise _fail(f"--out {out}: {out.suffix or 'no suffix'} is not a format we write; use {allowed}", 2)
    if out.exists():
        raise _fail(f"--out {out} already exists and is never overwritten; choose another path", 1)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"--out {out}: cannot create its folder ({exc.strerror})", 1) from None
    try:
        plot_loss_functions(out)
    except OSError as exc:
        raise _fail(f"--out {out} cannot be written: {exc.strerror or exc}", 1) from None
    typer.echo(str(out))


@app.command("config")
def show_config(config: ConfigOpt = None, sets: SetOpt = None) -> None:
    """Print the resolved config as YAML, after checking it; trains nothing.

    The same defaults < --config FILE < --set order as every command, so the output, saved to a
    file, is what `train --config` would run. Bad input is one line and exit code 2, as for train.
    """
    from circles_hinge.config import dump_yaml

    cfg, _ = _load(config, sets)
    typer.echo(dump_yaml(cfg), nl=False)


@app.command()
def runs(
    runs_dir: RunsDirOpt = "outputs",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON list on stdout instead of the table.")
    ] = False,
) -> None:
    """List the run, comparison and sweep folders under --runs-dir, newest first.

    A folder that did not finish is listed with its status (running, interrupted, failed), and one
    whose status.json cannot be read as unreadable. A comparison or sweep has one line per loss.
    """
    from rich.console import Console
    from rich.table import Table

    from circles_hinge.store.folders import list_runs

    path = _runs_dir(runs_dir)
    if path.exists() and not path.is_dir():
        raise _fail(f"--runs-dir {path} is a file, not a folder of runs", 2)
    found = list_runs(path)
    if as_json:
        typer.echo(json.dumps([_run_json(r) for r in found], indent=1))
        return
    if not found:
        typer.echo(f"no runs in {path}" + ("" if path.exists() else " (it does not exist)"))
        return
    longest = max(len(r.path.name) for r in found)
    kinds = {r.kind for r in found}
    notes = ["seconds: a run's training time"]
    if kinds - {"run"}:
        notes[0] += "; the whole of a comparison or sweep (one line per loss)"
    if "sweep" in kinds:
        notes.append("a sweep's test acc: the lowest and highest mean over its values")
    table = Table(title=f"Runs in {path}, newest first", caption="\n".join(notes), caption_justify="left")
    for column in ("name", "kind", "status", "loss(es)", "seed(s)", "test acc", "test loss", "seconds"):
        table.add_column(
            column,
            justify="right" if column in ("test acc", "test loss", "seconds") else "left",
            overflow="fold",  # never cut a value short with "..."
            no_wrap=column == "name",
            min_width=longest if column == "name" else None,
        )
    for r in found:
        table.add_row(
            r.path.name,
            r.kind,
            r.status,
            r.losses.replace(",", "\n"),
            r.seeds,
            "\n".join(r.test_accuracy),
            "\n".join(r.test_loss),
            "" if r.seconds is None else f"{r.seconds:.1f}",
        )
    Console(width=max(160, longest + 110)).print(table)


def _run_json(r) -> dict:
    """One folder for `runs --json`: what the table shows, plus metrics.json or the report JSON."""
    from circles_hinge.store.folders import read_json

    record = {
        "path": str(r.path),
        "name": r.path.name,
        "kind": r.kind,
        "status": r.status,
        "losses": [x for x in r.losses.split(",") if x],
        "seeds": r.seeds,
        "started": r.started,
        "seconds": r.seconds,
    }
    for name in ("metrics.json", "comparison.json", "sweep.json"):
        data = read_json(r.path / name)
        if data is not None:
            record["metrics" if name == "metrics.json" else "report"] = data
    return record


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
