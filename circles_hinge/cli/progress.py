"""Progress on stderr: a Rich bar over the epochs on a terminal, and one line per stage with counts
(at most every few seconds) for a log file or a pipe, where a live bar cannot redraw."""

from __future__ import annotations

import sys
import time

import typer

_INSIDE_EPOCH = ": epoch "  # a stage text with progress inside an epoch: 'training: epoch 3/30: ...'


class PlainLines:
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


class EpochProgress:
    """A Rich progress bar over the epochs, showing loss, val_loss and the accuracies; plain lines
    instead when stderr is not a terminal (`make train > log 2>&1`)."""

    def __init__(self, total: int, enabled: bool, label: str = "training"):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.total, self.ended = total, False
        self.plain = PlainLines(label) if enabled and not sys.stderr.isatty() else None
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


class StudyProgress(EpochProgress):
    """Progress over the epochs of every loss (and value) of a comparison, study or sweep."""

    def update(self, stage: str, done: int, total: int) -> None:
        if self.plain is not None:
            self.plain.stage(stage)
            self.plain.progress(f"{done}/{total} epochs in all", final=done == total and not self.ended)
            self.ended = done == total
        self.progress.update(self.task, description=stage, completed=done, total=total)
