"""Optimizers that update a dict of parameter arrays in place from a dict of gradients.

All share one interface, as in "Deep Learning from Scratch": ``opt.update(params, grads)``
with ``params`` and ``grads`` keyed alike (e.g. ``model.params`` and ``model.gradient(x, t)``).
An optimizer with a state (a velocity, a sum of squared gradients, ...) keeps one state array
per parameter key, created on the first update of that key.

Symbols (lesson 2_2): η = ``lr``, g = ∂E/∂W of the current step, μ = ``momentum``,
ρ = ``rho`` (the lecture's α in RMSProp), β₁, β₂ = ``beta_1``, ``beta_2``, ε = ``eps`` (the
lecture's θ; the lecture writes the learning rate as ε). Hyper-parameter names and defaults follow
Keras; where the lecture's (or the paper's) formula differs from Keras', the lecture's is the
default and an option gives Keras' form (``keras_formula`` says which one an optimizer uses;
``as_keras()`` builds the Keras optimizer with the same hyper-parameters).
Taught in 1_4 (SGD) and 2_2 (the others).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SGD", "AdaGrad", "Adadelta", "Adam", "Momentum", "Nesterov", "Optimizer", "RMSProp"]

Params = dict[str, np.ndarray]


class Optimizer:
    """Base class: ``update(params, grads)`` changes every array of ``params`` in place."""

    #: True when ``update`` follows the formula of the Keras optimizer ``as_keras()`` builds.
    keras_formula = True

    def update(self, params: Params, grads: Params) -> None:
        """One step on every parameter; params[k] is modified in place."""
        raise NotImplementedError

    def as_keras(self) -> Any:
        """The ``keras.optimizers`` optimizer with the same hyper-parameters (float64 learning rate)."""
        import keras

        name, kwargs = self._keras_args()
        floatx = keras.config.floatx()
        keras.config.set_floatx("float64")  # Keras keeps the learning rate as a floatx variable
        try:
            return getattr(keras.optimizers, name)(**kwargs)
        finally:
            keras.config.set_floatx(floatx)

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} has no Keras counterpart")

    @staticmethod
    def _check(params: Params, grads: Params) -> None:
        """Raise ``ValueError`` when a parameter has no gradient or a gradient of another shape."""
        for key, p in params.items():
            if key not in grads:
                raise ValueError(f"grads has no entry for parameter {key!r} (keys: {list(grads)}).")
            if np.shape(grads[key]) != p.shape:
                raise ValueError(
                    f"params[{key!r}] has shape {p.shape} but grads[{key!r}] has shape "
                    f"{np.shape(grads[key])}."
                )

    @staticmethod
    def _slot(state: Params, key: str, p: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """The state array of parameter ``key`` (created as ``fill`` on first use), p's shape."""
        if key not in state:
            state[key] = np.full(p.shape, fill, dtype=np.result_type(p.dtype, np.float64))
        elif state[key].shape != p.shape:
            raise ValueError(
                f"params[{key!r}] has shape {p.shape} but its optimizer state has shape "
                f"{state[key].shape}; use a new optimizer for a new model."
            )
        return state[key]


class SGD(Optimizer):
    """Stochastic gradient descent: W <- W - lr * ∂E/∂W. Taught in 1_4."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        """params[k] -= lr * grads[k] for every key, in place."""
        self._check(params, grads)
        for key, p in params.items():
            p -= self.lr * grads[key]

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "SGD", {"learning_rate": self.lr}

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr})"


class Momentum(Optimizer):
    """Momentum: V <- μV - η g, W <- W + V (state ``v``, the velocity). Taught in 2_2.

    The lecture's formula and Keras' ``SGD(momentum=μ)``, identical.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: Params = {}  # velocity V per key

    def update(self, params: Params, grads: Params) -> None:
        """v[k] = μ v[k] - lr g; params[k] += v[k], in place, for every key."""
        self._check(params, grads)
        for key, p in params.items():
            v = self._slot(self.v, key, p)
            v *= self.momentum
            v -= self.lr * grads[key]
            p += v

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "SGD", {"learning_rate": self.lr, "momentum": float(self.momentum)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, momentum={self.momentum})"


class Nesterov(Momentum):
    """Nesterov momentum: V <- μV - η g, W <- W + μV - η g. Taught in 2_2.

    Nesterov's gradient at the look-ahead point W + μV, rewritten (Sutskever et al. 2013) for
    the look-ahead weights, which is what is stored; the form of Keras' ``SGD(nesterov=True)``.
    """

    def update(self, params: Params, grads: Params) -> None:
        """v[k] = μ v[k] - lr g; params[k] += μ v[k] - lr g, in place, for every key."""
        self._check(params, grads)
        for key, p in params.items():
            v = self._slot(self.v, key, p)
            v *= self.momentum
            v -= self.lr * grads[key]
            p += self.momentum * v - self.lr * grads[key]

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        name, kwargs = super()._keras_args()
        return name, {**kwargs, "nesterov": True}


class AdaGrad(Optimizer):
    """AdaGrad: h <- h + g², W <- W - η g / (√h + ε) (state ``h``). Taught in 2_2.

    The lecture's form: h starts at ``initial_accumulator_value`` (the lecture's h₀ = θ, here 0)
    and ε is added to √h. Keras' ``Adagrad`` starts h at 0.1 and divides by √(h + ε): use
    ``initial_accumulator_value=0.1, eps_inside_sqrt=True`` for its formula.
    """

    def __init__(
        self,
        lr: float = 0.001,
        eps: float = 1e-7,
        initial_accumulator_value: float = 0.0,
        eps_inside_sqrt: bool = False,
    ) -> None:
        self.lr, self.eps = lr, eps
        self.initial_accumulator_value = initial_accumulator_value
        self.eps_inside_sqrt = eps_inside_sqrt
        self.h: Params = {}  # sum of squared gradients per key

    @property
    def keras_formula(self) -> bool:  # type: ignore[override]
        return self.eps_inside_sqrt

    def update(self, params: Params, grads: Params) -> None:
        """h[k] += g²; params[k] -= lr g / (√h[k] + eps), in place, for every key."""
        self._check(params, grads)
        for key, p in params.items():
            g = grads[key]
            h = self._slot(self.h, key, p, self.initial_accumulator_value)
            h += g * g
            denom = np.sqrt(h + self.eps) if self.eps_inside_sqrt else np.sqrt(h) + self.eps
            p -= self.lr * g / denom

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "Adagrad", {"learning_rate": self.lr, "epsilon": self.eps,
                           "initial_accumulator_value": self.initial_accumulator_value}

    def __repr__(self) -> str:
        return (f"AdaGrad(lr={self.lr}, eps={self.eps}, initial_accumulator_value="
                f"{self.initial_accumulator_value}, eps_inside_sqrt={self.eps_inside_sqrt})")


class RMSProp(Optimizer):
    """RMSProp: h <- ρh + (1 - ρ) g², W <- W - η g / (√h + ε) (state ``h``). Taught in 2_2.

    The lecture's form (its α is ``rho``); Keras' ``RMSprop`` divides by √(h + ε): use
    ``eps_inside_sqrt=True`` for its formula.
    """

    def __init__(
        self, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-7, eps_inside_sqrt: bool = False
    ) -> None:
        self.lr, self.rho, self.eps = lr, rho, eps
        self.eps_inside_sqrt = eps_inside_sqrt
        self.h: Params = {}  # moving average of squared gradients per key

    @property
    def keras_formula(self) -> bool:  # type: ignore[override]
        return self.eps_inside_sqrt

    def update(self, params: Params, grads: Params) -> None:
        """h[k] = ρ h[k] + (1 - ρ) g²; params[k] -= lr g / (√h[k] + eps), in place."""
        self._check(params, grads)
        for key, p in params.items():
            g = grads[key]
            h = self._slot(self.h, key, p)
            h *= self.rho
            h += (1.0 - self.rho) * g * g
            denom = np.sqrt(h + self.eps) if self.eps_inside_sqrt else np.sqrt(h) + self.eps
            p -= self.lr * g / denom

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "RMSprop", {"learning_rate": self.lr, "rho": self.rho, "epsilon": self.eps}

    def __repr__(self) -> str:
        return (f"RMSProp(lr={self.lr}, rho={self.rho}, eps={self.eps}, "
                f"eps_inside_sqrt={self.eps_inside_sqrt})")


class Adadelta(Optimizer):
    """Adadelta: RMSProp whose step size is the RMS of the past steps. Taught in 2_2.

    h <- ρh + (1 - ρ) g²;  Δ = -√(s + ε) / √(h + ε) · g;  s <- ρs + (1 - ρ) Δ²;  W <- W + η Δ
    (states ``h`` and ``s``). Zeiler's paper has no learning rate (η = 1, the default here);
    Keras multiplies Δ by ``learning_rate`` (default 0.001) and puts ε in both roots, as here.
    """

    def __init__(self, lr: float = 1.0, rho: float = 0.95, eps: float = 1e-7) -> None:
        self.lr, self.rho, self.eps = lr, rho, eps
        self.h: Params = {}  # moving average of squared gradients
        self.s: Params = {}  # moving average of squared steps

    def update(self, params: Params, grads: Params) -> None:
        """Δ = -√(s + eps)/√(h + eps) g with the new h; params[k] += lr Δ; then s is updated."""
        self._check(params, grads)
        for key, p in params.items():
            g = grads[key]
            h, s = self._slot(self.h, key, p), self._slot(self.s, key, p)
            h *= self.rho
            h += (1.0 - self.rho) * g * g
            delta = -np.sqrt(s + self.eps) / np.sqrt(h + self.eps) * g
            s *= self.rho
            s += (1.0 - self.rho) * delta * delta
            p += self.lr * delta

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "Adadelta", {"learning_rate": self.lr, "rho": self.rho, "epsilon": self.eps}

    def __repr__(self) -> str:
        return f"Adadelta(lr={self.lr}, rho={self.rho}, eps={self.eps})"


class Adam(Optimizer):
    """Adam: moving averages of g (momentum) and of g² (RMSProp), bias-corrected. Taught in 2_2.

    t <- t + 1;  m <- β₁m + (1 - β₁)g;  v <- β₂v + (1 - β₂)g²;
    m̂ = m / (1 - β₁ᵗ);  v̂ = v / (1 - β₂ᵗ);  W <- W - η m̂ / (√v̂ + ε)
    (states ``m``, ``v`` and the step count ``t``, one for all keys). This is Algorithm 1 of
    Kingma & Ba. Keras uses the paper's "more efficient" order instead, folding both
    corrections into the step size: W <- W - η √(1 - β₂ᵗ)/(1 - β₁ᵗ) · m / (√v + ε), the same
    but for ε, which is then effectively ε √(1 - β₂ᵗ): use ``fold_bias_correction=True``.
    """

    def __init__(
        self,
        lr: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        eps: float = 1e-7,
        fold_bias_correction: bool = False,
    ) -> None:
        self.lr, self.beta_1, self.beta_2, self.eps = lr, beta_1, beta_2, eps
        self.fold_bias_correction = fold_bias_correction
        self.m: Params = {}  # first moment per key
        self.v: Params = {}  # second moment per key
        self.t = 0  # number of updates so far

    @property
    def keras_formula(self) -> bool:  # type: ignore[override]
        return self.fold_bias_correction

    def update(self, params: Params, grads: Params) -> None:
        """t += 1; m, v moving averages; params[k] -= lr m̂ / (√v̂ + eps), in place."""
        self._check(params, grads)
        self.t += 1
        c1, c2 = 1.0 - self.beta_1**self.t, 1.0 - self.beta_2**self.t  # bias corrections
        for key, p in params.items():
            g = grads[key]
            m, v = self._slot(self.m, key, p), self._slot(self.v, key, p)
            m *= self.beta_1
            m += (1.0 - self.beta_1) * g
            v *= self.beta_2
            v += (1.0 - self.beta_2) * g * g
            if self.fold_bias_correction:
                p -= self.lr * np.sqrt(c2) / c1 * m / (np.sqrt(v) + self.eps)
            else:
                p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

    def _keras_args(self) -> tuple[str, dict[str, Any]]:
        return "Adam", {"learning_rate": self.lr, "beta_1": self.beta_1, "beta_2": self.beta_2,
                        "epsilon": self.eps}

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr}, beta_1={self.beta_1}, beta_2={self.beta_2}, eps={self.eps}, "
                f"fold_bias_correction={self.fold_bias_correction})")
