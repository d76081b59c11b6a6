"""`runs`: the folders of a runs folder as a Rich table, newest first, one line per loss."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from circles_hinge.store.listing import RunSummary


def print_runs(path: Path, found: list[RunSummary]) -> None:
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
            r.status + (f" ({r.problem})" if r.problem else ""),
            r.losses.replace(",", "\n"),
            r.seeds,
            "\n".join(r.test_accuracy),
            "\n".join(r.test_loss),
            "" if r.seconds is None else f"{r.seconds:.1f}",
        )
    Console(width=max(160, longest + 110)).print(table)
