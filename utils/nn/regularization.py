"""Regularization: L1/L2 penalties with their gradients, dropout (the lecture's and inverted). Taught in 2_3.

**Penalties.** Only the weight matrices are penalized, never the biases (nor batch norm's γ
and β): a key of a params dict names a weight matrix when its last part (after the last ".")
starts with "W" (``"W1"``, ``"0.W"``, ``"2.W"``), see :func:`weight_keys`. With λ ≥ 0:

- L2 (Ridge, weight decay): penalty (λ/2) Σ_W Σ w², gradient λ W: the lecture's convention
  (``0.5 * weight_decay_lambda * np.sum(W ** 2)``). Keras' ``regularizers.L2(l2)`` adds
  ``l2 * Σ w²`` without the ½, so ``L2(lam / 2)`` is our ``l2_penalty(params, lam)``.
- L1 (Lasso): penalty λ Σ_W Σ |w|, gradient λ sign(W) (0 at w = 0, a subgradient); Keras'
  ``regularizers.L1(lam)`` is the same.

Both return ``(value, grads)``: the penalty as a float and ``{weight key: gradient}`` for the
weight keys only, to be added to the loss and to the loss gradients.

**Dropout.** ``Dropout(rate, mode, seed)`` drops each unit with probability ``rate`` during
training and keeps it with probability 1 − rate (the keep rate):

- ``mode="inverted"`` (Keras, PyTorch): training multiplies the kept units by 1/(1 − rate),
  inference is the identity;
- ``mode="lecture"`` (the original paper and the lecture): training only drops, inference
  multiplies every unit by the keep rate 1 − rate.

In both, the expected training output equals the inference output. Masks come from the
layer's generator ``rng`` (``numpy.random.default_rng(seed)``): one seed gives one sequence of
masks. A gradient check needs the *same* mask on every forward pass (the loss must be a fixed
function of the weights): after :meth:`Dropout.fix_mask`, ``rng`` is a freshly seeded
generator on every access, so every training forward pass of one input shape draws the same
mask, until ``fix_mask(False)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float
from utils.nn.layers import Layer

__all__ = ["Dropout", "l1_penalty", "l2_penalty", "weight_keys"]

MODES = ("inverted", "lecture")


def weight_keys(params: Mapping[str, ArrayLike]) -> list[str]:
    """The keys of the weight matrices ("W1", "0.W", ...; not biases). Taught in 2_3."""
    return [k for k in params if str(k).rsplit(".", 1)[-1].startswith("W")]


def _check_lam(lam: float) -> float:
    lam = float(lam)
    if not lam >= 0.0:
        raise ValueError(f"lam must be a number >= 0, got {lam!r}.")
    return lam


def l2_penalty(params: Mapping[str, ArrayLike], lam: float) -> tuple[float, dict[str, np.ndarray]]:
    """(λ/2) Σ_W Σ w² over the weight matrices, and {key: λ W}. Taught in 2_3.

    params: {"0.W": (D, M), "0.b": (M,), ...}; only :func:`weight_keys` enter (no biases).
    Returns (value, grads) with grads[key] of the shape of params[key].
    """
    lam = _check_lam(lam)
    keys = weight_keys(params)
    value = 0.5 * lam * sum(float(np.sum(_as_float(params[k]) ** 2)) for k in keys)
    return float(value), {k: lam * _as_float(params[k]) for k in keys}


def l1_penalty(params: Mapping[str, ArrayLike], lam: float) -> tuple[float, dict[str, np.ndarray]]:
    """λ Σ_W Σ |w| over the weight matrices, and {key: λ sign(W)}. Taught in 2_3.

    params: {"0.W": (D, M), "0.b": (M,), ...}; only :func:`weight_keys` enter (no biases).
    sign(0) = 0: the subgradient at the kink. Returns (value, grads) like :func:`l2_penalty`.
    """
    lam = _check_lam(lam)
    keys = weight_keys(params)
    value = lam * sum(float(np.sum(np.abs(_as_float(params[k])))) for k in keys)
    return float(value), {k: lam * np.sign(_as_float(params[k])) for k in keys}


class Dropout(Layer):
    """Dropout: drop units with probability ``rate`` in training. Taught in 2_3.

    x: any shape (N, D), (N, C, H, W); out: the same shape. ``mode="inverted"`` scales the
    kept units by 1/(1 − rate) in training and is the identity in inference; ``mode="lecture"``
    does not scale in training and multiplies by the keep rate 1 − rate in inference.
    ``forward(x, train=True)`` draws a new boolean mask ``self.mask`` (True = kept) from
    ``self.rng``; ``backward(dout)`` passes the gradient through the same mask and scale.
    ``seed`` fixes the masks; :meth:`fix_mask` makes every pass draw the same one (gradient
    checks).
    """

    train_mode = True

    def __init__(self, rate: float = 0.5, mode: str = "inverted", seed: int | None = None) -> None:
        super().__init__()
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate is the drop probability and must be in [0, 1), got {rate!r}.")
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}: use 'inverted' or 'lecture'.")
        self.rate, self.mode, self.seed = rate, mode, seed
        self._rng = np.random.default_rng(seed)
        self._fixed_seed: int | None = None
        self.mask: np.ndarray | None = None  # True where a unit was kept (last training pass)
        self._factor: np.ndarray | float | None = None  # ∂out/∂x of the last forward pass
        self._shape: tuple[int, ...] | None = None

    @property
    def keep(self) -> float:
        """The keep rate 1 − rate."""
        return 1.0 - self.rate

    @property
    def rng(self) -> np.random.Generator:
        """The generator masks are drawn from (a freshly seeded one after :meth:`fix_mask`)."""
        if self._fixed_seed is not None:
            return np.random.default_rng(self._fixed_seed)
        return self._rng

    def fix_mask(self, fixed: bool = True) -> Dropout:
        """From now on every training pass of one input shape draws the same mask (or, with
        ``fixed=False``, fresh masks again). Returns the layer."""
        if fixed:
            self._fixed_seed = int(self._rng.integers(2**31)) if self.seed is None else self.seed
        else:
            self._fixed_seed = None
        return self

    def forward(self, x: ArrayLike, train: bool = True) -> np.ndarray:
        """x: any shape -> out: the same shape (training: dropped; inference: see ``mode``)."""
        x = _as_float(x)
        if train:
            self.mask = self.rng.random(x.shape) >= self.rate  # keep with probability 1 - rate
            scale = 1.0 / self.keep if self.mode == "inverted" else 1.0
            self._factor = self.mask * scale
        else:
            self.mask = None
            self._factor = 1.0 if self.mode == "inverted" else self.keep
        self._shape = x.shape
        return x * self._factor

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like the output -> dx = dout times the mask and scale of the last forward pass."""
        if self._factor is None:
            raise RuntimeError("Dropout.backward called before forward.")
        dout = _as_float(dout)
        if dout.shape != self._shape:
            raise ValueError(f"dout has shape {dout.shape} but the last input had shape {self._shape}.")
        return dout * self._factor

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate}, mode={self.mode!r})"
