"""report.html of a comparison folder (one replay per loss under one slider, taken from the runs'
own report.html), of a seed study (the success table, a per-seed strip, and with --replays each seed's
replay) and of a sweep (an interactive success-rate chart), all from the files the folder holds."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.errors import ConfigError
from circles_hinge.files import FileProblem
from circles_hinge.losses import LOSSES, get_loss
from circles_hinge.outputs.html.curves import curves_section
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
from circles_hinge.outputs.html.run import player
from circles_hinge.outputs.page_budget import replay_seed_limit
from circles_hinge.outputs.style import loss_color
from circles_hinge.reports import ComparisonReport, SweepReport
from circles_hinge.results import BaselineRecord, Paired, RunRow, SeedSummary, read_seed_rows
from circles_hinge.store.folders import write_atomic
from circles_hinge.words import num, pct

STRIP_MAX_SEEDS = 2000  # squares per loss in the per-seed strip; a larger study shows its first ones


def floats32(values: np.ndarray) -> str:
    """float32 values, little-endian, in base64: exact and about 5.3 characters a number."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def digits(y: np.ndarray) -> str:
    return (np.asarray(y, dtype=np.uint8) + ord("0")).tobytes().decode("ascii")


def _display(loss: str) -> str:
    return get_loss(loss).display if loss in LOSSES else loss


def write_comparison_report(
    path: Path,
    report: ComparisonReport,
    seeds: dict[str, Any] | None = None,
    replays: dict[str, Any] | None = None,
) -> Path:
    """A side-by-side comparison's replays under one slider (`replays`: each loss's replay, from the runs
    just trained; None when the page is written again from the folder, which then takes each run's from
    its own report.html), or a seed study's table and strip, and with `seeds` (`comparison.seed_replays`) each
    seed's replay; rewriting a study's page keeps the replays it holds."""
    names = " vs ".join(_display(r.loss) for r in report.results)
    title = f"{'Seed study' if report.study else 'Comparison'}: {names}"
    body = f"<h1>{esc(title)}</h1><p class=lead>Folder <code>{esc(path.name)}</code> · "
    data: dict[str, Any] = {"kind": "compare", "replays": []}
    if report.study:
        if seeds is None:
            seeds = (read_data(path / REPORT_FILE) or {}).get("seeds")
        body += (
            f"seeds {esc(report.seeds_label)} ({report.n_seeds} per loss), one initialisation "
            f"each; a seed succeeds at {pct(report.success_accuracy)} test accuracy or more.</p>"
        )
        body += _study_table(report.summaries) + _verdicts(report.paired)
        body += curves_section(
            [(_display(r.loss), r.loss, r.curves) for r in report.summaries], report.n_seeds
        )
        body += _strip(path, report, seeds is not None)
        if seeds is not None:
            data["seeds"] = seeds
            body += _seed_replay_section(report)
    else:
        body += "same data, split and initial weights for every loss; one slider drives every replay.</p>"
        body += "".join(f"<p class=note>{esc(p.verdict)}</p>" for p in report.paired[:1])
        body += _side_by_side_table(report.runs)
        missing = []
        for r in report.runs:
            replay = replays.get(r.loss) if replays is not None else _run_replay(path / r.run, r)
            if replay is None:
                missing.append(_display(r.loss))
                continue
            data["replays"].append(replay)
        intro = (
            "<p>One slider drives every replay: at each epoch, each loss's network as it was then, "
            "side by side on a wide screen. The address ends in <code>#epoch=N</code>.</p>"
        )
        if missing:
            intro += f"<p class=note>No recorded weights for {esc(', '.join(missing))}: no replay.</p>"
        body += player("Training, replayed side by side", intro)
    body += _baselines(report.baselines)
    body += figures(path, [("comparison.png", "the comparison figure")])
    body += "<h2>Config</h2>" + config_block(path)
    body += "<h2>Where it ran</h2>" + where_it_ran(report.machine, report.versions)
    write_atomic(path / REPORT_FILE, render(title, body, data))
    return path / REPORT_FILE


def _baselines(baselines: BaselineRecord | None) -> str:
    """--baselines: scikit-learn's classifiers on the same split, and on circles each network's mean
    distance from the RBF SVM's boundary."""
    if not baselines:
        return ""
    rows = [
        [b.name, pct(b.test_accuracy), "—" if b.support_vectors is None else b.support_vectors]
        for b in baselines.models
    ]
    body = "<h2>Classical baselines</h2>"
    body += f"<p>scikit-learn's classifiers, default settings, fitted on {esc(baselines.fitted_on)}.</p>"
    body += table(["model", "test accuracy", "support vectors"], rows, numeric={1, 2})
    distances = baselines.distance_from_svm
    if distances:
        gaps = "; ".join(f"{_display(loss)} {num(value, 3)}" for loss, value in distances.items())
        body += (
            "<p>Mean gap between each network's boundary and the RBF SVM's (the maximum-margin answer), "
            f"along 360 rays from the origin: {esc(gaps)}.</p>"
        )
    return body


def _seed_replay_section(report: dict[str, Any]) -> str:
    intro = (
        "<p>Click a seed above: its training under every loss is replayed here, one slider for all, "
        "from the weights the study recorded after every epoch (<code>--replays</code>). They are the "
        "weights <code>circles-hinge train --seed S --set training.restarts=0</code> records, bit for "
        "bit. The address ends in <code>#seed=S&amp;epoch=N</code>, so a link opens that seed at that "
        "epoch. Every seed adds its own points and weights to this page, which stays under 2 MB, so "
        f"<code>--replays</code> takes at most {_limit(report) or 'a limited number of'} seeds of this "
        "config.</p>"
    )
    return player("One seed, replayed", intro, heading_id="seed-replay")


def _run_replay(run: Path, row: RunRow) -> dict[str, Any] | None:
    """A run's replay as its own report.html holds it, titled for the comparison (the page written
    again from the folder: the weights of every epoch live only in the run's page)."""
    data = read_data(run / REPORT_FILE)
    if not data or not data.get("replays"):
        return None
    replay = data["replays"][0]
    replay["title"] = f"{get_loss(row.loss).title} loss (run folder {row.run})"
    return replay


def _side_by_side_table(results: list[RunRow]) -> str:
    rows = [
        [
            _display(r.loss),
            pct(r.test_accuracy),
            num(r.test_loss),
            num(r.final_loss),
            num(r.final_val_loss),
            "never" if r.epochs_to_perfect_val is None else r.epochs_to_perfect_val,
            num(r.boundary.boundary_radius_mean, 3),
        ]
        for r in results
    ]
    header = ["loss", "test accuracy", "test loss", "final loss", "final validation loss"]
    header += ["epochs to 100% validation", "boundary radius (mean)"]
    links = " · ".join(
        f'<a href="{esc(r.run)}/{REPORT_FILE}">{esc(_display(r.loss))}\'s own report</a>'
        for r in results
        if r.run
    )
    return table(header, rows, numeric={1, 2, 3, 4, 5, 6}) + (f"<p>{links}</p>" if links else "")


def _verdicts(paired: list[Paired]) -> str:
    """Every pair of losses, seed by seed: the sentence, then the counts behind it."""
    if not paired:
        return ""
    return (
        "<h2>Seed by seed</h2><p>Every loss trained the same seeds, with the same data and initial weights, "
        "so each seed is a pair.</p>"
        + "".join(f"<p class=verdict>{esc(p.verdict)}</p>" for p in paired)
        + _paired_table(paired)
    )


def _paired_table(paired: list[Paired], keys: list[str] | None = None) -> str:
    keys = keys or []
    header = [*keys, "first", "second", "both succeed", "only first", "only second", "neither"]
    header += ["McNemar exact p", "accuracy, second − first: median [95% CI]"]
    rows = []
    for p in paired:
        d = p.accuracy_difference
        rows.append(
            [
                *(p.cell.get(k) for k in keys),
                _display(p.losses[0]),
                _display(p.losses[1]),
                p.both_succeed,
                p.only_first,
                p.only_second,
                p.neither,
                f"{p.mcnemar_p:.2g}",
                f"{100 * d.median:+.1f} pts [{100 * d.ci95[0]:+.1f}, {100 * d.ci95[1]:+.1f}]",
            ]
        )
    n = len(keys)
    return table(header, rows, numeric={n + 2, n + 3, n + 4, n + 5, n + 6})


def _study_table(results: list[SeedSummary]) -> str:
    rows = []
    for r in results:
        lo, hi = r.success_ci95
        rows.append(
            [
                _display(r.loss),
                f"{r.successes}/{r.seeds} = {pct(r.success_rate)}",
                f"{pct(lo)} – {pct(hi)}",
                ", ".join(map(str, r.failed_seeds)) or "none",
                pct(r.test_accuracy),
                num(r.final_loss.median),
                num(r.epochs_to_perfect_val.median, 3),
            ]
        )
    header = ["loss", "success", "95% Wilson interval", "failed seeds", "mean test accuracy"]
    header += ["median final loss", "median epochs to 100% validation"]
    return "<h2>Success per loss</h2>" + table(header, rows, numeric={4, 5, 6})


STRIP_NUMBERED = 300  # up to this many seeds per loss, each seed's button shows its number


def _strip(path: Path, report: ComparisonReport, replays: bool = False) -> str:
    """One button per seed and loss: filled green if the seed succeeded, hollow with a dashed
    vermillion border and a cross if it failed (shape as well as colour), with its number (up to
    STRIP_NUMBERED seeds); its label and tooltip give the test accuracy; clicking it opens its replay
    (with --replays) and shows the command that trains it alone (seed s trains the same alone as
    inside a study)."""
    try:
        rows = read_seed_rows(path / "seeds.csv")  # a regular file only: a FIFO in its place would block
    except (FileProblem, KeyError, ValueError):
        return ""
    threshold = float(report.success_accuracy)
    if replays:
        click = "click a seed (or press Enter on it) to replay it below, and for its own command."
    else:
        click = (
            "click a seed for the command that trains it alone, which gives the same history. This study "
            "kept no weights per epoch; <code>compare --seeds N --replays</code> keeps them (for at most "
            f"{_limit(report) or 'a limited number of'} seeds of this config) and replays any seed here."
        )
    parts = [
        "<h2>Every seed</h2><p>One button per seed: <span class=strip-key><b>filled green</b>: succeeded "
        f"(test accuracy ≥ {pct(threshold)}); <b>hollow, dashed, ✗</b>: failed</span>. Hover or focus a "
        f"seed for its test accuracy; {click}</p><p id=seed-tip class=note aria-live=polite>Click a seed.</p>"
    ]
    for loss in dict.fromkeys(r.loss for r in rows):
        mine = [r for r in rows if r.loss == loss][:STRIP_MAX_SEEDS]
        buttons = []
        for r in mine:
            accuracy = r.test_accuracy
            ok = accuracy >= threshold
            command = (
                f"circles-hinge train --config {path.name}/config.yaml --loss {loss} --seed {r.seed} "
                "--set training.restarts=0"
            )
            words = f"seed {esc(r.seed)}: test accuracy {pct(accuracy)}{'' if ok else ', failed'}"
            buttons.append(
                f'<button type="button" class="seed{"" if ok else " failed"}" data-seed="{esc(r.seed)}" '
                f'data-command="{esc(command)}" aria-label="{words}" title="{words}">'
                f"{esc(r.seed)}</button>"
            )
        failed = sum(r.test_accuracy < threshold for r in mine)
        more = f" (first {STRIP_MAX_SEEDS} seeds)" if len(mine) == STRIP_MAX_SEEDS else ""
        compact = " compact" if len(mine) > STRIP_NUMBERED else ""
        parts.append(
            f"<h3>{esc(_display(loss))}{more}: {len(mine) - failed} succeeded, {failed} failed</h3>"
            f'<div class="strip{compact}" role="group" aria-label="{esc(_display(loss))}: every seed">'
            + "".join(buttons)
            + "</div>"
        )
    return "".join(parts)


def _limit(report: ComparisonReport) -> int | None:
    """replay_seed_limit for the study's recorded config and losses; None when they cannot say."""
    try:
        return replay_seed_limit(report.config, report.losses)
    except (ConfigError, KeyError, TypeError, ValueError):
        return None


def write_sweep_report(path: Path, report: SweepReport) -> Path:
    """The interactive chart: success rate against the first key's values, a line per loss; with more
    keys, a menu per further key picks the slice of the grid drawn. The table has every cell."""
    losses, keys = report.losses, report.keys
    param = keys[0]
    title = f"{'Partial sweep' if report.partial else 'Sweep'} of {' x '.join(keys)}: " + ", ".join(
        _display(loss) for loss in losses
    )
    results = [
        {
            "value": r.cell.get(param),
            "at": {k: str(r.cell.get(k)) for k in keys[1:]},
            "loss": r.loss,
            "success_rate": r.success_rate,
            "success_ci95": r.success_ci95,
            "successes": r.successes,
            "seeds": r.seeds,
            "test_accuracy": r.test_accuracy,
            "test_accuracy_ci95": r.test_accuracy_ci95,
            "failed_seeds": r.failed_seeds,
        }
        for r in report.results
    ]
    grid = report.grid
    sweep = {
        "param": param,
        "values": grid[0][1],
        "others": [{"key": key, "values": [str(v) for v in values]} for key, values in grid[1:]],
        "losses": losses,
        "display": [_display(loss) for loss in losses],
        "colors": [loss_color(loss, i) for i, loss in enumerate(losses)],
        "results": results,
    }
    rows = [
        [
            *(r.cell.get(k) for k in keys),
            _display(r.loss),
            f"{r.successes}/{r.seeds} = {pct(r.success_rate)}",
            f"{pct(r.success_ci95[0])} – {pct(r.success_ci95[1])}",
            pct(r.test_accuracy),
            "—"
            if r.test_accuracy_ci95 is None
            else f"{pct(r.test_accuracy_ci95[0])} – {pct(r.test_accuracy_ci95[1])}",
        ]
        for r in report.results
    ]
    slices = "".join(
        f'<label>{esc(key)} <select class="sweep-slice" data-key="{esc(key)}">'
        + "".join(f"<option>{esc(str(v))}</option>" for v in values)
        + "</select></label> "
        for key, values in grid[1:]
    )
    shard = report.shard
    body = (
        f"<h1>{esc(title)}</h1><p class=lead>Folder <code>{esc(path.name)}</code> · a seed study of every "
        f"loss at each cell ({esc(report.seeds_label)}, {report.n_seeds} seeds each; success "
        f"means at least {pct(report.success_accuracy)} test accuracy, the threshold this sweep used)"
        + (f"; shard {shard[0]} of {shard[1]}, with only its share of the cells" if shard else "")
        + ".</p>"
        + (  # merge --partial: what is missing, and the commands that would make it
            f"<p class=note><b>{esc(report.part)}.</b> The commands that would make the rest:"
            + "".join(f"<br><code>{esc(c)}</code>" for c in report.partial.commands)
            + "</p>"
            if report.partial
            else ""
        )
        + f"<h2>Success against {esc(param)}</h2><p class=no-print>{slices}"
        '<label>show <select id="sweep-metric">'
        '<option value="success">success rate with its 95% interval</option>'
        '<option value="accuracy">mean test accuracy with its 95% interval</option></select></label> '
        '<span id="sweep-legend"></span></p><div id="sweep-chart" class=no-print></div>'
        "<p id=sweep-tip class=no-print>Hover over or click a point for its numbers.</p>"
        + table(
            [*keys, "loss", "success", "95% Wilson interval", "mean test accuracy", "its 95% interval"],
            rows,
            numeric={len(keys) + 3},
        )
        + (
            "<h2>Seed by seed, per cell</h2><p>In each cell every loss trained the same seeds, so each "
            "seed is a pair: McNemar's exact test on the seeds where one loss succeeded and the other "
            "failed, and the per-seed difference in test accuracy with a 95% bootstrap interval.</p>"
            + _paired_table(report.paired, keys)
            if report.paired
            else ""
        )
        + figures(path, [("sweep.png", "the sweep figure")])
        + "<h2>Config</h2>"
        + config_block(path)
        + "<h2>Where it ran</h2>"
        + where_it_ran(report.machine, report.versions)
    )
    write_atomic(path / REPORT_FILE, render(title, body, {"kind": "sweep", "sweep": sweep}))
    return path / REPORT_FILE
