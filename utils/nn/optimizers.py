"""Optimizers that update a dict of parameter arrays in place from a dict of gradients.

All share one interface, as in "Deep Learning from Scratch": ``opt.update(params, grads)``
with ``params`` and ``grads`` keyed alike (e.g. ``model.params`` and ``model.gradient(x, t)``).
Taught in 1_4 (SGD); later lessons add more optimizers here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """Base class: ``update(params, grads)`` changes every array of ``params`` in place."""

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """One step on every parameter; params[k] is modified in place."""
        raise NotImplementedError

    @staticmethod
    def _check(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Raise ``ValueError`` when a parameter has no gradient or a gradient of another shape."""
        for key, p in params.items():
            if key not in grads:
                raise ValueError(f"grads has no entry for parameter {key!r} (keys: {list(grads)}).")
            if grads[key].shape != p.shape:
                raise ValueError(
                    f"params[{key!r}] has shape {p.shape} but grads[{key!r}] has shape "
                    f"{grads[key].shape}."
                )


class SGD(Optimizer):
    """Stochastic gradient descent: W <- W - lr * ∂E/∂W. Taught in 1_4."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """params[k] -= lr * grads[k] for every key, in place."""
        self._check(params, grads)
        for key, p in params.items():
            p -= self.lr * grads[key]

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr})"
