"""How every command runs: its expected failures as one line and an exit code, SIGTERM handled as Ctrl-C,
index.html rewritten when it ends, its notices shown, and its text options read as counts and lists."""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager
from pathlib import Path

import typer


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class Terminated(KeyboardInterrupt):
    signal_name = "SIGTERM"


@contextmanager
def stop_on_sigterm():
    """SIGTERM stops training the way Ctrl-C does, so the folder is marked `interrupted`."""

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def errors_to_exit_codes():
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


@contextmanager
def index_after(runs_path: Path):
    """index.html in --runs-dir is rewritten when a command ends, however it ends; when it cannot be,
    stderr says why."""
    from circles_hinge.outputs.html.index import folder_states, update_index

    before = folder_states(runs_path)
    try:
        yield
    finally:
        problem = update_index(runs_path, before)
        if problem is not None:
            typer.echo(f"warning: {problem}", err=True)


def show(notices: list[str]) -> None:
    for line in notices:
        typer.echo(line, err=True)


def number(text: str | None) -> int | float | str | None:
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


def count(text: str | None, option: str) -> int | None:
    """--seeds or --workers as an integer >= 1, else one line naming the option and the value."""
    if text is None:
        return None
    try:
        n = int(text)
    except ValueError:
        raise fail(f"{option} must be an integer >= 1 — got {text!r}", 2) from None
    if n < 1:
        raise fail(f"{option} must be an integer >= 1 — got {n}", 2)
    return n


def split_list(text: str, option: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise fail(f"{option} {text!r} must be a comma-separated list without empty items", 2)
    return items


def say(line: str, as_json: bool) -> None:
    """A summary line: stdout normally, stderr when stdout is reserved for --json."""
    typer.echo(line, err=as_json)


def print_json(path: Path, key: str, value: dict) -> None:
    typer.echo(json.dumps({"path": str(path), "status": "complete", key: value}, indent=1))
