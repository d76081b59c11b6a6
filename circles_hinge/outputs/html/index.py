"""index.html of a folder of runs: every run, comparison and sweep, newest first, with its status (also
running, interrupted, failed), losses with their test accuracy, seed, a thumbnail and a link to its
report; the page filters by kind and loss and sorts by any column. Rewritten atomically after every
command. The thumbnails are small copies of each folder's main figure, made for the index in
`.thumbnails/` (list_runs skips dot-folders) and made again only when the figure changes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote

from circles_hinge.outputs.html.page import INDEX_FILE, REPORT_FILE, esc, render
from circles_hinge.store.folders import write_atomic
from circles_hinge.store.listing import list_runs

THUMBNAILS = {"run": "decision_regions.png", "compare": "comparison.png", "sweep": "sweep.png"}
THUMBNAIL_DIR = ".thumbnails"
THUMBNAIL_WIDTH = 320  # shown 160 px wide: sharp on a screen of 2 pixels per CSS pixel
THUMBNAIL_COLORS = 64


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


def thumbnail(runs_dir: Path, folder: Path, figure: str) -> Path | None:
    """`.thumbnails/<folder>.png`: the folder's figure THUMBNAIL_WIDTH px wide in THUMBNAIL_COLORS
    colours, made again when the figure is newer; None when there is no figure or it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    source = folder / figure
    target = runs_dir / THUMBNAIL_DIR / f"{folder.name}.png"
    try:
        mtime = source.stat().st_mtime
    except OSError:
        return None
    try:
        if target.stat().st_mtime >= mtime:
            return target
    except OSError:
        pass
    try:
        with Image.open(source) as image:
            image = image.convert("RGB")
            height = max(1, round(image.height * THUMBNAIL_WIDTH / image.width))
            small = image.resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    buf = io.BytesIO()
    small.quantize(colors=THUMBNAIL_COLORS, dither=Image.Dither.NONE).save(buf, format="PNG", optimize=True)
    target.parent.mkdir(exist_ok=True)
    write_atomic(target, buf.getvalue())
    return target


def _forget_thumbnails(runs_dir: Path, names: set[str]) -> None:
    """Remove the thumbnails of folders that are gone."""
    for old in (runs_dir / THUMBNAIL_DIR).glob("*.png"):
        if old.stem not in names:
            old.unlink(missing_ok=True)


def index_page(runs_dir: Path) -> str:
    runs = list_runs(runs_dir)
    rows, losses, kinds = [], set(), set()
    for r in runs:
        names = [loss for loss in r.losses.split(",") if loss]
        losses.update(names)
        kinds.add(r.kind)
        href = quote(r.path.name)
        report = r.path / REPORT_FILE
        target = f"{href}/{REPORT_FILE}" if report.is_file() else f"{href}/"
        link = f'<a href="{target}">{"report" if report.is_file() else "folder"}</a>'
        small = thumbnail(runs_dir, r.path, THUMBNAILS[r.kind]) if r.kind in THUMBNAILS else None
        thumb = (
            f'<a href="{target}" tabindex="-1"><img loading="lazy" src="{THUMBNAIL_DIR}/{href}.png" '
            f'width="160" alt="{esc(r.kind)} {esc(r.path.name)}: {esc(THUMBNAILS[r.kind])}"></a>'
            if small is not None
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
            f'<td data-label="status" class="status-{esc(r.status)}">{esc(r.status)}</td>',
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
    _forget_thumbnails(runs_dir, {r.path.name for r in runs})
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
    return render(f"circles-hinge: runs in {runs_dir}", body, data)


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
    return None
