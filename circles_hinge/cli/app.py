"""The Typer app: its commands (training.py makes folders, folders.py reads them) in the order --help
lists them, --version, and the console script.

Nothing here imports TensorFlow, pydantic or matplotlib at module level, so `--help` is instant.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from circles_hinge.cli import folders, training

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


# The commands, in the order --help lists them.
app.command(short_help="Train one network (the tutorial's by default), write its folder.")(training.train)
app.command(short_help="Train losses on the same seeds and compare them, paired.")(training.compare)
app.command(short_help="Seed studies of each loss over a grid of config values.")(training.sweep)
app.command(short_help="Put the shards of one sweep together into one folder.")(training.merge)
app.command(short_help="Write a folder's page again, or set folders side by side.")(folders.report)
app.command("plot-losses", short_help="Draw the margin-loss family and its gradients.")(folders.plot_losses)
app.command("config", short_help="Print the resolved config as YAML, after checking it.")(folders.show_config)
app.command(short_help="List the run, comparison and sweep folders, newest first.")(folders.runs)


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
