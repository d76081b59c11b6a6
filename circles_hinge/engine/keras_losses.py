"""The Keras side of the loss registry: each loss as the Keras function the trainer and the saved model
use, and the losses Keras lacks, each saved with and reloaded from model.keras: the Weston-Watkins
multi-class SVM hinge loss, and scikit-learn SGDClassifier's modified Huber and perceptron losses.
Keras loads on the first call, not on import, so the door can check a request first."""

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
    """Per-sample mean over the last axis of max(0, 1 - y*f)^2 where y*f >= -1, else -4*y*f, for
    labels y in {-1, +1} (scikit-learn's `ModifiedHuber`): squared hinge near the margin, linear far
    on the wrong side, so an outlier pulls no harder than the perceptron's gradient times four."""
    from keras import ops

    z = ops.cast(y_true, y_pred.dtype) * y_pred
    quadratic = ops.square(ops.maximum(0.0, 1.0 - z))
    return ops.mean(ops.where(z >= -1.0, quadratic, -4.0 * z), axis=-1)


def perceptron(y_true, y_pred):
    """Per-sample mean over the last axis of max(0, -y*f) for labels y in {-1, +1} (scikit-learn's
    `Hinge(threshold=0)`): a point pays only once it is on the wrong side, and never for its margin."""
    from keras import ops

    z = ops.cast(y_true, y_pred.dtype) * y_pred
    return ops.mean(ops.maximum(0.0, -z), axis=-1)


CUSTOM = {f.__name__: f for f in (multiclass_svm, modified_huber, perceptron)}


@cache
def register() -> None:
    """Register each loss Keras lacks as `circles_hinge>NAME`, so a saved model names it and
    `keras.models.load_model` finds it again (once per process)."""
    import keras

    for function in CUSTOM.values():
        keras.saving.register_keras_serializable(package="circles_hinge")(function)


def keras_loss(spec: LossSpec):
    """The Keras functional loss (per-sample values, mean over the last axis)."""
    import keras

    if spec.name in CUSTOM:
        register()
        return CUSTOM[spec.name]
    return keras.losses.get(spec.name)
