"""The project's exception types, each with its exit code, the line the CLI prints for it and, where it
has one, its folder. Domain code raises these; cli.py prints `report()` and exits with `exit_code`, in
one place."""

from __future__ import annotations

from pathlib import Path


class CirclesHingeError(Exception):
    """Base class: a failure the user can act on, shown as one line without a traceback. `path` is
    the folder the failure left behind, if any."""

    exit_code = 1
    path: Path | None = None

    def report(self) -> str:
        """The one line the CLI prints on stderr for this failure."""
        suffix = f" (run folder {self.path}, marked failed)" if self.path else ""
        return f"error: {self}{suffix}"


class ConfigError(CirclesHingeError):
    """The configuration (file, --set, or an option) is invalid. Raised before TensorFlow loads."""

    exit_code = 2


class RunDirError(CirclesHingeError):
    """The run folder cannot be created or written."""

    exit_code = 1


class TrainingDiverged(CirclesHingeError):
    """The loss became NaN or infinite during training."""

    exit_code = 1

    def __init__(self, epoch: int, loss: float, learning_rate: float):
        self.epoch = epoch
        super().__init__(
            f"training diverged: the loss became {loss} in epoch {epoch}; "
            f"try a lower training.learning_rate than {learning_rate}"
        )


class Interrupted(CirclesHingeError):
    """Training was stopped by the user (Ctrl-C or SIGTERM); the folder says `interrupted`. `detail`
    says what the folder holds when that is not simply the epochs finished (e.g. while writing)."""

    def __init__(self, path: Path, signal_name: str = "SIGINT", detail: str = ""):
        self.path, self.signal_name, self.detail = path, signal_name, detail
        super().__init__(f"interrupted by {signal_name}; what was written so far is in {path}")

    @property
    def exit_code(self) -> int:  # the shell's convention: 128 + the signal's number
        return 143 if self.signal_name == "SIGTERM" else 130

    def report(self) -> str:
        when = f" {self.detail}" if self.detail else ""
        return f"interrupted: the run was stopped{when}; its folder (marked interrupted) is {self.path}"


class RunFailed(CirclesHingeError):
    """An unexpected error, said as what was true: where the traceback is if it could be saved, and
    whether status.json could be marked failed."""

    def __init__(
        self, path: Path, message: str, log_error: str | None = None, status_error: str | None = None
    ):
        self.path = path
        marked = ", marked failed" if status_error is None else ""
        if log_error is None:
            where = f"run folder {path}{marked}; full traceback in {path / 'train.log'}"
        else:
            where = f"run folder {path}{marked}; the traceback could not be saved ({log_error})"
        if status_error is not None:
            where += f"; status.json could not be marked failed either ({status_error})"
        super().__init__(f"{message} ({where})")

    def report(self) -> str:
        return f"error: {self}"  # the message already says where the folder and the traceback are
