"""Batch normalization as a layer (training and inference, running statistics, backward). Taught in 2_1.

In training, each feature (each channel of an image batch) is normalized with the mean μ and
the variance σ² of the minibatch, then scaled and shifted by learned γ and β:

    x̂ = (x − μ) / √(σ² + eps),    out = γ x̂ + β.

σ² is the biased batch variance (divide by N, as the lecture and Keras do). Each training step
also updates exponential moving averages of μ and σ², which inference uses instead of the
batch statistics:

    running_mean ← momentum · running_mean + (1 − momentum) · μ    (the same for running_var).

This is Keras' convention: ``keras.layers.BatchNormalization(momentum=m, epsilon=e)`` weights
the *old* moving value by ``m`` (default 0.99, epsilon 1e-3) and starts from mean 0, variance 1,
so ``BatchNorm(gamma, beta, momentum=m, eps=e)`` reproduces it (PyTorch's ``momentum`` is the
weight of the new batch instead, 1 − m). "Deep Learning from Scratch" uses momentum 0.9 too.

Plain functions for channels-last images x: (N, H, W, C) (taught in 4_5) compare the four
normalizations on one tensor; each subtracts a mean and divides by √(σ² + eps) over a set of
axes, then applies γ, β of shape (C,):

- :func:`batch_norm_nhwc` (training mode): per channel, over N, H, W;
- :func:`layer_norm`: per example, over all its other axes (H, W, C);
- :func:`instance_norm`: per example and channel, over H, W;
- :func:`group_norm`: per example and group of C/G channels, over H, W and the group's channels
  (G = 1 is layer norm, G = C instance norm).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float
from utils.nn.layers import Layer

__all__ = ["BatchNorm", "batch_norm_nhwc", "group_norm", "instance_norm", "layer_norm", "norm_axes"]


def _as_2d(x: np.ndarray, C: int, name: str) -> np.ndarray:
    """(N, C) unchanged, (N, C, H, W) as (N·H·W, C): one column a feature or channel."""
    if x.ndim == 2 and x.shape[1] == C:
        return x
    if x.ndim == 4 and x.shape[1] == C:
        N, _, H, W = x.shape
        return x.transpose(0, 2, 3, 1).reshape(N * H * W, C)  # (N, H, W, C) -> (N·H·W, C)
    raise ValueError(
        f"{name} has shape {x.shape} but gamma has shape ({C},); expected (N, {C}) or "
        f"(N, {C}, H, W)."
    )


def _from_2d(x2: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_as_2d` for an array of the original ``shape``."""
    if len(shape) == 2:
        return x2
    N, C, H, W = shape
    return x2.reshape(N, H, W, C).transpose(0, 3, 1, 2)  # (N·H·W, C) -> (N, C, H, W)


class BatchNorm(Layer):
    """Batch normalization: out = γ (x − μ) / √(σ² + eps) + β per feature. Taught in 2_1.

    gamma, beta: (D,) for x: (N, D), or (C,) for images x: (N, C, H, W), normalized per channel
    over N, H and W. ``forward(x, train=True)`` uses the batch statistics and updates
    ``running_mean`` and ``running_var`` (start 0 and 1); ``forward(x, train=False)`` uses those
    and changes nothing. ``backward(dout)`` is the gradient of the training-mode forward pass.
    ``momentum`` is the weight of the old running value, as in Keras (see the module docstring).
    """

    train_mode = True

    def __init__(
        self, gamma: ArrayLike, beta: ArrayLike, momentum: float = 0.9, eps: float = 1e-5
    ) -> None:
        super().__init__()
        gamma, beta = _as_float(gamma), _as_float(beta)
        if gamma.ndim != 1 or beta.shape != gamma.shape:
            raise ValueError(
                f"gamma has shape {gamma.shape} but beta has shape {beta.shape}; expected two "
                "arrays of shape (D,)."
            )
        if not 0.0 <= momentum <= 1.0 or eps < 0:
            raise ValueError(f"momentum must be in [0, 1] and eps >= 0, got {momentum}, {eps}.")
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {"gamma": np.zeros_like(gamma), "beta": np.zeros_like(beta)}
        self.momentum, self.eps = float(momentum), float(eps)
        self.running_mean = np.zeros_like(gamma)  # (D,)
        self.running_var = np.ones_like(gamma)  # (D,)
        self.xhat: np.ndarray | None = None  # normalized input (N, D) of the last training step
        self.std: np.ndarray | None = None  # √(σ² + eps) of that batch (D,)

    @classmethod
    def create(cls, D: int, momentum: float = 0.9, eps: float = 1e-5) -> BatchNorm:
        """A layer for D features (or channels) with γ = 1, β = 0."""
        return cls(np.ones(D), np.zeros(D), momentum=momentum, eps=eps)

    def forward(self, x: ArrayLike, train: bool = True) -> np.ndarray:
        """x: (N, D) or (N, C, H, W) -> out: the same shape."""
        x = _as_float(x)
        gamma, beta = self.params["gamma"], self.params["beta"]
        x2 = _as_2d(x, gamma.shape[0], "x")  # (M, D), M = N or N·H·W
        if train:
            mu = x2.mean(axis=0)  # (D,)
            var = x2.var(axis=0)  # (D,), biased: divided by M
            self.std = np.sqrt(var + self.eps)
            self.xhat = (x2 - mu) / self.std  # (M, D)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1.0 - m) * mu
            self.running_var = m * self.running_var + (1.0 - m) * var
            xhat = self.xhat
        else:
            xhat = (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps)
            self.xhat = self.std = None  # backward is of the training-mode forward only
        return _from_2d(gamma * xhat + beta, x.shape)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like x -> dx like x; sets grads gamma, beta: (D,).

        The compact formula: dx = γ / (M·std) · (M·dout − Σ dout − x̂ · Σ dout·x̂), sums over
        the M = N (or N·H·W) values of each feature.
        """
        if self.xhat is None or self.std is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward needs a training-mode forward first "
                "(forward(x, train=True) stores self.xhat and self.std)."
            )
        xhat, std = self.xhat, self.std
        dout = _as_float(dout)
        gamma = self.params["gamma"]
        d2 = _as_2d(dout, gamma.shape[0], "dout")  # (M, D)
        if d2.shape != xhat.shape:
            raise ValueError(
                f"dout has shape {dout.shape} but the last forward output had {xhat.shape[0]} "
                f"values per feature, shape ({xhat.shape[0]}, {xhat.shape[1]}) as 2-D."
            )
        M = d2.shape[0]
        dbeta = d2.sum(axis=0)  # (D,)
        dgamma = (d2 * xhat).sum(axis=0)  # (D,)
        self.grads = {"gamma": dgamma, "beta": dbeta}
        dx2 = gamma / (M * std) * (M * d2 - dbeta - xhat * dgamma)  # (M, D)
        return _from_2d(dx2, dout.shape)

    def __repr__(self) -> str:
        return (
            f"BatchNorm({self.params['gamma'].shape[0]}, momentum={self.momentum}, eps={self.eps})"
        )


# ------------------------------------------------------------------ norms as plain functions (4_5)
def _affine(xhat: np.ndarray, gamma: ArrayLike | None, beta: ArrayLike | None) -> np.ndarray:
    C = xhat.shape[-1]
    g = np.ones(C) if gamma is None else _as_float(gamma)
    b = np.zeros(C) if beta is None else _as_float(beta)
    if g.shape != (C,) or b.shape != (C,):
        raise ValueError(
            f"gamma {g.shape} and beta {b.shape} must have shape ({C},), the last axis of x "
            f"{xhat.shape}"
        )
    return g * xhat + b


def _normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased: divided by the number of values
    return (x - mu) / np.sqrt(var + eps)


def norm_axes(kind: str, ndim: int = 4) -> tuple[int, ...]:
    """The axes of an (N, …, C) array a normalization averages over: "batch" all but C,
    "layer" all but N, "instance" all but N and C (for (N, D) "instance" is invalid)."""
    if kind == "batch":
        return tuple(range(ndim - 1))
    if kind == "layer":
        return tuple(range(1, ndim))
    if kind == "instance" and ndim >= 3:
        return tuple(range(1, ndim - 1))
    raise ValueError(
        f"unknown normalization {kind!r} for {ndim}-D input; use batch, layer or instance"
    )


def batch_norm_nhwc(
    x: ArrayLike, gamma: ArrayLike | None = None, beta: ArrayLike | None = None, eps: float = 1e-5
) -> np.ndarray:
    """Batch norm in training mode on x: (N, …, C): per channel over every other axis (the batch
    statistics; no running averages). Equals ``keras.layers.BatchNormalization(epsilon=eps)``
    called with ``training=True``."""
    x = _as_float(x)
    return _affine(_normalize(x, norm_axes("batch", x.ndim), eps), gamma, beta)


def layer_norm(
    x: ArrayLike, gamma: ArrayLike | None = None, beta: ArrayLike | None = None, eps: float = 1e-5
) -> np.ndarray:
    """Layer norm on x: (N, D) or (N, H, W, C): each example over all its values (D, or H·W·C),
    then γ, β per feature/channel (C,). Independent of the other examples in the batch."""
    x = _as_float(x)
    if x.ndim < 2:
        raise ValueError(f"layer_norm expects (N, D) or (N, H, W, C), got shape {x.shape}")
    return _affine(_normalize(x, norm_axes("layer", x.ndim), eps), gamma, beta)


def instance_norm(
    x: ArrayLike, gamma: ArrayLike | None = None, beta: ArrayLike | None = None, eps: float = 1e-5
) -> np.ndarray:
    """Instance norm on x: (N, H, W, C): each example's each channel over H, W."""
    x = _as_float(x)
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects (N, H, W, C), got shape {x.shape}")
    return _affine(_normalize(x, norm_axes("instance", x.ndim), eps), gamma, beta)


def group_norm(
    x: ArrayLike,
    groups: int,
    gamma: ArrayLike | None = None,
    beta: ArrayLike | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Group norm on x: (N, H, W, C): the C channels split into ``groups`` consecutive groups of
    C/G; each example's each group over H, W and its channels. Equals
    ``keras.layers.GroupNormalization(groups, epsilon=eps)``."""
    x = _as_float(x)
    if x.ndim < 3:
        raise ValueError(f"group_norm expects (N, H, W, C), got shape {x.shape}")
    C = x.shape[-1]
    if groups < 1 or C % groups:
        raise ValueError(f"groups = {groups} must divide the {C} channels of x {x.shape}")
    xg = x.reshape(*x.shape[:-1], groups, C // groups)  # (N, H, W, G, C/G)
    axes = tuple(range(1, x.ndim - 1)) + (x.ndim,)  # H, W and the channels inside a group
    xhat = _normalize(xg, axes, eps).reshape(x.shape)  # (N, H, W, C)
    return _affine(xhat, gamma, beta)
