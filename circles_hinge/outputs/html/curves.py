"""Curves across seeds as an inline SVG for a page: per loss, the median of the training loss (log scale)
and of the validation accuracy over the seeds at every epoch, with the band between the quartiles. Plain
SVG that scales to the column (no script), so it prints and reads on a phone."""

from __future__ import annotations

import math
from collections.abc import Sequence

from circles_hinge.outputs.html.page import esc
from circles_hinge.outputs.style import LINE_COLORS, loss_color
from circles_hinge.words import plural

WIDTH, HEIGHT = 420, 230
# for pages whose lines are folders rather than losses (report --compare): the line colours, none a class's
ENTRY_COLORS = LINE_COLORS
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 40


def _finite(values: Sequence[float | None], log: bool) -> list[float | None]:
    return [v if v is not None and math.isfinite(v) and (v > 0 or not log) else None for v in values]


def _panel(title: str, curves: list[tuple[str, str, dict]], metric: str, log: bool, percent: bool) -> str:
    """One chart: a band and a median line per loss; the axis range from every loss's quartiles."""
    series = []
    for label, color, curve in curves:
        part = curve.get(metric) if curve else None
        if not part:
            continue
        series.append((label, color, *(_finite(part[k], log) for k in ("median", "q25", "q75"))))
    values = [v for _, _, *lines in series for line in lines for v in line if v is not None]
    if not values:
        return ""
    epochs = max(len(s[2]) for s in series)
    lo, hi = min(values), max(values)
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (i / max(1, epochs - 1))

    def y(v: float) -> float:
        t = (math.log10(v) if log else v) - lo
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - t / (hi - lo))

    parts = [f'<text x="{LEFT}" y="16" class="chart-title">{esc(title)}</text>']
    for k in range(5):  # five ticks on the value axis
        t = lo + (hi - lo) * k / 4
        v = 10**t if log else t
        text = f"{v:.0%}" if percent else f"{v:.2g}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
            f'<text x="{LEFT - 4}" y="{y(v) + 3:.1f}" text-anchor="end">{text}</text>'
        )
    for i in sorted({0, epochs - 1, (epochs - 1) // 2}):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{i + 1}</text>')
    parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">epoch</text>')
    for label, color, median, q25, q75 in series:
        band = [(i, a, b) for i, (a, b) in enumerate(zip(q25, q75, strict=False)) if a is not None and b]
        if band:
            points = [f"{x(i):.1f},{y(b):.1f}" for i, _, b in band] + [
                f"{x(i):.1f},{y(a):.1f}" for i, a, _ in reversed(band)
            ]
            parts.append(f'<polygon points="{" ".join(points)}" fill="{color}" fill-opacity="0.18"/>')
        line = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(median) if v is not None]
        if line:
            parts.append(
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{color}" stroke-width="2">'
                f"<title>{esc(label)}: median over the seeds</title></polyline>"
            )
    return (
        f'<svg class="curves" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{esc(title)}">'
        + "".join(parts)
        + "</svg>"
    )


def curves_section(
    curves: list[tuple[str, str, dict]],
    n_seeds: int,
    title: str = "Curves across seeds",
    intro: str = "",
    by_entry: bool = False,
) -> str:
    """`curves`: (label, loss name for the colour, the result's curves) per loss; "" without any.
    `by_entry`: a colour per entry (several folders of one loss) instead of the loss's own."""
    coloured = [
        (label, ENTRY_COLORS[i % len(ENTRY_COLORS)] if by_entry else loss_color(loss, i), c)
        for i, (label, loss, c) in enumerate(curves)
    ]
    charts = _panel("training loss (log scale)", coloured, "loss", True, False)
    charts += _panel("validation accuracy", coloured, "val_accuracy", False, True)
    if not charts:
        return ""
    legend = " · ".join(
        f'<span class="swatch" style="background:{color}"></span>{esc(label)}' for label, color, _ in coloured
    )
    intro = intro or (
        f"Per epoch, the median over the {plural(n_seeds, 'seed')} (line) and the band between the first "
        "and third quartiles (shaded): how training goes for a typical seed, and how much seeds differ."
    )
    return f"<h2>{esc(title)}</h2><p>{esc(intro)} {legend}</p><div class=charts>{charts}</div>"
