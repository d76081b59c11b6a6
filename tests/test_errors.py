"""errors.py: every exception the CLI maps knows its exit code and, where it has one, its folder."""

from pathlib import Path

import pytest

from circles_hinge.errors import (
    CirclesHingeError,
    ConfigError,
    Interrupted,
    RunDirError,
    RunFailed,
    TrainingDiverged,
)


@pytest.mark.parametrize(
    "error,code",
    [
        (ConfigError("x"), 2),
        (RunDirError("x"), 1),
        (TrainingDiverged(3, float("nan"), 0.03), 1),
        (RunFailed(Path("/r"), "boom"), 1),
        (Interrupted(Path("/r")), 130),
        (Interrupted(Path("/r"), "SIGTERM"), 143),
    ],
)
def test_each_error_is_ours_and_knows_its_exit_code(error, code):
    assert isinstance(error, CirclesHingeError) and error.exit_code == code


def test_folders_travel_with_the_error():
    assert ConfigError("x").path is None
    assert RunFailed(Path("/r"), "boom").path == Path("/r") and "train.log" in str(RunFailed(Path("/r"), "b"))
    assert Interrupted(Path("/r"), "SIGTERM").path == Path("/r")
