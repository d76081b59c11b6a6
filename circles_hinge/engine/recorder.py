"""Every epoch's weights while the trainer runs, for the replays of report.html: which epochs a replay
keeps (`kept_epochs`) and the recorder that copies the replicas' flat weights after each of them."""

from __future__ import annotations

import numpy as np

# Numbers of weights one replay may carry: about 10 characters each in the page, so about 1.2 MB. The
# default network (25 weights) keeps every epoch up to MAX_FRAMES; a wide one keeps evenly spaced epochs.
MAX_NUMBERS = 120_000
MAX_FRAMES = 1000


def kept_epochs(epochs: int, n_params: int) -> list[int]:
    """The epochs whose weights a replay keeps: 0 (the initial weights), then every epoch, or evenly
    spaced ones (always the last) when MAX_NUMBERS or MAX_FRAMES would be passed."""
    limit = max(1, min(MAX_FRAMES, MAX_NUMBERS // max(1, n_params)) - 1)
    kept = np.linspace(1, epochs, min(epochs, limit)).round().astype(int)
    return [0, *sorted(set(kept.tolist()) | {epochs})]


class WeightRecorder:
    """Every replica's flat weights (`trainer.theta`) before training (`start`) and after each kept
    epoch (`capture`); `frames(trainer, replica)` hands the kept initialisation's to the report.
    A copy of theta is a few hundred bytes, so recording costs microseconds an epoch."""

    def __init__(self, epochs: int):
        self.epochs = epochs
        self.thetas: dict[int, list[tuple[int, np.ndarray]]] = {}
        self.keep: set[int] | None = None

    def start(self, trainer) -> None:
        theta = trainer.theta.numpy()
        if self.keep is None:
            self.keep = set(kept_epochs(self.epochs, theta.shape[1])[1:])
        self.thetas[id(trainer)] = [(0, theta.copy())]

    def capture(self, trainer, epoch: int) -> None:
        if self.keep is not None and epoch in self.keep and id(trainer) in self.thetas:
            self.thetas[id(trainer)].append((epoch, trainer.theta.numpy().copy()))

    def frames(self, trainer, replica: int) -> list[tuple[int, np.ndarray]]:
        return [(epoch, theta[replica]) for epoch, theta in self.thetas.get(id(trainer), [])]
