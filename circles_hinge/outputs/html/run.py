"""report.html of one run folder: the summary, an interactive replay of training computed in the browser
from the weights of every epoch (engine/recorder.py keeps them while the trainer runs), the folder's
pictures, the config and the machine. `rebuild_run_report` writes it again from the files alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import load_split, n_classes
from circles_hinge.engine.model import layer_shapes, output_activation
from circles_hinge.engine.recorder import MAX_NUMBERS
from circles_hinge.engine.runtime import load_tensorflow
from circles_hinge.errors import CirclesHingeError, ConfigError
from circles_hinge.files import FOLDER_FILE_MAX_BYTES, FileProblem, check_regular, load_json, read_text
from circles_hinge.loading import load_folder_config
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
from circles_hinge.outputs.plots import crowded_class, value_name
from circles_hinge.outputs.style import class_names, data_extent, labelled_names
from circles_hinge.results import METRICS
from circles_hinge.store.folders import write_atomic
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


def plane_data(config: Config, split) -> dict[str, Any]:
    """What the replay's plane needs besides the network: the classes in words (with the label the
    loss trains them as), the extent every figure of the folder uses, and the class too crowded to
    ring (the circles' inner circle), from the test points as the figures draw them."""
    spec, k = get_loss(config.training.loss), n_classes(config.data)
    names = class_names(config.data.dataset, k)
    return {
        "classes": names,
        "labels": labelled_names(spec, names),
        "extent": list(data_extent(split.X_test)),
        "crowded": crowded_class(split.X_test, split.y_test),
        "value_name": value_name(spec),
    }


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
    inside_margin: int | None = None,
) -> dict[str, Any]:
    """What the page's forward pass needs: layer widths, activations, the class rule, weights per epoch,
    the points, and the history for the loss curve; `inside_margin`: Keras' count of test points
    inside the margin at the last epoch, for the page to say so where its own count differs."""
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
        "inside_margin": inside_margin,
        **plane_data(config, split),
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
    """One slider and a play button for every replay in #replays (the page's script fills it)."""
    return (
        '<div class="controls"><button id="play" type="button">▶ play</button>'
        '<label for="epoch" class="visually-hidden">Epoch</label>'
        '<input id="epoch" type="range" min="0" max="0" step="1" value="0" aria-valuetext="epoch">'
        '<span class="epoch-readout" aria-hidden="true"><span id="epoch-label">epoch</span>'
        '<span id="epoch-of"></span></span></div>'
        '<div id="replays" class="replays"></div>'
        "<noscript><p>The replay needs JavaScript; the figures below do not.</p></noscript>"
    )


def player(heading: str, intro: str, heading_id: str = "replay") -> str:
    """The replay's section: its heading, what it shows, the controls and the replays. It is left out
    of print (the figures show the last epoch) and its slider stays on screen only within it."""
    return (
        f'<section class="player" aria-labelledby="{heading_id}"><h2 id="{heading_id}">{esc(heading)}</h2>'
        f"{intro}{controls()}</section>"
    )


def _summary(metrics: dict[str, Any], config: Config) -> str:
    spec, data = get_loss(config.training.loss), config.data
    where = data_words(data)
    perfect = metrics.get("epochs_to_perfect_val")
    widths = [str(u) for _, u in layer_shapes(config)]
    network = " → ".join(["2", *widths[:-1]]) + f" ({config.model.hidden_activation})"
    network += f" → {widths[-1]} ({output_activation(config)})"
    rows = [
        ["loss", f"{spec.display}{'' if spec.display == spec.name else f' ({spec.name})'}: {spec.formula}"],
        ["seed", metrics.get("seed")],
        ["data", where],
        ["network", network],
        ["test accuracy", pct(metrics.get("test_accuracy"))],
        ["test loss", num(metrics.get("test_loss"))],
        ["final training loss", num(metrics.get("final_loss"))],
        ["final validation loss", num(metrics.get("final_val_loss"))],
        ["first epoch with 100% validation accuracy", "never" if perfect is None else perfect],
        ["epochs", metrics.get("epochs")],
        ["training time", f"{metrics.get('train_seconds', float('nan')):.2f} s"],
        ["test points inside the margin", metrics.get("test_points_inside_margin", "—")],
    ]
    return table(["", ""], rows, cards=False)


def _restarts(metrics: dict[str, Any]) -> str:
    accuracies = metrics.get("initialisation_accuracies") or []
    if len(accuracies) <= 1:
        return ""
    kept = metrics.get("initialisation", 0)
    on = metrics.get("initialisation_accuracy_on", "validation")
    boxes = "".join(
        f"<li{' class=kept' if r == kept else ''}><b>{r}</b><br>{'diverged' if a < 0 else pct(a)}"
        f"{'<br>kept' if r == kept else ''}</li>"
        for r, a in enumerate(accuracies)
    )
    return (
        "<h2>Restarts</h2>"
        f"<p>The first initialisation ended at {pct(accuracies[0])} {esc(on)} accuracy, below 99%, so "
        f"{len(accuracies) - 1} more were trained and the best on {esc(on)} was kept: "
        f"<b>initialisation {kept}</b>. Everything on this page is the kept one's. Each box: the "
        f"initialisation and its final {esc(on)} accuracy.</p>"
        f'<ol class="restarts" start="0" aria-label="final {esc(on)} accuracy of each initialisation">'
        f"{boxes}</ol>"
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
    replay = replay_data(
        config,
        split,
        history,
        frames,
        f"{spec.title} loss, seed {config.seed}",
        note,
        metrics.get("test_points_inside_margin"),
    )
    intro = (
        "<p>Drag the slider, press play, or use the arrow keys on the slider: the page computes f(x) "
        "from the weights recorded after every epoch, with the same forward pass as Keras. The address "
        "ends in <code>#epoch=N</code>, so a link opens this epoch.</p>"
    )
    gif = (
        '<p class=no-print><a href="training.gif">training.gif</a>: the same training as an animation, '
        "one frame per epoch (for slides).</p>"
        if (path / "training.gif").is_file()
        else ""
    )
    body = (
        f"<h1>{esc(title)}</h1><p class=lead>Run folder <code>{esc(path.name)}</code> · "
        f"written by <code>circles-hinge train</code>; <code>circles-hinge report {esc(path.name)}</code> "
        "writes this page again.</p>"
        + _summary(metrics, config)
        + player("Training, replayed", intro)
        + _restarts(metrics)
        + figures(path, FIGURES, gif)
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
    """history.csv's columns; NoReport saying what is wrong when it is not the CSV a run writes."""
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path))))
        history = {m: [float(r[m]) for r in rows] for m in METRICS}
    except FileProblem as exc:
        raise NoReport(f"{path.parent} has no history to report: {path.name} {exc.why}") from None
    except (KeyError, TypeError, ValueError):
        raise NoReport(f"{path} is damaged: it is not the per-epoch CSV a run writes") from None
    if not rows:
        raise NoReport(f"{path} holds no epoch: there is no history to report")
    return history


def _unfinished(path: Path, exc: FileProblem) -> NoReport:
    """Why a run folder has no report, with what the folder says about itself (`runs`' status)."""
    from circles_hinge.store.listing import summarise_folder

    summary = summarise_folder(path)
    status = summary.status if summary is not None else "unknown"
    return NoReport(
        f"{path} has no report to write: {exc.path.name} {exc.why} (its status: {status}); "
        "only a finished run has a report"
    )


def rebuild_run_report(path: Path) -> Path:
    """report.html again from config.yaml, metrics.json, history.csv and the weights: those of every
    epoch when an earlier report.html holds them, else the final model from model.keras (said on the page)."""
    try:
        metrics = load_json(path / "metrics.json")
        check_regular(path / "history.csv", FOLDER_FILE_MAX_BYTES)
    except FileProblem as exc:
        raise _unfinished(path, exc) from None
    try:
        config = load_folder_config(path / "config.yaml")
    except ConfigError as exc:
        raise NoReport(f"{path} cannot be reported: {exc}") from None
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
    try:
        check_regular(path, FOLDER_FILE_MAX_BYTES)
    except FileProblem as exc:
        raise NoReport(f"{path} {exc.why}: there are no weights to replay") from None
    load_tensorflow()
    import keras

    try:
        return keras.models.load_model(path, compile=False).get_weights()
    except Exception as exc:  # noqa: BLE001 - Keras says a damaged file in many ways; one line for all
        raise NoReport(
            f"{path} cannot be loaded ({type(exc).__name__}): there are no weights to replay"
        ) from None
