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
          "in floating point? Use h = 1e-5, as utils.nn.numerical_gradient does")]
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
        if rel < 1e-2:  # right idea, too large an h
            raise AssertionError(
                f"{err}\n    Hint: relative error {rel:.1e}: is h too large? The error of the "
                "central difference grows like h²; use h = 1e-5"
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


# ------------------------------------------------------------------ linear_grads
def _linear_grads(
    x: np.ndarray, t: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dE/dW, dE/db) of E = mean_squared_error(x @ W + b, t) = ½ Σ (xW + b - t)² / N."""
    delta = (x @ W + b - t) / x.shape[0]  # dE/du, (N, M)
    return x.T @ delta, delta.sum(axis=0)  # (D, M), (M,)


def _linear_compare(actual: Any, expected: Any) -> None:  # extra cases: two arrays each
    if not isinstance(actual, tuple | list) or len(actual) != 2:
        raise AssertionError("linear_grads must return the pair (dW, db)")
    assert_close(actual[0], expected[0], name="dW")
    assert_close(actual[1], expected[1], name="db")


linear_grads = Checker(
    "1_4",
    "linear_grads",
    reference=_linear_grads,
    compare=_linear_compare,
    doc="(dE/dW, dE/db) = (xᵀδ, Σ_n δ_n) with δ = (xW + b - t) / N, for E = ½ Σ (y - t)² / N.",
)


def _call_linear(fn: Any, x: np.ndarray, t: np.ndarray, W: np.ndarray, b: np.ndarray) -> Any:
    """fn on copies, with a hint for the shape error of a missing transpose."""
    try:
        return fn(x.copy(), t.copy(), W.copy(), b.copy())
    except ValueError as err:
        N, D = x.shape
        M = t.shape[1]
        raise AssertionError(
            f"your code raised ValueError for x {x.shape}, t {t.shape}, W {W.shape}, "
            f"b {b.shape}: {err}.\n    Hint: dE/dW = xᵀ δ is (D, N) @ (N, M) = ({D}, {M}); "
            "did you forget to transpose x (x.T)?"
        ) from None


def _judge_linear(out: Any, x: np.ndarray, t: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
    """Compare (dW, db) with the exact gradient; name the classic mistakes."""
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise AssertionError(
            f"linear_grads returned {type(out).__name__}; return the pair (dW, db): "
            "`return dW, db`"
        )
    dW, db = out
    if dW is None or db is None:
        raise AssertionError("dW or db is None: did you forget to compute one of them?")
    N, M = t.shape
    want_dW, want_db = _linear_grads(x, t, W, b)
    if np.shape(db) == (N, M):
        raise AssertionError(
            f"db has shape {np.shape(db)}, one row per sample; expected {b.shape} like b. "
            "The bias is shared by all N samples, so its gradient sums δ over the batch: "
            "delta.sum(axis=0)"
        )
    if np.shape(db) != b.shape:
        raise AssertionError(
            f"db has shape {np.shape(db)}, expected {b.shape} like b (one value per output; "
            "the optimizers require each gradient to have its parameter's shape). "
            "Sum δ over the batch axis only: delta.sum(axis=0)"
        )
    if np.shape(dW) == W.T.shape != W.shape:
        raise AssertionError(
            f"dW has shape {np.shape(dW)}, the shape of Wᵀ; expected {W.shape} like W. "
            "dE/dW = xᵀ δ: (D, N) @ (N, M)"
        )
    expect_shape(dW, W.shape, "dW")
    for got, want, name in [(dW, want_dW, "dW"), (db, want_db, "db")]:
        hints = [
            (N * want, "N times too large: the 1/N of the mean is missing, δ = (y - t) / N"),
            (-want, "the sign is flipped: δ = (y - t) / N, prediction minus target"),
            (2 * want, "twice too large: the ½ in E cancels the 2 from the derivative of "
             "the square, so δ = (y - t) / N, not 2 (y - t) / N"),
            (2 * N * want, "2N times too large: drop the 2 (the ½ in E cancels it) and "
             "divide by N"),
        ]
        if M > 1:
            hints.append((want / M, f"{M} times too small: E averages over the N samples "
                          "only (mean_squared_error sums over the M outputs); divide by N, "
                          "not by N·M"))
        _h.with_hint(
            lambda got=got, want=want, name=name: assert_close(
                got, want, rtol=1e-6, atol=1e-9, name=name
            ),
            got,
            hints,
        )


@linear_grads.case("a batch of three samples, worked by hand")
def _(fn: Any) -> None:
    x = np.array([[1.0], [2.0], [3.0]])  # (N, D) = (3, 1)
    t = np.array([[2.0], [3.0], [5.0]])  # (N, M) = (3, 1)
    W, b = np.array([[1.0]]), np.array([0.5])
    # y = (1.5, 2.5, 3.5), δ = (y - t)/3 = (-1/6, -1/6, -1/2): dW = -2, db = -5/6
    _judge_linear(_call_linear(fn, x, t, W, b), x, t, W, b)


@linear_grads.case("a random batch with D = 3 inputs and M = 2 outputs")
def _(fn: Any) -> None:
    r = _h.rng(43)
    x, t = r.normal(size=(6, 3)), r.normal(size=(6, 2))
    W, b = r.normal(size=(3, 2)), r.normal(size=2)
    _judge_linear(_call_linear(fn, x, t, W, b), x, t, W, b)


@linear_grads.case("agrees with the numerical gradient of E")
def _(fn: Any) -> None:
    from utils.nn import mean_squared_error

    r = _h.rng(44)
    x, t = r.uniform(-1, 1, size=(8, 2)), r.normal(size=(8, 1))
    W, b = r.normal(size=(2, 1)), r.normal(size=1)
    out = _call_linear(fn, x, t, W, b)
    _judge_linear(out, x, t, W, b)  # a clear message first, if it is a known mistake

    def E(_: Any) -> float:
        return mean_squared_error(x @ W + b, t)

    for got, param, name in [(out[0], W, "dW"), (out[1], b, "db")]:
        assert_close(got, _numerical_gradient(E, param), rtol=1e-6, atol=1e-8,
                     name=f"{name} against the numerical gradient")


@linear_grads.case("x, t, W and b are left unchanged")
def _(fn: Any) -> None:
    r = _h.rng(45)
    args = [r.normal(size=(4, 2)), r.normal(size=(4, 1)), r.normal(size=(2, 1)), r.normal(size=1)]
    before = [a.copy() for a in args]
    fn(*args)
    for name, a, a0 in zip("x t W b".split(), args, before, strict=True):
        if not np.array_equal(a, a0):
            raise AssertionError(
                f"linear_grads changed its argument {name}; compute new arrays "
                "(e.g. y = x @ W + b) instead of updating the inputs in place"
            )


def _sgd_update(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
    """params[k] -= lr * grads[k] for every key, in place; returns None."""
    for key, p in params.items():
        p -= lr * grads[key]


def _sgd_compare(actual: Any, expected: Any) -> None:  # extra cases: both return None
    if actual is not None:
        raise AssertionError(f"sgd_update returned {type(actual).__name__}; it should return None")


sgd_update = Checker(
    "1_4",
    "sgd_update",
    reference=_sgd_update,
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
            f"sgd_update returned a new {type(out).__name__}; it must update the arrays of "
            "params in place and return nothing (the caller keeps using its own params)"
        )


@sgd_update.case("one update moves every parameter by -lr * gradient")
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
            [(start[key] + 0.1 * grads[key], "the update went uphill: subtract lr * gradient"),
             (start[key] - grads[key], "the learning rate lr is missing"),
             (start[key], "params[k] did not change")],
        )
    _check_return(out, params)


@sgd_update.case("in place: the arrays in params are updated, not replaced")
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


@sgd_update.case("grads given in another key order, left unchanged")
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
            raise AssertionError(f"sgd_update changed grads[{key!r}]; only params may change")
    for key in start:
        assert_close(
            params[key], start[key] - 0.01 * g_before[key], name=f"params[{key!r}]",
        )
    _check_return(out, params)
