"""NumPy losses and their gradients, used as test oracles for Keras and for our own `multiclass_svm`.

Plain vectorised NumPy and no TensorFlow, so the tests compare two independent implementations.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # keras.config.epsilon(): binary_crossentropy clips probabilities to [EPSILON, 1 - EPSILON]

# Gradient conventions, shared by every `*_grad` below:
# - each returns d(mean of the per-sample losses)/d(y_pred), the batch mean Keras' default
#   "sum_over_batch_size" reduction takes, with the shape of y_pred;
# - at a kink of max(0, z), i.e. z == 0 exactly, the subgradient 0 is picked (as the CS231n-style
#   analytical gradient does), and a tie inside a max goes to the first maximiser. TensorFlow picks
#   differently there (tf.maximum sends the gradient to its first argument on ties, tf.reduce_max
#   splits it between the tied entries), so compare with autodiff away from kinks only.


def _floats(x) -> np.ndarray:
    """x as a float array, keeping float32/float64 so float32 inputs round as Keras' float32 does."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) as float arrays; y_true is cast to y_pred's dtype, as Keras does."""
    y_pred = _floats(y_pred)
    return np.asarray(y_true).astype(y_pred.dtype), y_pred


def _onehot(index: np.ndarray, k: int, dtype) -> np.ndarray:
    return (np.arange(k) == index[..., None]).astype(dtype)


def _scores_and_labels(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores (n, k) floats, labels (n,) int64, rows 0..n-1); raises ValueError on bad labels."""
    scores = _floats(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(
            f"scores must have shape (n, k) and labels shape (n,) — got {scores.shape} and {labels.shape}"
        )
    index = labels.astype(np.int64)
    if np.any(index != labels) or np.any(index < 0) or np.any(index >= scores.shape[1]):
        raise ValueError(f"labels must be class indices 0..{scores.shape[1] - 1} — got {labels}")
    return scores, index, np.arange(len(scores))


def to_pm1(y_true) -> np.ndarray:
    """Keras' `convert_binary_labels_to_hinge`: 2y - 1, but only when EVERY label in the array is 0 or 1.

    The check covers the whole array (in Keras the whole batch), not each row: one -1 anywhere leaves
    every 0 as 0, and an all-ones array is unchanged either way.
    """
    y_true = np.asarray(y_true)
    if np.all((y_true == 0) | (y_true == 1)):
        return 2 * y_true - 1
    return y_true


def _slack(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """(labels in -1/+1, slack 1 - y*f) for the binary hinge losses."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = to_pm1(y_true)
    return y_true, 1 - y_true * y_pred


def hinge(y_true, y_pred) -> np.ndarray:
    """Per-sample mean over the last axis of max(0, 1 - y*f); 0/1 labels are converted as Keras does."""
    _, slack = _slack(y_true, y_pred)
    return np.maximum(slack, 0).mean(axis=-1)


def hinge_grad(y_true, y_pred) -> np.ndarray:
    """Gradient of the batch-mean hinge loss with respect to y_pred (0 where 1 - y*f == 0)."""
    y, slack = _slack(y_true, y_pred)
    return np.where(slack > 0, -y, 0) / slack.size


def squared_hinge(y_true, y_pred) -> np.ndarray:
    """Per-sample mean over the last axis of max(0, 1 - y*f)**2; 0/1 labels are converted as Keras does."""
    _, slack = _slack(y_true, y_pred)
    return np.square(np.maximum(slack, 0)).mean(axis=-1)


def squared_hinge_grad(y_true, y_pred) -> np.ndarray:
    """Gradient of the batch-mean squared hinge loss with respect to y_pred (smooth: no kink to choose)."""
    y, slack = _slack(y_true, y_pred)
    return -2 * y * np.maximum(slack, 0) / slack.size


def modified_huber(y_true, y_pred) -> np.ndarray:
    """scikit-learn's modified Huber loss, per-sample mean over the last axis: max(0, 1 - y*f)^2 where
    y*f >= -1, else -4*y*f (labels -1/+1, as our Keras `modified_huber` takes them)."""
    y_true, y_pred = _pair(y_true, y_pred)
    z = y_true * y_pred
    return np.where(z >= -1, np.maximum(1 - z, 0) ** 2, -4 * z).mean(axis=-1)


def modified_huber_grad(y_true, y_pred) -> np.ndarray:
    """Gradient of the batch-mean modified Huber loss: -2y(1 - y*f) inside the margin, -4y below -1,
    0 at and beyond the margin (it is continuously differentiable at y*f = -1 and 1)."""
    y, y_pred = _pair(y_true, y_pred)
    z = y * y_pred
    return np.where(z >= -1, np.where(z < 1, -2 * y * (1 - z), 0), -4 * y) / z.size


def perceptron(y_true, y_pred) -> np.ndarray:
    """The perceptron's loss, per-sample mean over the last axis: max(0, -y*f) (labels -1/+1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.maximum(-y_true * y_pred, 0).mean(axis=-1)


def perceptron_grad(y_true, y_pred) -> np.ndarray:
    """Gradient of the batch-mean perceptron loss: -y where y*f < 0, else 0 (0 at the kink y*f = 0)."""
    y, y_pred = _pair(y_true, y_pred)
    return np.where(y * y_pred < 0, -y, 0) / y_pred.size


def categorical_hinge(y_true_onehot, y_pred) -> np.ndarray:
    """Keras' categorical hinge: max(0, neg - pos + 1), neg = max((1 - y)*s), pos = sum(y*s).

    With 0/1 one-hot labels the true class contributes a 0 to `neg`, so neg = max(0, max_{j!=y} s_j):
    it equals Crammer-Singer only when some wrong score is >= 0. Scores [-0.5, -0.8, 0.3], class 2:

    >>> scores = np.array([[-0.5, -0.8, 0.3]])
    >>> categorical_hinge(np.array([[0.0, 0.0, 1.0]]), scores).round(6)  # max(0, 1 + 0 - 0.3)
    array([0.7])
    >>> crammer_singer(scores, np.array([2])).round(6)  # max(0, 1 - 0.5 - 0.3)
    array([0.2])

    Keras does not convert -1/+1 one-hot labels: they go through the same formula (neg = max of 2*s_j
    over wrong classes and 0, pos = s_y - sum of the wrong s_j), a different loss altogether.
    """
    y_true, y_pred = _pair(y_true_onehot, y_pred)
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max((1 - y_true) * y_pred, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def categorical_hinge_grad(y_true_onehot, y_pred) -> np.ndarray:
    """Gradient of the batch-mean categorical hinge with respect to y_pred (any y_true, as Keras' formula)."""
    y_true, y_pred = _pair(y_true_onehot, y_pred)
    masked = (1 - y_true) * y_pred
    top = _onehot(np.argmax(masked, axis=-1), y_pred.shape[-1], y_pred.dtype)
    loss = categorical_hinge(y_true, y_pred)
    return np.where(loss[..., None] > 0, top * (1 - y_true) - y_true, 0) / loss.size


def binary_crossentropy(y_true, y_pred) -> np.ndarray:
    """Per-sample mean over the last axis of -y log p - (1 - y) log(1 - p), p clipped as Keras clips it."""
    y_true, y_pred = _pair(y_true, y_pred)
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=-1)


def binary_crossentropy_grad(y_true, y_pred) -> np.ndarray:
    """Gradient of the batch-mean binary cross-entropy with respect to the probabilities y_pred.

    0 where the clip is active, as tf.clip_by_value's gradient (which passes on the bounds themselves).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    p = np.clip(y_pred, EPSILON, 1 - EPSILON)
    inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
    return np.where(inside, (1 - y_true) / (1 - p) - y_true / p, 0) / y_pred.size


def _ww_margins(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(scores, labels, rows, margins s_j - s_y + 1 with the true class set to 0)."""
    scores, labels, rows = _scores_and_labels(scores, labels)
    margins = scores - scores[rows, labels][:, None] + 1
    margins[rows, labels] = 0  # the true class is no violation (seed 002 relied on its margin being 1)
    return scores, labels, rows, margins


def multiclass_svm(scores, labels) -> np.ndarray:
    """Per-sample Weston-Watkins loss sum_{j != y} max(0, s_j - s_y + 1); scores (n, k), labels (n,)."""
    return np.maximum(_ww_margins(scores, labels)[3], 0).sum(axis=1)


def multiclass_svm_grad(scores, labels) -> np.ndarray:
    """Gradient of the batch-mean Weston-Watkins loss: +1 per violating class, minus their count at y."""
    scores, labels, rows, margins = _ww_margins(scores, labels)
    active = (margins > 0).astype(scores.dtype)
    active[rows, labels] = -active.sum(axis=1)
    return active / len(scores)


def _cs_parts(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(scores, labels, rows, first best wrong class, loss) for Crammer-Singer."""
    scores, labels, rows = _scores_and_labels(scores, labels)
    wrong = scores.copy()
    wrong[rows, labels] = -np.inf
    best = np.argmax(wrong, axis=1)
    loss = np.maximum(1 + wrong[rows, best] - scores[rows, labels], 0)
    return scores, labels, rows, best, loss


def crammer_singer(scores, labels) -> np.ndarray:
    """Per-sample Crammer-Singer loss max(0, 1 + max_{j != y} s_j - s_y); scores (n, k), labels (n,)."""
    return _cs_parts(scores, labels)[4]


def crammer_singer_grad(scores, labels) -> np.ndarray:
    """Gradient of the batch-mean Crammer-Singer loss: +1 at the best wrong class, -1 at y, if violated."""
    scores, labels, rows, best, loss = _cs_parts(scores, labels)
    active = (loss > 0).astype(scores.dtype)
    grad = np.zeros_like(scores)
    grad[rows, best] = active
    grad[rows, labels] -= active
    return grad / len(scores)


def svm_loss_and_grad(W, X, y, reg: float) -> tuple[float, np.ndarray]:
    """Linear multi-class SVM (seed 002, fixed): mean Weston-Watkins loss of X @ W plus reg * sum(W**2).

    W (d, k), X (n, d), y (n,) class indices. Returns (loss, dW) with dW the gradient, shaped as W.
    """
    W, X = _floats(W), _floats(X)
    scores = X @ W
    loss = multiclass_svm(scores, y).mean() + reg * np.sum(W * W)
    dW = X.T @ multiclass_svm_grad(scores, y) + 2 * reg * W
    return float(loss), dW
