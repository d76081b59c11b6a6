"""Shared fixtures: the tiny CI config (about 100 samples, 2 epochs) and quiet TensorFlow."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "tiny.yaml"
DEFAULT = ROOT / "configs" / "default.yaml"


@pytest.fixture
def tiny_config():
    from circles_hinge.config import load_config

    return load_config(TINY)


@pytest.fixture
def tiny_path() -> Path:
    return TINY
