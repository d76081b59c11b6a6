"""index.html of a folder of runs: every run, comparison and sweep, newest first, with its status (also
running, interrupted, failed), loss, seed, test accuracy, a thumbnail and a link to its report; the page
filters by kind and loss and sorts by any column. Rewritten atomically after every command."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from circles_hinge.errors import CirclesHingeError
from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, esc, render
from circles_hinge.store.folders import write_atomic
from circles_hinge.store.listing import list_runs

THUMBNAILS = {"run": "decision_regions.png", "compare": "comparison.png", "sweep": "sweep.png"}


def _first_number(texts: list[str]) -> str:
    """The first accuracy of a row as a sortable number ('mean 99.0%' -> 0.99), '' when there is none."""
    for text in texts:
        found = re.search(r"(\d+(?:\.\d+)?)%", text)
        if found:
            return f"{float(found.group(1)) / 100:.4f}"
    return ""


def _options(values: set[str], every: str) -> str:
    return f'<option value="">{every}</option>' + "".join(
        f'<option value="{esc(v)}">{esc(v)}</option>' for v in sorted(values)
    )


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
        link = (
            f'<a href="{href}/{REPORT_FILE}">report</a>'
            if _is_file(report)
            else f'<a href="{href}/">folder</a>'
        )
        thumb_file = r.path / THUMBNAILS.get(r.kind, "")
        thumb = (
            f'<img loading="lazy" src="{href}/{quote(thumb_file.name)}" alt="">'
            if r.kind in THUMBNAILS and _is_file(thumb_file)
            else ""
        )
        accuracy = "<br>".join(esc(a) for a in r.test_accuracy)
        cells = [
            f'<td data-value="{esc(r.started)}">{esc(r.started.replace("T", " ")[:19])}</td>',
            f"<td>{esc(r.path.name)}</td>",
            f"<td>{esc(r.kind)}</td>",
            f'<td class="status-{esc(r.status)}">{esc(r.status)}'
            + (f"<br><small>{esc(r.problem)}</small>" if r.problem else "")
            + "</td>",
            f"<td>{'<br>'.join(esc(n) for n in names)}</td>",
            f"<td>{esc(r.seeds)}</td>",
            f'<td class=num data-value="{_first_number(r.test_accuracy)}">{accuracy}</td>',
            f"<td>{thumb}</td>",
            f"<td>{link}</td>",
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
        ("loss", "text"),
        ("seed", "text"),
        ("test accuracy", "number"),
        ("picture", ""),
        ("", ""),
    ]
    head = "".join(f"<th{f' data-sort={s}' if s else ''}>{esc(h)}</th>" for h, s in header)
    body = (
        f"<h1>Runs in {esc(runs_dir.name or runs_dir)}</h1>"
        f"<p class=lead>{len(runs)} folders, newest first. Click a column's name to sort by it. "
        "Rewritten after every <code>circles-hinge</code> command; <code>circles-hinge report</code> "
        "writes it again.</p>"
        '<p class=no-print><label>kind <select id="filter-kind">'
        f"{_options(kinds, 'every kind')}</select></label> "
        f'<label>loss <select id="filter-loss">{_options(losses, "every loss")}</select></label> '
        '<span id="shown-count"></span></p>'
        f'<table id="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    data = {
        "kind": "index",
        "runs": [{"name": r.path.name, "kind": r.kind, "status": r.status} for r in runs],
    }
    return render(f"circles-hinge runs in {runs_dir}", body, data)


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
