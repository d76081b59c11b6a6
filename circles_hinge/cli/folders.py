"""The commands that read folders or draw: report (also --compare), plot-losses, config and runs.
Registered on the app in app.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from circles_hinge.cli.options import (
    ConfigOpt,
    OutOpt,
    PictureRunsDirOpt,
    ReadRunsDirOpt,
    RunsJsonOpt,
    SetOpt,
    complete_folder,
)
from circles_hinge.cli.running import errors_to_exit_codes, fail


def report(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FOLDER]...",
            readable=False,  # rebuild says what is wrong with the folder, in its own words
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
    runs_dir: ReadRunsDirOpt = "outputs",
) -> None:
    """Write report.html again for a folder, index.html for a folder of runs, or set folders side by side.

    Reads only the files already there. A run made before report.html existed has no weights per
    epoch, so its replay shows the final model (from model.keras) and says so. With --compare A B
    [C...], writes one page that sets the folders side by side (default: compare-A-vs-B.html in
    --runs-dir), from any runs folder or machine.

    \b
    Examples:
      circles-hinge report outputs/20261204-120000-hinge-s42
      circles-hinge report                                   # outputs/index.html
      circles-hinge report --compare outputs/run-a outputs/compare-hinge-vs-squared_hinge-40seeds
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
        from circles_hinge.outputs.html import INDEX_FILE, REPORT_FILE, rebuild
        from circles_hinge.outputs.html.index import update_index
        from circles_hinge.studies.door import check_runs_dir

        written = rebuild(folders[0] if folders else check_runs_dir(runs_dir))
    if written.name == REPORT_FILE and os.path.isfile(written.parent.parent / INDEX_FILE):
        problem = update_index(written.parent.parent)  # the folder's row may have changed
        if problem is not None:
            typer.echo(f"warning: {problem}", err=True)
    typer.echo(str(written))


def plot_losses(
    out: OutOpt = None,
    runs_dir: PictureRunsDirOpt = "outputs",
) -> None:
    """Draw the margin-loss family: the losses and their gradients against the margin y·f.

    Zero-one, hinge, squared hinge, modified Huber, log loss (binary cross-entropy on the logit) and
    perceptron, as scikit-learn's SGDClassifier defines them, computed with the NumPy reference
    implementations. An existing file is never overwritten.

    \b
    Examples:
      circles-hinge plot-losses                              # outputs/losses.png
      circles-hinge plot-losses --out slides/losses.svg
    """
    with errors_to_exit_codes():
        from circles_hinge.errors import RunDirError
        from circles_hinge.outputs.loss_plots import plot_loss_functions
        from circles_hinge.outputs.style import FIGURE_FORMATS
        from circles_hinge.store.folders import new_file_path

        path = new_file_path(out or Path(runs_dir) / "losses.png", "--out", "losses.png", FIGURE_FORMATS)
        try:
            plot_loss_functions(path)
        except OSError as exc:
            raise RunDirError(f"--out {path} cannot be written: {exc.strerror or exc}") from None
    typer.echo(str(path))


def show_config(config: ConfigOpt = None, sets: SetOpt = None) -> None:
    """Print the resolved config as YAML, after checking it; trains nothing.

    The same defaults < --config FILE < --set order as every command, so the output, saved to a
    file, is what `train --config` would run. Bad input is one line and exit code 2, as for train.

    \b
    Example:
      circles-hinge config --set data.dataset=moons > configs/moons.yaml
    """
    from circles_hinge.config import dump_yaml
    from circles_hinge.studies.door import Ask

    with errors_to_exit_codes():
        cfg, _ = Ask(config, sets or []).read()
    typer.echo(dump_yaml(cfg), nl=False)


def runs(
    runs_dir: ReadRunsDirOpt = "outputs",
    as_json: RunsJsonOpt = False,
) -> None:
    """List the run, comparison and sweep folders under --runs-dir, newest first.

    A folder that did not finish is listed with its status (running, interrupted, failed), and one
    whose status.json cannot be read as unreadable. A comparison or sweep has one line per loss.

    \b
    Examples:
      circles-hinge runs
      circles-hinge runs --json | python -m json.tool
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
