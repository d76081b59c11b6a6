"""One self-contained HTML page: the shipped template, stylesheet and script inlined, the page's data as
JSON inside it, pictures as data: URLs. Also reads that JSON back (a comparison reuses its runs' replays)."""

from __future__ import annotations

import base64
import html
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from circles_hinge.files import CONFIG_MAX_BYTES, FileProblem, read_bytes, read_text
from circles_hinge.store.folders import write_atomic

REPORT_FILE = "report.html"
INDEX_FILE = "index.html"
_DATA_START = '<script type="application/json" id="report-data">'


@cache
def _asset(name: str) -> str:
    return resources.files("circles_hinge.outputs.html").joinpath(name).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def palette() -> dict[str, Any]:
    """The figures' colours and markers, for the page to draw with the same ones (style.py owns them)."""
    from circles_hinge.outputs import style

    return {
        "classes": style.CLASS_COLORS,
        "edges": [style.class_edge(c) for c in range(len(style.CLASS_COLORS))],
        "lines": style.LINE_COLORS,
        "losses": style.LOSS_COLORS,
        "markers": style.MARKERS,
        "tint": list(style.TINT),
    }


def render(title: str, body: str, data: dict[str, Any], script: str = "report.js") -> str:
    """The whole page, with the shipped `script` (report.js; index.js for the index). `</` inside the
    JSON is written `<\\/`, so no value can end the script early."""
    from circles_hinge import __version__

    data = {**data, "palette": palette()}
    payload = json.dumps(_clean(data), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _asset("page.html")
    for key, value in (
        ("{{VERSION}}", esc(__version__)),
        ("{{TITLE}}", esc(title)),
        ("{{STYLE}}", _asset("report.css")),
        ("{{BODY}}", body),
        ("{{SCRIPT}}", _asset(script)),
    ):
        page = page.replace(key, value, 1)
    return page.replace("{{DATA}}", payload, 1)  # last: the data may hold any of the markers above


def write_page(path: Path, title: str, body: str, data: dict[str, Any]) -> Path:
    write_atomic(path, render(title, body, data))
    return path


def read_data(path: Path) -> dict[str, Any] | None:
    """The JSON a report page carries, or None when there is no such page or it cannot be read."""
    try:
        text = read_text(path)  # a regular file only: a FIFO in its place would block
    except FileProblem:
        return None
    start = text.find(_DATA_START)
    end = text.find("</script>", start)
    if start < 0 or end < 0:
        return None
    try:
        return json.loads(text[start + len(_DATA_START) : end])
    except ValueError:
        return None


def png_data_url(path: Path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(read_bytes(path)).decode("ascii")
    except FileProblem:
        return None


def png_size(path: Path) -> tuple[int, int] | None:
    """A PNG's width and height in pixels, from its header."""
    try:
        with path.open("rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def figures(folder: Path, captions: list[tuple[str, str]], extra: str = "") -> str:
    """The folder's still pictures, embedded, so the page prints (and mails) with them: each at its
    natural size up to the column's width (its width and height are given, so nothing jumps while
    loading), and a link to the file, which the page's script opens full size over the page."""
    parts = []
    for name, caption in captions:
        url, size = png_data_url(folder / name), png_size(folder / name)
        if url is None:
            continue
        wh = f' width="{size[0]}" height="{size[1]}"' if size else ""
        parts.append(
            f'<figure><a class="zoom" href="{esc(name)}" title="open {esc(name)} full size">'
            f'<img src="{url}"{wh} alt="{esc(name)}: {esc(caption)}"></a>'
            f"<figcaption>{esc(name)}: {esc(caption)}. <span class=no-print>Click to enlarge.</span>"
            "</figcaption></figure>"
        )
    if not parts:
        return ""
    return (
        '<section class="folder-figures"><h2>The figures in this folder</h2>'
        + extra
        + '<div class="figures">'
        + "".join(parts)
        + "</div></section>"
    )


def table(
    header: list[str], rows: list[list[Any]], numeric: set[int] = frozenset(), cards: bool = True
) -> str:
    """A table; with `cards`, each row becomes a card of labelled cells on a narrow screen."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(header))
    labels = [esc(h) for h in header]
    body = []
    for row in rows:
        cells = "".join(
            f'<td{" class=num" if i in numeric else ""} data-label="{labels[i] if i < len(labels) else ""}">'
            f"{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    kind = ' class="cards"' if cards else ""
    return f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def where_it_ran(machine: dict[str, Any] | None, versions: dict[str, Any] | None) -> str:
    """metrics.json's machine and versions as a definition list (nested keys joined with dots)."""
    items: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            items.append((prefix, ", ".join(map(str, value)) if isinstance(value, list) else value))

    walk("", machine or {})
    walk("versions", versions or {})
    if not items:
        return "<p>Not recorded in this folder.</p>"
    return '<dl class="where">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def config_block(folder: Path) -> str:
    try:
        text = read_text(folder / "config.yaml", CONFIG_MAX_BYTES)
    except FileProblem as exc:
        return f"<p>config.yaml {esc(exc.why)}.</p>"
    return (
        "<p>The fully resolved config (<code>config.yaml</code>; <code>--config</code> it to repeat the "
        f"run):</p><pre>{esc(text)}</pre>"
    )
