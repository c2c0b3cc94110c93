"""Activations, their derivatives, losses, softmax and the numerical gradient, in NumPy.

Naming follows "Deep Learning from Scratch": ``y`` is a prediction (probabilities or outputs),
``t`` the target (teacher signal), ``x`` an input, ``N`` the batch size, ``C`` the number of
classes. Losses take ``(prediction, target)``; note that Keras takes ``(y_true, y_pred)``.

Every loss returns the mean over the batch of a per-sample loss, as a Python ``float``.
A single sample (no batch axis) counts as a batch of one.

Taught in 1_2 (activations), 1_3 (losses), 1_4 (numerical gradient).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ACTIVATIONS",
    "EPS",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy_error",
    "d_elu",
    "d_identity",
    "d_leaky_relu",
    "d_relu",
    "d_sigmoid",
    "d_step",
    "d_tanh",
    "elu",
    "identity",
    "leaky_relu",
    "mean_squared_error",
    "numerical_gradient",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "step",
    "tanh",
]

EPS = 1e-7
"""Small constant that keeps ``log`` finite in the losses on probabilities (Keras uses 1e-7 too)."""


# --------------------------------------------------------------------------- helpers


def _as_float(x: ArrayLike) -> np.ndarray:
    """``x`` as a float array: float arrays unchanged (no copy), anything else as float64."""
    arr = np.asarray(x)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def _check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    """Raise ``ValueError("y has shape (32, 10) but t has shape (32, 5)")`` on a mismatch."""
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}; "
            "they must have the same shape."
        )


def _as_labels(t: np.ndarray, num_classes: int, name: str = "t") -> np.ndarray:
    """Integer class labels in ``[0, num_classes)`` as an int64 array of the same shape."""
    if np.issubdtype(t.dtype, np.integer):
        labels = t.astype(np.int64, copy=False)
    elif np.issubdtype(t.dtype, np.floating) and np.array_equal(t, np.round(t)):
        labels = t.astype(np.int64)
    else:
        raise ValueError(f"{name} must hold integer class labels; got dtype {t.dtype}.")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name} holds labels in [{labels.min()}, {labels.max()}] but there are only "
            f"{num_classes} classes (labels must be in [0, {num_classes}))."
        )
    return labels


def _batch_targets(
    y: ArrayLike, t: ArrayLike, y_name: str = "y"
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Flatten ``y: (..., C)`` to ``(N, C)`` and ``t`` to one-hot ``(N, C)`` or labels ``(N,)``.

    Returns ``(y2, t2, sparse)``. ``t`` is one-hot (or soft targets) when it has ``y``'s shape
    and integer labels when it has ``y.shape[:-1]``; anything else raises ``ValueError``.
    """
    y = _as_float(y)
    t = np.asarray(t)
    if y.ndim == 0:
        raise ValueError(f"{y_name} has shape () but needs a class axis: (C,) or (N, C).")
    C = y.shape[-1]
    if t.shape == y.shape:
        return y.reshape(-1, C), _as_float(t).reshape(-1, C), False
    if t.shape == y.shape[:-1]:
        return y.reshape(-1, C), _as_labels(t, C).reshape(-1), True
    raise ValueError(
        f"{y_name} has shape {y.shape} but t has shape {t.shape}; t must be one-hot with "
        f"shape {y.shape} or integer labels with shape {y.shape[:-1]}."
    )


def _batch_size(y: np.ndarray) -> int:
    """N for ``y: (N, ...)``; 1 for a single sample ``y: (D,)`` or a scalar."""
    return y.shape[0] if y.ndim >= 2 else 1


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(x))`` via log-sum-exp; finite for any finite ``x``."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# --------------------------------------------------------------------------- activations


def identity(x: ArrayLike) -> np.ndarray:
    """h(x) = x, the output activation of regression. x: any shape. Taught in 1_2."""
    return _as_float(x)


def step(x: ArrayLike) -> np.ndarray:
    """Step function: 1 where x > 0 else 0 (the perceptron's activation). Taught in 1_2."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: ArrayLike) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), element-wise, without overflow for large |x|. Taught in 1_2.

    Uses ``exp(-|x|)``, which never overflows: σ(x) = 1/(1+e) for x ≥ 0 and e/(1+e) for x < 0.
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def tanh(x: ArrayLike) -> np.ndarray:
    """tanh(x), element-wise. x: any shape. Taught in 1_2."""
    return np.tanh(_as_float(x))


def relu(x: ArrayLike) -> np.ndarray:
    """ReLU: max(0, x), element-wise. x: any shape. Taught in 1_2."""
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x where x > 0 else alpha * x. x: any shape. Taught in 1_2."""
    x = _as_float(x)
    return np.where(x > 0, x, alpha * x).astype(x.dtype, copy=False)


def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """ELU: x where x > 0 else alpha * (exp(x) - 1). x: any shape. Taught in 1_2."""
    x = _as_float(x)
    neg = alpha * np.expm1(np.minimum(x, 0))  # exp only of x <= 0: no overflow
    return np.where(x > 0, x, neg).astype(x.dtype, copy=False)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``; x: (C,) or (N, C) (any shape). Taught in 1_2.

    Subtracts the maximum first (softmax is shift-invariant), so exp never overflows.
    Returns an array like x whose entries along ``axis`` are positive and sum to 1.
    """
    x = _as_float(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- derivatives
# Each d_f(x) is df/dx evaluated at the input x (not at the output), element-wise.


def d_identity(x: ArrayLike) -> np.ndarray:
    """Derivative of :func:`identity`: ones like x. Taught in 1_2."""
    return np.ones_like(_as_float(x))


def d_step(x: ArrayLike) -> np.ndarray:
    """Derivative of :func:`step`: 0 everywhere (undefined at 0), why it cannot learn. Taught in 1_2."""
    return np.zeros_like(_as_float(x))


def d_sigmoid(x: ArrayLike) -> np.ndarray:
    """Derivative of :func:`sigmoid`: σ(x)(1 - σ(x)), at most 0.25. Taught in 1_2."""
    s = sigmoid(x)
    return s * (1.0 - s)


def d_tanh(x: ArrayLike) -> np.ndarray:
    """Derivative of :func:`tanh`: 1 - tanh(x)². Taught in 1_2."""
    return 1.0 - np.tanh(_as_float(x)) ** 2


def d_relu(x: ArrayLike) -> np.ndarray:
    """Derivative of :func:`relu`: 1 where x > 0 else 0 (0 at x = 0, as TensorFlow). Taught in 1_2."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def d_leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Derivative of :func:`leaky_relu`: 1 where x > 0 else alpha. Taught in 1_2."""
    x = _as_float(x)
    return np.where(x > 0, 1.0, alpha).astype(x.dtype, copy=False)


def d_elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Derivative of :func:`elu`: 1 where x > 0 else alpha * exp(x). Taught in 1_2."""
    x = _as_float(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "identity": (identity, d_identity),
    "step": (step, d_step),
    "sigmoid": (sigmoid, d_sigmoid),
    "tanh": (tanh, d_tanh),
    "relu": (relu, d_relu),
    "leaky_relu": (leaky_relu, d_leaky_relu),
    "elu": (elu, d_elu),
}
"""Name -> (f, df) for every element-wise activation above. Taught in 1_2."""


# --------------------------------------------------------------------------- losses


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """E = 1/2 Σ (y - t)², summed over outputs and averaged over the batch. Taught in 1_3.

    y, t: (N, D), or (D,) for a single sample (N = 1). With the 1/2 the gradient is
    (y - t) / N. Keras' ``MeanSquaredError`` averages over all N·D entries without the 1/2,
    so ``mean_squared_error(y, t) == keras_mse(t, y) * D / 2``.
    """
    y, t = _as_float(y), _as_float(t)
    _check_same_shape(y, t, "y", "t")
    return float(0.5 * np.sum((y - t) ** 2) / _batch_size(y))


def binary_cross_entropy(p: ArrayLike, t: ArrayLike) -> float:
    """Binary cross-entropy on probabilities, averaged over all entries. Taught in 1_3.

    p, t: (N,) or (N, K) (K independent yes/no outputs), t in {0, 1}.
    E = -mean(t log p + (1 - t) log(1 - p)), with p clipped to [EPS, 1 - EPS] (EPS = 1e-7,
    as Keras), so p = 0 or 1 gives a large but finite loss. Equals Keras'
    ``BinaryCrossentropy()(t, p)``.
    """
    p, t = _as_float(p), _as_float(t)
    _check_same_shape(p, t, "p", "t")
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)))


def binary_cross_entropy_with_logits(z: ArrayLike, t: ArrayLike) -> float:
    """Binary cross-entropy of sigmoid(z), computed from the logits z, stably. Taught in 1_3.

    z, t: (N,) or (N, K). Uses max(z, 0) - z t + log(1 + exp(-|z|)), finite for any z;
    averaged over all entries. Equals Keras' ``BinaryCrossentropy(from_logits=True)(t, z)``.
    The gradient w.r.t. z is (sigmoid(z) - t) / z.size.
    """
    z, t = _as_float(z), _as_float(t)
    _check_same_shape(z, t, "z", "t")
    return float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))))


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Cross-entropy E = -Σ_k t_k log(y_k + EPS) on probabilities, averaged over the batch.

    y: (N, C) probabilities (e.g. a softmax output), or (C,) for one sample.
    t: one-hot (N, C) / (C,), or integer labels (N,) / scalar. EPS = 1e-7 (as in "Deep
    Learning from Scratch") keeps log(0) finite. Matches Keras' ``CategoricalCrossentropy()``
    up to that EPS (Keras clips y to [1e-7, 1 - 1e-7] instead). Taught in 1_3.
    """
    y2, t2, sparse = _batch_targets(y, t, "y")
    N = y2.shape[0]
    if sparse:
        return float(-np.sum(np.log(y2[np.arange(N), t2] + EPS)) / N)
    return float(-np.sum(t2 * np.log(y2 + EPS)) / N)


def softmax_cross_entropy(logits: ArrayLike, t: ArrayLike) -> float:
    """Cross-entropy of softmax(logits) from the logits, via log-sum-exp. Taught in 1_3.

    logits: (N, C) or (C,); t: one-hot like logits or integer labels (N,) / scalar.
    Finite for logits of any size (±1000 included), averaged over the batch. Equals Keras'
    ``CategoricalCrossentropy(from_logits=True)`` (one-hot) and
    ``SparseCategoricalCrossentropy(from_logits=True)`` (labels).
    """
    z2, t2, sparse = _batch_targets(logits, t, "logits")
    N = z2.shape[0]
    log_y = _log_softmax(z2)  # (N, C)
    if sparse:
        return float(-np.sum(log_y[np.arange(N), t2]) / N)
    return float(-np.sum(t2 * log_y) / N)


def one_hot(labels: ArrayLike, num_classes: int) -> np.ndarray:
    """One-hot encoding: labels (N,) ints in [0, C) -> (N, C) float64. Taught in 1_3.

    Works for any labels shape (...,) -> (..., C).
    """
    labels = _as_labels(np.asarray(labels), num_classes, name="labels")
    return np.eye(num_classes)[labels]


# --------------------------------------------------------------------------- numerical gradient


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central-difference gradient of the scalar f at x: (f(x+h) - f(x-h)) / 2h per element.

    x: a float ndarray of any shape; it is perturbed **in place**, one element at a time (so
    that ``f`` may ignore its argument and read a model's weights, as in
    ``numerical_gradient(lambda _: net.loss(x, t), W)``), and every element is restored even
    when f raises. Returns an array like x. Use float64: in float32 the error is ~1e-3.
    Taught in 1_4.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            "numerical_gradient needs x as a float ndarray (it perturbs x in place); "
            f"got {type(x).__name__} with dtype {getattr(x, 'dtype', None)}."
        )
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]  # a NumPy scalar: a copy
        try:
            x[idx] = original + h
            f_plus = float(f(x))
            x[idx] = original - h
            f_minus = float(f(x))
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
