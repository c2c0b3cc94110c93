"""Checkers of 2_3 overfitting and regularization: the L2 penalty and dropout."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn.regularization import Dropout, l2_penalty, weight_keys

# ------------------------------------------------------------------ l2_penalty


def _params(seed: int, style: str = "sequential") -> dict[str, np.ndarray]:
    """A params dict of two layers: keys "0.W", "0.b", "2.W", "2.b" or "W1", "b1", "W2", "b2"."""
    rng = _h.rng(seed)
    W1, b1 = rng.normal(size=(4, 3)), rng.normal(size=3)
    W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=2)
    if style == "sequential":
        return {"0.W": W1, "0.b": b1, "2.W": W2, "2.b": b2}
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _wrong_values(params: dict[str, np.ndarray], lam: float) -> list[tuple[float, str]]:
    """Penalty values of the classic mistakes, each with its hint."""
    W = [params[k] for k in weight_keys(params)]
    sq = sum(float(np.sum(w**2)) for w in W)
    sq_all = sum(float(np.sum(p**2)) for p in params.values())
    ab = sum(float(np.sum(np.abs(w))) for w in W)
    return [
        (0.5 * lam * sq_all, "the biases were penalized too: sum only over the weight matrices "
         "(the keys utils.nn.weight_keys(params) gives: 'W1', '0.W', ...), not over 'b'"),
        (lam * sq, "the factor ½ is missing: this course (and the lecture's code) uses "
         "(λ/2) Σ w², whose gradient is λW"),
        (lam * ab, "this is λ Σ |w|, the L1 penalty; L2 squares the weights: (λ/2) Σ w²"),
        (0.5 * lam * ab, "this is (λ/2) Σ |w|; L2 squares the weights: (λ/2) Σ w²"),
        (0.5 * lam * float(np.sqrt(sq)), "this is (λ/2) ‖w‖₂, the norm itself; the penalty uses "
         "the squared norm (λ/2) ‖w‖₂² = (λ/2) Σ w²"),
        (0.5 * sq, "λ is missing: the penalty is (λ/2) Σ w²"),
    ]


def _wrong_grads(W: np.ndarray, lam: float) -> list[tuple[np.ndarray, str]]:
    """Gradients of one weight matrix from the classic mistakes, each with its hint."""
    return [
        (W, "the gradient lacks λ: ∂/∂W (λ/2) Σ w² = λW"),
        (2 * lam * W, "2λW is the gradient of λ Σ w² (without the ½); with the ½ it is λW"),
        (0.5 * lam * W, "the derivative of (λ/2) w² is λw: the ½ cancels the 2 of the square"),
        (lam * np.sign(W), "λ sign(W) is the gradient of the L1 penalty; for L2 it is λW"),
        (lam * W**2, "λW² is not a derivative of (λ/2) w²: the gradient is λW"),
    ]


def _run_l2(fn: Any, params: dict[str, np.ndarray], lam: float) -> tuple[float, Any]:
    before = {k: v.copy() for k, v in params.items()}
    out = fn(params, lam)
    for k in before:
        if k not in params or not np.array_equal(params[k], before[k]):
            raise AssertionError(f"l2_penalty changed params[{k!r}]; compute new arrays instead")
    if out is None:
        raise AssertionError("l2_penalty returned None: did you forget `return value, grads`?")
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise AssertionError(
            f"l2_penalty returned {type(out).__name__}; return a pair (value, grads): the "
            "penalty as one number and a dict {weight key: gradient}"
        )
    value, grads = out
    if np.ndim(value) != 0:
        raise AssertionError(
            f"the penalty has shape {np.shape(value)}; return one number, summed over all "
            "weight matrices"
        )
    return float(value), grads


def _check_value(value: float, params: dict[str, np.ndarray], lam: float) -> None:
    want = 0.5 * lam * sum(float(np.sum(params[k] ** 2)) for k in weight_keys(params))
    _h.with_hint(lambda: assert_close(value, want, name="the penalty"), value,
                 _wrong_values(params, lam))


def _check_grads(grads: Any, params: dict[str, np.ndarray], lam: float) -> None:
    if not isinstance(grads, dict):
        raise AssertionError(
            f"grads is a {type(grads).__name__}; return a dict {{weight key: λ W}} keyed like "
            "params, e.g. {'0.W': ..., '2.W': ...}"
        )
    for key in weight_keys(params):
        if key not in grads:
            raise AssertionError(f"grads has no entry {key!r}: give the gradient of every weight matrix")
        W = params[key]
        expect_shape(grads[key], W.shape, f"grads[{key!r}]")
        _h.with_hint(lambda g=grads[key], k=key: assert_close(g, lam * params[k], name=f"grads[{k!r}]"),
                     grads[key], _wrong_grads(W, lam))
    for key in grads:
        if key not in weight_keys(params):
            if key not in params:
                raise AssertionError(f"grads has the key {key!r}, which is not in params")
            if not _h.close(grads[key], np.zeros_like(params[key])):
                raise AssertionError(
                    f"grads[{key!r}] is not zero: the biases are not penalized, so their "
                    "penalty gradient is 0 (leave them out of grads)"
                )


l2_penalty_check = Checker(
    "2_3",
    "l2_penalty",
    reference=l2_penalty,
    compare=lambda a, e: (assert_close(a[0], e[0], name="the penalty"),
                          [assert_close(a[1][k], e[1][k], name=f"grads[{k!r}]") for k in e[1]]),
    doc="l2_penalty(params, lam) -> ((λ/2) Σ_W Σ w², {weight key: λ W}), biases not penalized.",
)


@l2_penalty_check.case("the value (λ/2) Σ w² over the weight matrices only")
def _(fn: Any) -> None:
    params = _params(31)
    value, _ = _run_l2(fn, params, 0.1)
    _check_value(value, params, 0.1)


@l2_penalty_check.case("the gradient λW of every weight matrix, nothing for the biases")
def _(fn: Any) -> None:
    params = _params(32)
    _, grads = _run_l2(fn, params, 0.05)
    _check_grads(grads, params, 0.05)


@l2_penalty_check.case("keys 'W1', 'b1', …, another λ, and λ = 0")
def _(fn: Any) -> None:
    params = _params(33, style="numbered")
    value, grads = _run_l2(fn, params, 0.3)
    _check_value(value, params, 0.3)
    _check_grads(grads, params, 0.3)
    value0, grads0 = _run_l2(fn, params, 0.0)
    if not _h.close(value0, 0.0):
        raise AssertionError(f"with λ = 0 the penalty must be 0, got {value0:.6g}")
    _check_grads(grads0, params, 0.0)


# ------------------------------------------------------------------ Dropout.forward/backward
N_ROWS, N_COLS = 100, 80  # 8 000 units: the kept fraction is within ±0.015 of 1 − rate (3.5 σ)
FRACTION_TOL = 0.03


def _inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x without zeros (a zero output then means a dropped unit) and an upstream gradient."""
    rng = _h.rng(seed)
    x = rng.uniform(0.5, 1.5, size=(N_ROWS, N_COLS)) * rng.choice([-1.0, 1.0], size=(N_ROWS, N_COLS))
    return x, rng.normal(size=(N_ROWS, N_COLS))


def _forward(layer: Any, x: np.ndarray, train: bool, what: str) -> np.ndarray:
    x_in = x.copy()
    out = layer.forward(x_in, train=train)
    if out is None:
        raise AssertionError(f"forward returned None ({what}): did you forget `return`?")
    out = np.asarray(out, dtype=float)
    if not np.array_equal(x_in, x):
        raise AssertionError("forward changed its input x in place; compute a new array")
    expect_shape(out, x.shape, f"forward(x, train={train}) ({what})")
    return out


def _check_kept_fraction(kept: np.ndarray, rate: float, what: str) -> None:
    frac = float(kept.mean())
    keep = 1.0 - rate
    if abs(frac - keep) <= FRACTION_TOL:
        return
    if frac == 1.0:
        raise AssertionError(
            f"{what}: no unit was dropped in training (train=True): draw a mask that keeps each "
            "unit with probability 1 − rate, e.g. self.rng.random(x.shape) >= self.rate"
        )
    hint = ""
    if abs(frac - rate) <= FRACTION_TOL:
        hint = (f". You keep a unit with probability rate = {rate:g}, so you drop with "
                f"probability {keep:g}: rate is the *drop* probability, keep a unit where "
                "self.rng.random(x.shape) >= self.rate")
    raise AssertionError(
        f"{what}: {frac:.1%} of the units were kept in training, expected about "
        f"{keep:.0%} = 1 − rate with rate = {rate:g}{hint}"
    )


def _check_train_values(out: np.ndarray, x: np.ndarray, kept: np.ndarray, rate: float,
                        mode: str) -> None:
    keep = 1.0 - rate
    got = out[kept]
    want = x[kept] / keep if mode == "inverted" else x[kept]
    if mode == "inverted":
        hints = [(x[kept], "no scaling: inverted dropout divides the kept units by the keep rate "
                  "1 − rate during training, so that the expected output equals x"),
                 (x[kept] * keep, "the kept units were multiplied by the keep rate; inverted "
                  "dropout divides by it, x * mask / (1 − rate)"),
                 (x[kept] / rate, "divided by rate; divide by the keep rate 1 − rate")]
    else:
        hints = [(x[kept] / keep, "the lecture's dropout does not rescale during training "
                  "(that is inverted dropout); it multiplies by the keep rate at test time"),
                 (x[kept] * keep, "the lecture's dropout does not rescale during training; it "
                  "multiplies by the keep rate at test time only")]
    _h.with_hint(lambda: assert_close(got, want, name=f"the kept units of forward(x, train=True) "
                                      f"({mode})"), got, hints)


def _check_inference(out: np.ndarray, x: np.ndarray, rate: float, mode: str) -> None:
    keep = 1.0 - rate
    name = f"forward(x, train=False) ({mode})"
    if np.mean(out == 0) > 0.05:
        raise AssertionError(
            f"{name} dropped {np.mean(out == 0):.0%} of the units: dropping at test time. "
            "With train=False no unit is dropped (use the `train` argument)"
        )
    want = x if mode == "inverted" else x * keep
    if mode == "inverted":
        hints = [(x / keep, "scaling at test time in inverted mode: inverted dropout already "
                  "scaled by 1/(1 − rate) in training, so inference returns x unchanged"),
                 (x * keep, "that is the lecture's test-time rule; in inverted mode, inference "
                  "is the identity (the scaling happened in training)")]
    else:
        hints = [(x, "the lecture's dropout multiplies every unit by the keep rate 1 − rate at "
                  "test time (it did not rescale in training)"),
                 (x * rate, "multiplied by rate; the lecture's test-time factor is the keep rate "
                  "1 − rate"),
                 (x / keep, "divided by the keep rate; the lecture's test-time rule multiplies "
                  "by it, x * (1 − rate)")]
    _h.with_hint(lambda: assert_close(out, want, name=name), out, hints)


def _check_backward(layer: Any, dout: np.ndarray, kept: np.ndarray, rate: float,
                    mode: str) -> None:
    keep = 1.0 - rate
    d_in = dout.copy()
    dx = layer.backward(d_in)
    if dx is None:
        raise AssertionError("backward returned None: did you forget `return dx`?")
    dx = np.asarray(dx, dtype=float)
    if not np.array_equal(d_in, dout):
        raise AssertionError("backward changed dout in place; compute a new array")
    expect_shape(dx, dout.shape, f"backward(dout) ({mode})")
    scale = 1.0 / keep if mode == "inverted" else 1.0
    want = dout * kept * scale
    passed = dx != 0
    if passed.shape == kept.shape and np.any(passed & ~kept) and np.any(~passed & kept):
        raise AssertionError(
            f"backward(dout) ({mode}) passes gradient to units that forward dropped, and none to "
            "some it kept: backward must use the same mask as the forward pass (store it in "
            "forward, self.mask, and do not draw a new one)"
        )
    hints = [(dout, "the gradient of the dropped units must be 0: dx = dout * mask (* scale)")]
    if mode == "inverted":
        hints += [(dout * kept, "the forward pass scaled by 1/(1 − rate), so the gradient needs "
                   "the same factor: dx = dout * mask / (1 − rate)"),
                  (dout / keep, "the gradient of the dropped units must be 0: "
                   "dx = dout * mask / (1 − rate)")]
    else:
        hints += [(dout * kept / keep, "the lecture's dropout does not scale in training, so "
                   "neither does its gradient: dx = dout * mask")]
    _h.with_hint(lambda: assert_close(dx, want, name=f"backward(dout) ({mode})"), dx, hints)


def _compare_dropout(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=(rate, mode, seed)`` builds both layers; same rules on one input."""
    rate, mode = float(expected.rate), str(expected.mode)
    x, dout = _inputs(99)
    out = _forward(actual, x, True, mode)
    kept = out != 0
    _check_kept_fraction(kept, rate, mode)
    _check_train_values(out, x, kept, rate, mode)
    _check_backward(actual, dout, kept, rate, mode)
    _check_inference(_forward(actual, x, False, mode), x, rate, mode)


dropout_forward_backward = Checker(
    "2_3",
    "dropout_forward_backward",
    reference=Dropout,
    compare=_compare_dropout,
    doc="Dropout.forward/backward: keep with probability 1 − rate; inverted scales by "
        "1/(1 − rate) in training, the lecture's multiplies by 1 − rate at test time; backward "
        "uses the forward pass's mask.",
)


@dropout_forward_backward.case("inverted, training: about 1 − rate kept, scaled by 1/(1 − rate)")
def _(cls: Any) -> None:
    x, _ = _inputs(41)
    layer = cls(0.2, mode="inverted", seed=1)
    out = _forward(layer, x, True, "inverted")
    kept = out != 0
    _check_kept_fraction(kept, 0.2, "inverted, rate 0.2")
    _check_train_values(out, x, kept, 0.2, "inverted")


@dropout_forward_backward.case("inverted, inference: the identity, nothing dropped")
def _(cls: Any) -> None:
    x, _ = _inputs(42)
    layer = cls(0.2, mode="inverted", seed=2)
    _check_inference(_forward(layer, x, False, "inverted"), x, 0.2, "inverted")


@dropout_forward_backward.case("backward uses the forward pass's mask and scale")
def _(cls: Any) -> None:
    x, dout = _inputs(43)
    layer = cls(0.25, mode="inverted", seed=3)
    kept = _forward(layer, x, True, "inverted") != 0
    _check_backward(layer, dout, kept, 0.25, "inverted")


@dropout_forward_backward.case("a new mask on every training pass")
def _(cls: Any) -> None:
    x, _ = _inputs(44)
    layer = cls(0.5, mode="inverted", seed=4)
    first = _forward(layer, x, True, "inverted") != 0
    second = _forward(layer, x, True, "inverted") != 0
    if np.array_equal(first, second):
        raise AssertionError(
            "two training passes dropped exactly the same units: draw a new mask on every "
            "forward pass, from the layer's generator self.rng (do not re-create the generator "
            "with the same seed in forward)"
        )


@dropout_forward_backward.case("the lecture's mode: drop without scaling, × (1 − rate) at test time")
def _(cls: Any) -> None:
    x, dout = _inputs(45)
    layer = cls(0.3, mode="lecture", seed=5)
    out = _forward(layer, x, True, "lecture")
    kept = out != 0
    _check_kept_fraction(kept, 0.3, "lecture, rate 0.3")
    _check_train_values(out, x, kept, 0.3, "lecture")
    _check_backward(layer, dout, kept, 0.3, "lecture")
    _check_inference(_forward(layer, x, False, "lecture"), x, 0.3, "lecture")
