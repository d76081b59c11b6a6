"""The page of `report --compare`: several folders side by side in one table, their loss curves on one
chart, their replays under one slider where they have them, the paired verdicts where they share seeds,
and the config keys that differ between them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from circles_hinge.engine.stats import wilson_interval
from circles_hinge.outputs.html.curves import curves_section
from circles_hinge.outputs.html.page import esc, render, table
from circles_hinge.outputs.html.run import player
from circles_hinge.store.folders import write_atomic
from circles_hinge.words import num, pct, plural

if TYPE_CHECKING:
    from circles_hinge.reports import Entry, Gathered

KIND_WORDS = {"run": "run", "compare": "run of a comparison", "study": "seed study", "sweep": "sweep cell"}


def _seeds(entry: Entry) -> str:
    seeds = entry.seeds
    if not seeds:
        return "—"
    return str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}..{seeds[-1]} ({len(seeds)})"


def _row(entry: Entry) -> list[Any]:
    rows = entry.rows
    accuracy = [r.test_accuracy for r in rows]
    ok = sum(r.success for r in rows)
    if len(rows) > 1:
        lo, hi = wilson_interval(ok, len(rows))
        success = f"{ok}/{len(rows)} = {pct(ok / len(rows))} [{pct(lo)} – {pct(hi)}]"
        mean = f"{pct(float(np.mean(accuracy)))} (mean)"
    else:
        success = "succeeded" if ok else "failed"
        mean = pct(accuracy[0]) if accuracy else "—"
    finals = [r.final_loss for r in rows if r.final_loss is not None]
    final = num(float(np.median(finals))) if finals else "—"
    return [entry.label, KIND_WORDS.get(entry.kind, entry.kind), _seeds(entry), mean, success, final]


def write_gathered_page(path: Path, gathered: Gathered) -> Path:
    """One self-contained page for `report --compare`, written to `path` (a new file)."""
    names = ", ".join(f.name for f in gathered.folders)
    title = f"Side by side: {names}"
    entries = gathered.entries
    body = (
        f"<h1>{esc(title)}</h1><p class=lead>{plural(len(gathered.folders), 'folder')}, "
        f"{plural(len(entries), 'entry', 'entries')} (a loss of a folder, or a cell of a sweep), read "
        "from the folders' own files. A seed fixes the data and the initial weights only under the same "
        "config: the keys that differ are listed below.</p>"
    )
    header = ["entry", "what", "seeds", "test accuracy", "success", "final loss (median)"]
    body += "<h2>In numbers</h2>" + table(header, [_row(e) for e in entries], numeric={3, 5})
    body += _differences(gathered)
    body += _seed_by_seed(gathered)
    curves = [(e.label, e.loss, e.curves) for e in entries if e.curves]
    if curves:
        intro = "A run has one curve; a study has the median over its seeds (a line) and its quartiles."
        body += curves_section(curves, max(len(e.rows) for e in entries), "Loss curves", intro, by_entry=True)
    replays = [e.replay for e in entries if e.replay is not None]
    if replays:
        intro = "<p>One slider drives every replay, from the weights of every epoch their pages hold.</p>"
        body += player("Training, replayed side by side", intro)
    missing = [e.label for e in entries if e.replay is None and e.kind in ("run", "compare")]
    if missing:
        body += f"<p class=note>No recorded weights for {esc(', '.join(missing))}: no replay.</p>"
    body += "<h2>Folders</h2><ul>" + "".join(f"<li><code>{esc(f)}</code></li>" for f in gathered.folders)
    body += "</ul>"
    data: dict[str, Any] = {"kind": "compare", "replays": replays}
    write_atomic(path, render(title, body, data))
    return path


def _outcome(p) -> str:
    """Which of a one-seed pair succeeded."""
    if p.both_succeed:
        return "both"
    if p.neither:
        return "neither"
    return "first only" if p.only_first else "second only"


def _seed_by_seed(gathered: Gathered) -> str:
    """Pairs of entries that trained the same seeds from the same start: a sentence for each pair of
    studies, and one table for the pairs that share a single seed (an anecdote each)."""
    if not gathered.paired:
        return (
            "<h2>Seed by seed</h2><p class=note>No two folders trained the same seed from the same data and "
            "initial weights (the same data settings and hidden layers), so no entry can be compared seed "
            "by seed.</p>"
        )
    studies = [p for p in gathered.paired if p.n_seeds > 1]
    single = [p for p in gathered.paired if p.n_seeds == 1]
    body = (
        "<h2>Seed by seed</h2><p>Entries of different folders that trained the same seeds from the same data "
        "and initial weights, compared as pairs (McNemar's exact test on the seeds where one succeeded and "
        "the other failed; the per-seed difference in test accuracy with a 95% bootstrap interval).</p>"
    )
    body += "".join(f"<p class=verdict>{esc(p.verdict)}</p>" for p in studies)
    if single:
        rows = [
            [p.losses[0], p.losses[1], _outcome(p), f"{100 * p.accuracy_difference.median:+.1f} pts"]
            for p in single
        ]
        body += (
            "<p>Pairs that share one seed only: one seed is an anecdote, not a verdict (studies of the same "
            "seeds, <code>compare --seeds N</code>, give one).</p>"
            + table(["first", "second", "succeeded", "accuracy, second − first"], rows, numeric={3})
        )
    if gathered.left_out:
        body += f"<p class=note>{gathered.left_out} more pairs are left out of this page.</p>"
    return body


def _differences(gathered: Gathered) -> str:
    diff = gathered.differences
    if not diff:
        return "<p>Every folder ran the same config (apart from the loss and the seed).</p>"
    header = ["config key", *(f.name for f in gathered.folders)]
    return "<h2>What differs</h2>" + table(header, [[key, *values] for key, values in diff])
