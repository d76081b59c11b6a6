"""The TensorFlow runtime (engine/runtime.py): XLA's compiled kernels kept between processes give the
same numbers as compiling them anew, quietly, in a folder named after the machine, and only where asked."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT, TINY

from circles_hinge.engine import runtime


def _train(tmp_path, name: str, cache: str) -> tuple[bytes, str]:
    env = {**os.environ, "CIRCLES_HINGE_XLA_CACHE": cache}
    env.pop("TF_XLA_FLAGS", None)
    done = subprocess.run(
        [sys.executable, "-m", "circles_hinge", "train", "--config", str(TINY), "--quiet"]
        + ["--runs-dir", str(tmp_path / "runs"), "--name", name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return (tmp_path / "runs" / name / "history.csv").read_bytes(), done.stderr


def test_kept_kernels_train_the_same_numbers_quietly(tmp_path):
    """Three processes: without the cache, writing it, reading it. Every history is the same bytes, the
    cache holds the kernels, and reading them prints nothing (TensorFlow logs lines that are not errors)."""
    folder = tmp_path / "xla"
    alone, _ = _train(tmp_path, "off", "off")
    writing, _ = _train(tmp_path, "writing", str(folder))
    kept = sorted(folder.glob("*.pb"))
    reading, stderr = _train(tmp_path, "reading", str(folder))
    assert kept, "no kernel was kept"
    assert sorted(folder.glob("*.pb")) == kept  # read back, none compiled anew
    assert alone == writing == reading
    assert stderr == "", stderr


@pytest.fixture
def fresh_env(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    monkeypatch.delenv("CIRCLES_HINGE_XLA_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_the_folder_is_named_after_the_cpu_and_tensorflow(fresh_env, monkeypatch):
    folder = runtime.keep_xla_kernels()
    assert folder is not None and folder.parent == fresh_env / "cache" / "circles-hinge" / "xla"
    assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_persistent_cache_directory={folder}"
    monkeypatch.setattr(runtime, "_cpu_signature", lambda: "model name : another CPU flags : sse2")
    monkeypatch.delenv("TF_XLA_FLAGS")
    assert runtime.keep_xla_kernels() != folder  # another CPU's machine code is never read here


def test_nothing_is_kept_where_the_user_says_so_or_cannot_write(fresh_env, monkeypatch):
    monkeypatch.setenv("CIRCLES_HINGE_XLA_CACHE", "off")
    assert runtime.keep_xla_kernels() is None and "TF_XLA_FLAGS" not in os.environ
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_persistent_cache_directory=/their/own")
    monkeypatch.delenv("CIRCLES_HINGE_XLA_CACHE")
    assert runtime.keep_xla_kernels() is None
    assert os.environ["TF_XLA_FLAGS"] == "--tf_xla_persistent_cache_directory=/their/own"
    monkeypatch.delenv("TF_XLA_FLAGS")
    blocked = fresh_env / "a file"
    blocked.write_text("")
    monkeypatch.setenv("CIRCLES_HINGE_XLA_CACHE", str(blocked / "xla"))  # under a file: cannot be made
    assert runtime.keep_xla_kernels() is None and "TF_XLA_FLAGS" not in os.environ
    monkeypatch.setattr(runtime, "_release", lambda package: (2, 99))  # a release not checked
    monkeypatch.setenv("CIRCLES_HINGE_XLA_CACHE", str(fresh_env / "xla"))
    assert runtime.keep_xla_kernels() is None and "TF_XLA_FLAGS" not in os.environ
