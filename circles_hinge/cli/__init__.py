"""The command line: the Typer app and its progress, completion and summary lines.

`circles_hinge.cli:main` is the console script; importing this package loads Typer, nothing heavier."""

from circles_hinge.cli.app import app, main

__all__ = ["app", "main"]
