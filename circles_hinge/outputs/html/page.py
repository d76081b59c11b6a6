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


def render(title: str, body: str, data: dict[str, Any]) -> str:
    """The whole page. `</` inside the JSON is written `<\\/`, so no value can end the script early."""
    from circles_hinge import __version__

    payload = json.dumps(_clean(data), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _asset("page.html")
    for key, value in (
        ("{{VERSION}}", esc(__version__)),
        ("{{TITLE}}", esc(title)),
        ("{{STYLE}}", _asset("report.css")),
        ("{{BODY}}", body),
        ("{{SCRIPT}}", _asset("report.js")),
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


def figures(folder: Path, captions: list[tuple[str, str]]) -> str:
    """The folder's still pictures, embedded, so the page prints (and mails) with them."""
    parts = []
    for name, caption in captions:
        url = png_data_url(folder / name)
        if url is not None:
            parts.append(
                f'<figure><img src="{url}" alt="{esc(caption)}"><figcaption>{esc(name)}: {esc(caption)}'
                "</figcaption></figure>"
            )
    if not parts:
        return ""
    return '<h2>The figures in this folder</h2>\n<div class="figures">' + "".join(parts) + "</div>"


def table(header: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(header))
    body = []
    for row in rows:
        cells = "".join(f"<td{' class=num' if i in numeric else ''}>{esc(c)}</td>" for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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
