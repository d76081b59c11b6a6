"""The Markdown summaries: comparison.md of a comparison or seed study (a description, the picture, the
results table and the boundary table) and sweep.md of a sweep (the grid, the picture, a row per cell and
loss), each written from its report."""

from __future__ import annotations

from circles_hinge.losses import get_loss
from circles_hinge.reports import ComparisonReport, SweepReport
from circles_hinge.results import BaselineRecord, Boundary, Paired, SeedSummary, Spread
from circles_hinge.words import data_words, pct, plural


def _num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, int) or float(x).is_integer():
        return str(int(x))
    return f"{x:.{digits}g}" if abs(x) < 0.001 and x != 0 else f"{x:.{digits}f}"


def _spread(spread: Spread, digits: int = 3) -> str:
    if spread.iqr is None:
        return _num(spread.median, digits)
    return f"{_num(spread.median, digits)} (IQR {_num(spread.iqr, digits)})"


def _interval(ci: list[float] | None) -> str:
    return "—" if ci is None else f"{pct(ci[0])}–{pct(ci[1])}"


def _name(loss: str) -> str:
    """The registry's display name: "squared hinge", not the config string "squared_hinge"."""
    return get_loss(loss).display


def comparison_markdown(report: ComparisonReport) -> str:
    """comparison.md: a short description, the picture, and the numbers as tables."""
    cfg = report.config
    data, training = cfg.data, cfg.training
    study = report.study
    names = " vs ".join(_name(r.loss) for r in report.results)
    lines = [f"# Comparison: {names}", ""]
    where = data_words(data)
    if study:
        lines.append(
            f"Each loss trained with seeds {report.seeds_label} "
            f"({plural(report.n_seeds, 'seed')}; each seed sets the data, the initial weights and "
            f"the shuffling, the same for every loss), on {where}; "
            f"{plural(training.epochs, 'epoch')}, one initialisation per seed (no restarts). "
            f"A seed succeeds when its test accuracy is at least {report.success_accuracy:.0%}. "
            f"The panels show {report.files.get('picture_shows', f'seed {cfg.seed}')}; the curves are "
            "medians over the seeds. "
            "Per-seed numbers: [seeds.csv](seeds.csv)."
        )
    else:
        lines.append(
            f"Same data, split and initial weights (seed {cfg.seed}) for every loss, on {where}; "
            f"{training.epochs} epochs. No restarts: a loss whose start collapses is shown collapsed "
            "(`train` would try further initialisations). Run folders: "
            + ", ".join(f"[{_name(r.loss)}]({r.run}/)" for r in report.runs)
            + "."
        )
    lines += ["", "![comparison](comparison.png)", ""]
    if study:
        lines += [
            "| loss | success rate (95% CI) | failed seeds | mean test accuracy (min) | final loss (IQR) "
            "| epochs to 100% validation (IQR) | train s |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in report.summaries:
            lo, hi = r.success_ci95
            failed = ", ".join(map(str, r.failed_seeds))  # every one: a reader may want to rerun them
            reached = f", {r.perfect_val_seeds}/{r.seeds} reach it"
            rate = f"{r.successes}/{r.seeds} = {pct(r.success_rate)} ({pct(lo)}–{pct(hi)})"
            lines.append(
                f"| {_name(r.loss)} | {rate} "
                f"| {failed or 'none'} | {pct(r.test_accuracy)} ({pct(r.test_accuracy_min)}) "
                f"| {_spread(r.final_loss)} "
                f"| {_spread(r.epochs_to_perfect_val, 2)}{reached} "
                f"| {r.train_seconds or 0:.1f} |"
            )
    else:
        lines += [
            "| loss | test accuracy | test loss | final loss | final validation loss "
            "| epochs to 100% validation | train s |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in report.runs:
            epochs = r.epochs_to_perfect_val
            lines.append(
                f"| {_name(r.loss)} | {pct(r.test_accuracy)} | {_num(r.test_loss, 4)} "
                f"| {_num(r.final_loss, 4)} | {_num(r.final_val_loss, 4)} "
                f"| {'never' if epochs is None else epochs} | {r.train_seconds:.2f} |"
            )
    lines += _paired_markdown(report.paired, report.study)
    lines += _boundary_markdown(report)
    lines += baselines_markdown(report.baselines)
    return "\n".join(lines) + "\n"


def baselines_markdown(baselines: BaselineRecord | None) -> list[str]:
    """--baselines: scikit-learn's classical answers on the same split, in a table, and on circles how
    far each network's boundary lies from the RBF SVM's."""
    if not baselines:
        return []
    lines = [
        "",
        "## Classical baselines",
        "",
        f"scikit-learn's classifiers with their default settings, fitted on {baselines.fitted_on}.",
        "",
        "| model | test accuracy | support vectors | boundary radius (mean) |",
        "| --- | --- | --- | --- |",
    ]
    for row in baselines.models:
        support = "—" if row.support_vectors is None else str(row.support_vectors)
        radius = _num(row.boundary_radius_mean)
        lines.append(f"| {row.name} | {pct(row.test_accuracy)} | {support} | {radius} |")
    distances = baselines.distance_from_svm
    if distances:
        lines += [
            "",
            "The RBF SVM's boundary is the maximum-margin answer; along each of 360 rays from the origin, "
            "the mean gap |r_network − r_SVM| between the two boundaries:",
            "",
        ]
        lines += [f"- {_name(loss)}: {_num(value)}" for loss, value in distances.items()]
    return lines


def _paired_markdown(paired: list[Paired], study: bool) -> list[str]:
    """The verdict of every pair of losses, seed by seed, in words and (for a study) in counts."""
    if not paired:
        return []
    lines = ["", "## Seed by seed", ""]
    if not study:
        return lines + [p.verdict for p in paired]
    lines += [
        "Every loss trained the same seeds (the same data and initial weights), so each seed is a pair: "
        "McNemar's exact test on the seeds where one succeeded and the other failed, and the per-seed "
        "difference in test accuracy with a 95% bootstrap interval over seeds.",
        "",
    ]
    for p in paired:
        lines += [f"- {p.verdict}"]
    lines += ["", *_paired_table(paired)]
    return lines


def _paired_table(paired: list[Paired], keys: list[str] | None = None) -> list[str]:
    keys = keys or []
    head = "| " + " | ".join(
        [*keys, "first", "second", "both succeed", "only first", "only second", "neither"]
    )
    head += " | McNemar exact p | accuracy, second − first: median [95% CI] |"
    rows = [head, "| " + " | ".join("---" for _ in range(len(keys) + 8)) + " |"]
    for p in paired:
        d = p.accuracy_difference
        diff = f"{100 * d.median:+.1f} pts [{100 * d.ci95[0]:+.1f}, {100 * d.ci95[1]:+.1f}]"
        cells = [*(str(p.cell.get(k)) for k in keys), _name(p.losses[0]), _name(p.losses[1])]
        cells += [str(p.both_succeed), str(p.only_first), str(p.only_second), str(p.neither)]
        rows.append("| " + " | ".join(cells) + f" | {p.mcnemar_p:.2g} | {diff} |")
    return rows


def _boundary_markdown(report: ComparisonReport) -> list[str]:
    rows = [
        (r.loss, r.boundary, r.boundary_iqr if isinstance(r, SeedSummary) else None) for r in report.results
    ]
    first = next((b for _, b, _ in rows if b.midway_radius is not None), None)
    if first is None:
        return []
    study = report.study
    lines = [
        "",
        "## Where the boundary lies",
        "",
        "Rays from the origin at 360 angles; the boundary radius is where the output changes sign. "
        f"The data's circles have radii {first.inner_radius:g} and {first.outer_radius:g}, so "
        f"the maximum-margin boundary is the circle midway, r = {first.midway_radius:g}. The band "
        "is where the output lies between +level and −level (±0.9 for a tanh output, which reaches ±1 "
        "only in the limit; ±1 of the logit for cross-entropy): points there still pay a hinge loss "
        "above 0.1." + (" Figures are medians over the successful seeds (IQR in brackets)." if study else ""),
        "",
        "| loss | boundary radius: mean | min | max | margin to inner circle | margin to outer circle "
        "| mean distance from midway | largest distance from midway | band (level) | band width |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    columns = (
        "boundary_radius_mean",
        "boundary_radius_min",
        "boundary_radius_max",
        "inner_margin",
        "outer_margin",
        "distance_from_midway",
        "max_distance_from_midway",
    )

    def cell(boundary: Boundary, iqr: Boundary | None, name: str) -> str:
        if iqr is None:
            return _num(getattr(boundary, name))
        return _spread(Spread(getattr(boundary, name), getattr(iqr, name)))

    for loss, b, iqr in rows:
        if not b.found:
            lines.append(f"| {_name(loss)} | no boundary found |" + " — |" * 8)
            continue
        cells = [cell(b, iqr, name) for name in columns]
        band = f"{_num(b.band_inner_radius_mean)}–{_num(b.band_outer_radius_mean)}"
        lines.append(
            f"| {_name(loss)} | "
            + " | ".join(cells)
            + f" | {band} (±{b.band_level:g}) | {cell(b, iqr, 'band_width_mean')} |"
        )
    return lines


def sweep_markdown(report: SweepReport) -> str:
    """sweep.md: what was swept, the picture, and a row per cell and loss with its success rate."""
    cfg, keys = report.config, report.keys
    grid = ", ".join(f"{key} in {{{', '.join(map(str, values))}}}" for key, values in report.grid)
    cells = 1
    for _, values in report.grid:
        cells *= len(values)
    names = ", ".join(_name(loss) for loss in report.losses)
    shard = report.shard
    lines = [
        f"# Sweep: {' x '.join(keys)}",
        "",
        f"A seed study of each loss ({names}) at every cell of the grid {grid} "
        f"({plural(cells, 'cell')}), with seeds {report.seeds_label} "
        f"({plural(report.n_seeds, 'seed')} per cell and loss; each seed sets the data, the initial "
        f"weights and the shuffling); {plural(cfg.training.epochs, 'epoch')}, one initialisation "
        f"per seed. A seed succeeds when its test accuracy is at least {report.success_accuracy:.0%}; "
        "the interval is Wilson's 95% interval. Per-seed numbers: [seeds.csv](seeds.csv)."
        + (
            f" This folder is shard {shard[0]} of {shard[1]}: it holds only its share of the cells; "
            "`circles-hinge merge` puts the shards together."
            if shard
            else ""
        ),
        "",
        "![sweep](sweep.png)",
        "",
        "| " + " | ".join(keys) + " | loss | success rate (95% CI) | mean test accuracy (95% CI; worst seed) "
        "| epochs to 100% validation (IQR) | boundary radius (IQR) |",
        "| " + " | ".join("---" for _ in keys) + " | --- | --- | --- | --- | --- |",
    ]
    for r in report.results:
        lo, hi = r.success_ci95
        rate = f"{r.successes}/{r.seeds} = {pct(r.success_rate)} ({pct(lo)}–{pct(hi)})"
        radius = Spread(r.boundary.boundary_radius_mean, r.boundary_iqr.boundary_radius_mean)
        lines.append(
            "| "
            + " | ".join(str(r.cell[key]) for key in keys)
            + f" | {_name(r.loss)} | {rate} | {pct(r.test_accuracy)} ({_interval(r.test_accuracy_ci95)}; "
            f"{pct(r.test_accuracy_min)}) "
            f"| {_spread(r.epochs_to_perfect_val, 2)} | {_spread(radius)} |"
        )
    if report.paired:
        detected = [p for p in report.paired if p.mcnemar_p < 0.05]
        lines += [
            "",
            "## Seed by seed, per cell",
            "",
            "In each cell every loss trained the same seeds, so each seed is a pair (McNemar's exact test "
            "on the discordant seeds; the accuracy difference with a 95% bootstrap interval over seeds). "
            + (
                f"A difference is detected (p < 0.05) in {len(detected)} of {len(report.paired)} "
                "cell-and-pair comparisons:"
                if detected
                else "No cell shows a detectable difference (p < 0.05)."
            ),
            "",
        ]
        lines += [f"- {', '.join(f'{k}={v}' for k, v in p.cell.items())}: {p.verdict}" for p in detected]
        lines += ["", *_paired_table(report.paired, keys)]
    return "\n".join(lines) + "\n"
