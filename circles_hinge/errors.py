"""The project's exception types. Domain code raises these; cli.py maps them to exit codes."""


class CirclesHingeError(Exception):
    """Base class: a failure the user can act on, shown as one line without a traceback."""

    exit_code = 1


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
