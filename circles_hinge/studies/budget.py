"""What a request will cost before it starts: memory (refused with one line when it cannot fit) and
time (said up front when it is long). The constants were measured on this project's trainer.

Memory, peak RSS measured with `getrusage` on a 2-core x86-64 machine (TensorFlow 2.21):
- TensorFlow, Keras, matplotlib and the pipeline around them: 870 MiB for any request.
- `train`, one replica: 870 MiB at 10,000 samples, 1,162 MiB at 300,000, 1,426 MiB at 1,000,000,
  2,074 MiB at 3,000,000: about 400 bytes a sample (the data set, its split, the stacked and
  shuffled copies the trainer keeps, the figures' copies).
- every further replica (restarts, seeds of a study): about 120 bytes a sample (its data stacked,
  its permutation as int64 and int32, its hidden outputs), measured with 16 replicas x 200,000 samples.
- a seed study: about 330 MiB more, whatever its size (the boundary figures evaluate 64 seeds at a
  time on their rays, and the comparison figure), and about 125 KiB a seed whatever the data size
  (its boundary radii, rows, weights and history): `compare --seeds 200` peaked at 1,208 MiB and
  `--seeds 2000` at 1,637 MiB, 244 KiB a seed with 1,000 samples.
- one batch in flight: its gathered inputs, every layer's outputs and their gradients for all padded
  replicas, about 6 x 4 bytes per unit (inputs, hidden units, output): 1M samples with batches of
  100,000 peaked 273 MiB above batches of 5 (16 padded replicas x 100,000 x 9 units x 4 bytes =
  55 MiB, times 5).
Time: a batch costs about 250 us plus 0.75 us per replica-sample (replicas padded to 16; the batch
size counts less than linearly), measured at 1 to 1,008 replicas and batches of 5 to 500.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from circles_hinge.config import Config
from circles_hinge.engine.trainer import LANES  # replicas are padded to a multiple of this
from circles_hinge.errors import ConfigError
from circles_hinge.studies.grid import Grid
from circles_hinge.words import duration

MIB = 2**20
BASE_BYTES = 870 * MIB
FIRST_REPLICA_SAMPLE_BYTES = 400
REPLICA_SAMPLE_BYTES = 120
STUDY_BYTES = 330 * MIB
SEED_BYTES = 125 * 1024
BATCH_SECONDS = 250e-6
REPLICA_SAMPLE_SECONDS = 0.75e-6
LONG_SECONDS = 60.0  # a request expected to take longer says so before it starts
BATCH_UNIT_BYTES = 6 * 4


def _fit_samples(config: Config) -> int:
    """The points `fit` trains on: the training part less its validation split."""
    n_train = config.data.n_samples - config.data.test_size
    return max(1, math.floor(n_train * (1 - config.training.validation_split)))


def real_batch(config: Config) -> int:
    """The batch training uses: a batch_size larger than the data is all of it, as Keras' fit clips it."""
    return min(config.training.batch_size, _fit_samples(config))


def batch_notice(config: Config) -> str | None:
    """A line for a batch_size larger than the data (training clips it), else None."""
    if config.training.batch_size <= _fit_samples(config):
        return None
    return (
        f"note: training.batch_size {config.training.batch_size:,} is more than the {_fit_samples(config):,} "
        "points an epoch trains on; a batch is all of them (Keras' fit clips it the same way)"
    )


def _batch_bytes(config: Config, replicas: int) -> int:
    """One batch in flight, for `replicas` replicas padded to LANES."""
    k_pad = -(-max(replicas, 1) // LANES) * LANES
    return k_pad * real_batch(config) * (sum(config.model.hidden_units) + 3) * BATCH_UNIT_BYTES


@dataclass
class Estimate:
    bytes: int
    seconds: float
    batches: int  # per epoch, per study
    what: str  # '5,000 seeds x 1,000 samples'


def _width_bytes(config: Config) -> int:
    """Per sample and replica: the hidden activations of a forward pass over the validation and test
    sets, and their gradients, for layers wider than the default's 4 and 2 units."""
    return 12 * max(0, sum(config.model.hidden_units) - 6)


def _batch_seconds(replicas: int, batch_size: int) -> float:
    k_pad = -(-replicas // LANES) * LANES
    return BATCH_SECONDS + REPLICA_SAMPLE_SECONDS * k_pad * 5 * (batch_size / 5) ** 0.7


def _batches(config: Config) -> int:
    return -(-_fit_samples(config) // real_batch(config))


def estimate_run(config: Config, restarts: int | None = None) -> Estimate:
    """One `train` run, with room for its restarts (they train only if the first start collapses,
    but then all at once, beside the first)."""
    restarts = config.training.restarts if restarts is None else restarts
    n = config.data.n_samples
    per_sample = FIRST_REPLICA_SAMPLE_BYTES + _width_bytes(config)
    memory = BASE_BYTES + n * per_sample + restarts * n * (REPLICA_SAMPLE_BYTES + _width_bytes(config))
    memory += _batch_bytes(config, max(1, restarts))  # the restarts train after the first, not beside it
    seconds = config.training.epochs * _batches(config) * _batch_seconds(1, real_batch(config))
    return Estimate(int(memory), seconds, _batches(config), f"{n:,} samples")


def estimate_study(config: Config, seeds: int, losses: int) -> Estimate:
    """A seed study of `losses` losses with `seeds` seeds each (one loss trains at a time)."""
    n = config.data.n_samples
    per_seed = SEED_BYTES + n * (REPLICA_SAMPLE_BYTES + _width_bytes(config))
    memory = BASE_BYTES + STUDY_BYTES + seeds * per_seed + _batch_bytes(config, seeds)
    seconds = losses * config.training.epochs * _batches(config) * _batch_seconds(seeds, real_batch(config))
    return Estimate(int(memory), seconds, _batches(config), f"{seeds:,} seeds x {n:,} samples")


def available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (what can be used without swapping), or None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"  # thousands grouped, as every count the project prints


def check_run_fits(config: Config, available: int | None = None) -> Estimate:
    """ConfigError (one line: the estimate, what is available, the largest setting that fits) when a
    `train` request cannot fit in memory; else its estimate."""
    available = available_bytes() if available is None else available
    need = estimate_run(config)
    if available is None or need.bytes <= available:
        return need
    n = config.data.n_samples
    per_sample = (need.bytes - BASE_BYTES) / n
    largest_n = int((available - BASE_BYTES) / per_sample) if available > BASE_BYTES else 0
    hint = (
        f"the largest data.n_samples that fits is {largest_n:,}" if largest_n > config.data.test_size else ""
    )
    restarts = config.training.restarts
    if restarts:
        alone = estimate_run(config, restarts=0).bytes
        if alone <= available:
            room = (available - alone) / (n * (REPLICA_SAMPLE_BYTES + _width_bytes(config)))
            fits = f"it fits with --set training.restarts={int(room)}"
            hint = fits + (f"; {hint}" if hint else "")
    raise ConfigError(
        f"this request needs about {gib(need.bytes)} of memory ({need.what}"
        f"{f', room for {restarts} restarts' if restarts else ''}) and {gib(available)} is available; "
        + (hint or "it cannot fit on this machine")
    )


def check_study_fits(config: Config, seeds: int, losses: int, available: int | None = None) -> Estimate:
    """As check_run_fits, for a seed study (compare --seeds, sweep): the largest --seeds that fits."""
    available = available_bytes() if available is None else available
    need = estimate_study(config, seeds, losses)
    if available is None or need.bytes <= available:
        return need
    fixed = BASE_BYTES + STUDY_BYTES
    per_seed = (need.bytes - fixed) / seeds
    largest = int((available - fixed) / per_seed) if available > fixed else 0
    hint = (
        f"the largest --seeds that fits is {largest:,}" if largest >= 1 else "it cannot fit on this machine"
    )
    raise ConfigError(
        f"this request needs about {gib(need.bytes)} of memory ({need.what}) and {gib(available)} is "
        f"available; {hint}"
    )


def estimate_sweep(grid: Grid, workers: int = 1, available: int | None = None) -> Estimate:
    """A grid sweep's batches, each checked as a seed study of its replicas (ConfigError for the first
    that cannot fit): the largest batch's memory, and the time of all of them shared by `workers`."""
    batches = grid.batches(grid.shard_units())
    seeds = len(grid.seed_list)
    needs = [check_study_fits(grid.configs[b[0][0]][b[0][1]], len(b) * seeds, 1, available) for b in batches]
    worst = max(needs, key=lambda e: e.bytes)
    worst.seconds = sum(e.seconds for e in needs) / max(1, min(workers, len(batches)))
    return worst


def long_notice(estimate: Estimate, epochs: int) -> str | None:
    """'estimated time: about 28 min (30 epochs of 159,960 batches); Ctrl-C stops it and keeps the
    finished epochs', or None for a request expected to take less than LONG_SECONDS."""
    if estimate.seconds < LONG_SECONDS:
        return None
    return (
        f"estimated training time: about {duration(estimate.seconds)} ({epochs:,} epochs of "
        f"{estimate.batches:,} batches, {estimate.what}); Ctrl-C stops it and keeps what finished"
    )
