"""The Weston-Watkins multi-class SVM hinge loss as a Keras loss, saved with and reloaded from model.keras."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="circles_hinge")
def multiclass_svm(y_true, y_pred):
    """Per-sample sum over wrong classes j of max(0, s_j - s_y + 1); y_true holds class indices.

    y_true has shape (batch, 1) (or (batch,)), y_pred the scores (batch, k).
    """
    k = ops.shape(y_pred)[-1]
    labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
    onehot = ops.one_hot(labels, k, dtype=y_pred.dtype)
    onehot = ops.reshape(onehot, ops.shape(y_pred))
    correct = ops.sum(onehot * y_pred, axis=-1, keepdims=True)
    margins = ops.maximum(0.0, y_pred - correct + 1.0) * (1.0 - onehot)
    return ops.sum(margins, axis=-1)
