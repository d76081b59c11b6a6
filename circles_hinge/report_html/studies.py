"""report.html of a comparison folder (one replay per loss under one slider, taken from the runs'
own report.html), of a seed study (the success table and a per-seed strip) and of a sweep (an
interactive success-rate chart), all from the files the folder already holds."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.report_html.page import (
    REPORT_FILE,
    config_block,
    esc,
    figures,
    num,
    pct,
    read_data,
    render,
    table,
    where_it_ran,
)
from circles_hinge.report_html.run import controls
from circles_hinge.runs import write_atomic

STRIP_MAX_SEEDS = 2000  # squares per loss in the per-seed strip; a larger study shows its first ones


def _display(loss: str) -> str:
    return get_loss(loss).display if loss in LOSSES else loss


def write_comparison_report(path: Path, report: dict[str, Any]) -> Path:
    """A side-by-side comparison's replays, or a seed study's table and strip."""
    losses = [r["loss"] for r in report.get("results", [])]
    names = " vs ".join(_display(loss) for loss in losses)
    study = report.get("success_accuracy") is not None
    title = f"{'Seed study' if study else 'Comparison'}: {names}"
    body = f"<h1>{esc(title)}</h1><p class=lead>Folder <code>{esc(path.name)}</code> · "
    data: dict[str, Any] = {"kind": "compare", "replays": []}
    if study:
        body += (
            f"seeds {esc(report.get('seeds_label'))} ({report.get('n_seeds')} per loss), one initialisation "
            f"each; a seed succeeds at {pct(report['success_accuracy'])} test accuracy or more.</p>"
        )
        body += _study_table(report["results"]) + _strip(path, report)
    else:
        body += "same data, split and initial weights for every loss; one slider drives every replay.</p>"
        body += _side_by_side_table(report["results"])
        missing = []
        for r in report["results"]:
            replay = _run_replay(path / str(r.get("run", r["loss"])))
            if replay is None:
                missing.append(_display(r["loss"]))
                continue
            replay["title"] = f"{get_loss(r['loss']).title} loss (run folder {r.get('run')})"
            data["replays"].append(replay)
        body += "<h2>Training, replayed side by side</h2>"
        if missing:
            body += f"<p class=note>No recorded weights for {esc(', '.join(missing))}: no replay.</p>"
        body += controls()
    body += figures(path, [("comparison.png", "the comparison figure")])
    body += "<h2>Config</h2>" + config_block(path)
    body += "<h2>Where it ran</h2>" + where_it_ran(report.get("machine"), report.get("versions"))
    write_atomic(path / REPORT_FILE, render(title, body, data))
    return path / REPORT_FILE


def _run_replay(run: Path) -> dict[str, Any] | None:
    data = read_data(run / REPORT_FILE)
    if not data or not data.get("replays"):
        return None
    return data["replays"][0]


def _side_by_side_table(results: list[dict[str, Any]]) -> str:
    rows = [
        [
            _display(r["loss"]),
            pct(r.get("test_accuracy")),
            num(r.get("test_loss")),
            num(r.get("final_loss")),
            num(r.get("final_val_loss")),
            "never" if r.get("epochs_to_perfect_val") is None else r["epochs_to_perfect_val"],
            num(r.get("boundary_radius_mean"), 3),
        ]
        for r in results
    ]
    header = ["loss", "test accuracy", "test loss", "final loss", "final validation loss"]
    header += ["epochs to 100% validation", "boundary radius (mean)"]
    links = " · ".join(
        f'<a href="{esc(r["run"])}/{REPORT_FILE}">{esc(_display(r["loss"]))}\'s own report</a>'
        for r in results
        if r.get("run")
    )
    return table(header, rows, numeric={1, 2, 3, 4, 5, 6}) + (f"<p>{links}</p>" if links else "")


def _study_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        lo, hi = r["success_ci95"]
        failed = r.get("failed_seeds") or []
        rows.append(
            [
                _display(r["loss"]),
                f"{r['successes']}/{r['seeds']} = {pct(r['success_rate'])}",
                f"{pct(lo)} – {pct(hi)}",
                ", ".join(map(str, failed)) or "none",
                pct(r.get("test_accuracy")),
                num(r.get("final_loss")),
                num(r.get("epochs_to_perfect_val"), 3),
            ]
        )
    header = ["loss", "success", "95% Wilson interval", "failed seeds", "mean test accuracy"]
    header += ["median final loss", "median epochs to 100% validation"]
    return "<h2>Success per loss</h2>" + table(header, rows, numeric={4, 5, 6})


def _strip(path: Path, report: dict[str, Any]) -> str:
    """One square per seed and loss, coloured by its test accuracy; hovering names the seed, clicking
    shows the command that trains it alone (seed s trains the same alone as inside a study)."""
    try:
        with (path / "seeds.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError:
        return ""
    threshold = float(report["success_accuracy"])
    parts = [
        "<h2>Every seed</h2><p>One square per seed: green succeeded, red failed, darker red lower test "
        "accuracy. Hover for the numbers; click a seed for the command that replays it alone (seed studies "
        "keep no weights per epoch: 1,000 seeds × 30 epochs × 25 weights would be 750,000 numbers, over "
        "this page's budget, so a seed's replay comes from training it once more, which gives the same "
        "history).</p><p id=seed-tip class=note>Click a seed.</p>"
    ]
    for loss in dict.fromkeys(r["loss"] for r in rows):
        mine = [r for r in rows if r["loss"] == loss][:STRIP_MAX_SEEDS]
        size = max(3.0, min(14.0, 900 / max(1, len(mine))))
        squares = []
        for i, r in enumerate(mine):
            accuracy = float(r["test_accuracy"])
            ok = accuracy >= threshold
            colour = "#009E73" if ok else f"hsl(0, 75%, {30 + 40 * max(0.0, accuracy - 0.5) * 2:.0f}%)"
            command = (
                f"circles-hinge train --config {path.name}/config.yaml --loss {loss} --seed {r['seed']} "
                "--set training.restarts=0"
            )
            squares.append(
                f'<rect x="{i * size:.1f}" y="0" width="{size * 0.9:.1f}" height="14" fill="{colour}" '
                f'data-command="{esc(command)}"><title>seed {esc(r["seed"])}: test accuracy '
                f"{pct(accuracy)}{'' if ok else ' (failed)'}</title></rect>"
            )
        width = len(mine) * size
        more = f" (first {STRIP_MAX_SEEDS} seeds)" if len(mine) == STRIP_MAX_SEEDS else ""
        parts.append(
            f"<h3>{esc(_display(loss))}{more}</h3>"
            f'<svg class="strip" width="{width:.0f}" height="16" viewBox="0 0 {width:.1f} 16">'
            + "".join(squares)
            + "</svg>"
        )
    return "".join(parts)


def write_sweep_report(path: Path, report: dict[str, Any]) -> Path:
    """The interactive chart: success rate against the first key's values, a line per loss; with more
    keys, a menu per further key picks the slice of the grid drawn. The table has every cell."""
    from circles_hinge.plots import loss_color

    losses = list(report.get("losses", []))
    grid = report.get("grid") or [{"key": report["param"], "values": report.get("values", [])}]
    keys = [axis["key"] for axis in grid]
    param = keys[0]
    title = f"Sweep of {' x '.join(keys)}: " + ", ".join(_display(loss) for loss in losses)
    keep = ("loss", "success_rate", "success_ci95", "successes", "seeds", "test_accuracy", "failed_seeds")
    results = [
        {"value": r.get(param), "at": {k: str(r.get(k)) for k in keys[1:]}, **{k: r.get(k) for k in keep}}
        for r in report.get("results", [])
    ]
    sweep = {
        "param": param,
        "values": grid[0]["values"],
        "others": [{"key": a["key"], "values": [str(v) for v in a["values"]]} for a in grid[1:]],
        "losses": losses,
        "display": [_display(loss) for loss in losses],
        "colors": [loss_color(loss, i) for i, loss in enumerate(losses)],
        "results": results,
    }
    rows = [
        [
            *(r.get(k) for k in keys),
            _display(r["loss"]),
            f"{r['successes']}/{r['seeds']} = {pct(r['success_rate'])}",
            f"{pct(r['success_ci95'][0])} – {pct(r['success_ci95'][1])}",
            pct(r["test_accuracy"]),
        ]
        for r in report.get("results", [])
    ]
    slices = "".join(
        f'<label>{esc(a["key"])} <select class="sweep-slice" data-key="{esc(a["key"])}">'
        + "".join(f"<option>{esc(str(v))}</option>" for v in a["values"])
        + "</select></label> "
        for a in grid[1:]
    )
    shard = report.get("shard")
    body = (
        f"<h1>{esc(title)}</h1><p class=lead>Folder <code>{esc(path.name)}</code> · a seed study of every "
        f"loss at each cell ({esc(report.get('seeds_label'))}, {report.get('n_seeds')} seeds each; success "
        f"means at least {pct(report.get('success_accuracy'))} test accuracy)"
        + (f"; shard {shard[0]} of {shard[1]}, with only its share of the cells" if shard else "")
        + ".</p>"
        f"<h2>Success against {esc(param)}</h2><p class=no-print>{slices}"
        '<label>show <select id="sweep-metric">'
        '<option value="success">success rate with its 95% interval</option>'
        '<option value="accuracy">mean test accuracy</option></select></label> '
        '<span id="sweep-legend"></span></p><div id="sweep-chart" class=no-print></div>'
        "<p id=sweep-tip class=no-print>Hover over or click a point for its numbers.</p>"
        + table(
            [*keys, "loss", "success", "95% Wilson interval", "mean test accuracy"],
            rows,
            numeric={len(keys) + 3},
        )
        + figures(path, [("sweep.png", "the sweep figure")])
        + "<h2>Config</h2>"
        + config_block(path)
        + "<h2>Where it ran</h2>"
        + where_it_ran(report.get("machine"), report.get("versions"))
    )
    write_atomic(path / REPORT_FILE, render(title, body, {"kind": "sweep", "sweep": sweep}))
    return path / REPORT_FILE
