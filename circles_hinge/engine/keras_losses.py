"""The Keras side of the loss registry: each loss as the Keras function the trainer and the saved model
use, and the Weston-Watkins multi-class SVM hinge loss, which Keras lacks (saved with and reloaded from
model.keras). Keras loads on the first call, not on import, so the door can check a request first."""

from __future__ import annotations

from functools import cache

from circles_hinge.losses import LossSpec


def multiclass_svm(y_true, y_pred):
    """Per-sample sum over wrong classes j of max(0, s_j - s_y + 1); y_true holds class indices.

    y_true has shape (batch, 1) (or (batch,)), y_pred the scores (batch, k).
    """
    from keras import ops

    k = ops.shape(y_pred)[-1]
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    onehot = ops.one_hot(labels, k, dtype=y_pred.dtype)
    onehot = ops.reshape(onehot, ops.shape(y_pred))
    correct = ops.sum(onehot * y_pred, axis=-1, keepdims=True)
    margins = ops.maximum(0.0, y_pred - correct + 1.0) * (1.0 - onehot)
    return ops.sum(margins, axis=-1)


@cache
def register() -> None:
    """Register multiclass_svm as `circles_hinge>multiclass_svm`, so a saved model names it and
    `keras.models.load_model` finds it again (once per process)."""
    import keras

    keras.saving.register_keras_serializable(package="circles_hinge")(multiclass_svm)


def keras_loss(spec: LossSpec):
    """The Keras functional loss (per-sample values, mean over the last axis)."""
    import keras

    if spec.name == "multiclass_svm":
        register()
        return multiclass_svm
    return keras.losses.get(spec.name)
