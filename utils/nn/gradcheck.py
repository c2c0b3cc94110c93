"""Gradient checks: backprop against the numerical gradient, and against TensorFlow.

"Check the gradient before training": ``gradient_check`` compares an analytic gradient with
:func:`~utils.nn.functions.numerical_gradient`; ``tf_gradients`` recomputes a
:class:`~utils.nn.layers.Sequential` model's gradients with ``tf.GradientTape``.
Use float64 everywhere: a correct gradient then gives relative errors below
:data:`GRADCHECK_TOL` (1e-6), the one threshold the whole course uses.
Taught in 1_4 (numerical gradient) and 1_5 (gradient check of backprop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import numerical_gradient
from utils.nn.layers import Affine, Layer, ReLU, Sequential, Sigmoid, SoftmaxWithLoss, Tanh

__all__ = ["GRADCHECK_TOL", "gradient_check", "rel_error", "tf_gradients"]

# The course's one gradient-check threshold: a correct float64 backprop against central
# differences (h = 1e-5) stays below it; a wrong one is far above (usually > 1e-2).
GRADCHECK_TOL = 1e-6


def rel_error(a: ArrayLike, b: ArrayLike) -> float:
    """Largest element-wise relative error max |a - b| / max(1e-8, |a| + |b|). Taught in 1_4.

    a, b: arrays of the same shape. 0 for identical arrays; below :data:`GRADCHECK_TOL` for a correct
    float64 gradient against a central-difference one; near 1 for unrelated arrays.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def gradient_check(
    model_or_fn: Sequential | Layer | Callable[[np.ndarray], Any],
    x: ArrayLike,
    t: ArrayLike | None = None,
    *,
    grad: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    h: float = 1e-5,
    seed: int = 0,
) -> dict[str, float]:
    """Relative error (see :func:`rel_error`) between analytic and numerical gradients.

    Three uses, all returning ``{name: max relative error}``:

    - ``gradient_check(model, x, t)``, model a :class:`Sequential`: ``model.gradient(x, t)``
      vs the numerical gradient of ``model.loss(x, t, train=True)`` (the loss the gradient is
      of; a dropout layer must then drop the same units on every forward pass, see its
      ``seed``), per parameter ("0.W", "0.b", ...).
    - ``gradient_check(layer, x)``: ``layer.backward(dout)`` for a random dout vs the
      numerical gradient of ``sum(layer.forward(x) * dout)``, for "x" and every parameter;
      a loss layer takes ``t`` too and is checked with ``backward(1.0)``.
    - ``gradient_check(f, x, grad=df)``: an array function f; ``grad`` (an array or a
      callable of x) is the gradient of ``sum(f(x))``, e.g. ``grad=d_sigmoid`` for
      ``f=sigmoid``. Returns ``{"x": error}``.

    x: the input batch, e.g. (N, D); keep it small, the numerical gradient costs two
    forward passes per parameter. The model's own arrays are perturbed and restored.
    Taught in 1_5.
    """
    x = np.array(x, dtype=np.float64)  # a copy: numerical_gradient perturbs it
    if isinstance(model_or_fn, Sequential):
        if t is None:
            raise ValueError("gradient_check(model, x, t) needs the targets t.")
        model = model_or_fn
        analytic = {k: g.copy() for k, g in model.gradient(x, t).items()}
        params = model.params
        return {
            key: rel_error(
                analytic[key], numerical_gradient(lambda _: model.loss(x, t, train=True), params[key], h)
            )
            for key in params
        }
    if isinstance(model_or_fn, Layer):
        return _layer_check(model_or_fn, x, t, h, seed)
    if callable(model_or_fn):
        f = model_or_fn
        if grad is None:
            raise ValueError("gradient_check(f, x, grad=...) needs the analytic gradient.")
        analytic_x = grad(x.copy()) if callable(grad) else np.asarray(grad)
        return {"x": rel_error(analytic_x, numerical_gradient(lambda v: np.sum(f(v)), x, h))}
    raise TypeError(f"cannot check the gradient of a {type(model_or_fn).__name__}.")


def _layer_check(
    layer: Layer, x: np.ndarray, t: ArrayLike | None, h: float, seed: int
) -> dict[str, float]:
    """gradient_check for one layer; see :func:`gradient_check`."""
    if t is not None:  # a loss layer: forward(x, t) is the scalar loss

        def scalar(v: np.ndarray) -> float:
            return float(layer.forward(v, t))  # type: ignore[call-arg]

        scalar(x)
        dx = layer.backward(1.0)  # type: ignore[arg-type]
    else:
        dout = np.random.default_rng(seed).standard_normal(np.shape(layer.forward(x)))

        def scalar(v: np.ndarray) -> float:
            return float(np.sum(layer.forward(v) * dout))

        dx = layer.backward(dout)
    analytic = {"x": np.array(dx), **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {"x": rel_error(analytic["x"], numerical_gradient(scalar, x, h))}
    for key, p in layer.params.items():
        errors[key] = rel_error(analytic[key], numerical_gradient(lambda _: scalar(x), p, h))
    return errors


# TensorFlow versions of the layers: (tf module, h, {"W": ..., "b": ...}) -> output.
# Later lessons register their layers here.
_TF_LAYERS: dict[type, Callable[[Any, Any, dict[str, Any]], Any]] = {
    Affine: lambda tf, h, p: (
        tf.matmul(tf.reshape(h, (-1, p["W"].shape[0])), p["W"]) + p["b"]
        if len(h.shape) != 1
        else tf.linalg.matvec(p["W"], h, transpose_a=True) + p["b"]
    ),
    ReLU: lambda tf, h, p: tf.nn.relu(h),
    Sigmoid: lambda tf, h, p: tf.sigmoid(h),
    Tanh: lambda tf, h, p: tf.tanh(h),
}


def _tf_softmax_with_loss(tf: Any, logits: Any, t: ArrayLike) -> Any:
    """Mean softmax cross-entropy in TensorFlow for one-hot or integer-label t."""
    C = logits.shape[-1]
    t = np.asarray(t)
    sparse = t.shape != tuple(logits.shape)  # integer labels have logits.shape[:-1]
    logits = tf.reshape(logits, (-1, C))  # (N, C)
    if sparse:
        labels = tf.constant(t.reshape(-1).astype(np.int64))  # (N,)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    else:
        t2 = tf.constant(t.reshape(-1, C).astype(np.float64))  # (N, C)
        losses = tf.nn.softmax_cross_entropy_with_logits(labels=t2, logits=logits)
    return tf.reduce_mean(losses)


def tf_gradients(model: Sequential, x: ArrayLike, t: ArrayLike) -> dict[str, np.ndarray]:
    """The gradients of ``model.loss(x, t)`` computed by ``tf.GradientTape`` in float64.

    Rebuilds the model's forward pass in TensorFlow from its current weights and returns
    ``{"0.W": ..., "0.b": ..., ...}`` like ``model.gradient(x, t)``, to check backprop
    against an independent implementation. Imports TensorFlow (a few seconds, once).
    Taught in 1_5.
    """
    import tensorflow as tf

    if not isinstance(model.loss_layer, SoftmaxWithLoss):
        raise NotImplementedError(
            f"tf_gradients knows SoftmaxWithLoss only, not {type(model.loss_layer).__name__}."
        )
    variables = {
        k: tf.Variable(np.asarray(v, dtype=np.float64), name=k.replace(".", "_"))
        for k, v in model.params.items()
    }
    with tf.GradientTape() as tape:
        out = tf.constant(np.asarray(x, dtype=np.float64))
        for i, layer in enumerate(model.layers):
            forward = next((_TF_LAYERS[c] for c in type(layer).__mro__ if c in _TF_LAYERS), None)
            if forward is None:
                raise NotImplementedError(
                    f"tf_gradients has no TensorFlow version of {type(layer).__name__}; "
                    "add one to utils.nn.gradcheck._TF_LAYERS."
                )
            out = forward(tf, out, {k: variables[f"{i}.{k}"] for k in layer.params})
        loss = _tf_softmax_with_loss(tf, out, t)
    grads = tape.gradient(loss, variables)
    return {k: np.asarray(g.numpy()) for k, g in grads.items()}
