"""Checkers of Day 1, training: 1_4 gradient descent and 1_5 backpropagation.

Exercises: ``numerical_gradient`` and ``sgd_step`` (1_4); ``affine_backward``,
``softmax_with_loss_backward`` and ``check_gradients`` (1_5). The two layer exercises receive a
*class* (a subclass of the library layer whose ``backward`` the student wrote); the checker
builds instances, runs the inherited ``forward`` and then the student's ``backward``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import Affine, ReLU, Sequential, SoftmaxWithLoss, gradient_check, softmax
from utils.nn import numerical_gradient as _numerical_gradient


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """True when a and b have one shape and equal values (no exception)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _with_hint(check: Callable[[], None], actual: Any, hints: list[tuple[Any, str]]) -> None:
    """Run ``check()``; on failure add the hint of the first known wrong answer ``actual`` matches."""
    try:
        check()
    except AssertionError as err:
        for wrong, hint in hints:
            if _close(actual, wrong):
                raise AssertionError(f"{err}\n    Hint: {hint}") from None
        raise


# ============================================================== 1_4 gradient descent


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
    _with_hint(
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
    x0 = _rng(14).uniform(-1.0, 1.0, (2, 2, 3))
    A = _rng(15).uniform(0.5, 3.0, (2, 2, 3))
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
    params = {"W": _rng(41).normal(size=(2, 3)), "b": np.array([0.5, -1.0, 2.0])}
    grads = {"W": _rng(42).normal(size=(2, 3)), "b": np.array([1.0, 0.0, -4.0])}
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
        _with_hint(
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
        if params[key] is not arr or not _close(arr, start[key] - 0.5 * grads[key]):
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


# ============================================================== 1_5 backpropagation


def _affine_data(seed: int, x_shape: tuple[int, ...], M: int) -> tuple[np.ndarray, ...]:
    rng = _rng(seed)
    D = int(np.prod(x_shape[1:]))
    W, b = rng.normal(size=(D, M)), rng.normal(size=M)
    x, dout = rng.normal(size=x_shape), rng.normal(size=(x_shape[0], M))
    return W, b, x, dout


def _run_affine(cls: Any, W: np.ndarray, b: np.ndarray, x: np.ndarray, dout: np.ndarray) -> tuple:
    layer = cls(W.copy(), b.copy())
    layer.forward(x.copy())
    d = dout.copy()
    dx = layer.backward(d)
    if not np.array_equal(d, dout):
        raise AssertionError("backward changed dout in place; compute new arrays instead")
    if dx is None:
        raise AssertionError("backward returned None: did you forget `return dx`?")
    grads = getattr(layer, "grads", {})
    if "W" not in grads or "b" not in grads:
        raise AssertionError('backward must store the gradients in self.grads["W"] and self.grads["b"]')
    return np.asarray(dx), grads["W"], grads["b"]


def _compare_affine(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=(W, b)`` builds both layers; run both on a random batch."""
    W = expected.params["W"]
    _, _, x, dout = _affine_data(99, (3, W.shape[0]), W.shape[1])
    got = _run_affine(type(actual), W, expected.params["b"], x, dout)
    want = _run_affine(type(expected), W, expected.params["b"], x, dout)
    for g, w, name in zip(got, want, ("dx", "dW", "db"), strict=True):
        assert_close(g, w, name=name)


affine_backward = Checker(
    "1_5",
    "affine_backward",
    reference=Affine,
    compare=_compare_affine,
    doc="Affine.backward: dx = dout W^T (in x's shape), dW = x^T dout, db = sum of dout over the batch.",
)


@affine_backward.case("dx, dW and db of a batch")
def _(cls: Any) -> None:
    W, b, x, dout = _affine_data(51, (4, 3), 2)
    dx, dW, db = _run_affine(cls, W, b, x, dout)
    expect_shape(dx, (4, 3), "dx")
    assert_close(dx, dout @ W.T, name="dx")
    if np.shape(dW) == (2, 3):
        raise AssertionError(
            "dW has shape (2, 3) = (M, D), expected W's shape (3, 2) = (D, M): use x.T @ dout"
        )
    expect_shape(dW, W.shape, "dW")
    assert_close(dW, x.T @ dout, name="dW")
    expect_shape(db, b.shape, "db")
    assert_close(db, dout.sum(axis=0), name="db")


@affine_backward.case("db sums dout over the batch axis")
def _(cls: Any) -> None:
    W, b, x, dout = _affine_data(52, (5, 4), 3)
    _, _, db = _run_affine(cls, W, b, x, dout)
    hints = [
        (dout.mean(axis=0), "this is the mean over the batch; the bias gets the sum (axis=0)"),
        (dout.sum(), "one number: sum over the batch axis only, db = dout.sum(axis=0)"),
    ]
    if np.shape(db) == dout.shape:
        raise AssertionError(
            f"db has shape {dout.shape}, expected {b.shape}: the same b is added to every "
            "sample, so its gradient is the sum of dout over the batch, dout.sum(axis=0)"
        )
    _with_hint(lambda: assert_close(db, dout.sum(axis=0), name="db"), db, hints)


@affine_backward.case("images (N, C, H, W): dx has the input's shape")
def _(cls: Any) -> None:
    W, b, x, dout = _affine_data(53, (2, 2, 3, 3), 4)
    dx, dW, db = _run_affine(cls, W, b, x, dout)
    x2 = x.reshape(2, -1)  # (N, D) with D = C*H*W = 18
    if np.shape(dx) == x2.shape:
        raise AssertionError(
            f"dx has shape {x2.shape}, expected {x.shape}: reshape it to the input's shape, "
            "dx.reshape(self.x_shape)"
        )
    expect_shape(dx, x.shape, "dx")
    assert_close(dx, (dout @ W.T).reshape(x.shape), name="dx")
    assert_close(dW, x2.T @ dout, name="dW (use the flattened input self.x2)")


def _compare_softmax_with_loss(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=()`` builds both layers; run both on a random batch."""
    x = _rng(98).normal(size=(5, 4))
    t = np.array([0, 3, 1, 1, 2])
    actual.forward(x.copy(), t.copy())
    expected.forward(x, t)
    assert_close(actual.backward(1.0), expected.backward(1.0), name="dx")


softmax_with_loss_backward = Checker(
    "1_5",
    "softmax_with_loss_backward",
    reference=SoftmaxWithLoss,
    compare=_compare_softmax_with_loss,
    doc="SoftmaxWithLoss.backward: dx = dout * (y - t) / N, for one-hot and integer labels.",
)


def _softmax_case(seed: int, N: int, C: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _rng(seed)
    x = rng.normal(size=(N, C)) * 2
    labels = rng.integers(0, C, size=N)
    return x, labels, np.eye(C)[labels]


def _softmax_hints(y: np.ndarray, t1: np.ndarray, N: int) -> list[tuple[Any, str]]:
    return [
        (y - t1, "this is y - t: divide by the batch size N (the loss is a mean over the batch)"),
        (y / N, "this is y / N: subtract the target, dx = (y - t) / N"),
        (y, "this is y itself: dx = (y - t) / N"),
        ((y - t1) / N**2, "divided by N twice"),
    ]


@softmax_with_loss_backward.case("one-hot targets: dx = (y - t) / N")
def _(cls: Any) -> None:
    x, _, t1 = _softmax_case(61, 4, 3)
    layer = cls()
    layer.forward(x.copy(), t1.copy())
    dx = layer.backward()
    y = softmax(x)
    expect_shape(dx, x.shape, "dx")
    _with_hint(lambda: assert_close(dx, (y - t1) / 4, name="dx"), dx, _softmax_hints(y, t1, 4))


@softmax_with_loss_backward.case("integer labels (N,) give the same dx; backward can run twice")
def _(cls: Any) -> None:
    x, labels, t1 = _softmax_case(62, 5, 4)
    layer = cls()
    layer.forward(x.copy(), labels.copy())
    y = softmax(x)
    try:
        dx = layer.backward()
    except (ValueError, IndexError) as err:
        raise AssertionError(
            f"your code raised {type(err).__name__}: {err}.\n    Hint: with integer labels, "
            "self.sparse is True and self.t has shape (N,): subtract 1 at "
            "[np.arange(N), self.t] instead of subtracting self.t"
        ) from None
    expect_shape(dx, x.shape, "dx for integer labels")
    _with_hint(
        lambda: assert_close(dx, (y - t1) / 5, name="dx for integer labels"),
        dx,
        _softmax_hints(y, t1, 5),
    )
    dx_again = layer.backward()
    if not _close(dx_again, dx):
        raise AssertionError(
            "a second call of backward gave another dx: did you subtract 1 from self.y in "
            "place? Copy it first (dx = self.y.copy())"
        )


@softmax_with_loss_backward.case("dout scales the gradient")
def _(cls: Any) -> None:
    x, labels, t1 = _softmax_case(63, 3, 5)
    layer = cls()
    layer.forward(x.copy(), t1.copy())
    dx = layer.backward(2.5)
    want = 2.5 * (softmax(x) - t1) / 3
    _with_hint(
        lambda: assert_close(dx, want, name="backward(2.5)"),
        dx,
        [(want / 2.5, "dout is ignored: multiply by dout (the gradient arriving from above)")],
    )


def _compare_errors(actual: Any, expected: Any) -> None:
    """Extra cases: both dicts flag the same parameters (relative error above 1e-5)."""
    if not isinstance(actual, dict) or set(actual) != set(expected):
        raise AssertionError(f"expected a dict with keys {sorted(expected)}, got {actual!r}")
    for key in expected:
        if (float(actual[key]) > 1e-5) != (float(expected[key]) > 1e-5):
            raise AssertionError(f"{key}: your error {actual[key]:.2e}, expected {expected[key]:.2e}")


check_gradients = Checker(
    "1_5",
    "check_gradients",
    reference=gradient_check,
    compare=_compare_errors,
    doc="{param: rel_error(backprop gradient, numerical gradient)} for a Sequential model.",
)


class _MeanBiasAffine(Affine):
    """An Affine layer with a classic bug: db is the mean of dout, not the sum."""

    def backward(self, dout: Any) -> np.ndarray:
        dx = super().backward(dout)
        self.grads["b"] = np.asarray(dout).reshape(-1, self.params["b"].size).mean(axis=0)
        return dx


def _small_model(seed: int, scale: float = 1.0, buggy_first: bool = False) -> tuple[Any, ...]:
    rng = _rng(seed)
    D, H, C, N = 4, 5, 3, 3
    first = _MeanBiasAffine if buggy_first else Affine
    model = Sequential([
        first(rng.normal(size=(D, H)), rng.normal(size=H) * 0.1),
        ReLU(),
        Affine(rng.normal(size=(H, C)) * scale, rng.normal(size=C) * 0.1),
    ])
    x, t = rng.normal(size=(N, D)), rng.integers(0, C, size=N)
    return model, x, t


def _errors_of(fn: Any, model: Any, x: np.ndarray, t: np.ndarray) -> dict[str, float]:
    errors = fn(model, x.copy(), t.copy())
    if not isinstance(errors, dict):
        raise AssertionError(
            f"check_gradients returned {type(errors).__name__}; return a dict "
            "{parameter name: relative error}, keyed like model.params"
        )
    if set(errors) != set(model.params):
        raise AssertionError(
            f"the keys are {sorted(errors)}, expected those of model.params: {sorted(model.params)}"
        )
    return {k: float(np.max(v)) for k, v in errors.items()}


@check_gradients.case("a correct model passes, and its weights are restored")
def _(fn: Any) -> None:
    model, x, t = _small_model(71)
    before = {k: v.copy() for k, v in model.params.items()}
    errors = _errors_of(fn, model, x, t)
    for key, p in model.params.items():
        if not np.allclose(p, before[key], rtol=0, atol=1e-12):
            raise AssertionError(f"check_gradients changed the weights {key}; restore them")
    bad = {k: f"{v:.1e}" for k, v in errors.items() if not v < 1e-6}
    if bad:
        raise AssertionError(
            f"a correct model got relative errors {bad} (expected < 1e-6). All near 1? Then "
            "the numerical gradient was 0: numerical_gradient must perturb the model's own "
            "array model.params[key], not a copy, with f = lambda _: model.loss(x, t)"
        )


@check_gradients.case("a wrong bias gradient is flagged, the other parameters are not")
def _(fn: Any) -> None:
    model, x, t = _small_model(72, buggy_first=True)
    errors = _errors_of(fn, model, x, t)
    if not errors["0.b"] > 1e-2:
        raise AssertionError(
            f"layer 0 computes db as a mean instead of a sum, yet your check reports "
            f"{errors['0.b']:.1e} for '0.b' (expected > 1e-2)"
        )
    ok = {k: f"{v:.1e}" for k, v in errors.items() if k != "0.b" and not v < 1e-6}
    if ok:
        raise AssertionError(f"only '0.b' is wrong, yet your check reports {ok} for the others")


@check_gradients.case("a wrong gradient with small values is flagged too (relative error)")
def _(fn: Any) -> None:
    model, x, t = _small_model(73, scale=1e-3, buggy_first=True)
    errors = _errors_of(fn, model, x, t)
    if not errors["0.b"] > 1e-2:
        raise AssertionError(
            f"'0.b' is wrong by a factor of 3, but its values are ~1e-3 and your check reports "
            f"{errors['0.b']:.1e}: compare with the relative error utils.nn.rel_error(a, b), "
            "not the absolute difference |a - b|"
        )
