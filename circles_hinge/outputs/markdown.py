"""The Markdown summaries: comparison.md of a comparison or seed study (a description, the picture, the
results table and the boundary table) and sweep.md of a sweep (the grid, the picture, a row per cell and
loss), each written from its report."""

from __future__ import annotations

from typing import Any

from circles_hinge.losses import get_loss
from circles_hinge.words import pct, plural


def _num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, int) or float(x).is_integer():
        return str(int(x))
    return f"{x:.{digits}g}" if abs(x) < 0.001 and x != 0 else f"{x:.{digits}f}"


def _spread(value: float | None, iqr: float | None, digits: int = 3) -> str:
    return _num(value, digits) if iqr is None else f"{_num(value, digits)} (IQR {_num(iqr, digits)})"


def _name(loss: str) -> str:
    """The registry's display name: "squared hinge", not the config string "squared_hinge"."""
    return get_loss(loss).display


def comparison_markdown(report: dict[str, Any]) -> str:
    """comparison.md: a short description, the picture, and the numbers as tables."""
    cfg = report["config"]
    data, training = cfg["data"], cfg["training"]
    results = report["results"]
    study = report["success_accuracy"] is not None
    names = " vs ".join(_name(r["loss"]) for r in results)
    lines = [f"# Comparison: {names}", ""]
    where = f"{data['dataset']}, {data['n_samples']} samples, noise {data['noise']}"
    if data["dataset"] == "circles":
        where += f", factor {data['factor']}"
    if study:
        lines.append(
            f"Each loss trained with seeds {report['seeds_label']} "
            f"({plural(report['n_seeds'], 'seed')}; each seed sets the data, the initial weights and "
            f"the shuffling, the same for every loss), on {where}; "
            f"{plural(training['epochs'], 'epoch')}, one initialisation per seed (no restarts). "
            f"A seed succeeds when its test accuracy is at least {report['success_accuracy']:.0%}. "
            f"The panels show seed {cfg['seed']}; the curves are medians over the seeds. "
            "Per-seed numbers: [seeds.csv](seeds.csv)."
        )
    else:
        lines.append(
            f"Same data, split and initial weights (seed {cfg['seed']}) for every loss, on {where}; "
            f"{training['epochs']} epochs. No restarts: a loss whose start collapses is shown collapsed "
            "(`train` would try further initialisations). Run folders: "
            + ", ".join(f"[{_name(r['loss'])}]({r['run']}/)" for r in results)
            + "."
        )
    lines += ["", "![comparison](comparison.png)", ""]
    if study:
        lines += [
            "| loss | success rate (95% CI) | failed seeds | mean test accuracy (min) | final loss (IQR) "
            "| epochs to 100% validation (IQR) | train s |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in results:
            lo, hi = r["success_ci95"]
            failed = ", ".join(map(str, r["failed_seeds"]))  # every one: a reader may want to rerun them
            reached = f", {r['perfect_val_seeds']}/{r['seeds']} reach it"
            rate = f"{r['successes']}/{r['seeds']} = {pct(r['success_rate'])} ({pct(lo)}–{pct(hi)})"
            lines.append(
                f"| {_name(r['loss'])} | {rate} "
                f"| {failed or 'none'} | {pct(r['test_accuracy'])} ({pct(r['test_accuracy_min'])}) "
                f"| {_spread(r['final_loss'], r['final_loss_iqr'])} "
                f"| {_spread(r['epochs_to_perfect_val'], r['epochs_to_perfect_val_iqr'], 2)}{reached} "
                f"| {r['train_seconds']:.1f} |"
            )
    else:
        lines += [
            "| loss | test accuracy | test loss | final loss | final validation loss "
            "| epochs to 100% validation | train s |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in results:
            epochs = r["epochs_to_perfect_val"]
            lines.append(
                f"| {_name(r['loss'])} | {pct(r['test_accuracy'])} | {_num(r['test_loss'], 4)} "
                f"| {_num(r['final_loss'], 4)} | {_num(r['final_val_loss'], 4)} "
                f"| {'never' if epochs is None else epochs} | {r['train_seconds']:.2f} |"
            )
    lines += _boundary_markdown(results, study)
    return "\n".join(lines) + "\n"


def _cell(result: dict[str, Any], key: str, study: bool) -> str:
    return _spread(result.get(key), result.get(f"{key}_iqr")) if study else _num(result.get(key))


def _boundary_markdown(results: list[dict[str, Any]], study: bool) -> list[str]:
    first = next((r for r in results if r.get("midway_radius") is not None), None)
    if first is None:
        return []
    lines = [
        "",
        "## Where the boundary lies",
        "",
        "Rays from the origin at 360 angles; the boundary radius is where the output changes sign. "
        f"The data's circles have radii {first['inner_radius']:g} and {first['outer_radius']:g}, so "
        f"the maximum-margin boundary is the circle midway, r = {first['midway_radius']:g}. The band "
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
    for r in results:
        if r.get("boundary_radius_mean") is None:
            lines.append(f"| {_name(r['loss'])} | no boundary found |" + " — |" * 8)
            continue
        cells = [_cell(r, key, study) for key in columns]
        band = f"{_num(r['band_inner_radius_mean'])}–{_num(r['band_outer_radius_mean'])}"
        lines.append(
            f"| {_name(r['loss'])} | "
            + " | ".join(cells)
            + f" | {band} (±{r['band_level']:g}) | {_cell(r, 'band_width_mean', study)} |"
        )
    return lines


def sweep_markdown(report: dict[str, Any]) -> str:
    """sweep.md: what was swept, the picture, and a row per cell and loss with its success rate."""
    cfg, keys = report["config"], report["keys"]
    grid = ", ".join(f"{a['key']} in {{{', '.join(map(str, a['values']))}}}" for a in report["grid"])
    cells = 1
    for axis in report["grid"]:
        cells *= len(axis["values"])
    names = ", ".join(_name(loss) for loss in report["losses"])
    shard = report.get("shard")
    lines = [
        f"# Sweep: {' x '.join(keys)}",
        "",
        f"A seed study of each loss ({names}) at every cell of the grid {grid} "
        f"({plural(cells, 'cell')}), with seeds {report['seeds_label']} "
        f"({plural(report['n_seeds'], 'seed')} per cell and loss; each seed sets the data, the initial "
        f"weights and the shuffling); {plural(cfg['training']['epochs'], 'epoch')}, one initialisation "
        f"per seed. A seed succeeds when its test accuracy is at least {report['success_accuracy']:.0%}; "
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
        "| " + " | ".join(keys) + " | loss | success rate (95% CI) | mean test accuracy (min) "
        "| epochs to 100% validation (IQR) | boundary radius (IQR) |",
        "| " + " | ".join("---" for _ in keys) + " | --- | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        lo, hi = r["success_ci95"]
        rate = f"{r['successes']}/{r['seeds']} = {pct(r['success_rate'])} ({pct(lo)}–{pct(hi)})"
        lines.append(
            "| "
            + " | ".join(str(r[key]) for key in keys)
            + f" | {_name(r['loss'])} | {rate} | {pct(r['test_accuracy'])} ({pct(r['test_accuracy_min'])}) "
            f"| {_spread(r['epochs_to_perfect_val'], r['epochs_to_perfect_val_iqr'], 2)} "
            f"| {_spread(r.get('boundary_radius_mean'), r.get('boundary_radius_mean_iqr'))} |"
        )
    return "\n".join(lines) + "\n"
