"""The config schema (every default and its allowed range), YAML loading with the safe loader,
`--set dotted.key=value` overrides, validation into one-line `ConfigError`s, and the checks of a
request's losses and seeds (`configs_for`, `check_seeds`) that compare and sweep make at the door.

Validation happens here, before TensorFlow loads or a run folder is made.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from circles_hinge.errors import ConfigError
from circles_hinge.losses import LOSSES, get_loss

LossName = Literal[tuple(LOSSES)]  # every registered loss, and nothing else
Activation = Literal["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "leaky_relu", "linear"]
Initializer = Literal[
    "he_uniform", "he_normal", "glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal"
]
Dataset = Literal["circles", "moons", "blobs"]
Shuffle = bool | Literal["every_epoch"]  # training.shuffle; engine/shuffle.py says what each means
SEED_LIMIT = 2**32  # seeds are 0 .. SEED_LIMIT - 1 (NumPy's and Keras' generators take 32 bits)
MAX_SEEDS = 100_000  # seeds in one study: a hard bound; memory is checked per request (budget.py)


class _Section(BaseModel):
    # strict: YAML's `"5"` or `true` is not silently a number; ints are still accepted for floats.
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


class DataConfig(_Section):
    dataset: Dataset = "circles"
    # hard bounds past anything this machine class can train; memory is checked per request (budget.py)
    n_samples: int = Field(1000, ge=2, le=100_000_000)
    test_size: int = Field(250, gt=0)  # the FIRST test_size samples are the test set, as in the tutorial
    factor: float = Field(0.1, ge=0, lt=1, allow_inf_nan=False)  # circles only: inner/outer radius
    noise: float = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _test_smaller_than_data(self) -> DataConfig:
        if self.test_size >= self.n_samples:
            raise ValueError(
                f"data.test_size must be smaller than data.n_samples ({self.n_samples}) "
                f"— got {self.test_size}"
            )
        return self


class ModelConfig(_Section):
    hidden_units: list[Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: [4, 2], min_length=1)
    hidden_activation: Activation = "relu"
    kernel_initializer: Initializer = "he_uniform"
    # null: the activation the loss expects (tanh for hinge, sigmoid for cross-entropy, ...).
    output_activation: Activation | None = None


class TrainingConfig(_Section):
    loss: LossName = "hinge"
    learning_rate: float = Field(0.03, gt=0, allow_inf_nan=False)
    epochs: int = Field(30, ge=1, le=1_000_000)
    batch_size: int = Field(5, ge=1)
    # Keras semantics: the LAST fraction of the training part, taken before shuffling.
    validation_split: float = Field(0.2, ge=0, lt=1, allow_inf_nan=False)
    # true: the permutation seeded model.fit(shuffle=True) uses, the same every epoch; every_epoch: a
    # new one each epoch (as unseeded fit); false: the data's order (shuffle.py, SHUFFLE_MEANS)
    shuffle: Shuffle = True
    # `train` only (compare and sweep ignore it): when the first initialisation ends below 99%
    # validation accuracy (a collapsed start), this many more are trained at once and the best on
    # validation is kept.
    restarts: int = Field(19, ge=0, le=999)


class Config(_Section):
    seed: int = Field(42, ge=0, lt=SEED_LIMIT)  # one seed: data, initial weights and shuffling
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)

    @model_validator(mode="after")
    def _enough_training_data(self) -> Config:
        n_train = self.data.n_samples - self.data.test_size
        n_fit = math.floor(n_train * (1 - self.training.validation_split))
        if n_fit < 1 or (self.training.validation_split > 0 and n_fit == n_train):
            raise ValueError(
                f"training.validation_split {self.training.validation_split} leaves no "
                f"{'training' if n_fit < 1 else 'validation'} samples out of {n_train}; "
                "change data.n_samples, data.test_size or training.validation_split"
            )
        spec = get_loss(self.training.loss)
        if self.data.dataset == "blobs" and not spec.multiclass:  # blobs has 3 classes
            raise ValueError(
                f"training.loss {self.training.loss} is a two-class loss but data.dataset blobs has 3 "
                "classes; use categorical_hinge or multiclass_svm"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def with_loss(self, loss: str) -> Config:
        """This config training `loss` instead (not validated again: for shapes and estimates)."""
        return self.model_copy(update={"training": self.training.model_copy(update={"loss": loss})})


# ---------------------------------------------------------------------------------------------------
# Loading


class _Loader(yaml.SafeLoader):
    """The safe loader (tags such as !!python/object are refused, never run), plus one fix: YAML 1.1
    reads `1e-3` as a string because it has no dot; here it is the float a user means."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class DuplicateKeyError(yaml.YAMLError):
    """One mapping names a key twice. Plain YAML keeps the last value silently; we refuse."""

    def __init__(self, key: str, first_line: int, second_line: int):
        self.key, self.lines = key, (first_line, second_line)
        super().__init__(f"{key} is given twice, at lines {first_line} and {second_line}")


def _check_duplicates(node: yaml.Node | None, path: str = "", seen_nodes: set[int] | None = None) -> None:
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if node is None or id(node) in seen_nodes:  # an alias may point back at its own anchor
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            name = path
            # `<<` merges are YAML's own way to override keys; only plain keys can be duplicates
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                name = f"{path}.{key_node.value}" if path else str(key_node.value)
                line = key_node.start_mark.line + 1
                ident = (key_node.tag, key_node.value)
                if ident in lines:
                    raise DuplicateKeyError(name, lines[ident], line)
                lines[ident] = line
            _check_duplicates(value_node, name, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, f"{path}[{i}]", seen_nodes)


def safe_load(text: str) -> Any:
    """YAML with the safe loader, reading 1e-3 as a number and refusing a key given twice in one
    mapping (DuplicateKeyError); used for files, --set and --values."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicates(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------------------
# Messages: every one is ours, built from the schema; pydantic's own wording never reaches the user


def show(value: Any) -> str:
    """A value as it is written in YAML (true, null, .nan, 'text', [4, 2]), at most 60 characters."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    elif isinstance(value, (dict, list)):
        try:
            text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(section: type[BaseModel]) -> str:
    return ", ".join(section.model_fields)


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _section_for(loc: tuple) -> type[BaseModel]:
    section: type[BaseModel] = Config
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if _is_section(annotation):
            section = annotation
    return section


def _range(annotation: Any, metadata: list, plural: bool = False) -> str:
    """'a finite number in [0, 1)' or 'an integer >= 1' ('integers >= 1'), from the constraints."""
    bounds = {
        type(m).__name__: getattr(m, type(m).__name__.lower())
        for m in metadata
        if type(m).__name__ in ("Ge", "Gt", "Le", "Lt")
    }
    lo = ("[", bounds["Ge"]) if "Ge" in bounds else ("(", bounds["Gt"]) if "Gt" in bounds else None
    hi = ("]", bounds["Le"]) if "Le" in bounds else (")", bounds["Lt"]) if "Lt" in bounds else None
    if annotation is int:
        kind = "integers" if plural else "an integer"
    else:
        kind = "finite numbers" if plural else "a finite number"
    hi = ("]", SEED_LIMIT - 1) if hi == (")", SEED_LIMIT) else hi  # say "[0, 4294967295]" for the seed
    if lo and hi:
        return f"{kind} in {lo[0]}{lo[1]}, {hi[1]}{hi[0]}"
    if lo:
        return f"{kind} {'>=' if lo[0] == '[' else '>'} {lo[1]}"
    if hi:
        return f"{kind} {'<=' if hi[0] == ']' else '<'} {hi[1]}"
    return kind


def _unwrap(annotation: Any) -> tuple[Any, list]:
    """Annotated[int, Field(ge=1)] -> (int, [Ge(1)])."""
    if get_origin(annotation) is Annotated:
        inner, *extras = get_args(annotation)
        return inner, [m for extra in extras for m in getattr(extra, "metadata", [extra])]
    return annotation, []


def _choice(value: Any) -> str:
    return value if isinstance(value, str) else show(value)


def _choices(options: list) -> list | None:
    """The values a union of bool and Literals allows ([True, False, 'every_epoch']), or None."""
    out: list = []
    for option in options:
        if option is bool:
            out += [True, False]
        elif get_origin(option) is Literal:
            out += list(get_args(option))
        else:
            return None
    return out


def _words(annotation: Any, metadata: list, name: str) -> str:
    """What a field allows, in words: 'one of relu, tanh', 'a non-empty list of integers >= 1'."""
    origin = get_origin(annotation)
    if _is_section(annotation):
        return f"a mapping of {name} keys ({_allowed(annotation)})"
    if origin is Literal:
        return "one of " + ", ".join(map(_choice, get_args(annotation)))
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        choices = _choices(options)
        if choices and len(options) == len(get_args(annotation)):  # true, false or a name (shuffle)
            return "one of " + ", ".join(map(_choice, choices))
        words = " or ".join(_words(*_unwrap(a), name) for a in options)
        return f"{words}, or null" if len(options) < len(get_args(annotation)) else words
    if origin is list:
        item, item_metadata = _unwrap(get_args(annotation)[0])
        non_empty = any(getattr(m, "min_length", 0) for m in metadata)
        return f"a {'non-empty ' if non_empty else ''}list of {_range(item, item_metadata, plural=True)}"
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        return _range(annotation, metadata)
    return str(annotation)  # a new kind of field: still our sentence, never pydantic's


def expected(loc: tuple) -> str:
    """What the schema allows at a location such as ('model', 'hidden_units', 0)."""
    annotation: Any = Config
    metadata: list = []
    name = "config"
    for part in loc:
        if isinstance(part, int) and get_origin(annotation) is list:  # one item of a list
            annotation, metadata = _unwrap(get_args(annotation)[0])
            continue
        field = annotation.model_fields.get(str(part)) if _is_section(annotation) else None
        if field is None:
            break
        annotation, metadata, name = field.annotation, field.metadata, str(part)
    return _words(annotation, metadata, name)


def _key(loc: tuple) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")


def _field_loc(loc: tuple) -> tuple:
    """The location up to its field: pydantic appends a union member's tag (shuffle's 'bool')."""
    annotation: Any = Config
    for i, part in enumerate(loc):
        if isinstance(part, int) and get_origin(annotation) is list:
            annotation = _unwrap(get_args(annotation)[0])[0]
            continue
        field = annotation.model_fields.get(str(part)) if _is_section(annotation) else None
        if field is None:
            return loc[: i + 1] if _is_section(annotation) else loc[:i]
        annotation = field.annotation
    return loc


def _format_error(err: dict, source: str) -> str:
    loc = _field_loc(tuple(err["loc"]))
    where = f" ({source})" if source else ""
    if err["type"] == "extra_forbidden":
        return f"{_key(loc)} is not a known key; allowed here: {_allowed(_section_for(loc))}{where}"
    if err["type"] == "value_error":  # our own validators write the whole sentence, key included
        return str(err["ctx"]["error"]) + where
    # any other kind (wrong type, out of range, not in the list, too short): what the field allows
    key = _key(loc) or "the config"
    return f"{key} must be {expected(loc)} — got {show(err.get('input'))}{where}"


def validate(raw: dict[str, Any], source: str = "") -> Config:
    """Build a Config from a nested dict, or raise ConfigError with one line for the first problem."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc.errors()[0], source)) from None


# ---------------------------------------------------------------------------------------------------
# Reading a file, --set, and the order they apply in


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a config file with the safe loader: tags such as !!python/object are refused, never run."""
    name = str(path)
    if not path.exists():
        raise ConfigError(f"--config {name}: no such file")
    if path.is_dir():
        raise ConfigError(f"--config {name} is a directory; give a YAML file such as configs/default.yaml")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--config {name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"--config {name} cannot be read: {exc.strerror}") from None
    try:
        data = safe_load(text)
    except DuplicateKeyError as exc:
        first, second = exc.lines
        raise ConfigError(
            f"--config {name}: {exc.key} is given twice, at lines {first} and {second}; keep one"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"--config {name} is not valid YAML{at}: {problem}") from None
    if data is None:
        raise ConfigError(
            f"--config {name} is empty; write the keys to change (e.g. 'training: {{epochs: 50}}') "
            "or leave out --config"
        )
    if not isinstance(data, dict):
        raise ConfigError(f"--config {name} must hold a mapping of config keys — got a {type(data).__name__}")
    return data


def _names_section(dotted: str) -> bool:
    """True for data, model and training: the keys whose value is itself a mapping of keys."""
    annotation: Any = Config
    for part in dotted.split("."):
        field = annotation.model_fields.get(part) if _is_section(annotation) else None
        if field is None:
            return False
        annotation = field.annotation
    return _is_section(annotation)


def _note_origin(value: Any, dotted: str, source: str, origins: dict[str, str]) -> None:
    origins[dotted] = source
    if isinstance(value, dict):
        for key, inner in value.items():
            _note_origin(inner, f"{dotted}.{key}", source, origins)


def _merge(
    base: dict[str, Any], extra: dict[str, Any], source: str, origins: dict[str, str], prefix: str = ""
) -> dict[str, Any]:
    """`extra` over `base`, mapping into mapping; origins records which source set each key.

    A section that is not a mapping (`data: 5` in a file) is an error as soon as a later source
    adds a key to it, rather than being replaced silently by `--set data.n_samples=100`."""
    out = dict(base)
    for key, value in extra.items():
        dotted = f"{prefix}{key}"
        current = out.get(key)
        if (
            isinstance(value, dict)
            and key in out
            and not isinstance(current, dict)
            and _names_section(dotted)
        ):
            raise ConfigError(
                f"{dotted} must be {expected(tuple(dotted.split('.')))} — got {show(current)} "
                f"({origins.get(dotted, 'options')})"
            )
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merge(current, value, source, origins, f"{dotted}.")
        else:
            out[key] = value
            _note_origin(value, dotted, source, origins)
    return out


def parse_set(item: str) -> dict[str, Any]:
    """`training.epochs=50` -> {"training": {"epochs": 50}}; the value is parsed as YAML (safely)."""
    key, sep, text = item.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or not key or any(not p for p in parts):
        raise ConfigError(f"--set {item!r} must look like dotted.key=value, e.g. training.epochs=50")
    if not text.strip():
        raise ConfigError(f"--set {key}= needs a value, e.g. --set {key}=<value>")
    try:
        value = safe_load(text)  # null is a value: model.output_activation=null means "what the loss needs"
    except DuplicateKeyError as exc:
        raise ConfigError(f"--set {key}: the value names {exc.key} twice; give it once") from None
    except yaml.YAMLError:
        raise ConfigError(f"--set {key}: the value {text!r} is not valid YAML") from None
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    return nested


def _leaves(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def resolve_config(
    path: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    loss: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    base: dict[str, Any] | None = None,
) -> tuple[Config, dict[str, tuple[Any, str]]]:
    """The Config (defaults, then `base` (the API's dict) or the YAML file, then `--set` overrides,
    then the named options), and what the file and --set asked for: {dotted key: (value, where)}, so a
    command can warn about a setting it ignores. A file's value equal to the default is left out: a
    file that spells out every default (configs/default.yaml) asks for nothing."""
    raw: dict[str, Any] = {}
    origins: dict[str, str] = {}
    source = ""
    if base is not None:
        raw = _merge(raw, base, "config", origins)
        source = "config"
    if path is not None:
        raw = _merge(raw, read_yaml(Path(path)), str(path), origins)
        source = str(path)
    for item in overrides:
        raw = _merge(raw, parse_set(item), f"--set {item}", origins)
    asked = {key: (value, origins[key]) for key, value in _leaves(raw).items()}
    named: dict[str, Any] = {}
    if loss is not None:
        named.setdefault("training", {})["loss"] = loss
    if epochs is not None:
        named.setdefault("training", {})["epochs"] = epochs
    if seed is not None:
        named["seed"] = seed
    raw = _merge(raw, named, "options", origins)
    if overrides or named:
        source = f"{source} + options" if source else "options"
    config = validate(raw, source)
    defaults = _leaves(Config().to_dict())
    given = {
        key: (value, where)
        for key, (value, where) in asked.items()
        if where.startswith("--set") or key not in defaults or value != defaults[key]
    }
    return config, given


def load_config(
    path: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    loss: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    base: dict[str, Any] | None = None,
) -> Config:
    """Defaults, then `base` or the YAML file, then `--set` overrides, then the named options (highest)."""
    return resolve_config(path, overrides, loss=loss, seed=seed, epochs=epochs, base=base)[0]


# What each data set does not use: a setting here is ignored for that data set, and the CLI says so.
DATASET_IGNORES = {
    "moons": {"data.factor": "data.factor applies to data.dataset circles only"},
    "blobs": {
        "data.factor": "data.factor applies to data.dataset circles only",
        "data.noise": "data.dataset blobs has a fixed spread; data.noise applies to circles and moons",
    },
}


def ignored_by_dataset(config: Config) -> dict[str, str]:
    """{key: why} for the settings config.data.dataset does not use."""
    return dict(DATASET_IGNORES.get(config.data.dataset, {}))


def dump_yaml(config: Config) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)


def config_keys() -> list[str]:
    """Every settable key, dotted as --set takes it: seed, data.n_samples, ..., training.restarts."""
    return list(_leaves(Config().to_dict()))


# ---------------------------------------------------------------------------------------------------
# The losses and seeds of a compare or sweep request, checked once, before anything runs


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
