"""Reading a config: YAML with the safe loader (a key given twice is refused), `--set dotted.key=value`
overrides parsed as YAML, and the order they apply in: defaults < file (or the API's dict) < --set (or
the API's overrides) < named options. The result is validated by config.py's schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from circles_hinge.config import Config, expected, is_section, leaves, show, validate
from circles_hinge.errors import ConfigError
from circles_hinge.files import CONFIG_MAX_BYTES, FileProblem, read_bytes


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


def refused_tag(exc: yaml.constructor.ConstructorError) -> str:
    """'uses the tag !!python/object:os.system, which is never run: ...' for a tag the safe loader refuses."""
    found = re.search(r"tag '([^']+)'", str(exc.problem or ""))
    tag = found.group(1).replace("tag:yaml.org,2002:", "!!") if found else "a YAML tag"
    return (
        f"uses the tag {tag}, which is never run or constructed here; give a plain value "
        "(a number, text, a list, true, false or null)"
    )


def read_yaml(path: Path, option: str = "--config") -> dict[str, Any]:
    """Read a config file with the safe loader: tags such as !!python/object are refused, never run.
    `option` names it in messages: --config, or '' for a folder's own config.yaml."""
    name = f"{option} {path}".strip()
    try:
        raw = read_bytes(path, CONFIG_MAX_BYTES)  # a regular file of bounded size: not /dev/zero, not a FIFO
    except FileProblem as exc:
        if exc.missing:
            raise ConfigError(f"{name}: no such file") from None
        if not option:
            raise ConfigError(f"{name} {exc.why}") from None
        if path.is_dir():
            raise ConfigError(
                f"{name} is a directory; give a YAML file such as configs/default.yaml"
            ) from None
        raise ConfigError(f"{name} {exc.why}; give a YAML file such as configs/default.yaml") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = safe_load(text)
    except DuplicateKeyError as exc:
        first, second = exc.lines
        raise ConfigError(
            f"{name}: {exc.key} is given twice, at lines {first} and {second}; keep one"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{name}{at} {refused_tag(exc)}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{name} is not valid YAML{at}: {problem}") from None
    if data is None and not option:
        raise ConfigError(f"{name} is empty")
    if data is None:
        raise ConfigError(
            f"{name} is empty; write the keys to change (e.g. 'training: {{epochs: 50}}') "
            "or leave out --config"
        )
    if not isinstance(data, dict):
        raise ConfigError(f"{name} must hold a mapping of config keys — got a {type(data).__name__}")
    return data


def _names_section(dotted: str) -> bool:
    """True for data, model and training: the keys whose value is itself a mapping of keys."""
    annotation: Any = Config
    for part in dotted.split("."):
        field = annotation.model_fields.get(part) if is_section(annotation) else None
        if field is None:
            return False
        annotation = field.annotation
    return is_section(annotation)


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
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(f"--set {key}: the value {text!r} {refused_tag(exc)}") from None
    except yaml.YAMLError:
        raise ConfigError(f"--set {key}: the value {text!r} is not valid YAML") from None
    nested: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        nested = {part: nested}
    return nested


@dataclass(frozen=True)
class Labels:
    """How a request's sources are named in messages: the command line's words, or the API's."""

    set_item: Callable[[str], str] = lambda item: f"--set {item}"
    named: Callable[[str], str] = lambda name: f"--{name}"
    base: str = "config"
    overrides: str = "--set"  # the overrides as one source (a check across fields names every source)


API_LABELS = Labels(
    set_item=lambda item: f"overrides[{item.partition('=')[0]!r}]",
    named=lambda name: f"{name}=",
    base="config",
    overrides="overrides",
)


def resolve_config(
    path: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    *,
    loss: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    base: dict[str, Any] | None = None,
    labels: Labels = Labels(),
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[Config, dict[str, tuple[Any, str]]]:
    """The Config (defaults, then `base` (the API's dict) or the YAML file, then `--set` overrides,
    then the named options), and what the file and --set asked for: {dotted key: (value, where)}, so a
    command can warn about a setting it ignores. A file's value equal to the default is left out: a
    file that spells out every default (configs/default.yaml) asks for nothing. A bad value's message
    says where it was given, in `labels`' words. `prepare` may complete the merged settings before they
    are validated (the door reads a file of points there and fills in its row count)."""
    raw: dict[str, Any] = {}
    origins: dict[str, str] = {}
    source = ""
    if base is not None:
        raw = _merge(raw, base, labels.base, origins)
        source = labels.base
    if path is not None:
        raw = _merge(raw, read_yaml(Path(path)), str(path), origins)
        source = str(path)
    set_origins = {labels.set_item(item) for item in overrides}
    for item in overrides:
        raw = _merge(raw, parse_set(item), labels.set_item(item), origins)
    asked = {key: (value, origins[key]) for key, value in leaves(raw).items()}
    for name, key, value in (("loss", "training.loss", loss), ("epochs", "training.epochs", epochs)):
        if value is not None:
            raw = _merge(raw, {"training": {key.split(".")[1]: value}}, labels.named(name), origins)
    if seed is not None:
        raw = _merge(raw, {"seed": seed}, labels.named("seed"), origins)
    given_here = [labels.overrides] if overrides else []
    given_here += [
        labels.named(n) for n, v in (("loss", loss), ("seed", seed), ("epochs", epochs)) if v is not None
    ]
    if given_here:  # a check across fields names every source it read
        source = " + ".join([source, *given_here] if source else given_here)
    if prepare is not None:
        raw = prepare(raw)
    config = validate(raw, source, origins)
    defaults = leaves(Config().to_dict())
    given = {
        key: (value, where)
        for key, (value, where) in asked.items()
        if where in set_origins or key not in defaults or value != defaults[key]
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


def load_folder_config(path: Path) -> Config:
    """A folder's own config.yaml (as a run, comparison or sweep wrote it), read back and validated;
    ConfigError naming the file, not --config, when it is missing or damaged."""
    return validate(read_yaml(path, option=""), str(path))
