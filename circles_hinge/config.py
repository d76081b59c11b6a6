"""The config schema (every default and its allowed range) and its validation into one-line
`ConfigError`s written from the schema itself. Reading files and `--set` is loading.py; the checks of a
whole request (its losses, seeds, folder and memory) are studies/door.py.

Validation happens before TensorFlow loads or a run folder is made.
"""

from __future__ import annotations

import math
import types
import typing
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
# circles, moons, blobs: scikit-learn's generators; xor, spiral, gauss: TensorFlow Playground's
# csv: the user's own points, from the file data.path (engine/points.py reads and checks it)
Dataset = Literal["circles", "moons", "blobs", "xor", "spiral", "gauss", "csv"]
Shuffle = bool | Literal["every_epoch"]  # training.shuffle; engine/shuffle.py says what each means
SEED_LIMIT = 2**32  # seeds are 0 .. SEED_LIMIT - 1 (NumPy's and Keras' generators take 32 bits)
# data.test_size when none is given: the tutorial's 250 points for a generated set; a quarter of a
# file's points (scikit-learn's train_test_split default), which suits a file of any size
TEST_SIZE_GENERATED = 250
TEST_SIZE_FILE = 0.25


def test_count(test_size: int | float | None, n_samples: int, dataset: str) -> int:
    """data.test_size as a number of points: an integer is a count; a fraction in (0, 1) is that share
    of n_samples rounded up (train_test_split's rule); None is the data set's default."""
    if test_size is None:
        test_size = TEST_SIZE_FILE if dataset == "csv" else TEST_SIZE_GENERATED
    if isinstance(test_size, float):
        return math.ceil(test_size * n_samples)
    return test_size


class _Section(BaseModel):
    # strict: YAML's `"5"` or `true` is not silently a number; ints are still accepted for floats.
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


class DataConfig(_Section):
    dataset: Dataset = "circles"
    # hard bounds past anything this machine class can train; memory is checked per request (budget.py)
    n_samples: int = Field(1000, ge=2, le=100_000_000)  # csv: the file's rows (the door reads them)
    # A count, or a fraction in (0, 1) of n_samples; null: 250 for a generated set, 0.25 of a file.
    # Resolved to a count here, so config.yaml records the very number of test points. A generated
    # set's test part is its FIRST test_size samples, as in the tutorial; a file's is a stratified draw.
    test_size: (
        Annotated[int, Field(gt=0)] | Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] | None
    ) = None
    factor: float = Field(0.1, ge=0, lt=1, allow_inf_nan=False)  # circles only: inner/outer radius
    noise: float = Field(0.0, ge=0, allow_inf_nan=False)
    path: Annotated[str, Field(min_length=1)] | None = None  # csv only: the file of points

    @model_validator(mode="after")
    def _test_smaller_than_data(self) -> DataConfig:
        self.test_size = test_count(self.test_size, self.n_samples, self.dataset)
        if self.dataset == "csv" and self.path is None:
            raise ValueError(
                "data.path must name a CSV file of points (columns x1,x2,label) for data.dataset csv; "
                "e.g. --set data.path=points.csv"
            )
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
        """The config as config.yaml holds it; data.path only when it is set (a generated data set's
        config.yaml stays as it was before files could be read)."""
        return self.model_dump(mode="json", exclude={"data": {"path"}} if self.data.path is None else None)

    def with_loss(self, loss: str) -> Config:
        """This config training `loss` instead (not validated again: for shapes and estimates)."""
        return self.model_copy(update={"training": self.training.model_copy(update={"loss": loss})})


# ---------------------------------------------------------------------------------------------------
# Messages: every one is ours, built from the schema; pydantic's own wording never reaches the user


class _PlainDumper(yaml.SafeDumper):
    """Writes a value twice rather than as an anchor and an alias (&id001, *id001): a message shows
    the value the user wrote, not YAML's bookkeeping."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


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
            text = yaml.dump(value, Dumper=_PlainDumper, default_flow_style=True, width=10**6).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(section: type[BaseModel]) -> str:
    return ", ".join(section.model_fields)


def is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _section_for(loc: tuple) -> type[BaseModel]:
    section: type[BaseModel] = Config
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if is_section(annotation):
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
    if is_section(annotation):
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
    if annotation is str:
        non_empty = any(getattr(m, "min_length", 0) for m in metadata)
        return f"a {'non-empty ' if non_empty else ''}file path"
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
        field = annotation.model_fields.get(str(part)) if is_section(annotation) else None
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
        field = annotation.model_fields.get(str(part)) if is_section(annotation) else None
        if field is None:
            return loc[: i + 1] if is_section(annotation) else loc[:i]
        annotation = field.annotation
    return loc


def _origin(loc: tuple, origins: dict[str, str]) -> str | None:
    """Where the value at `loc` was given (a file, `--set key=value`, `--seed`), from its key or the
    nearest section above it that was given whole."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in origins:
            return origins[".".join(parts[:n])]
    return None


def _format_error(err: dict, source: str, origins: dict[str, str] | None = None) -> str:
    loc = _field_loc(tuple(err["loc"]))
    origin = _origin(loc, origins or {}) if err["type"] != "value_error" else None
    where = f" ({origin or source})" if origin or source else ""
    if err["type"] == "extra_forbidden":
        return f"{_key(loc)} is not a known key; allowed here: {_allowed(_section_for(loc))}{where}"
    if err["type"] == "value_error":  # our own validators write the whole sentence, key included
        return str(err["ctx"]["error"]) + where
    # any other kind (wrong type, out of range, not in the list, too short): what the field allows
    key = _key(loc) or "the config"
    return f"{key} must be {expected(loc)} — got {show(err.get('input'))}{where}"


def validate(raw: dict[str, Any], source: str = "", origins: dict[str, str] | None = None) -> Config:
    """Build a Config from a nested dict, or raise ConfigError with one line for the first problem.
    The line ends with where the bad value came from: its entry in `origins` (dotted key -> where it
    was given), else `source`."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc.errors()[0], source, origins)) from None


# What each data set does not use: a setting here is ignored for that data set, and the CLI says so.
_NO_FACTOR = "data.factor applies to data.dataset circles only"
_NO_PATH = "data.path applies to data.dataset csv only"
DATASET_IGNORES = {
    "circles": {"data.path": _NO_PATH},
    **{
        name: {"data.factor": _NO_FACTOR, "data.path": _NO_PATH}
        for name in ("moons", "xor", "spiral", "gauss")
    },
    "blobs": {
        "data.factor": _NO_FACTOR,
        "data.noise": "data.dataset blobs has a fixed spread; data.noise applies to circles and moons",
        "data.path": _NO_PATH,
    },
    "csv": {
        "data.n_samples": "data.dataset csv has the points of data.path; data.n_samples is its row count",
        "data.factor": _NO_FACTOR,
        "data.noise": "data.dataset csv uses the points of data.path as they are",
    },
}


def ignored_by_dataset(config: Config) -> dict[str, str]:
    """{key: why} for the settings config.data.dataset does not use."""
    return dict(DATASET_IGNORES.get(config.data.dataset, {}))


def dump_yaml(config: Config) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)


def config_keys() -> list[str]:
    """Every settable key, dotted as --set takes it: seed, data.n_samples, ..., training.restarts."""
    return list(leaves(Config().model_dump(mode="json")))  # data.path too


def leaves(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"training": {"epochs": 5}} -> {"training.epochs": 5}: every leaf by its dotted key."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
