"""Config: defaults, files, precedence, and every rejection — each a one-line ConfigError."""

import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import DEFAULT, TINY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from circles_hinge.config import Config, dump_yaml, ignored_by_dataset, validate
from circles_hinge.errors import ConfigError
from circles_hinge.loading import load_config, parse_set, resolve_config


def test_builtin_defaults_equal_default_yaml():
    assert load_config(DEFAULT) == Config()

    # and the file spells out every key, nested ones included, so it documents the whole schema
    def keys(d, prefix=""):
        return {
            k
            for key, v in d.items()
            for k in (keys(v, f"{prefix}{key}.") if isinstance(v, dict) else {f"{prefix}{key}"})
        }

    assert keys(yaml.safe_load(DEFAULT.read_text())) == keys(Config().to_dict())


def test_defaults_are_the_tutorials():
    c = Config()
    assert (c.seed, c.data.n_samples, c.data.test_size, c.data.factor, c.data.noise) == (
        42,
        1000,
        250,
        0.1,
        0.0,
    )
    assert (c.model.hidden_units, c.model.hidden_activation, c.model.kernel_initializer) == (
        [4, 2],
        "relu",
        "he_uniform",
    )
    t = c.training
    assert (t.loss, t.learning_rate, t.epochs, t.batch_size, t.validation_split) == (
        "hinge",
        0.03,
        30,
        5,
        0.2,
    )


def test_tiny_config_is_small():
    c = load_config(TINY)
    assert c.data.n_samples <= 120 and c.training.epochs <= 3


def test_precedence_defaults_then_file_then_set_then_named_options(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("seed: 1\ntraining: {epochs: 5, loss: squared_hinge, batch_size: 10}\ndata: {noise: 0.05}\n")
    c = load_config(f, ["training.epochs=7", "seed=2"], seed=3)
    assert c.training.batch_size == 10  # file over default
    assert c.data.noise == 0.05 and c.data.n_samples == 1000  # merged, not replaced
    assert c.training.epochs == 7  # --set over file
    assert c.seed == 3  # named option over --set
    assert c.training.loss == "squared_hinge"
    assert load_config(f, [], loss="hinge", epochs=9).training.epochs == 9


def test_set_values_are_yaml():
    assert parse_set("model.hidden_units=[8, 4]") == {"model": {"hidden_units": [8, 4]}}
    assert load_config(None, ["data.noise=0.1"]).data.noise == 0.1
    assert load_config(None, ["training.shuffle=false"]).training.shuffle is False


def test_resolved_config_round_trips(tmp_path):
    c = load_config(None, ["training.loss=squared_hinge", "seed=7"])
    f = tmp_path / "config.yaml"
    f.write_text(dump_yaml(c))
    assert load_config(f) == c


# --- rejections: a table of hand-picked cases ---------------------------------------------------
@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("data.factor=1.5", "data.factor must be a finite number in [0, 1) — got 1.5"),
        ("data.factor=1", "data.factor"),
        ("data.noise=-0.1", "data.noise must be a finite number >= 0"),
        ("data.test_size=0", "data.test_size must be an integer > 0"),
        ("data.test_size=1000", "data.test_size must be smaller than data.n_samples (1000) — got 1000"),
        ("training.validation_split=1", "training.validation_split must be a finite number in [0, 1)"),
        ("training.validation_split=0.9999", "leaves no training samples"),
        ("training.learning_rate=0", "training.learning_rate must be a finite number > 0 — got 0"),
        ("training.learning_rate=.inf", "training.learning_rate must be a finite number > 0"),
        ("training.learning_rate=.nan", "training.learning_rate must be a finite number > 0"),
        ("training.epochs=0", "training.epochs must be an integer in [1, 1000000] — got 0"),
        ("training.epochs=1000001", "training.epochs must be an integer in [1, 1000000] — got 1000001"),
        ("data.n_samples=100000001", "data.n_samples must be an integer in [2, 100000000] — got 100000001"),
        ("training.epochs=2.5", "training.epochs must be an integer in [1, 1000000] — got 2.5"),
        ("training.epochs=true", "training.epochs must be an integer in [1, 1000000] — got true"),
        ("training.batch_size=0", "training.batch_size must be an integer >= 1"),
        ("model.hidden_units=[4, 0]", "model.hidden_units[1] must be an integer >= 1 — got 0"),
        ("model.hidden_units=[]", "model.hidden_units must be a non-empty list of integers >= 1 — got []"),
        ("seed=-1", "seed must be an integer in [0, 4294967295] — got -1"),
        ("seed=4294967296", "seed must be an integer in [0, 4294967295]"),
        ("training.loss=cross_entropy", "training.loss must be one of hinge, squared_hinge"),
        ("model.hidden_activation=sigmoidal", "model.hidden_activation must be one of relu"),
        ("data.fator=0.2", "data.fator is not a known key; allowed here: dataset, n_samples"),
        ("trainig.epochs=3", "trainig is not a known key; allowed here: seed, data, model, training"),
        (
            "data=3",
            "data must be a mapping of data keys (dataset, n_samples, test_size, factor, noise, path)",
        ),
        ("data.dataset=blobs", "two-class loss but data.dataset blobs has 3 classes"),
    ],
)
def test_rejections_name_key_value_and_what_is_allowed(override, needle):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    message = str(err.value)
    assert needle in message
    assert "\n" not in message


@pytest.mark.parametrize("item", ["training.epochs", "=3", "training..epochs=3", "training.epochs="])
def test_malformed_set_is_rejected(item):
    with pytest.raises(ConfigError, match="--set"):
        load_config(None, [item])


# --- rejections generated from the schema, so a new field cannot skip them ------------------------
def _leaf_fields(model: type[BaseModel] = Config, prefix: str = ""):
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _leaf_fields(ann, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def _bad_values(key: str, field) -> list[str]:
    ann = field.annotation
    bounds = {type(m).__name__ for m in field.metadata}
    bad = ["''", "{a: 1}"]  # an empty string and a mapping are never valid for a leaf
    if ann in (int, float):
        bad += [".nan", ".inf", "-.inf", "[1, 2]", "'3'"]
        if bounds & {"Ge", "Gt"}:
            bad.append("-1")
    if ann is int:
        bad.append("1.5")
    if ann is bool:
        bad.append("maybe")
    return bad


SCHEMA_CASES = [(key, value) for key, field in _leaf_fields() for value in _bad_values(key, field)]


def test_schema_cases_cover_every_field():
    keys = {key for key, _ in SCHEMA_CASES}
    assert keys == {key for key, _ in _leaf_fields()}
    assert len(keys) >= 15


# pydantic's own phrases; none may reach the user
PYDANTIC_WORDING = (
    "Input should",
    "should be",
    "valid dictionary",
    "instance of",
    "List should",
    "after validation",
    "valid integer",
    "valid number",
    "valid boolean",
    "valid list",
    "Value error",
    "type=",
    "pydantic",
    "Config'",
)


@pytest.mark.parametrize(("key", "value"), SCHEMA_CASES)
def test_every_field_rejects_bad_values(key, value):
    with pytest.raises(ConfigError) as err:
        load_config(None, [f"{key}={value}"])
    message = str(err.value)
    assert message.startswith(f"{key} must be "), message
    assert " — got " in message and "\n" not in message
    assert not [w for w in PYDANTIC_WORDING if w in message], message


# --- every validator's message, whole: one row per kind of error the schema can raise -------------
ALLOWED_DATA = "dataset, n_samples, test_size, factor, noise, path"
ACTIVATIONS = "relu, tanh, sigmoid, elu, selu, gelu, silu, leaky_relu, linear"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        # a section that is not a mapping (pydantic: "valid dictionary or instance of DataConfig")
        ("data=5", f"data must be a mapping of data keys ({ALLOWED_DATA}) — got 5"),
        (
            "model=[4, 2]",
            "model must be a mapping of model keys (hidden_units, hidden_activation, "
            "kernel_initializer, output_activation) — got [4, 2]",
        ),
        (
            "training='fast'",
            "training must be a mapping of training keys (loss, learning_rate, epochs, "
            "batch_size, validation_split, shuffle, restarts) — got 'fast'",
        ),
        # lists (pydantic: "List should have at least 1 item after validation, not 0")
        ("model.hidden_units=[]", "model.hidden_units must be a non-empty list of integers >= 1 — got []"),
        ("model.hidden_units=4", "model.hidden_units must be a non-empty list of integers >= 1 — got 4"),
        ("model.hidden_units=[4, 0]", "model.hidden_units[1] must be an integer >= 1 — got 0"),
        ("model.hidden_units=[x]", "model.hidden_units[0] must be an integer >= 1 — got 'x'"),
        ("model.hidden_units=[2.5]", "model.hidden_units[0] must be an integer >= 1 — got 2.5"),
        # integers: wrong type, then each kind of bound
        ("training.epochs='3'", "training.epochs must be an integer in [1, 1000000] — got '3'"),
        ("training.epochs=null", "training.epochs must be an integer in [1, 1000000] — got null"),
        ("training.epochs=0", "training.epochs must be an integer in [1, 1000000] — got 0"),
        (
            "data.test_size=0",
            "data.test_size must be an integer > 0 or a finite number in (0, 1), or null — got 0",
        ),
        (
            "data.test_size=1.5",
            "data.test_size must be an integer > 0 or a finite number in (0, 1), or null — got 1.5",
        ),
        ("data.path=''", "data.path must be a non-empty file path, or null — got ''"),
        (
            "data.dataset=csv",
            "data.path must name a CSV file of points (columns x1,x2,label) for data.dataset csv; "
            "e.g. --set data.path=points.csv",
        ),
        ("training.restarts=1000", "training.restarts must be an integer in [0, 999] — got 1000"),
        ("seed=4294967296", "seed must be an integer in [0, 4294967295] — got 4294967296"),
        # numbers
        ("data.factor=x", "data.factor must be a finite number in [0, 1) — got 'x'"),
        ("data.factor=1", "data.factor must be a finite number in [0, 1) — got 1"),
        ("data.noise=-.inf", "data.noise must be a finite number >= 0 — got -.inf"),
        ("training.learning_rate=.nan", "training.learning_rate must be a finite number > 0 — got .nan"),
        # booleans and choices
        ("training.shuffle=1", "training.shuffle must be one of true, false, every_epoch — got 1"),
        ("training.shuffle=each", "training.shuffle must be one of true, false, every_epoch — got 'each'"),
        (
            "data.dataset=rings",
            "data.dataset must be one of circles, moons, blobs, xor, spiral, gauss, csv — got 'rings'",
        ),
        (
            "model.output_activation=soft",
            f"model.output_activation must be one of {ACTIVATIONS}, or null — got 'soft'",
        ),
        # unknown keys
        ("data.fator=0.2", f"data.fator is not a known key; allowed here: {ALLOWED_DATA}"),
        # our own validators, across fields
        ("data.test_size=1000", "data.test_size must be smaller than data.n_samples (1000) — got 1000"),
        (
            "training.validation_split=0.9999",
            "training.validation_split 0.9999 leaves no training "
            "samples out of 750; change data.n_samples, data.test_size or training.validation_split",
        ),
        (
            "data.dataset=blobs",
            "training.loss hinge is a two-class loss but data.dataset blobs has 3 "
            "classes; use categorical_hinge or multiclass_svm",
        ),
    ],
)
def test_every_validator_message_whole(override, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    # a bad value names where it was given; a check across fields names the sources together
    assert str(err.value) in (f"{message} (--set {override})", f"{message} (--set)"), str(err.value)
    assert not [w for w in PYDANTIC_WORDING if w in str(err.value)]


def test_a_whole_config_that_is_not_a_mapping():
    with pytest.raises(ConfigError) as err:
        validate(5)
    assert (
        str(err.value) == "the config must be a mapping of config keys (seed, data, model, training) — got 5"
    )


# --- files --------------------------------------------------------------------------------------
def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(f"seed: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match="uses the tag !!python/object/apply:os.system, which is never run"):
        load_config(f)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "is empty"),
        (b"# only a comment\n", "is empty"),
        (b"training: {epochs: 3\n", "not valid YAML at line"),
        (b"data:\n  n_samples: 10\n test_size: 3\n", "not valid YAML"),
        (b"- 1\n- 2\n", "must hold a mapping of config keys — got a list"),
        (b"just a string", "must hold a mapping"),
        (b"seed: 1\xff\xfe\n", "is not UTF-8"),
        (b"training:\n  epochs: -3\n", "training.epochs must be an integer in [1, 1000000] — got -3"),
    ],
)
def test_bad_files_get_one_clear_line(tmp_path, content, needle):
    f = tmp_path / "bad.yaml"
    f.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert needle in str(err.value)
    assert str(f) in str(err.value)
    assert "\n" not in str(err.value)


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


# --- fuzzing: any YAML document gives a Config or a clean ConfigError ---------------------------
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
keys = st.sampled_from(
    [
        "seed",
        "data",
        "model",
        "training",
        "n_samples",
        "test_size",
        "factor",
        "noise",
        "epochs",
        "loss",
        "hidden_units",
        "batch_size",
        "learning_rate",
        "validation_split",
        "dataset",
        "zzz",
    ]
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=12,
)
tags = st.sampled_from(
    [
        "",
        "!!python/object/apply:os.getcwd []",
        "!!binary aGk=",
        "!custom x",
        "!!set {a, b}",
        "!!timestamp 2020-01-01",
        "&a [1] ",
        "*undefined",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents, tag=tags, key=keys)
def test_fuzzed_yaml_gives_config_or_config_error(tmp_path, doc, tag, key):
    text = yaml.safe_dump(doc) + (f"{key}: {tag}\n" if isinstance(doc, dict) and tag else "")
    f = tmp_path / "fuzz.yaml"
    f.write_text(text)
    try:
        result = load_config(f)
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, Config)


def test_validate_builds_config_from_dict():
    assert validate({"training": {"epochs": 3}}).training.epochs == 3
    with pytest.raises(ConfigError, match=r"\(here\)"):
        validate({"training": {"epochs": 0}}, "here")


def test_scientific_notation_without_a_dot_is_a_number():
    """YAML 1.1 would read 1e-3 as a string; a user means the number."""
    assert load_config(None, ["training.learning_rate=1e-3"]).training.learning_rate == 0.001
    assert load_config(None, ["training.learning_rate=3E-2"]).training.learning_rate == 0.03


def test_set_can_give_null_where_null_is_allowed():
    """model.output_activation=null means "what the loss needs"; --set must be able to say it."""
    assert load_config(None, ["model.output_activation=tanh", "model.output_activation=null"]) == Config()


# --- a section that is not a mapping is never replaced silently ------------------------------------
@pytest.mark.parametrize(
    ("text", "sets", "named", "message"),
    [
        (
            "data: 5\n",
            ["data.n_samples=100"],
            {},
            f"data must be a mapping of data keys ({ALLOWED_DATA}) — got 5",
        ),
        (
            "data:\n",
            ["data.noise=0.1"],
            {},
            f"data must be a mapping of data keys ({ALLOWED_DATA}) — got null",
        ),
        ("training: fast\n", [], {"loss": "hinge"}, "training must be a mapping of training keys"),
        ("seed: 1\n", ["data=[1]", "data.noise=0.1"], {}, "got [1] (--set data=[1])"),
    ],
)
def test_a_section_that_is_not_a_mapping_is_an_error_when_a_later_source_adds_to_it(
    tmp_path, text, sets, named, message
):
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(f, sets, **named)
    assert message in str(err.value)
    assert str(err.value).endswith(")") and "\n" not in str(err.value)
    if "--set" not in message:
        assert str(err.value).endswith(f"({f})"), "names the file that holds the bad value"


# --- a key given twice in one mapping ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: 1\ndata: {noise: 0.1}\nseed: 2\n", "seed is given twice, at lines 1 and 3; keep one"),
        (
            "training:\n  epochs: 3\n  loss: hinge\n  epochs: 5\n",
            "training.epochs is given twice, at lines 2 and 4; keep one",
        ),
        ("data:\n  noise: 0.1\ndata:\n  factor: 0.2\n", "data is given twice, at lines 1 and 3; keep one"),
    ],
)
def test_duplicate_keys_are_an_error_naming_the_key_and_both_lines(tmp_path, text, message):
    f = tmp_path / "dup.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert str(err.value) == f"--config {f}: {message}"


def test_yaml_merge_keys_and_anchors_are_not_duplicates(tmp_path):
    f = tmp_path / "merge.yaml"
    f.write_text("data: &d {noise: 0.1}\ntraining:\n  <<: {epochs: 3, batch_size: 7}\n  epochs: 4\n")
    config = load_config(f)
    assert (config.training.epochs, config.training.batch_size, config.data.noise) == (4, 7, 0.1)
    with pytest.raises(ConfigError, match="the value names epochs twice"):
        parse_set("training={epochs: 3, epochs: 4}")


# --- what the file and --set asked for, so a command can say what it ignores ------------------------
def test_resolve_reports_what_was_asked_and_from_where(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("training: {restarts: 19, epochs: 5}\ndata: {noise: 0.05}\n")
    config, given = resolve_config(f, ["data.factor=0.2", "training.restarts=19"], loss="squared_hinge")
    assert config.training.loss == "squared_hinge" and config.training.epochs == 5
    assert given == {
        "training.epochs": (5, str(f)),
        "data.noise": (0.05, str(f)),
        "data.factor": (0.2, "--set data.factor=0.2"),
        "training.restarts": (19, "--set training.restarts=19"),  # asked on the command line
    }
    # a named option (compare passes --losses' first as loss) does not hide what --set asked for
    _, given = resolve_config(None, ["training.loss=binary_crossentropy"], loss="hinge")
    assert given == {"training.loss": ("binary_crossentropy", "--set training.loss=binary_crossentropy")}
    # a file that spells out every default (configs/default.yaml) asks for nothing
    assert resolve_config(DEFAULT)[1] == {}


def test_ignored_by_dataset():
    assert set(ignored_by_dataset(Config())) == {"data.path"}
    for name in ("moons", "xor", "spiral", "gauss"):
        assert set(ignored_by_dataset(load_config(None, [f"data.dataset={name}"]))) == {
            "data.factor",
            "data.path",
        }
    blobs = load_config(None, ["data.dataset=blobs"], loss="categorical_hinge")
    assert set(ignored_by_dataset(blobs)) == {"data.factor", "data.noise", "data.path"}
    csv = load_config(None, ["data.dataset=csv", "data.path=points.csv"])  # the schema alone reads no file
    assert set(ignored_by_dataset(csv)) == {"data.n_samples", "data.factor", "data.noise"}


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: Path("/dev/zero"), "--config /dev/zero is a device, not a regular file"),
        (
            lambda p: (os.mkfifo(p / "fifo.yaml"), p / "fifo.yaml")[1],
            "is a named pipe (FIFO), not a regular file",
        ),
        (
            lambda p: (p / "big.yaml").write_bytes(b"#" * (2**20 + 1)) and p / "big.yaml",
            "is 1,048,577 bytes (1 MiB); at most 1 MiB is read",
        ),
        (lambda p: (p / "link.yaml").symlink_to(p / "nowhere") or p / "link.yaml", "is a link to"),
    ],
)
def test_a_config_that_is_no_regular_file_or_too_big_is_refused_before_it_is_read(tmp_path, make, said):
    """#23 case 5: --config /dev/zero was read without end (4.9 GB in 5 s); a FIFO would block."""
    path = make(tmp_path)
    with pytest.raises(ConfigError, match=re.escape(said)) as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_a_yaml_tag_is_refused_as_a_tag_and_no_anchor_shows(tmp_path):
    """#23 case 8: a !!python tag in --set was called "not valid YAML"; YAML anchors (&id001) leaked."""
    with pytest.raises(
        ConfigError, match=r"--set seed: the value '!!python/object:os.system x' uses the tag "
    ):
        load_config(None, ["seed=!!python/object:os.system x"])
    (tmp_path / "tag.yaml").write_text("seed: !!python/name:os.system\n")
    with pytest.raises(
        ConfigError, match=r"tag.yaml at line 1 uses the tag !!python/name:os.system, which is"
    ):
        load_config(tmp_path / "tag.yaml")
    (tmp_path / "anchors.yaml").write_text("data:\n  noise: &x [1, 2]\n  factor: [*x, *x]\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "anchors.yaml")
    assert "got [[1, 2], [1, 2]]" in str(err.value) and "&" not in str(err.value)
