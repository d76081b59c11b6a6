"""The TensorFlow runtime: starting it quietly on one thread with XLA's compiled kernels kept between
processes, and seeding every generator a run uses."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# TensorFlow releases whose TF_XLA_FLAGS know --tf_xla_persistent_cache_directory (an unknown flag
# there stops the process), checked up to the newest one this project has run on
XLA_CACHE_RELEASES = ((2, 13), (2, 21))


def load_tensorflow() -> None:
    """Import TensorFlow and Keras quietly, and run TensorFlow on one thread.

    One thread: this network's ops are tiny, and handing them between threads costs more than it
    saves. Measured here: 100 seeds train in 1.6 s instead of 2.8 s, 1000 in 9.1 s instead of 11.8 s,
    one run no slower, and the results are bitwise the same. (It only takes effect before TensorFlow's
    runtime starts, so a process that already used TensorFlow keeps its settings.)

    Quiet: TF_CPP_MIN_LOG_LEVEL=2 hides INFO and WARNING lines, but TensorFlow 2.21 writes a few
    (oneDNN, "could not find cuda drivers", cuInit) before its logger is initialised, when the level is
    not yet honoured. So stderr is pointed at /dev/null while TensorFlow starts, unless the user set
    TF_CPP_MIN_LOG_LEVEL to 0 or 1 to see them. Python exceptions are unaffected.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        _start_tensorflow()
        return
    keep_xla_kernels()
    with quiet_native_stderr():
        _start_tensorflow()


@contextmanager
def quiet_native_stderr():
    """Point file descriptor 2 at /dev/null for the block, for what TensorFlow's C++ writes there
    regardless of TF_CPP_MIN_LOG_LEVEL=2 (see `load_tensorflow`); nothing changes when the user set
    TF_CPP_MIN_LOG_LEVEL to 0 or 1 to see such lines. Python's exceptions are raised as always (their
    tracebacks are printed after the block)."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") in ("0", "1"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def keep_xla_kernels() -> Path | None:
    """Keep the kernels XLA compiles for the epoch's sums (engine/dense.py) in a folder, where a later
    process reads them back: TensorFlow's persistent cache. A run's first epoch compiles seven, about
    0.3 s of a 2-second run; read back, they take milliseconds. TensorFlow uses an entry only when the
    computation it would compile is the one stored (it compares the whole HLO), so the numbers are the
    same either way (a test). Reading an entry, TensorFlow 2.21 logs three lines at ERROR level that
    are not errors (a failed parse as text before the binary parse that succeeds, and two tuning
    hints of LLVM's that it takes for CPU features), so the trainer's first call, where entries are
    read, runs with `quiet_native_stderr`.

    Compiled kernels are machine code for one CPU, so the folder is named after the CPU's model and
    flags and TensorFlow's version: a home shared between machines never hands one machine's code to
    another. The folder is $CIRCLES_HINGE_XLA_CACHE, or circles-hinge/xla/<that name> in the user's
    cache folder ($XDG_CACHE_HOME, or ~/.cache). None, and nothing kept, when
    CIRCLES_HINGE_XLA_CACHE=off, when TF_XLA_FLAGS names a cache already, when the folder cannot be
    written, or for a TensorFlow release outside XLA_CACHE_RELEASES. Set before TensorFlow starts."""
    chosen = os.environ.get("CIRCLES_HINGE_XLA_CACHE", "")
    flags = os.environ.get("TF_XLA_FLAGS", "")
    known = XLA_CACHE_RELEASES[0] <= _release("tensorflow") <= XLA_CACHE_RELEASES[1]
    if chosen == "off" or "persistent_cache" in flags or not known:
        return None
    if chosen:
        folder = Path(chosen)
    else:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        signature = f"{_cpu_signature()} tensorflow {version('tensorflow')}"
        folder = home / "circles-hinge" / "xla" / hashlib.sha256(signature.encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK) or any(c.isspace() for c in str(folder)):  # flags split on spaces
        return None
    os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={folder}".strip()
    return folder


def _release(package: str) -> tuple[int, int]:
    try:
        major, minor = version(package).split(".")[:2]
        return int(major), int(minor)
    except (PackageNotFoundError, ValueError):
        return (0, 0)


def _cpu_signature() -> str:
    """The CPU's model and feature flags (Linux' /proc/cpuinfo), else what `platform` says of it."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    wanted = [line for line in lines if line.startswith(("model name", "flags"))][:2]
    return " ".join(wanted) or f"{platform.machine()} {platform.processor()}"


def _start_tensorflow() -> None:
    import keras  # noqa: F401
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime has started already (e.g. in a test session)
        pass
    tf.constant(0.0).numpy()  # device start-up, where the cuInit line is written


def seed_everything(seed: int) -> None:
    """Python, NumPy and TensorFlow generators from one seed, and deterministic TensorFlow ops."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
