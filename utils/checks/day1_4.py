"""Checkers of 1_4 gradient descent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import numerical_gradient as _numerical_gradient


def _forward_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """(f(x + h) - f(x)) / h per element: the classic wrong answer, for hints."""
    x = x.astype(float)
    grad = np.zeros_like(x)
    fx = float(f(x))
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (float(f(x)) - fx) / h
        x[idx] = old
    return grad


numerical_gradient = Checker(
    "1_4",
    "numerical_gradient",
    reference=_numerical_gradient,
    doc="Central differences (f(x+h) - f(x-h)) / 2h over every element of an n-d array.",
)


@numerical_gradient.case("central differences on a 1-D array")
def _(fn: Any) -> None:
    x = np.array([3.0, -1.0, 0.5, 2.0])
    grad = fn(lambda v: float(np.sum(v**2)), x)
    expect_shape(grad, x.shape, "numerical_gradient(f, x)")
    exact = 2 * np.array([3.0, -1.0, 0.5, 2.0])
    hints = [
        (_forward_difference(lambda v: float(np.sum(v**2)), x.copy(), h), f"this is the "
         f"forward difference (f(x+h) - f(x)) / h with h = {h:g}, which is off by about h; "
         "use the central difference (f(x+h) - f(x-h)) / (2h)")
        for h in (1e-4, 1e-5, 1e-3, 1e-6, 1e-2)
    ] + [(np.zeros_like(x), "all zeros: is h so small (e.g. 1e-50) that x + h == x "
          "in floating point? Use h = 1e-4")]
    _h.with_hint(
        lambda: assert_close(grad, exact, rtol=1e-6, atol=1e-6, name="gradient of sum(x**2)"),
        grad,
        hints,
    )


@numerical_gradient.case("every element of a 2-D array")
def _(fn: Any) -> None:
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    x = np.array([[0.5, -0.3, 1.0], [-1.0, 0.2, 0.7]])
    try:
        grad = fn(lambda v: float(np.sum(A * v**2)), x)
    except IndexError as err:
        raise AssertionError(
            f"your code raised IndexError: {err}.\n    Hint: for a matrix, x[i] is a whole row; "
            "visit every element with `for idx in np.ndindex(x.shape):` and x[idx]"
        ) from None
    expect_shape(grad, x.shape, "numerical_gradient(f, x) for x of shape (2, 3)")
    assert_close(
        grad, 2 * A * np.array([[0.5, -0.3, 1.0], [-1.0, 0.2, 0.7]]), rtol=1e-5, atol=1e-6,
        name="gradient of sum(A * x**2)",
    )


@numerical_gradient.case("a smooth function of a 3-D array, with a small enough h")
def _(fn: Any) -> None:
    x0 = _h.rng(14).uniform(-1.0, 1.0, (2, 2, 3))
    A = _h.rng(15).uniform(0.5, 3.0, (2, 2, 3))
    grad = fn(lambda v: float(np.sum(A * np.exp(2 * v))), x0.copy())
    expect_shape(grad, x0.shape, "numerical_gradient(f, x) for x of shape (2, 2, 3)")
    exact = 2 * A * np.exp(2 * x0)
    try:
        assert_close(grad, exact, rtol=1e-6, atol=1e-6, name="gradient of sum(A * exp(2x))")
    except AssertionError as err:
        rel = float(np.max(np.abs(np.asarray(grad, dtype=float) - exact) / np.abs(exact)))
        if rel < 1e-2:  # right idea, too coarse a step
            raise AssertionError(
                f"{err}\n    Hint: relative error {rel:.1e}: is h too large? The error of the "
                "central difference grows like h²; use h = 1e-4"
            ) from None
        raise


@numerical_gradient.case("x is left unchanged, the result is a new array")
def _(fn: Any) -> None:
    x = np.array([[1.0, 2.0], [-0.5, 0.25]])
    before = x.copy()
    grad = fn(lambda v: float(np.sum(v**3)), x)
    assert grad is not x, "numerical_gradient returned x itself; return a new array (np.zeros_like(x))"
    if not np.allclose(x, before, rtol=0, atol=1e-12):
        raise AssertionError(
            f"numerical_gradient changed x: {before.tolist()} became {x.tolist()}. Restore "
            "each element to its original value after the two evaluations of f"
        )
    assert_close(grad, 3 * before**2, rtol=1e-5, atol=1e-6, name="gradient of sum(x**3)")


@numerical_gradient.case("x itself is perturbed, so f may read it from a model")
def _(fn: Any) -> None:
    weights = np.array([[0.5, -1.0], [2.0, 0.1]])  # like a model's weight matrix

    def loss(_: Any) -> float:  # ignores its argument, reads `weights`
        return float(np.sum(weights**2))

    grad = fn(loss, weights)
    expect_shape(grad, weights.shape, "numerical_gradient(loss, weights)")
    if np.allclose(np.asarray(grad, dtype=float), 0):
        raise AssertionError(
            "got all zeros for f = lambda _: loss(model): such an f reads the weights from the "
            "model, not from its argument. Change the elements of x itself (x[idx] = old + h) "
            "and restore them, instead of perturbing a copy"
        )
    assert_close(grad, 2 * weights, rtol=1e-5, atol=1e-6, name="gradient of sum(weights**2)")


def _sgd_step(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
    """params[k] -= lr * grads[k] for every key, in place; returns None."""
    for key, p in params.items():
        p -= lr * grads[key]


def _sgd_compare(actual: Any, expected: Any) -> None:  # extra cases: both return None
    if actual is not None:
        raise AssertionError(f"sgd_step returned {type(actual).__name__}; it should return None")


sgd_step = Checker(
    "1_4",
    "sgd_step",
    reference=_sgd_step,
    compare=_sgd_compare,
    doc="In-place update params[k] -= lr * grads[k]; returns None (returning params is tolerated).",
)


def _params_grads() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    params = {"W": _h.rng(41).normal(size=(2, 3)), "b": np.array([0.5, -1.0, 2.0])}
    grads = {"W": _h.rng(42).normal(size=(2, 3)), "b": np.array([1.0, 0.0, -4.0])}
    return params, grads


def _check_return(out: Any, params: dict) -> None:
    if out is not None and out is not params:
        raise AssertionError(
            f"sgd_step returned a new {type(out).__name__}; it must update the arrays of "
            "params in place and return nothing (the caller keeps using its own params)"
        )


@sgd_step.case("one step moves every parameter by -lr * gradient")
def _(fn: Any) -> None:
    params, grads = _params_grads()
    start = {k: v.copy() for k, v in params.items()}
    out = fn(params, grads, 0.1)
    for key in start:
        want = start[key] - 0.1 * grads[key]
        got = out[key] if isinstance(out, dict) and out is not params else params[key]
        _h.with_hint(
            lambda got=got, want=want, key=key: assert_close(got, want, name=f"params[{key!r}]"),
            got,
            [(start[key] + 0.1 * grads[key], "the step went uphill: subtract lr * gradient"),
             (start[key] - grads[key], "the learning rate lr is missing"),
             (start[key], "params[k] did not change")],
        )
    _check_return(out, params)


@sgd_step.case("in place: the arrays in params are updated, not replaced")
def _(fn: Any) -> None:
    params, grads = _params_grads()
    arrays = dict(params)  # the caller's references, e.g. the arrays inside a model
    start = {k: v.copy() for k, v in params.items()}
    fn(params, grads, 0.5)
    for key, arr in arrays.items():
        if params[key] is not arr or not _h.close(arr, start[key] - 0.5 * grads[key]):
            raise AssertionError(
                f"the array params[{key!r}] the caller holds was not updated. "
                "`params[k] = params[k] - lr * g` makes a new array and the model keeps the old "
                "one; update in place with `params[k] -= lr * g`"
            )


@sgd_step.case("grads given in another key order, left unchanged")
def _(fn: Any) -> None:
    params, grads = _params_grads()
    grads = {"b": grads["b"], "W": grads["W"]}  # same keys, other order
    start, g_before = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in grads.items()}
    try:
        out = fn(params, grads, 0.01)
    except ValueError as err:
        raise AssertionError(
            f"your code raised ValueError: {err}.\n    Hint: look each gradient up by its key, "
            "grads[k]; zip(params.values(), grads.values()) pairs them by position"
        ) from None
    for key in g_before:
        if not np.array_equal(grads[key], g_before[key]):
            raise AssertionError(f"sgd_step changed grads[{key!r}]; only params may change")
    for key in start:
        assert_close(
            params[key], start[key] - 0.01 * g_before[key], name=f"params[{key!r}]",
        )
    _check_return(out, params)
