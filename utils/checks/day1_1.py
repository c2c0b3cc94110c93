"""Checkers of 1_1 input and hidden layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import functions as nnf
from utils.nn.layers import Affine


def _affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (N, D) or (D,), W: (D, M), b: (M,) -> x @ W + b: (N, M) or (M,)."""
    return Affine(W, b).forward(x)


affine_forward = Checker("1_1", "affine_forward", reference=_affine_forward)
_AFFINE_HINT = "With x: (N, D) and W: (D, M) the product is x @ W (or np.dot(x, W)), then + b"


def _affine_diagnose(out: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray, name: str) -> None:
    """Name the usual slips before the plain value comparison."""
    if _h.is_close(out, x @ W):
        raise AssertionError(f"{name} equals x @ W: the bias b is missing (u = xW + b)")
    if W.shape[0] == W.shape[1] and _h.is_close(out, x @ W.T + b):
        raise AssertionError(f"{name} equals x @ W.T + b: W is used transposed; W has shape (D, M)")


def _affine_case(fn: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
    """A batch case: the shape of x @ W + b, the likely mistake named, then the values."""
    out = _h.call(fn, x.copy(), W.copy(), b.copy(), hint=_AFFINE_HINT)
    name = f"affine_forward(x {x.shape}, W {W.shape}, b {b.shape})"
    expect_shape(out, (x.shape[0], W.shape[1]), name)
    _affine_diagnose(out, x, W, b, name)
    assert_close(out, x @ W + b, name=name)


@affine_forward.case("batch x: (4, 3), W: (3, 2), b: (2,) -> (4, 2)")
def _(fn: Any) -> None:
    rng = np.random.default_rng(0)
    _affine_case(fn, rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2))


@affine_forward.case("square W: W must not be transposed")
def _(fn: Any) -> None:
    x = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    _affine_case(fn, x, np.arange(9.0).reshape(3, 3) - 4.0, np.array([0.5, -1.0, 2.0]))


@affine_forward.case("a single sample x: (3,) -> (2,)")
def _(fn: Any) -> None:
    x, W, b = np.array([1.0, -2.0, 0.5]), np.array([[1.0, 0.0], [2.0, -1.0], [0.0, 4.0]]), np.array([0.1, 0.2])
    out = _h.call(fn, x.copy(), W.copy(), b.copy(), hint=_AFFINE_HINT)
    name = "affine_forward(x (3,), W (3, 2), b (2,))"
    expect_shape(out, (2,), name)
    assert_close(out, x @ W + b, name=name)


# XOR = AND(NAND(x1, x2), OR(x1, x2)): hidden layer (NAND, OR), output AND. Step neurons.
_XOR_W1 = np.array([[-1.0, 1.0], [-1.0, 1.0]])  # (2 inputs, 2 hidden): columns NAND, OR
_XOR_B1 = np.array([1.5, -0.5])
_XOR_W2 = np.array([1.0, 1.0])  # (2 hidden,) -> one output: AND
_XOR_B2 = -1.5


def _xor_network(x: np.ndarray) -> np.ndarray:
    """x: (N, 2) of 0/1 -> (N,) XOR as 0./1. floats, by a 2-layer network of step neurons."""
    z = nnf.step(np.asarray(x, dtype=float) @ _XOR_W1 + _XOR_B1)  # hidden layer, (N, 2)
    return nnf.step(z @ _XOR_W2 + _XOR_B2)  # (N,)


xor_network = Checker("1_1", "xor_network", reference=_xor_network)
_TRUTH = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def _xor_compare(out: Any, x: np.ndarray, name: str) -> None:
    N = len(x)
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if np.shape(out) == (N, 1):
        raise AssertionError(f"{name} has shape ({N}, 1), expected ({N},): flatten the output, e.g. out[:, 0]")
    expect_shape(out, (N,), name)
    vals = np.asarray(out, dtype=float)
    if not np.isin(vals, [0.0, 1.0]).all():
        k = int(np.flatnonzero(~np.isin(vals, [0.0, 1.0]))[0])
        raise AssertionError(
            f"{name} must be exactly 0 or 1, got {vals[k]:.4g} for input {tuple(int(v) for v in x[k])}: "
            "use step neurons, or threshold sigmoid outputs (> 0.5)"
        )
    want = (x[:, 0] != x[:, 1]).astype(float)
    bad = np.flatnonzero(vals != want)
    if bad.size:
        rows = ", ".join(
            f"{tuple(int(v) for v in x[k])} -> {vals[k]:g} (expected {want[k]:g})" for k in bad[:4]
        )
        raise AssertionError(
            f"{name} is wrong on {bad.size} of {N} inputs: {rows}. One neuron draws one straight "
            "line and cannot separate XOR: combine NAND, OR and AND in two layers"
        )


@xor_network.case("the truth table (4, 2) -> (4,)")
def _(fn: Any) -> None:
    _xor_compare(fn(_TRUTH.copy()), _TRUTH, "xor_network(truth table)")


@xor_network.case("a shuffled batch of 10 rows, as floats")
def _(fn: Any) -> None:
    x = _TRUTH[[3, 1, 0, 2, 2, 1, 3, 0, 1, 1]]
    _xor_compare(fn(x.astype(float)), x, "xor_network(x (10, 2))")


@xor_network.case("a batch of one row, input left unchanged")
def _(fn: Any) -> None:
    x = np.array([[1, 0]])
    before = x.copy()
    _xor_compare(fn(x), before, "xor_network([[1, 0]])")
    assert np.array_equal(x, before), "xor_network changed its input array in place"
