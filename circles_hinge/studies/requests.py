"""The checks of a request's losses and seeds, and the checked comparison request: what compare and
sweep make of the user's config before anything runs (the door, door.py, calls them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circles_hinge.config import SEED_LIMIT, Config, validate
from circles_hinge.errors import ConfigError
from circles_hinge.losses import LOSSES
from circles_hinge.outputs.page_budget import check_replays
from circles_hinge.results import SUCCESS_ACCURACY
from circles_hinge.store.names import check_name

MAX_SEEDS = 100_000  # seeds in one study: a hard bound; memory is checked per request (budget.py)


def no_restarts(config: Config) -> Config:
    """training.restarts is for `train`: in compare and sweep every loss starts from the same weights
    and a collapse shows, so the config recorded and used says 0 whatever was asked."""
    return config.model_copy(update={"training": config.training.model_copy(update={"restarts": 0})})


def check_loss_names(losses: Sequence[str], source: str = "--losses") -> list[str]:
    """The losses of a request: at least one, each registered, none twice; else ConfigError."""
    if not losses:
        raise ConfigError(f"{source} is empty; name at least one loss, e.g. hinge,squared_hinge")
    for loss in losses:
        if loss not in LOSSES:
            raise ConfigError(f"{source}: {loss!r} is not a known loss; choose from {', '.join(LOSSES)}")
    twice = sorted({loss for loss in losses if list(losses).count(loss) > 1})
    if twice:
        raise ConfigError(f"{source} names {', '.join(twice)} more than once; name each loss once")
    return list(losses)


def configs_for(config: Config, losses: Sequence[str], source: str = "--losses") -> dict[str, Config]:
    """One validated config per loss (without restarts); ConfigError for an unknown, repeated or
    unsuitable loss (a two-class loss on blobs) or none at all."""
    check_loss_names(losses, source)
    raw = no_restarts(config).to_dict()
    out = {}
    for loss in losses:
        raw["training"]["loss"] = loss
        out[loss] = validate(raw, f"{source} {loss}")
    return out


def check_seeds(config: Config, seeds: int) -> list[int]:
    """Seeds config.seed .. config.seed + seeds - 1, or ConfigError when that is not a valid study."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"--seeds must be an integer >= 1 — got {seeds!r}")
    if config.seed + seeds - 1 >= SEED_LIMIT:
        raise ConfigError(
            f"--seeds {seeds} from seed {config.seed} goes past the largest seed {SEED_LIMIT - 1}; "
            "use a smaller seed"
        )
    if seeds > MAX_SEEDS:
        raise ConfigError(f"--seeds must be at most {MAX_SEEDS:,} — got {seeds:,}")
    return list(range(config.seed, config.seed + seeds))


@dataclass
class ComparisonRequest:
    """A checked comparison (`check_comparison`): the config without restarts, one config per loss,
    the seeds (None: side by side, one run folder per loss) and the folder name, if one was given."""

    config: Config
    losses: list[str]
    configs: dict[str, Config]
    seeds: int | None
    seed_list: list[int]
    name: str | None = None
    replays: bool = False  # a seed study keeps every seed's weights per epoch for report.html
    success: float = SUCCESS_ACCURACY  # the test accuracy from which a seed succeeds


def check_success(success: float) -> float:
    """--success: the test accuracy a seed must reach to count as a success, in (0, 1]."""
    if isinstance(success, bool) or not isinstance(success, (int, float)) or not 0 < success <= 1:
        raise ConfigError(
            f"--success must be a number in (0, 1], the test accuracy from which a seed succeeds "
            f"(default {SUCCESS_ACCURACY}) — got {success!r}"
        )
    return float(success)


def check_comparison(
    config: Config,
    losses: list[str],
    seeds: int | None,
    name: str | None = None,
    replays: bool = False,
    success: float = SUCCESS_ACCURACY,
) -> ComparisonRequest:
    """Validate a comparison before anything runs: ConfigError with one line, or the request that
    `run_comparison` trusts."""
    success = check_success(success)
    config = no_restarts(config)
    configs = configs_for(config, losses)
    seed_list = check_seeds(config, seeds) if seeds is not None else [config.seed]
    if replays and seeds is not None:
        check_replays(config, losses, seeds)
    name = None if name is None else check_name(name)
    return ComparisonRequest(config, list(losses), configs, seeds, seed_list, name, replays, success)
