"""Progress on stderr: a Rich bar over the epochs on a terminal, and one line per stage with counts
(at most every few seconds) for a log file or a pipe, where a live bar cannot redraw."""

from __future__ import annotations

import sys
import time

import typer

from circles_hinge.words import duration

_INSIDE_EPOCH = ": epoch "  # a stage text with progress inside an epoch: 'training: epoch 3/30: ...'


class PlainLines:
    """Progress for a log file or a pipe, where a live bar cannot redraw and ends up cut off, as pip
    and tqdm write it there: one line per stage, with the epochs done in all; between stages a line
    at most every few seconds; and a time left only once the epochs after the first have given a
    rate (TensorFlow's start and the first epoch's tracing would make any earlier guess wrong)."""

    interval = 5.0  # seconds between progress lines

    def __init__(self, label: str):
        self.current, self.last = label, time.monotonic()
        self.loaded = False  # "loading TensorFlow" is said once, whichever part of the work says it
        self.first: tuple[float, int] | None = None  # (when, epochs done) at the first finished epoch
        self.started = time.monotonic()

    def left(self, done: int, total: int) -> str:
        """', about 12 s left' from the rate since the first finished epoch; '' until there is one."""
        now = time.monotonic()
        if self.first is None:
            if done > 0:
                self.first = (now, done)
            return ""
        seconds, epochs = now - self.first[0], done - self.first[1]
        if epochs < 1 or seconds < 1.0 or done >= total:
            return ""
        return f", about {duration((total - done) * seconds / epochs)} left"

    def counts(self, done: int | None, total: int | None) -> str:
        if done is None or not total or done >= total:  # the end has a line of its own
            return ""
        return f" ({done:,}/{total:,} epochs in all{self.left(done, total)})"

    def stage(self, text: str, done: int | None = None, total: int | None = None) -> None:
        if text.endswith("loading TensorFlow"):  # 'hinge: loading TensorFlow' after the first: already
            if not self.loaded:
                typer.echo("loading TensorFlow", err=True)
            self.loaded, self.current = True, text
            return
        if _INSIDE_EPOCH in text:  # progress inside a long epoch: a line at most every few seconds
            if time.monotonic() - self.last >= self.interval:
                typer.echo(text, err=True)
                self.last = time.monotonic()
            return
        if text != self.current and text != "done":
            typer.echo(text + self.counts(done, total), err=True)
            self.last = time.monotonic()
        self.current = text

    def progress(self, text: str, final: bool) -> None:
        if final or time.monotonic() - self.last >= self.interval:
            typer.echo(f"{self.current}: {text}", err=True)
            self.last = time.monotonic()

    def epochs(self, done: int, total: int) -> None:
        """Between stages: the epochs done in all (not a stage's own), at most every few seconds."""
        left = self.left(done, total)  # every tick: the rate starts at the first finished epoch
        if done > 0 and time.monotonic() - self.last >= self.interval:
            typer.echo(f"  {done:,}/{total:,} epochs in all{left}", err=True)
            self.last = time.monotonic()

    def end(self, total: int) -> None:
        typer.echo(
            f"{total:,}/{total:,} epochs in all, {duration(time.monotonic() - self.started)}", err=True
        )


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
            left = self.plain.left(epoch, self.total)  # none until the epochs after the first give a rate
            self.plain.progress(f"epoch {epoch}/{self.total}  {metrics}{left}", final=epoch == self.total)
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
            self.plain.stage(stage, done, total)
            if done < total:
                self.plain.epochs(done, total)
            elif not self.ended:  # the last epoch: said once, with the time it all took
                self.plain.end(total)
                self.ended = True
        self.progress.update(self.task, description=stage, completed=done, total=total)
