"""The config schema (every default and its allowed range), YAML loading with the safe loader,
`--set dotted.key=value` overrides, and validation into one-line `ConfigError`s.

Validation happens here, before TensorFlow loads or a run folder is made.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from circles_hinge.errors import ConfigError
from circles_hinge.losses import LOSSES, get_loss

LossName = Literal[tuple(LOSSES)]  # every registered loss, and nothing else
Activation = Literal["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "leaky_relu", "linear"]
Initializer = Literal[
    "he_uniform", "he_normal", "glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal"
]
Dataset = Literal["circles", "moons", "blobs"]


class _Section(BaseModel):
    # strict: YAML's `"5"` or `true` is not silently a number; ints are still accepted for floats.
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


class DataConfig(_Section):
    dataset: Dataset = "circles"
    n_samples: int = Field(1000, ge=2)
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
    hidden_units: list[int] = Field(default_factory=lambda: [4, 2], min_length=1)
    hidden_activation: Activation = "relu"
    kernel_initializer: Initializer = "he_uniform"
    # null: the activation the loss expects (tanh for hinge, sigmoid for cross-entropy, ...).
    output_activation: Activation | None = None

    @field_validator("hidden_units")
    @classmethod
    def _units_positive(cls, units: list[int]) -> list[int]:
        for i, n in enumerate(units):
            if n < 1:
                raise ValueError(f"model.hidden_units[{i}] must be an integer >= 1 — got {n}")
        return units


class TrainingConfig(_Section):
    loss: LossName = "hinge"
    learning_rate: float = Field(0.03, gt=0, allow_inf_nan=False)
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(5, ge=1)
    # Keras semantics: the LAST fraction of the training part, taken before shuffling.
    validation_split: float = Field(0.2, ge=0, lt=1, allow_inf_nan=False)
    shuffle: bool = True  # reshuffle the training part every epoch, as model.fit does
    # `train` only (compare and sweep ignore it): when the first initialisation ends below 99%
    # validation accuracy (a collapsed start), this many more are trained at once and the best on
    # validation is kept.
    restarts: int = Field(19, ge=0, le=999)


class Config(_Section):
    seed: int = Field(42, ge=0, lt=2**32)  # one seed: data, initial weights and shuffling
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


def safe_load(text: str) -> Any:
    """YAML with the safe loader, reading 1e-3 as a number; used for files, --set and --values."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(section: type[BaseModel]) -> str:
    return ", ".join(section.model_fields)


def _section_for(loc: tuple) -> type[BaseModel]:
    section: type[BaseModel] = Config
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            section = annotation
    return section


def _range(section: type[BaseModel], name: str) -> str | None:
    """'a number in [0, 1)' or 'an integer >= 1', from the field's own constraints."""
    field = section.model_fields.get(name)
    if field is None:
        return None
    bounds = {
        type(m).__name__: getattr(m, type(m).__name__.lower())
        for m in field.metadata
        if type(m).__name__ in ("Ge", "Gt", "Le", "Lt")
    }
    lo = ("[", bounds["Ge"]) if "Ge" in bounds else ("(", bounds["Gt"]) if "Gt" in bounds else None
    hi = ("]", bounds["Le"]) if "Le" in bounds else (")", bounds["Lt"]) if "Lt" in bounds else None
    kind = "an integer" if field.annotation is int else "a finite number"
    hi = ("]", 2**32 - 1) if hi == (")", 2**32) else hi  # say "[0, 4294967295]" for the seed
    if lo and hi:
        return f"{kind} in {lo[0]}{lo[1]}, {hi[1]}{hi[0]}"
    if lo:
        return f"{kind} {'>=' if lo[0] == '[' else '>'} {lo[1]}"
    if hi:
        return f"{kind} {'<=' if hi[0] == ']' else '<'} {hi[1]}"
    return None


def _format_error(err: dict, source: str) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    where = f" ({source})" if source else ""
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed(_section_for(loc))
        return f"{key} is not a known key; allowed here: {allowed}{where}"
    if kind == "value_error":  # our own validators write the whole sentence, key included
        return str(err["ctx"]["error"]) + where
    expected = err["msg"].removeprefix("Input should be ").removeprefix("Value should be ")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"):
        expected = _range(_section_for(loc), str(loc[-1])) or expected
    if kind in ("literal_error", "enum"):
        expected = "one of " + expected.replace("'", "")
    return f"{key} must be {expected} — got {_describe(value)}{where}"


def validate(raw: dict[str, Any], source: str = "") -> Config:
    """Build a Config from a nested dict, or raise ConfigError with one line for the first problem."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc.errors()[0], source)) from None


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a config file with yaml.safe_load: tags such as !!python/object are refused, never run."""
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


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_set(item: str) -> dict[str, Any]:
    """`training.epochs=50` -> {"training": {"epochs": 50}}; the value is parsed as YAML (safely)."""
    key, sep, text = item.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or not key or any(not p for p in parts):
        raise ConfigError(f"--set {item!r} must look like dotted.key=value, e.g. training.epochs=50")
    try:
        value = safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"--set {key}: the value {text!r} is not valid YAML") from None
    if value is None:
        raise ConfigError(f"--set {key}= needs a value, e.g. --set {key}=<value>")
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    return nested


def load_config(
    path: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    loss: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
) -> Config:
    """Defaults, then the YAML file, then `--set` overrides, then the named options (highest)."""
    raw: dict[str, Any] = {}
    source = ""
    if path is not None:
        raw = read_yaml(Path(path))
        source = str(path)
    for item in overrides:
        raw = _deep_merge(raw, parse_set(item))
    named: dict[str, Any] = {}
    if loss is not None:
        named.setdefault("training", {})["loss"] = loss
    if epochs is not None:
        named.setdefault("training", {})["epochs"] = epochs
    if seed is not None:
        named["seed"] = seed
    raw = _deep_merge(raw, named)
    if overrides or named:
        source = f"{source} + options" if source else "options"
    return validate(raw, source)


def dump_yaml(config: Config) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
