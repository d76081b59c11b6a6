"""report.html of a comparison folder (one replay per loss under one slider, taken from the runs'
own report.html), of a seed study (the success table, a per-seed strip, and with --replays each seed's
replay) and of a sweep (an interactive success-rate chart), all from the files the folder holds."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from circles_hinge.config import Config, validate
from circles_hinge.engine.data import n_classes
from circles_hinge.errors import ConfigError
from circles_hinge.files import FileProblem, read_text
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.outputs.html.page import (
    REPORT_FILE,
    config_block,
    esc,
    figures,
    read_data,
    render,
    table,
    where_it_ran,
)
from circles_hinge.outputs.html.run import _extent, controls, model_data, thinning_note
from circles_hinge.outputs.page_budget import replay_seed_limit
from circles_hinge.outputs.plots import class_names, loss_color, value_name
from circles_hinge.outputs.study_plots import part_line
from circles_hinge.store.folders import write_atomic
from circles_hinge.words import num, pct

if TYPE_CHECKING:
    from circles_hinge.engine.data import Split
    from circles_hinge.results import SeedStudy

STRIP_MAX_SEEDS = 2000  # squares per loss in the per-seed strip; a larger study shows its first ones


def _floats32(values: np.ndarray) -> str:
    """float32 values, little-endian, in base64: exact and about 5.3 characters a number."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def _digits(y: np.ndarray) -> str:
    return (np.asarray(y, dtype=np.uint8) + ord("0")).tobytes().decode("ascii")


def seed_replays(configs: dict[str, Config], studies: list[SeedStudy], splits: list[Split]) -> dict[str, Any]:
    """Every seed's replay of each loss, for the page to build on a click: per loss what its network
    is, per seed its points (shared by the losses) and each loss's weights per kept epoch and history.
    The page turns them into the same replays a run's report.html shows."""

    first = next(iter(configs.values()))
    losses = []
    for study in studies:
        frames = study.frames[0]
        losses.append(
            {
                "loss": study.loss,
                "title": study.spec.title,
                "model": model_data(configs[study.loss]),
                "epochs": [int(e) for e, _ in frames],
                "note": thinning_note(frames, configs[study.loss].training.epochs),
                "classes": class_names(first.data.dataset, n_classes(first.data)),
                "value_name": value_name(study.spec),
            }
        )
    runs = {}
    for k, split in enumerate(splits):
        seed = studies[0].rows[k]["seed"]
        runs[str(seed)] = {
            "x": [_floats32(split.X_train), _floats32(split.X_test)],
            "y": [_digits(split.y_train), _digits(split.y_test)],
            "extent": _extent(np.concatenate([split.X_train, split.X_test])),
            "accuracy": [study.rows[k]["test_accuracy"] for study in studies],
            "success": [study.rows[k]["success"] for study in studies],
            "theta": [_floats32(np.stack([theta for _, theta in study.frames[k]])) for study in studies],
            "history": [
                _floats32(
                    np.stack([study.history[m][k] for m in ("loss", "accuracy", "val_loss", "val_accuracy")])
                )
                for study in studies
            ],
        }
    return {"losses": losses, "runs": runs}


def _display(loss: str) -> str:
    return get_loss(loss).display if loss in LOSSES else loss


def write_comparison_report(path: Path, report: dict[str, Any], seeds: dict[str, Any] | None = None) -> Path:
    """A side-by-side comparison's replays, or a seed study's table and strip, and with `seeds`
    (`seed_replays`) each seed's replay; rewriting a study's page keeps the replays it holds."""
    losses = [r["loss"] for r in report.get("results", [])]
    names = " vs ".join(_display(loss) for loss in losses)
    study = report.get("success_accuracy") is not None
    title = f"{'Seed study' if study else 'Comparison'}: {names}"
    body = f"<h1>{esc(title)}</h1><p class=lead>Folder <code>{esc(path.name)}</code> · "
    data: dict[str, Any] = {"kind": "compare", "replays": []}
    if study:
        if seeds is None:
            seeds = (read_data(path / REPORT_FILE) or {}).get("seeds")
        body += (
            f"seeds {esc(report.get('seeds_label'))} ({report.get('n_seeds')} per loss), one initialisation "
            f"each; a seed succeeds at {pct(report['success_accuracy'])} test accuracy or more.</p>"
        )
        body += _study_table(report["results"]) + _strip(path, report, seeds is not None)
        if seeds is not None:
            data["seeds"] = seeds
            body += _seed_replay_section(report)
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


def _seed_replay_section(report: dict[str, Any]) -> str:
    return (
        '<h2 id="seed-replay">One seed, replayed</h2><p>Click a seed in the strip: its training under '
        "every loss is replayed here, one slider for all, from the weights the study recorded after "
        "every epoch (<code>--replays</code>). They are the weights <code>circles-hinge train --seed S "
        "--set training.restarts=0</code> records, bit for bit. The address ends in "
        "<code>#seed=S&amp;epoch=N</code>, so a link opens that seed at that epoch. Every seed adds its "
        "own points and weights to this page, which stays under 2 MB, so <code>--replays</code> takes "
        f"at most {_limit(report) or 'a limited number of'} seeds of this config.</p>" + controls()
    )


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


def _strip(path: Path, report: dict[str, Any], replays: bool = False) -> str:
    """One square per seed and loss, coloured by its test accuracy; hovering names the seed, clicking
    opens its replay (with --replays) and shows the command that trains it alone (seed s trains the
    same alone as inside a study)."""
    try:  # a regular file only: a FIFO in its place would block
        rows = list(csv.DictReader(io.StringIO(read_text(path / "seeds.csv"), newline="")))
    except FileProblem:
        return ""
    threshold = float(report["success_accuracy"])
    if replays:
        click = "click a seed to replay it below, and for the command that trains it alone."
    else:
        click = (
            "click a seed for the command that trains it alone, which gives the same history. This study "
            "kept no weights per epoch; <code>compare --seeds N --replays</code> keeps them (for at most "
            f"{_limit(report) or 'a limited number of'} seeds of this config) and replays any seed here."
        )
    parts = [
        "<h2>Every seed</h2><p>One square per seed: green succeeded, red failed, darker red lower test "
        f"accuracy. Hover for the numbers; {click}</p><p id=seed-tip class=note>Click a seed.</p>"
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
                f'<rect x="{i * size:.1f}" y="2" width="{size * 0.9:.1f}" height="14" fill="{colour}" '
                f'data-seed="{esc(r["seed"])}" data-command="{esc(command)}" tabindex="0"><title>seed '
                f"{esc(r['seed'])}: test accuracy {pct(accuracy)}{'' if ok else ' (failed)'}</title></rect>"
            )
        width = len(mine) * size
        more = f" (first {STRIP_MAX_SEEDS} seeds)" if len(mine) == STRIP_MAX_SEEDS else ""
        parts.append(
            f"<h3>{esc(_display(loss))}{more}</h3>"
            f'<svg class="strip" width="{width + 2:.0f}" height="18" viewBox="-1 0 {width + 2:.1f} 18">'
            + "".join(squares)
            + "</svg>"
        )
    return "".join(parts)


def _limit(report: dict[str, Any]) -> int | None:
    """replay_seed_limit for the study's recorded config and losses; None when they cannot say."""

    try:
        limit = replay_seed_limit(validate(report["config"]), [r["loss"] for r in report["results"]])
    except (ConfigError, KeyError, TypeError, ValueError):
        return None
    return limit


def write_sweep_report(path: Path, report: dict[str, Any]) -> Path:
    """The interactive chart: success rate against the first key's values, a line per loss; with more
    keys, a menu per further key picks the slice of the grid drawn. The table has every cell."""
    losses = list(report.get("losses", []))
    grid = report.get("grid") or [{"key": report["param"], "values": report.get("values", [])}]
    keys = [axis["key"] for axis in grid]
    param = keys[0]
    title = f"{'Partial sweep' if report.get('partial') else 'Sweep'} of {' x '.join(keys)}: " + ", ".join(
        _display(loss) for loss in losses
    )
    keep = ("loss", "success_rate", "success_ci95", "successes", "seeds", "test_accuracy", "failed_seeds")
    results = [
        {
            "value": r.get(param, r.get("value")),  # "value": a folder made before grids
            "at": {k: str(r.get(k)) for k in keys[1:]},
            **{k: r.get(k) for k in keep},
        }
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
            *(r.get(k, r.get("value")) for k in keys),
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
        + (  # merge --partial: what is missing, and the commands that would make it
            f"<p class=note><b>{esc(part_line(report))}.</b> The commands that would make the rest:"
            + "".join(f"<br><code>{esc(c)}</code>" for c in report["partial"]["commands"])
            + "</p>"
            if report.get("partial")
            else ""
        )
        + f"<h2>Success against {esc(param)}</h2><p class=no-print>{slices}"
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
