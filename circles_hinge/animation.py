"""training.gif (`train --animate`): `FrameRecorder` keeps the weights after each kept epoch, and
`save_training_gif` draws decision values, boundary, margins and test points, one frame per epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from circles_hinge.losses import LossSpec, decision_values
from circles_hinge.plots import class_names, make_grid, pyplot, scatter_classes


def save_training_gif(path: Path, frames, xx, yy, split, spec: LossSpec, fps: int = 4) -> None:
    """One frame per captured epoch: decision values, boundary, margins, test points, epoch metrics."""
    import tempfile

    from matplotlib.animation import FuncAnimation, PillowWriter

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.4, 4.6))
    fig.subplots_adjust(left=0.15, right=0.97, bottom=0.11, top=0.87)
    names = class_names(spec, split.n_classes)

    def draw(i: int):
        ax.clear()
        epoch, logs, out = frames[i]
        values = decision_values(spec, out).reshape(xx.shape)
        if spec.multiclass:
            ax.pcolormesh(xx, yy, values, cmap="cividis", shading="auto", vmin=0, vmax=2)
            ax.contour(xx, yy, values, levels=[1.0], colors="k", linestyles="--", linewidths=0.8)
        else:
            ax.pcolormesh(xx, yy, values, cmap="RdBu_r", shading="auto", vmin=-1.5, vmax=1.5)
            if values.min() < 0 < values.max():
                ax.contour(xx, yy, values, levels=[0.0], colors="k", linewidths=1.4)
            ax.contour(xx, yy, values, levels=[-1.0, 1.0], colors="k", linestyles="--", linewidths=0.8)
        scatter_classes(ax, split.X_test, split.y_test, names, size=12)
        ax.set(xlabel="x1", ylabel="x2", aspect="equal", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
        ax.set_title(
            f"epoch {epoch}: loss {logs['loss']:.2e}, accuracy {logs['accuracy']:.0%}\n"
            f"validation loss {logs['val_loss']:.2e}, accuracy {logs['val_accuracy']:.0%}",
            fontsize=9,
        )

    animation = FuncAnimation(fig, draw, frames=len(frames))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        target = Path(tmp) / path.name
        animation.save(target, writer=PillowWriter(fps=fps), dpi=72)
        target.replace(path)
    plt.close(fig)


class FrameRecorder:
    """Keeps every replica's weights after each kept epoch (25 numbers a replica, so restarts cost
    nothing to record) and, for training.gif, draws the kept one's decision values on a coarse grid."""

    MAX_FRAMES = 60

    def __init__(self, split, spec: LossSpec, epochs: int):
        self.split, self.spec = split, spec
        self.xx, self.yy, self.grid = make_grid(split.X_test, n=81)
        keep = np.unique(np.linspace(1, epochs, min(epochs, self.MAX_FRAMES)).round().astype(int))
        self.keep = set(keep.tolist())
        self.frames: dict[int, list[tuple[int, dict[str, np.ndarray], np.ndarray]]] = {}

    def capture(self, trainer, epoch: int, logs: dict[str, np.ndarray]) -> None:
        if epoch in self.keep:
            frame = (epoch, {m: np.array(v) for m, v in logs.items()}, trainer.theta.numpy().copy())
            self.frames.setdefault(id(trainer), []).append(frame)

    def save(self, path: Path, trainer, replica: int) -> None:
        from circles_hinge.experiment import keras_outputs
        from circles_hinge.model import build_model

        frames, model = [], None
        for epoch, logs, theta in self.frames.get(id(trainer), []):
            weights = trainer.weights(replica, theta)
            if model is None:
                model = build_model(trainer.config, self.spec, self.split.n_classes, weights)
            model.set_weights(weights)
            out = keras_outputs(model)(self.grid)
            frames.append((epoch, {m: float(v[replica]) for m, v in logs.items()}, out))
        save_training_gif(path, frames, self.xx, self.yy, self.split, self.spec)
