"""index.html of a folder of runs: every run, comparison and sweep, newest first, with its status (also
running, interrupted, failed), losses with their test accuracy, seed, a thumbnail and a link to its
report; the page filters by kind and loss and sorts by any column. Rewritten atomically after every
command. The thumbnails are each folder's thumbnail.png, a small copy of its main figure that the
folder's pipeline writes with the figure (and `circles-hinge report` for a folder made before)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from circles_hinge.errors import CirclesHingeError
from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, esc, render
from circles_hinge.outputs.style import THUMBNAIL, write_thumbnail
from circles_hinge.store.folders import write_atomic
from circles_hinge.store.listing import list_runs

FIGURES = {"run": "decision_regions.png", "compare": "comparison.png", "sweep": "sweep.png"}  # main ones


def _accuracy(text: str) -> float | None:
    """An accuracy as worded in the listing as a number ('mean 99.0%' -> 0.99; a sweep's
    'mean 87.0%-100.0%' -> its lowest, 0.87); None when there is none."""
    found = re.search(r"(\d+(?:\.\d+)?)%", text)
    return float(found.group(1)) / 100 if found else None


def _sortable(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _options(values: set[str], every: str) -> str:
    return f'<option value="">{every}</option>' + "".join(
        f'<option value="{esc(v)}">{esc(v)}</option>' for v in sorted(values)
    )


def ensure_thumbnail(folder: Path, kind: str | None) -> Path | None:
    """The folder's THUMBNAIL, made from its main figure if the folder predates thumbnails (for
    `circles-hinge report`); None when there is no figure to make it from."""
    target, figure = folder / THUMBNAIL, folder / FIGURES.get(kind or "", "")
    if target.is_file() or kind not in FIGURES or not figure.is_file():
        return target if target.is_file() else None
    try:
        write_thumbnail(figure.read_bytes(), target)
    except (OSError, ValueError):  # an unreadable figure: the index shows no picture
        return None
    return target


def _is_file(path: Path) -> bool:
    """Path.is_file, but False (not PermissionError) inside a folder that cannot be read."""
    try:
        return path.is_file()
    except OSError:
        return False


def index_page(runs_dir: Path) -> str:
    runs = list_runs(runs_dir)
    rows, losses, kinds = [], set(), set()
    for r in runs:
        names = [loss for loss in r.losses.split(",") if loss]
        losses.update(names)
        kinds.add(r.kind)
        href = quote(r.path.name)
        report = r.path / REPORT_FILE
        target = f"{href}/{REPORT_FILE}" if _is_file(report) else f"{href}/"
        link = f'<a href="{target}">{"report" if _is_file(report) else "folder"}</a>'
        thumb = (
            f'<a href="{target}" tabindex="-1"><img loading="lazy" src="{href}/{THUMBNAIL}" width="160" '
            f'alt="{esc(r.kind)} {esc(r.path.name)}: {esc(FIGURES.get(r.kind, ""))}"></a>'
            if _is_file(r.path / THUMBNAIL)
            else ""
        )
        pairs = list(zip(names, r.test_accuracy)) if len(names) == len(r.test_accuracy) else []
        accuracy = "".join(f"<span>{esc(loss)}: {esc(text)}</span>" for loss, text in pairs) or "".join(
            f"<span>{esc(text)}</span>" for text in r.test_accuracy
        )
        values = {loss: _accuracy(text) for loss, text in pairs}
        best = max((v for v in values.values() if v is not None), default=None)
        cells = [
            f'<td data-label="started" data-value="{esc(r.started)}">'
            f"{esc(r.started.replace('T', ' ')[:19])}</td>",
            f'<td data-label="name"><a href="{target}">{esc(r.path.name)}</a></td>',
            f'<td data-label="kind">{esc(r.kind)}</td>',
            f'<td data-label="status" class="status-{esc(r.status)}">{esc(r.status)}'
            + (f"<br><small>{esc(r.problem)}</small>" if r.problem else "")
            + "</td>",
            f'<td data-label="seed">{esc(r.seeds)}</td>',
            f'<td data-label="test accuracy" class="num accuracy" data-value="{_sortable(best)}" '
            f"data-accuracies='{esc(json.dumps(values))}'>{accuracy}</td>",
            f'<td data-label="">{thumb}</td>',
            f'<td data-label="">{link}</td>',
        ]
        rows.append(
            f'<tr data-kind="{esc(r.kind)}" data-status="{esc(r.status)}" '
            f'data-losses="{esc(",".join(names))}">' + "".join(cells) + "</tr>"
        )
    header = [
        ("started", "text"),
        ("name", "text"),
        ("kind", "text"),
        ("status", "text"),
        ("seed", "text"),
        ("test accuracy, per loss", "number"),
        ("picture", ""),
        ("", ""),
    ]
    head = "".join(f"<th{f' data-sort={s}' if s else ''}>{esc(h)}</th>" for h, s in header)
    body = (
        "<h1>Runs, comparisons and sweeps</h1>"
        f"<p class=lead>{len(runs)} folders in <code>{esc(runs_dir)}</code>, newest first. Click a "
        "column's name to sort by it (test accuracy: by the loss chosen below, else by each row's "
        "best). Rewritten after every <code>circles-hinge</code> command; <code>circles-hinge report</code> "
        "writes it again.</p>"
        '<p class="filters no-print"><label>kind <select id="filter-kind">'
        f"{_options(kinds, 'every kind')}</select></label> "
        f'<label>loss <select id="filter-loss">{_options(losses, "every loss")}</select></label> '
        '<span id="shown-count" aria-live="polite"></span></p>'
        f'<table id="runs" class="cards"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    data = {
        "kind": "index",
        "runs": [{"name": r.path.name, "kind": r.kind, "status": r.status} for r in runs],
    }
    return render(f"circles-hinge: runs in {runs_dir}", body, data, script="index.js")


def write_index(runs_dir: Path) -> Path:
    path = Path(runs_dir) / INDEX_FILE
    write_atomic(path, index_page(Path(runs_dir)))
    return path


def folder_states(runs_dir: Path) -> dict[str, float]:
    """Each folder of a runs folder with its status.json's modification time: what index.html shows
    changes only when this does."""
    states = {}
    try:
        entries = list(runs_dir.iterdir())
    except OSError:
        return states
    for entry in entries:
        try:
            states[entry.name] = (entry / "status.json").stat().st_mtime
        except OSError:
            states[entry.name] = -1.0
    return states


def update_index(runs_dir: Path, before: dict[str, float] | None = None) -> str | None:
    """Rewrite index.html after a command, however the command ended; None when it was written, or
    nothing changed since `before` (`folder_states`), or there is no runs folder; else why it could not
    be, for the command to say."""
    if not runs_dir.is_dir() or (before is not None and folder_states(runs_dir) == before):
        return None
    try:
        write_index(runs_dir)
    except OSError as exc:  # a full disk or a read-only folder must not hide the command's own outcome
        return f"{runs_dir / INDEX_FILE} could not be written: {exc.strerror or exc}"
    except CirclesHingeError as exc:  # the runs folder cannot be listed
        return f"{runs_dir / INDEX_FILE} could not be written: {exc}"
    return None
