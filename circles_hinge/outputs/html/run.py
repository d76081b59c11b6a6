"""report.html of one run folder: the summary, an interactive replay of training computed in the browser
from the weights of every epoch (engine/recorder.py keeps them while the trainer runs), the folder's
pictures, the config and the machine. `rebuild_run_report` writes it again from the files alone."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.engine.model import layer_shapes, output_activation
from circles_hinge.engine.recorder import MAX_NUMBERS
from circles_hinge.engine.runtime import load_tensorflow
from circles_hinge.errors import CirclesHingeError
from circles_hinge.loading import load_config
from circles_hinge.losses import get_loss
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
from circles_hinge.outputs.plots import class_names, value_name
from circles_hinge.results import METRICS
from circles_hinge.store.folders import read_json, write_atomic
from circles_hinge.words import data_words, num, pct

FIGURES = [
    ("decision_regions.png", "decision regions on the test set"),
    ("margins.png", "f(x), the boundary, the margins and the points inside them"),
    ("loss_curve.png", "training and validation loss per epoch"),
    ("hidden_layer.png", "the last hidden layer's view of the training points"),
    ("data.png", "the training data"),
]


class NoReport(CirclesHingeError):
    """A folder that has nothing to report yet (it did not finish) or is not ours."""


def _floats(values: np.ndarray, digits: int = 9) -> list[float]:
    """float32 values as the shortest decimals that give them back exactly (9 significant digits)."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel().tolist()]


def _extent(X: np.ndarray, pad: float = 0.25) -> list[float]:
    """A square around the points, padded by `pad` of their span on each side (as the figures' grids)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    half = max(float((hi - lo).max()), 1e-3) * (0.5 + pad)
    cx, cy = (lo + hi) / 2
    return [float(cx - half), float(cx + half), float(cy - half), float(cy + half)]


def model_data(config: Config) -> dict[str, Any]:
    """The network as the page's forward pass needs it: layer widths, activations, the class rule."""
    return {
        "units": [u for _, u in layer_shapes(config)],
        "hidden": config.model.hidden_activation,
        "output": output_activation(config),
        "prediction": get_loss(config.training.loss).prediction,
    }


def replay_data(
    config: Config,
    split,
    history: dict[str, Any],
    frames: list[tuple[int, np.ndarray]],
    title: str,
    note: str | None = None,
) -> dict[str, Any]:
    """What the page's forward pass needs: layer widths, activations, the class rule, weights per epoch,
    the points, and the history for the loss curve."""
    spec = get_loss(config.training.loss)
    points = {
        part: {"x": _floats(X), "y": y.tolist()}  # exact: a point on the margin stays on its side
        for part, X, y in (("train", split.X_train, split.y_train), ("test", split.X_test, split.y_test))
    }
    return {
        "title": title,
        "note": note,
        "loss": spec.name,
        "model": model_data(config),
        "frames": [{"epoch": int(e), "theta": _floats(theta)} for e, theta in frames],
        # 6 digits are all the page shows: about 12 characters an epoch and metric
        "history": {m: _floats(history[m], 6) for m in METRICS},
        "points": points,
        "classes": class_names(config.data.dataset, n_classes(config.data)),
        "extent": _extent(np.concatenate([split.X_train, split.X_test])),
        "value_name": value_name(spec),
    }


def thinning_note(frames: list[tuple[int, np.ndarray]], epochs: int) -> str | None:
    recorded = len({e for e, _ in frames if e > 0})
    if recorded >= epochs:
        return None
    return (
        f"The weights of {recorded} of the {epochs} epochs are kept (evenly spaced; a page holds at most "
        f"{MAX_NUMBERS:,} weights per replay); the slider shows the nearest recorded epoch."
    )


def controls() -> str:
    return (
        '<div class="controls no-print"><button id="play" type="button">▶ play</button>'
        '<input id="epoch" type="range" min="0" max="0" step="1" value="0" aria-label="epoch">'
        '<span><span id="epoch-label">epoch</span><span id="epoch-of"></span></span></div>'
        '<div id="replays"></div>'
        "<noscript><p>The replay needs JavaScript; the figures below do not.</p></noscript>"
    )


def _summary(metrics: dict[str, Any], config: Config) -> str:
    spec, data = get_loss(config.training.loss), config.data
    where = data_words(data)
    perfect = metrics.get("epochs_to_perfect_val")
    rows = [
        ["loss", f"{spec.display}{'' if spec.display == spec.name else f' ({spec.name})'}: {spec.formula}"],
        ["seed", metrics.get("seed")],
        ["data", where],
        ["network", "2 → " + " → ".join(map(str, config.model.hidden_units)) + " → output"],
        ["test accuracy", pct(metrics.get("test_accuracy"))],
        ["test loss", num(metrics.get("test_loss"))],
        [
            "final loss (validation)",
            f"{num(metrics.get('final_loss'))} ({num(metrics.get('final_val_loss'))})",
        ],
        ["first epoch with 100% validation accuracy", "never" if perfect is None else perfect],
        ["epochs", metrics.get("epochs")],
        ["training time", f"{metrics.get('train_seconds', float('nan')):.2f} s"],
        ["test points inside the margin", metrics.get("test_points_inside_margin", "—")],
    ]
    return table(["", ""], rows)


def _restarts(metrics: dict[str, Any]) -> str:
    accuracies = metrics.get("initialisation_accuracies") or []
    if len(accuracies) <= 1:
        return ""
    kept = metrics.get("initialisation", 0)
    on = metrics.get("initialisation_accuracy_on", "validation")
    cells = "".join(
        f"<td{' class=kept' if r == kept else ''}><b>{r}</b><br>{'diverged' if a < 0 else pct(a)}"
        f"{'<br>kept' if r == kept else ''}</td>"
        for r, a in enumerate(accuracies)
    )
    return (
        "<h2>Restarts</h2>"
        f"<p>The first initialisation ended at {pct(accuracies[0])} {esc(on)} accuracy, below 99%, so "
        f"{len(accuracies) - 1} more were trained and the best on {esc(on)} was kept: "
        f"<b>initialisation {kept}</b>. Everything on this page is the kept one's.</p>"
        + f"<table class=restarts><tr><th>initialisation<br>final {esc(on)} accuracy</th>{cells}</tr></table>"
    )


def run_page(
    path: Path,
    config: Config,
    split,
    history: dict[str, Any],
    metrics: dict[str, Any],
    frames: list[tuple[int, np.ndarray]],
    note: str | None = None,
) -> str:
    spec = get_loss(config.training.loss)
    title = (
        f"{spec.title} loss, seed {metrics.get('seed')}: test accuracy {pct(metrics.get('test_accuracy'))}"
    )
    replay = replay_data(config, split, history, frames, f"{spec.title} loss, seed {config.seed}", note)
    body = (
        f"<h1>{esc(title)}</h1><p class=lead>Run folder <code>{esc(path.name)}</code> · "
        f"written by <code>circles-hinge train</code>; <code>circles-hinge report {esc(path.name)}</code> "
        "writes this page again.</p>"
        + _summary(metrics, config)
        + "<h2>Training, replayed</h2><p>Drag the slider or press play: the page computes f(x) from "
        "the weights recorded after every epoch, with the same forward pass as Keras. The address "
        "ends in <code>#epoch=N</code>, so a link opens this epoch.</p>"
        + controls()
        + _restarts(metrics)
        + figures(path, FIGURES)
        + "<h2>Config</h2>"
        + config_block(path)
        + "<h2>Where it ran</h2>"
        + where_it_ran(metrics.get("machine"), metrics.get("versions"))
    )
    return render(title, body, {"kind": "run", "replays": [replay]})


def write_run_report(
    path: Path,
    config: Config,
    split,
    history: dict[str, Any],
    metrics: dict[str, Any],
    frames: list[tuple[int, np.ndarray]],
    note: str | None = None,
) -> Path:
    note = note or thinning_note(frames, len(history["loss"]))
    write_atomic(path / REPORT_FILE, run_page(path, config, split, history, metrics, frames, note))
    return path / REPORT_FILE


def read_history(path: Path) -> dict[str, list[float]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {m: [float(r[m]) for r in rows] for m in METRICS}


def rebuild_run_report(path: Path) -> Path:
    """report.html again from config.yaml, metrics.json, history.csv and the weights: those of every
    epoch when an earlier report.html holds them, else the final model from model.keras (said on the page)."""
    metrics = read_json(path / "metrics.json")
    if metrics is None or not (path / "history.csv").is_file():
        status = (read_json(path / "status.json") or {}).get("status", "unknown")
        raise NoReport(
            f"{path} has no metrics.json and history.csv to report on (its status is {status}); "
            "only a finished run has a report"
        )
    config = load_config(path / "config.yaml")
    split = load_split(config.data, config.seed, config.training.validation_split)
    history = read_history(path / "history.csv")
    old = read_data(path / REPORT_FILE)
    if old and old.get("replays") and len(old["replays"][0].get("frames", [])) > 1:
        replay = old["replays"][0]
        frames = [(f["epoch"], np.array(f["theta"], dtype=np.float32)) for f in replay["frames"]]
        return write_run_report(path, config, split, history, metrics, frames, replay.get("note"))
    weights = _final_weights(path / "model.keras")
    theta = np.concatenate([np.asarray(w, dtype=np.float32).ravel() for w in weights])
    note = (
        "This folder was made before report.html existed, so it holds no weights per epoch: the replay "
        "shows the final model only (from model.keras)."
    )
    return write_run_report(path, config, split, history, metrics, [(len(history["loss"]), theta)], note)


def _final_weights(path: Path) -> list[np.ndarray]:
    if not path.is_file():
        raise NoReport(f"{path} is missing: there are no weights to replay")
    load_tensorflow()
    import keras

    return keras.models.load_model(path, compile=False).get_weights()
