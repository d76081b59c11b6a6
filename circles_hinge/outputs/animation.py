"""training.gif (`train --animate`): `FrameRecorder` keeps the weights before training and after each
kept epoch, and `save_training_gif` draws decision values, boundary, margins and test points, one frame
per epoch, with a title naming the loss and epoch, a fixed colour bar and a held last frame."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from circles_hinge.config import Config
from circles_hinge.engine.data import n_classes
from circles_hinge.engine.keras_losses import keras_loss
from circles_hinge.engine.model import build_model, keras_outputs
from circles_hinge.losses import (
    LossSpec,
    decision_values,
    encode_labels,
    get_loss,
    predict_classes,
)
from circles_hinge.outputs.plots import colorbar_label, make_grid, margin_levels
from circles_hinge.outputs.style import (
    class_names,
    class_plane,
    labelled_names,
    lead_cmap,
    plane_scale,
    pyplot,
    scatter_classes,
    value_cmap,
)
from circles_hinge.store.folders import write_atomic

WIDTH_INCHES, DPI = 8.0, 100  # 800 px wide: a slide's width without scaling up
FRAME_MS, FIRST_MS, LAST_MS = 250, 1200, 3000  # the start and the result are held, to be read
PALETTE_COLORS = 96  # one palette for every frame: no flicker, and a smaller file


def save_training_gif(path: Path, frames, xx, yy, split, config: Config, fps: int | None = None) -> None:
    """One frame per captured epoch (epoch 0: the initial weights) of a run trained as `config` says:
    decision values as filled
    contours on a colour scale fixed for the whole run, boundary, margins, test points, metrics.
    `fps` sets the pace of the middle frames (default 4 per second); the first and last are held."""
    from matplotlib.ticker import MaxNLocator
    from PIL import Image

    spec, k, dataset = get_loss(config.training.loss), n_classes(config.data), config.data.dataset
    plt = pyplot()
    values = [decision_values(spec, out).reshape(xx.shape) for _, _, out in frames]
    scale = plane_scale(spec, np.stack(values)) if values else 1.0  # one scale for every frame
    height = WIDTH_INCHES * 0.82
    fig = plt.figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    side = 0.66 * WIDTH_INCHES / height  # the square plane's height as a share of the figure's
    ax = fig.add_axes((0.09, 0.075, 0.66, side))
    cax = fig.add_axes((0.79, 0.075, 0.028, side))
    names = labelled_names(spec, class_names(dataset, k))
    last_epoch = frames[-1][0]
    images = []
    for (epoch, logs, out), value in zip(frames, values):
        ax.clear()
        drawn = _draw_plane(ax, xx, yy, value, out, spec, k, scale)
        if epoch == frames[0][0]:
            cax.clear()
            bar = fig.colorbar(_scale_mappable(spec, scale), cax=cax, label=colorbar_label(spec, dataset))
            bar.locator = MaxNLocator(nbins=8)
            bar.update_ticks()
        scatter_classes(ax, split.X_test, split.y_test, names, size=22, edge=0.5)
        ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
        ax.legend(
            handles=[*ax.get_legend_handles_labels()[0], *_line_handles(spec, *drawn)],
            loc="upper right",
            fontsize=8,
            framealpha=0.9,
        )
        when = "initial weights, before training" if epoch == 0 else f"epoch {epoch} of {last_epoch}"
        fig.suptitle(f"{spec.title} loss: {when}\n{_metrics_line(logs)}", fontsize=11, y=0.985)
        fig.canvas.draw()
        images.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()))
    plt.close(fig)

    palette = _shared_palette([images[0], images[-1]])
    quantized = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    middle = FRAME_MS if fps is None else round(1000 / fps)
    durations = [middle] * len(quantized)
    durations[0], durations[-1] = FIRST_MS, LAST_MS
    if len(quantized) == 1:
        durations = [LAST_MS]
    buf = io.BytesIO()
    quantized[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=quantized[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )
    write_atomic(path, buf.getvalue())


def _draw_plane(ax, xx, yy, value, out, spec: LossSpec, k: int, scale: float) -> tuple[bool, list[float]]:
    """The frame's decision values in the class colours (as margins.png and the page draw them), the
    boundary (solid) and the margin (dashed) where the plane holds them; says which lines it drew."""
    if spec.multiclass:  # the predicted class's colour, deeper with the lead; boundaries where it changes
        classes = predict_classes(spec, out).reshape(xx.shape)
        extent = (xx.min(), xx.max(), yy.min(), yy.max())
        ax.imshow(class_plane(classes, value, scale), extent=extent, origin="lower", aspect="auto")
        boundary, margins = len(np.unique(classes)) > 1, [1.0] if value.max() >= 1 else []
        if boundary:
            ax.contour(xx, yy, classes, levels=np.arange(k) + 0.5, colors="k", linewidths=1.8)
        if margins:
            ax.contour(
                xx, yy, value, levels=margin_levels(margins), colors="k", linestyles="--", linewidths=1.2
            )
        return boundary, margins
    ax.pcolormesh(xx, yy, value, cmap=value_cmap(), shading="auto", vmin=-scale, vmax=scale)
    boundary = bool(value.min() < 0 < value.max())
    if boundary:
        ax.contour(xx, yy, value, levels=[0.0], colors="k", linewidths=1.8)
    margins = [level for level in (-1.0, 1.0) if value.min() <= level <= value.max()]
    if margins:
        ax.contour(xx, yy, value, levels=margin_levels(margins), colors="k", linestyles="--", linewidths=1.2)
    return boundary, margins


def _scale_mappable(spec: LossSpec, scale: float):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    if spec.multiclass:
        return ScalarMappable(Normalize(0, scale), lead_cmap())
    return ScalarMappable(Normalize(-scale, scale), value_cmap())


def _line_handles(spec: LossSpec, boundary: bool, margins: list[float]) -> list:
    """Legend entries for the lines this frame draws, and a word for a margin line it cannot draw."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="k", lw=1.8, label="boundary")] if boundary else []
    dashed = {"color": "k", "lw": 1.2, "ls": "--"}
    if spec.multiclass:
        label = "margin: top score leads by 1" if margins else "margin (a lead of 1): not reached here"
        return [*handles, Line2D([], [], **(dashed if margins else {"ls": "none"}), label=label)]
    if len(margins) == 2:
        return [*handles, Line2D([], [], **dashed, label="margin ±1")]
    if margins:
        missing = -margins[0]
        label = f"margin {margins[0]:+g} ({missing:+g} not reached here)"
        return [*handles, Line2D([], [], **dashed, label=label)]
    return [*handles, Line2D([], [], ls="none", label="margin ±1: not reached here")]


def _metrics_line(logs: dict[str, float]) -> str:
    line = f"training loss {logs['loss']:.3g}, accuracy {logs['accuracy']:.1%}"
    if np.isfinite(logs.get("val_loss", np.nan)):
        line += f"  ·  validation loss {logs['val_loss']:.3g}, accuracy {logs['val_accuracy']:.1%}"
    return line


def _shared_palette(images):
    """One adaptive palette from the first and last frames side by side (they hold every colour the
    run shows: the scale is fixed), applied to every frame without dithering."""
    from PIL import Image

    width, height = images[0].size
    sheet = Image.new("RGB", (width * len(images), height))
    for i, image in enumerate(images):
        sheet.paste(image, (i * width, 0))
    return sheet.quantize(colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT)


class FrameRecorder:
    """Keeps every replica's weights before training (`start`) and after each kept epoch (25 numbers a
    replica, so restarts cost nothing to record) and, for training.gif, draws the kept one's decision
    values on a grid fine enough for smooth contours."""

    MAX_FRAMES = 60  # epochs kept, besides epoch 0
    GRID = 201

    def __init__(self, config: Config, split):
        self.config, self.split = config, split
        self.spec, self.n_classes = get_loss(config.training.loss), n_classes(config.data)
        epochs = config.training.epochs
        self.xx, self.yy, self.grid = make_grid(split.X_test, n=self.GRID)
        keep = np.unique(np.linspace(1, epochs, min(epochs, self.MAX_FRAMES)).round().astype(int))
        self.keep = set(keep.tolist())
        self.frames: dict[int, list[tuple[int, dict[str, np.ndarray], np.ndarray]]] = {}

    def start(self, trainer) -> None:
        """Epoch 0: every replica's initial weights, with their loss and accuracy on the fit and
        validation parts (what an epoch's metrics report, before any step)."""
        loss_fn, k = keras_loss(self.spec), trainer.k
        logs = {}
        for prefix, X, y in (
            ("", self.split.X_fit, self.split.y_fit),
            ("val_", self.split.X_val, self.split.y_val),
        ):
            if len(y) == 0:  # no validation part
                logs[f"{prefix}loss"] = logs[f"{prefix}accuracy"] = np.full(k, np.nan)
                continue
            outputs = trainer.outputs(X)[:k]
            target = encode_labels(self.spec, y, self.n_classes)
            logs[f"{prefix}loss"] = np.array(
                [float(np.mean(np.asarray(loss_fn(target, o)))) for o in outputs]
            )
            logs[f"{prefix}accuracy"] = np.array(
                [np.mean(predict_classes(self.spec, o) == y) for o in outputs]
            )
        self.frames[id(trainer)] = [(0, logs, trainer.theta.numpy().copy())]

    def capture(self, trainer, epoch: int, logs: dict[str, np.ndarray]) -> None:
        if epoch in self.keep:
            frame = (epoch, {m: np.array(v) for m, v in logs.items()}, trainer.theta.numpy().copy())
            self.frames.setdefault(id(trainer), []).append(frame)

    def save(self, path: Path, trainer, replica: int) -> None:
        frames, model = [], None
        for epoch, logs, theta in self.frames.get(id(trainer), []):
            weights = trainer.weights(replica, theta)
            if model is None:
                model = build_model(self.config, weights)
            model.set_weights(weights)
            out = keras_outputs(model)(self.grid)
            frames.append((epoch, {m: float(v[replica]) for m, v in logs.items()}, out))
        save_training_gif(path, frames, self.xx, self.yy, self.split, self.config)
