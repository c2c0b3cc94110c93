"""Checkers of 2_2 optimizers: the student writes ``update`` of Momentum, AdaGrad, RMSProp, Adam.

Each exercise is a subclass of the course's class (``class Momentum(utils.nn.Momentum)``) whose
``update(params, grads)`` the student writes. A case builds the optimizer, runs several updates
on its own dict of parameters with fixed gradients and compares the whole trajectory with the
course's class. Known mistakes are simulated by small wrong optimizers below; a trajectory that
matches one of them gets its hint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker
from utils.nn.optimizers import AdaGrad, Adam, Momentum, RMSProp

Params = dict[str, np.ndarray]
Variant = tuple[type, dict[str, Any] | None, str]  # (wrong optimizer, its kwargs or None: same, hint)

_SHAPES = {"W": (3, 4), "b": (4,)}
_SAME_SHAPES = {"W1": (2, 3), "W2": (2, 3)}  # one shared state array would fit both


def _problem(
    seed: int, shapes: dict[str, tuple[int, ...]], steps: int, scale: float = 1.0
) -> tuple[Params, list[Params]]:
    """Initial parameters and a fixed sequence of gradients; each key gets its own gradient scale."""
    rng = _h.rng(seed)
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    key_scale = {k: scale * 3.0**-i for i, k in enumerate(shapes)}  # 1, 1/3, 1/9, ...
    grads = [{k: key_scale[k] * rng.normal(size=s) for k, s in shapes.items()} for _ in range(steps)]
    return params, grads


def _state_hint(store: str) -> str:
    return (f"keep one state array per parameter key, self.{store}[key], created the first time a "
            f"key is seen (np.zeros_like(params[key]))")


def _trajectory(opt: Any, params0: Params, grads_seq: list[Params], store: str) -> np.ndarray:
    """Run ``opt.update`` over ``grads_seq``: (steps, all parameter values) after each update."""
    params = {k: v.copy() for k, v in params0.items()}
    held = dict(params)  # the caller's arrays, e.g. those inside a model
    rows = []
    for step, g in enumerate(grads_seq, 1):
        g_in = {k: v.copy() for k, v in g.items()}
        try:
            opt.update(params, g_in)
        except ValueError as err:
            raise AssertionError(
                f"update {step} raised ValueError: {err}.\n    Hint: {_state_hint(store)}; "
                "one array shared by all keys cannot fit parameters of different shapes"
            ) from None
        for k in params0:
            if params.get(k) is not held[k]:
                raise AssertionError(
                    f"after update {step}, params[{k!r}] is a new array: `params[k] = ...` "
                    "rebinds the dict entry and the model keeps its old array. Update in place, "
                    "e.g. `params[k] -= step` or `p += v` with p = params[k]"
                )
            if not np.array_equal(g_in[k], g[k]):
                raise AssertionError(f"update {step} changed grads[{k!r}]; only params may change")
        rows.append(np.concatenate([np.asarray(params[k], dtype=float).ravel() for k in params0]))
    return np.array(rows)


RTOL, ATOL = 1e-5, 1e-8  # float64 implementations of one formula agree far better than this


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _where(col: int, shapes: dict[str, tuple[int, ...]]) -> str:
    """``"params['W'][1, 2]"`` for column ``col`` of a flattened trajectory row."""
    for k, s in shapes.items():
        n = int(np.prod(s))
        if col < n:
            idx = np.unravel_index(col, s)
            return f"params[{k!r}][{', '.join(str(int(i)) for i in idx)}]"
        col -= n
    raise IndexError(col)


def _judge(got: np.ndarray, want: np.ndarray, wrong: list[tuple[np.ndarray, str]],
           shapes: dict[str, tuple[int, ...]]) -> None:
    """Compare trajectories; on a mismatch name the first wrong value and the matching hint."""
    if _same(got, want):
        return
    close = np.isclose(got, want, rtol=RTOL, atol=ATOL)
    step, col = (int(i) for i in np.argwhere(~close)[0])
    a, b = got[step, col], want[step, col]
    msg = (f"after update {step + 1} of {len(want)}, {_where(col, shapes)} = {a:.8g}, "
           f"expected {b:.8g} (difference {a - b:.2g})")
    for traj, hint in wrong:
        if _same(got, traj):
            raise AssertionError(f"{msg}\n    Hint: {hint}")
    if not np.all(np.isfinite(got)):
        msg += "; your parameters became inf or NaN (a division by zero?)"
    elif step > 0:
        msg += ("; the first update was right: is the state updated (not only read) in every "
                "call, and is every hyper-parameter used as in the formula?")
    raise AssertionError(msg)


def _check_trajectory(
    student: Any,
    reference: type,
    variants: list[Variant],
    kwargs: dict[str, Any],
    *,
    seed: int,
    shapes: dict[str, tuple[int, ...]],
    steps: int,
    store: str,
    scale: float = 1.0,
) -> None:
    params0, grads_seq = _problem(seed, shapes, steps, scale)
    got = _trajectory(student(**kwargs), params0, grads_seq, store)
    want = _trajectory(reference(**kwargs), params0, grads_seq, store)
    wrong = []
    for cls, kw, hint in variants:
        with np.errstate(all="ignore"):
            try:
                opt = cls(**(kwargs if kw is None else kw))
                wrong.append((_trajectory(opt, params0, grads_seq, store), hint))
            except (AssertionError, ArithmeticError):  # a variant that cannot run these shapes
                continue
    _judge(got, want, wrong, shapes)


def _cases(chk: Checker, reference: type, variants: list[Variant], store: str,
           cases: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    """Register one trajectory case per (title, optimizer kwargs, problem) on ``chk``."""
    for i, (title, kwargs, problem) in enumerate(cases):

        def run(cls: Any, kwargs: dict[str, Any] = kwargs, problem: dict[str, Any] = problem,
                seed: int = 200 + i) -> None:
            _check_trajectory(cls, reference, variants, kwargs, seed=seed, store=store, **problem)

        chk.case(title)(run)


def _compare(actual: Any, expected: Any) -> None:
    """Extra cases: ``args``/``kwargs`` build both optimizers; five updates, the same trajectory."""
    params0, grads_seq = _problem(299, _SHAPES, 5)
    _judge(_trajectory(actual, params0, grads_seq, "state"),
           _trajectory(expected, params0, grads_seq, "state"), [], _SHAPES)


def _constant_hp(reference: type, hint: str) -> Variant:
    return (reference, {}, hint)


_FIXED_HP = ("this is the trajectory of the default hyper-parameters: read them from the "
             "optimizer (self.lr, ...) instead of writing numbers")


# ------------------------------------------------------------------ Momentum
class _MomentumNoState(Momentum):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            p -= self.lr * grads[key]


class _MomentumUphill(Momentum):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            v = self.v.setdefault(key, np.zeros_like(p))
            v *= self.momentum
            v += self.lr * grads[key]
            p += v


class _MomentumNoLr(Momentum):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            v = self.v.setdefault(key, np.zeros_like(p))
            v *= self.momentum
            v -= grads[key]
            p += v


class _MomentumDampened(Momentum):  # V <- μV - (1 - μ) η g: an exponential moving average
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            v = self.v.setdefault(key, np.zeros_like(p))
            v *= self.momentum
            v -= (1 - self.momentum) * self.lr * grads[key]
            p += v


class _MomentumShared(Momentum):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            v = self.v.setdefault("shared", np.zeros_like(p))
            v *= self.momentum
            v -= self.lr * grads[key]
            p += v


_MOMENTUM_VARIANTS: list[Variant] = [
    (_MomentumNoState, None,
     "this is plain SGD: the velocity is not kept between calls. Store it in self.v[key] and "
     "reuse it in the next update (is self.v reset inside update?)"),
    (_MomentumUphill, None, "the update goes uphill: V = μV − η g, with a minus before η g"),
    (_MomentumNoLr, None, "the learning rate is missing: V = μV − η g (self.lr)"),
    (_MomentumDampened, None,
     "V = μV − (1 − μ)η g is a moving average; the lecture's momentum adds the full −η g"),
    (_MomentumShared, None, "one velocity was shared by all parameters: " + _state_hint("v")),
    _constant_hp(Momentum, _FIXED_HP),
]

momentum_update = Checker(
    "2_2",
    "momentum_update",
    reference=Momentum,
    compare=_compare,
    doc="Momentum.update: v[k] = μ v[k] − lr g; params[k] += v[k] (in place, one v per key).",
)
_cases(momentum_update, Momentum, _MOMENTUM_VARIANTS, "v", [
    ("one update: V = −η g, W ← W + V", {"lr": 0.1, "momentum": 0.8},
     {"shapes": _SHAPES, "steps": 1}),
    ("six updates: the velocity is kept across calls", {"lr": 0.05, "momentum": 0.8},
     {"shapes": _SHAPES, "steps": 6}),
    ("two parameters of one shape: one velocity each", {"lr": 0.1, "momentum": 0.5},
     {"shapes": _SAME_SHAPES, "steps": 4}),
])


# ------------------------------------------------------------------ AdaGrad
class _AdaGradNoState(AdaGrad):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            p -= self.lr * g / (np.sqrt(g * g) + self.eps)


class _AdaGradUphill(AdaGrad):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h += g * g
            p += self.lr * g / (np.sqrt(h) + self.eps)


class _AdaGradEpsInside(AdaGrad):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h += g * g
            p -= self.lr * g / np.sqrt(h + self.eps)


class _AdaGradNoSqrt(AdaGrad):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h += g * g
            p -= self.lr * g / (h + self.eps)


class _AdaGradLateH(AdaGrad):  # the step uses h before this gradient was added
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            p -= self.lr * g / (np.sqrt(h) + self.eps)
            h += g * g


class _AdaGradH0Eps(AdaGrad):  # h starts at ε, the lecture's h₀ = θ
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.full_like(p, self.eps))
            h += g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


class _AdaGradNotSquared(AdaGrad):  # h <- h + g: the root of a negative sum is NaN
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h += g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


class _AdaGradShared(AdaGrad):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault("shared", np.zeros_like(p))
            h += g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


_EPS_INSIDE = ("ε was added inside the root, √(h + ε); this exercise follows the lecture, "
               "1 / (√h + ε), which is np.sqrt(h) + self.eps (Keras' form is the option "
               "eps_inside_sqrt=True of the course class)")

_ADAGRAD_VARIANTS: list[Variant] = [
    (_AdaGradNoState, None,
     "h holds only the current g²: it must accumulate, h ← h + g², in self.h[key] across calls"),
    (_AdaGradUphill, None, "the update goes uphill: W ← W − η g / (√h + ε)"),
    (_AdaGradEpsInside, None, _EPS_INSIDE),
    (_AdaGradNoSqrt, None, "the square root is missing: divide by √h + ε, np.sqrt(h) + self.eps"),
    (_AdaGradLateH, None,
     "the step used h before adding this g²: first h ← h + g², then the update with the new h"),
    (_AdaGradH0Eps, None,
     "h started at ε (the lecture's h₀ = θ); the course class starts it at "
     "self.initial_accumulator_value = 0: h = np.zeros_like(p)"),
    (_AdaGradNotSquared, None, "h accumulates the squared gradient: h ← h + g², g * g"),
    (_AdaGradShared, None, "one h was shared by all parameters: " + _state_hint("h")),
    _constant_hp(AdaGrad, _FIXED_HP),
]

adagrad_update = Checker(
    "2_2",
    "adagrad_update",
    reference=AdaGrad,
    compare=_compare,
    doc="AdaGrad.update: h[k] += g²; params[k] -= lr g / (√h[k] + eps) (in place, one h per key).",
)
_cases(adagrad_update, AdaGrad, _ADAGRAD_VARIANTS, "h", [
    ("one update: h = g², W ← W − η g / (√h + ε)", {"lr": 0.1, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 1}),
    ("six updates: h accumulates across calls", {"lr": 0.3, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 6}),
    ("small gradients: where ε goes matters", {"lr": 0.1, "eps": 0.01},
     {"shapes": _SHAPES, "steps": 3, "scale": 0.01}),
    ("two parameters of one shape: one h each", {"lr": 0.2, "eps": 1e-7},
     {"shapes": _SAME_SHAPES, "steps": 4}),
])


# ------------------------------------------------------------------ RMSProp
class _RMSPropNoState(RMSProp):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            p -= self.lr * g / (np.sqrt((1 - self.rho) * g * g) + self.eps)


class _RMSPropSwapped(RMSProp):  # h <- (1 - ρ) h + ρ g²
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h *= 1 - self.rho
            h += self.rho * g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


class _RMSPropNoOneMinus(RMSProp):  # h <- ρ h + g²
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h *= self.rho
            h += g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


class _RMSPropAdaGrad(RMSProp):  # h <- h + g²: no forgetting
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h += g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


class _RMSPropEpsInside(RMSProp):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h *= self.rho
            h += (1 - self.rho) * g * g
            p -= self.lr * g / np.sqrt(h + self.eps)


class _RMSPropUphill(RMSProp):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault(key, np.zeros_like(p))
            h *= self.rho
            h += (1 - self.rho) * g * g
            p += self.lr * g / (np.sqrt(h) + self.eps)


class _RMSPropShared(RMSProp):
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            g = grads[key]
            h = self.h.setdefault("shared", np.zeros_like(p))
            h *= self.rho
            h += (1 - self.rho) * g * g
            p -= self.lr * g / (np.sqrt(h) + self.eps)


_RMSPROP_VARIANTS: list[Variant] = [
    (_RMSPropNoState, None,
     "h holds only the current (1 − ρ) g²: keep the moving average in self.h[key] across calls"),
    (_RMSPropSwapped, None,
     "ρ and 1 − ρ are swapped: h ← ρ h + (1 − ρ) g², so the old average keeps the weight ρ"),
    (_RMSPropNoOneMinus, None, "the factor (1 − ρ) of g² is missing: h ← ρ h + (1 − ρ) g²"),
    (_RMSPropAdaGrad, None,
     "this is AdaGrad: h ← h + g² never forgets; RMSProp decays it, h ← ρ h + (1 − ρ) g²"),
    (_RMSPropEpsInside, None, _EPS_INSIDE),
    (_RMSPropUphill, None, "the update goes uphill: W ← W − η g / (√h + ε)"),
    (_RMSPropShared, None, "one h was shared by all parameters: " + _state_hint("h")),
    _constant_hp(RMSProp, _FIXED_HP),
]

rmsprop_update = Checker(
    "2_2",
    "rmsprop_update",
    reference=RMSProp,
    compare=_compare,
    doc="RMSProp.update: h[k] = ρ h[k] + (1 − ρ) g²; params[k] -= lr g / (√h[k] + eps).",
)
_cases(rmsprop_update, RMSProp, _RMSPROP_VARIANTS, "h", [
    ("one update: h = (1 − ρ) g²", {"lr": 0.01, "rho": 0.9, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 1}),
    ("six updates: a moving average across calls", {"lr": 0.05, "rho": 0.7, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 6}),
    ("small gradients: where ε goes matters", {"lr": 0.01, "rho": 0.9, "eps": 0.01},
     {"shapes": _SHAPES, "steps": 3, "scale": 0.01}),
    ("two parameters of one shape: one h each", {"lr": 0.02, "rho": 0.8, "eps": 1e-7},
     {"shapes": _SAME_SHAPES, "steps": 4}),
])


# ------------------------------------------------------------------ Adam
class _AdamBase(Adam):
    """Adam with hooks for the classic mistakes."""

    def _moments(self, key: str, p: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.m.setdefault(key, np.zeros_like(p))
        v = self.v.setdefault(key, np.zeros_like(p))
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * g * g
        return m, v

    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        m_hat, v_hat = m / (1 - self.beta_1**t), v / (1 - self.beta_2**t)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def update(self, params: Params, grads: Params) -> None:
        self.t += 1
        for key, p in params.items():
            m, v = self._moments(key, p, grads[key])
            p -= self._step(m, v, self.t)


class _AdamNoCorrection(_AdamBase):
    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.lr * m / (np.sqrt(v) + self.eps)


class _AdamOnlyFirstCorrection(_AdamBase):
    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return self.lr * m / (1 - self.beta_1**t) / (np.sqrt(v) + self.eps)


class _AdamTPlusOne(_AdamBase):  # t counted from 1 but incremented after the step: powers t + 1
    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        return super()._step(m, v, t + 1)


class _AdamTNotIncremented(_AdamBase):  # t stays 1
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            m, v = self._moments(key, p, grads[key])
            p -= self._step(m, v, 1)


class _AdamTPerKey(_AdamBase):  # t += 1 inside the loop over keys
    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            self.t += 1
            m, v = self._moments(key, p, grads[key])
            p -= self._step(m, v, self.t)


class _AdamEpsInside(_AdamBase):
    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        m_hat, v_hat = m / (1 - self.beta_1**t), v / (1 - self.beta_2**t)
        return self.lr * m_hat / np.sqrt(v_hat + self.eps)


class _AdamFolded(_AdamBase):  # Keras' form: ε added to √v, not to √v̂
    def _step(self, m: np.ndarray, v: np.ndarray, t: int) -> np.ndarray:
        alpha = self.lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        return alpha * m / (np.sqrt(v) + self.eps)


class _AdamGradNotSquared(_AdamBase):  # v <- β₂ v + (1 - β₂) g: √ of a negative v is NaN
    def _moments(self, key: str, p: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.m.setdefault(key, np.zeros_like(p))
        v = self.v.setdefault(key, np.zeros_like(p))
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * g
        return m, v


class _AdamNoState(_AdamBase):
    def _moments(self, key: str, p: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (1 - self.beta_1) * g, (1 - self.beta_2) * g * g


class _AdamSwappedBeta(_AdamBase):  # m <- (1 - β₁) m + β₁ g, likewise for v
    def _moments(self, key: str, p: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.m.setdefault(key, np.zeros_like(p))
        v = self.v.setdefault(key, np.zeros_like(p))
        m *= 1 - self.beta_1
        m += self.beta_1 * g
        v *= 1 - self.beta_2
        v += self.beta_2 * g * g
        return m, v


class _AdamUphill(_AdamBase):
    def update(self, params: Params, grads: Params) -> None:
        self.t += 1
        for key, p in params.items():
            m, v = self._moments(key, p, grads[key])
            p += self._step(m, v, self.t)


class _AdamShared(_AdamBase):
    def _moments(self, key: str, p: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return super()._moments("shared", p, g)


_ADAM_VARIANTS: list[Variant] = [
    (_AdamNoCorrection, None,
     "no bias correction: divide m by 1 − β₁ᵗ and v by 1 − β₂ᵗ before the step (m and v start "
     "at 0, so early on they are too small)"),
    (_AdamOnlyFirstCorrection, None, "only m was bias-corrected; v̂ = v / (1 − β₂ᵗ) as well"),
    (_AdamTPlusOne, None,
     "the bias correction used t + 1: increment self.t once at the start of update, so the "
     "first update uses t = 1"),
    (_AdamTNotIncremented, None,
     "the bias correction always used t = 1: increment self.t (once per update call)"),
    (_AdamTPerKey, None,
     "t was incremented once per parameter key: t counts update calls, so increment self.t "
     "once per call, before the loop over the keys"),
    (_AdamEpsInside, None,
     "ε was added inside the root, √(v̂ + ε); Adam divides by √v̂ + ε"),
    (_AdamFolded, None,
     "this is Keras' order (the bias corrections folded into the step size, ε added to √v); "
     "the exercise asks for Algorithm 1 of the paper: m̂ / (√v̂ + ε), with v̂ = v / (1 − β₂ᵗ)"),
    (_AdamGradNotSquared, None, "v averages g², the squared gradient: (1 − β₂) * g * g"),
    (_AdamNoState, None, "m and v are not kept between calls: store them in self.m[key] and "
                         "self.v[key] and update them in every call"),
    (_AdamSwappedBeta, None,
     "β and 1 − β are swapped: m ← β₁ m + (1 − β₁) g and v ← β₂ v + (1 − β₂) g²"),
    (_AdamUphill, None, "the update goes uphill: W ← W − η m̂ / (√v̂ + ε)"),
    (_AdamShared, None, "one m and v were shared by all parameters: " + _state_hint("m") +
     " (and self.v[key])"),
    _constant_hp(Adam, _FIXED_HP),
]

adam_update = Checker(
    "2_2",
    "adam_update",
    reference=Adam,
    compare=_compare,
    doc="Adam.update: t += 1; m, v moving averages; params[k] -= lr m̂ / (√v̂ + eps).",
)
_cases(adam_update, Adam, _ADAM_VARIANTS, "m", [
    ("one update: a step of about η against the gradient's sign",
     {"lr": 0.01, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 1}),
    ("eight updates: moments and bias corrections across calls",
     {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.99, "eps": 1e-7},
     {"shapes": _SHAPES, "steps": 8}),
    ("small gradients: where ε goes matters",
     {"lr": 0.01, "beta_1": 0.9, "beta_2": 0.999, "eps": 0.003},
     {"shapes": _SHAPES, "steps": 3, "scale": 0.01}),
    ("two parameters of one shape: one m and v each",
     {"lr": 0.02, "beta_1": 0.7, "beta_2": 0.9, "eps": 1e-7},
     {"shapes": _SAME_SHAPES, "steps": 4}),
])

