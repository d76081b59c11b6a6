"""Shared fixtures and helpers: the tiny CI config (100 samples, 2 epochs), quiet TensorFlow, the tiny
comparison and seed-study folders (made once per session) that several test files read, a sweep through
the door, and which tests are slow (`make test-fast` leaves them out)."""

import ctypes
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# XLA's kept kernels (engine/runtime.py) in a folder of this session's, not the user's cache: the first
# processes compile and write them, the later ones read them back
os.environ.setdefault("CIRCLES_HINGE_XLA_CACHE", tempfile.mkdtemp(prefix="circles-hinge-xla-"))

# The slow tests: real processes (signals, the console script, worker processes), tmpfs disks, headless
# Chromium, and stock Keras' model.fit. `make test-fast` (pytest -m "not slow") leaves them out for a
# quick loop; `make test`, which CI runs, runs everything.
SLOW_FILES = {"test_reliability.py", "test_sweep_report.py"}
SLOW_TESTS = {
    "test_help_does_not_import_tensorflow_or_pydantic",
    "test_bad_config_exits_before_tensorflow_loads",
    "test_replays_beyond_the_limit_exit_2_before_tensorflow_loads",
    "test_real_process_bad_config_prints_one_line",
    "test_json_puts_one_document_on_stdout_and_the_rest_on_stderr",
    "test_shell_completion_offers_losses_config_keys_and_folders",
    "test_status_records_python_dash_m_in_a_real_process",
    "test_seed_s_follows_stock_model_fit_epoch_by_epoch",
    "test_weights_agree_with_stock_model_fit",
    "test_the_batches_model_fit_trains_on_are_this_order",
    "test_workers_and_merged_shards_write_the_bytes_of_one_process",
    "test_a_good_start_trains_once_and_equals_the_plain_single_run",
    "test_an_interrupted_sweep_keeps_its_finished_values_and_resume_finishes_it",
    "test_every_folder_state_against_every_command_that_reads_folders",
    "test_a_one_key_sweep_shards_and_merges_to_the_unsharded_bytes",
    "test_a_stopped_shard_resumes",
    "test_merge_partial_marks_every_file_and_prints_the_missing_commands",
    "test_a_file_compares_side_by_side_and_in_a_seed_study_and_sweeps_its_test_size",
    "test_a_seed_study_fits_the_baselines_on_the_seed_it_shows",
    "test_kept_kernels_train_the_same_numbers_quietly",
}
# Tables of cases whose first case stays in the quick loop and whose others are slow.
FIRST_CASE_FAST = {
    "test_a_replica_is_the_single_run_bit_for_bit",
    "test_seed_s_is_the_same_run_alone_and_in_studies_of_3_and_50",
    "test_a_chunked_epoch_is_the_whole_epoch_bit_for_bit",
    "test_playground_sets_train_compare_and_sweep_a_noise_grid",
    "test_scikit_learns_margin_losses_train_on_circles_and_reload_from_model_keras",
}


# What tests/test_pages.py measured (each page's width at each window width, and in print), shown at
# the end of the run
PAGE_WIDTHS: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if PAGE_WIDTHS:
        terminalreporter.section("page widths measured in headless Chromium")
        for line in PAGE_WIDTHS:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(items):
    first_seen = set()
    for item in items:
        browser = any("Chromium" in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif"))
        later_case = item.originalname in FIRST_CASE_FAST and item.originalname in first_seen
        first_seen.add(item.originalname)
        if browser or later_case or item.path.name in SLOW_FILES or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "tiny.yaml"
DEFAULT = ROOT / "configs" / "default.yaml"


@pytest.fixture
def tiny_config():
    from circles_hinge.loading import load_config

    return load_config(TINY)


@pytest.fixture
def tiny_path() -> Path:
    return TINY


# The tiny comparison folders several test files read, and checks they share


def load_strict(path):
    """JSON as written, refusing NaN and Infinity, which are not JSON."""

    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def read_status(path):
    return json.loads((path / "status.json").read_text())


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def side_by_side(runs_dir):
    from circles_hinge.loading import load_config
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.requests import check_comparison

    progress = []
    request = check_comparison(load_config(TINY), ["hinge", "squared_hinge"], None)
    result = run_comparison(request, runs_dir, on_progress=lambda *a: progress.append(a))
    return result, progress


@pytest.fixture(scope="session")
def study(runs_dir):
    from circles_hinge.loading import load_config
    from circles_hinge.studies.comparison import run_comparison
    from circles_hinge.studies.requests import check_comparison

    return run_comparison(
        check_comparison(load_config(TINY), ["hinge", "squared_hinge"], 3, "study"), runs_dir
    )


def check_common_report(path, report, kind):
    assert read_status(path)["status"] == "complete" and read_status(path)["kind"] == kind
    assert load_strict(path / f"{'comparison' if kind == 'compare' else kind}.json") == report
    assert {"results", "seconds", "seeds_label", "config", "versions"} <= set(report)
    assert isinstance(report["seconds"], float) and report["config"]["data"]["n_samples"] == 100
    assert not list(path.glob(".*")), "no temporary files are left behind"


def one_key_sweep(config, param, values, losses, runs_dir, seeds, name=None, on_progress=None, workers=1):
    """`sweep --param KEY --values ...` through the door, as the CLI and the API run it."""
    from circles_hinge.studies.door import Ask, plan_sweep
    from circles_hinge.studies.sweeps import run_sweep

    plan = plan_sweep(Ask(config), [(param, values)], losses, seeds, runs_dir, name, None, workers, "--param")
    return run_sweep(plan, on_progress)


# ---------------------------------------------------------------------------------------------------
# Acting as a user that file permissions apply to


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


_CAP_V3 = 0x20080522
_DAC = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


def _capabilities(set_to: int | None = None) -> int:
    """The effective capabilities of this thread (the low 32), after setting them to `set_to`."""
    libc = ctypes.CDLL(None, use_errno=True)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(_CapHeader(_CAP_V3, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    if set_to is not None:
        data[0].effective = set_to
        if libc.capset(ctypes.byref(_CapHeader(_CAP_V3, 0)), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
    return data[0].effective


def _why_permissions_cannot_apply() -> str | None:
    if os.geteuid() != 0:
        return None  # file permissions apply as they are
    if not sys.platform.startswith("linux"):
        return "root reads any file here, and capabilities are Linux's"
    try:
        saved = _capabilities()
        _capabilities(saved & ~_DAC)
        _capabilities(saved)
    except OSError as exc:
        return f"root reads any file, and its capabilities cannot be dropped here ({exc})"
    return None


PERMISSIONS_SKIP = _why_permissions_cannot_apply()


@contextmanager
def as_a_user():
    """File permissions apply inside (root's DAC capabilities off for this thread)."""
    if os.geteuid() != 0:
        yield
        return
    saved = _capabilities()
    _capabilities(saved & ~_DAC)
    try:
        yield
    finally:
        _capabilities(saved)
