"""How many seeds' replays fit in a seed study's report.html (`compare --seeds N --replays`): the page's
byte budget, checked at the door before anything trains. No heavy import: the door runs it before
TensorFlow or matplotlib load."""

from __future__ import annotations

from collections.abc import Sequence

from circles_hinge.config import Config
from circles_hinge.engine.model import layer_shapes
from circles_hinge.engine.recorder import kept_epochs
from circles_hinge.errors import ConfigError

# A seed study's report.html with replays (compare --seeds N --replays) stays under PAGE_BYTES. The rest
# of the page, measured with the default config: 0.46 MB with one loss, 0.59 MB with two and 1.12 MB
# with five (comparison.png, in base64, grows with the losses); PAGE_BASE_BYTES + PAGE_LOSS_BYTES per
# loss bounds it, and PAGE_MARGIN is left over.
PAGE_BYTES = 2_000_000
PAGE_BASE_BYTES, PAGE_LOSS_BYTES, PAGE_MARGIN = 350_000, 180_000, 100_000
# JSON around one seed's replay (keys, its extent, its test accuracies) and around each loss's part
SEED_OVERHEAD, LOSS_OVERHEAD = 200, 40


def _b64_length(n_bytes: int) -> int:
    return 4 * -(-n_bytes // 3)


def seed_replay_bytes(config: Config, losses: Sequence[str]) -> int:
    """What one seed's replay adds to a seed study's report.html: its own points (every seed has its
    own data and split: x and y as float32, base64, 8 bytes a point before encoding, and one digit a
    class label), and for each loss the weights of every kept epoch and the four history series, also
    float32 in base64. The default config (1,000 points, 31 x 25 weights, 30 epochs) with two losses:
    10,668 + 1,000 + 2 x (4,136 + 640) + 200 + 2 x 40 = 21,500 bytes."""
    n_points = config.data.n_samples
    size = _b64_length(8 * n_points) + n_points + SEED_OVERHEAD
    for loss in losses:
        n_params = sum(i * o + o for i, o in layer_shapes(config.with_loss(loss)))
        frames = len(kept_epochs(config.training.epochs, n_params))
        size += _b64_length(4 * n_params * frames) + _b64_length(16 * config.training.epochs) + LOSS_OVERHEAD
    return size


def replay_seed_limit(config: Config, losses: Sequence[str]) -> int:
    """The most seeds whose replays fit in the page: 55 for the default config and two losses
    ((2,000,000 - 100,000 - 350,000 - 2 x 180,000) // 21,500), 82 for one loss, 17 for all five."""
    room = PAGE_BYTES - PAGE_MARGIN - PAGE_BASE_BYTES - PAGE_LOSS_BYTES * len(losses)
    return max(0, room) // seed_replay_bytes(config, losses)


def check_replays(config: Config, losses: Sequence[str], seeds: int) -> None:
    """--replays keeps every seed's weights per epoch for the page, so the study must fit its budget."""
    limit = replay_seed_limit(config, losses)
    if seeds > limit:
        per_seed = seed_replay_bytes(config, losses)
        raise ConfigError(
            f"--replays allows at most {limit} seeds with this config and {len(losses)} "
            f"loss{'es' if len(losses) > 1 else ''} (each seed's replay adds {per_seed / 1000:,.1f} kB to "
            f"report.html, which stays under {PAGE_BYTES / 1e6:g} MB) — got --seeds {seeds}; "
            f"use --seeds {limit} or fewer, or leave out --replays"
        )
