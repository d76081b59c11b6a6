"""The Keras side of the loss registry: each loss as the Keras function the trainer and the saved model
use, and the losses Keras lacks (saved with and reloaded from model.keras): the Weston-Watkins multi-class
SVM hinge loss, and scikit-learn's modified Huber and perceptron losses. Keras loads on the first call,
not on import, so the door can check a request first."""

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


def modified_huber(y_true, y_pred):
    """scikit-learn's modified Huber loss of y*f (y = -1/+1): max(0, 1 - y*f)^2 for y*f >= -1, else
    -4*y*f (a smoothed hinge that grows linearly, not quadratically, for badly wrong points); per-sample
    mean over the last axis."""
    from keras import ops

    z = ops.cast(y_true, y_pred.dtype) * y_pred
    return ops.mean(ops.where(z >= -1.0, ops.square(ops.maximum(0.0, 1.0 - z)), -4.0 * z), axis=-1)


def perceptron(y_true, y_pred):
    """The perceptron's loss of y*f (y = -1/+1): max(0, -y*f), zero for every correct point however
    close to the boundary (no margin); per-sample mean over the last axis."""
    from keras import ops

    return ops.mean(ops.maximum(0.0, -ops.cast(y_true, y_pred.dtype) * y_pred), axis=-1)


OURS = {"multiclass_svm": multiclass_svm, "modified_huber": modified_huber, "perceptron": perceptron}


@cache
def register() -> None:
    """Register our losses as `circles_hinge>name`, so a saved model names them and
    `keras.models.load_model` finds them again (once per process)."""
    import keras

    for fn in OURS.values():
        keras.saving.register_keras_serializable(package="circles_hinge")(fn)


def keras_loss(spec: LossSpec):
    """The Keras functional loss (per-sample values, mean over the last axis)."""
    import keras

    if spec.name in OURS:
        register()
        return OURS[spec.name]
    return keras.losses.get(spec.name)
