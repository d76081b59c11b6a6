"""Where a result was made: library versions, the project's git commit, the OS, the CPU and its vector
extensions, TensorFlow's build and oneDNN setting, and a hash of the installed packages.

Recorded in every run, comparison and sweep folder, so a number can be traced to the machine and
software that produced it. Nothing here imports TensorFlow unless it is already loaded.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path
from typing import Any

PACKAGES = ("tensorflow", "keras", "numpy", "scikit-learn", "mlxtend", "matplotlib")
# The CPU flags that decide how floating-point kernels are compiled and dispatched.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile")


def versions() -> dict[str, str]:
    """The library versions a result depends on."""
    out = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def machine(build: dict[str, Any] | None = None, system: dict[str, Any] | None = None) -> dict[str, Any]:
    """The machine and software a result came from (see the module docstring); `build`: the TensorFlow
    build that trained it, when that was another process's (a sweep's workers); `system`: the rest,
    when another process has read it already (`system_record`, in a run's figure process)."""
    read = system or system_record()
    first = {key: read[key] for key in ("os", "cpu", "cpu_vector_extensions", "cores")}
    rest = {key: value for key, value in read.items() if key not in first}
    return {**first, "tensorflow_build": build or tensorflow_build(), **rest}


def system_record() -> dict[str, Any]:
    """Everything `machine` records except TensorFlow's build: the OS, the CPU, the installed packages
    and the checkout. It needs no TensorFlow, so a run reads it in its figure process."""
    return {
        "os": platform.platform(),
        "cpu": cpu_model(),
        "cpu_vector_extensions": vector_extensions(),
        "cores": os.cpu_count(),
        "packages_sha256": packages_hash(),
        **git_state(),
    }


def cpu_model() -> str:
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def vector_extensions() -> list[str]:
    """Which of VECTOR_FLAGS the CPU has (Linux /proc/cpuinfo; empty where it cannot be read)."""
    for line in _cpuinfo().splitlines():
        if line.startswith("flags"):
            have = set(line.split(":", 1)[1].split())
            return [flag for flag in VECTOR_FLAGS if flag in have]
    return []


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def tensorflow_build() -> dict[str, Any]:
    """oneDNN on or off (TF_ENABLE_ONEDNN_OPTS), and TensorFlow's own build flags when it is loaded."""
    info: dict[str, Any] = {"TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset")}
    if "tensorflow" not in sys.modules:
        return info
    try:
        import tensorflow as tf
        from tensorflow.python.util import _pywrap_util_port

        info["onednn"] = bool(_pywrap_util_port.IsMklEnabled())
        build = tf.sysconfig.get_build_info()
        info.update({key: build.get(key) for key in ("cpu_compiler", "is_cuda_build", "is_rocm_build")})
    except Exception:  # noqa: BLE001 - a private TensorFlow module may move; the record is best effort
        info["onednn"] = None
    return info


def packages_hash() -> str:
    """sha256 of the sorted `name==version` lines of every installed distribution."""
    lines = sorted(
        {f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in distributions() if d.metadata["Name"]}
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def git_state() -> dict[str, Any]:
    """The project's commit and whether tracked files differ from it, when it runs from a checkout."""
    root = Path(__file__).resolve().parents[2]  # circles_hinge/store/machine.py -> the checkout
    if not (root / ".git").exists():
        return {"git_commit": None, "git_dirty": None}
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit, "git_dirty": dirty}


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()
