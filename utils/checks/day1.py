"""Checkers of Day 1: 1_1 input and hidden layers, 1_2 activation functions, 1_3 output layer and loss.

The references come from :mod:`utils.nn` where the library has them; each case feeds the
student's function small arrays and, on a mismatch, tries to name the likely mistake
(``W`` transposed, the ½ missing, the max not subtracted, …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import functions as nnf
from utils.nn.layers import Affine


def _shape(a: Any) -> str:
    return str(np.shape(a))


def _call(fn: Callable[..., Any], *args: Any, hint: str = "") -> Any:
    """``fn(*args)``, turning a NumPy shape error into a message that names the input shapes."""
    try:
        return fn(*args)
    except ValueError as err:
        shapes = ", ".join(_shape(a) for a in args)
        raise AssertionError(
            f"{getattr(fn, '__name__', 'your function')} raised ValueError on inputs of shapes "
            f"{shapes}: {err}" + (f". {hint}" if hint else "")
        ) from err


def _is_close(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return False
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _number_dtype(out: Any, name: str, hint: str) -> None:
    """``out`` must be an array of numbers (int or float), not booleans."""
    dtype = getattr(out, "dtype", None)
    if dtype is None:
        raise AssertionError(f"{name} returned {type(out).__name__}, expected a NumPy array")
    if dtype.kind not in "iuf":
        raise AssertionError(f"{name} returned dtype {dtype}, expected numbers (float). {hint}")


def _scalar(out: Any, name: str) -> float:
    """``out`` as a float; it must be one number, not an array per sample."""
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(
            f"{name} returned an array of shape {np.shape(out)}, expected one number "
            "(the loss averaged over the batch)"
        )
    return float(out)


# ============================================================================== 1_1
def _affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (N, D) or (D,), W: (D, M), b: (M,) -> x @ W + b: (N, M) or (M,)."""
    return Affine(W, b).forward(x)


affine_forward = Checker("1_1", "affine_forward", reference=_affine_forward)
_AFFINE_HINT = "With x: (N, D) and W: (D, M) the product is x @ W (or np.dot(x, W)), then + b"


def _affine_diagnose(out: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray, name: str) -> None:
    """Name the usual slips before the plain value comparison."""
    if _is_close(out, x @ W):
        raise AssertionError(f"{name} equals x @ W: the bias b is missing (u = xW + b)")
    if W.shape[0] == W.shape[1] and _is_close(out, x @ W.T + b):
        raise AssertionError(f"{name} equals x @ W.T + b: W is used transposed; W has shape (D, M)")


@affine_forward.case("batch x: (4, 3), W: (3, 2), b: (2,) -> (4, 2)")
def _(fn: Any) -> None:
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    out = _call(fn, x.copy(), W.copy(), b.copy(), hint=_AFFINE_HINT)
    name = "affine_forward(x (4, 3), W (3, 2), b (2,))"
    expect_shape(out, (4, 2), name)
    _affine_diagnose(out, x, W, b, name)
    assert_close(out, x @ W + b, name=name)


@affine_forward.case("square W: W must not be transposed")
def _(fn: Any) -> None:
    x = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    W = np.arange(9.0).reshape(3, 3) - 4.0
    b = np.array([0.5, -1.0, 2.0])
    out = _call(fn, x.copy(), W.copy(), b.copy(), hint=_AFFINE_HINT)
    name = "affine_forward(x (2, 3), W (3, 3), b (3,))"
    expect_shape(out, (2, 3), name)
    _affine_diagnose(out, x, W, b, name)
    assert_close(out, x @ W + b, name=name)


@affine_forward.case("a single sample x: (3,) -> (2,)")
def _(fn: Any) -> None:
    x, W, b = np.array([1.0, -2.0, 0.5]), np.array([[1.0, 0.0], [2.0, -1.0], [0.0, 4.0]]), np.array([0.1, 0.2])
    out = _call(fn, x.copy(), W.copy(), b.copy(), hint=_AFFINE_HINT)
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
    h = nnf.step(np.asarray(x, dtype=float) @ _XOR_W1 + _XOR_B1)  # (N, 2)
    return nnf.step(h @ _XOR_W2 + _XOR_B2)  # (N,)


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


# ============================================================================== 1_2
sigmoid = Checker("1_2", "sigmoid", reference=nnf.sigmoid)


@sigmoid.case("values on [-4, 4]")
def _(fn: Any) -> None:
    x = np.linspace(-4, 4, 9)
    out = fn(x.copy())
    name = "sigmoid(linspace(-4, 4, 9))"
    expect_shape(out, x.shape, name)
    if _is_close(out, nnf.sigmoid(-x)):
        raise AssertionError(f"{name} equals σ(-x) = 1 / (1 + exp(x)): the sign of the exponent is flipped")
    assert_close(out, nnf.sigmoid(x), name=name)


@sigmoid.case("σ(0) = 0.5, σ(±30) ≈ 1 and 0")
def _(fn: Any) -> None:
    x = np.array([-30.0, 0.0, 30.0])
    with np.errstate(over="ignore"):
        out = fn(x.copy())
    assert_close(out, nnf.sigmoid(x), atol=1e-10, name="sigmoid([-30, 0, 30])")


@sigmoid.case("a (2, 3) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.array([[-1.0, 0.5, 2.0], [3.0, -0.2, 0.0]])
    out = fn(x.copy())
    expect_shape(out, (2, 3), "sigmoid(x (2, 3))")
    assert_close(out, nnf.sigmoid(x), name="sigmoid(x (2, 3))")


d_sigmoid = Checker("1_2", "d_sigmoid", reference=nnf.d_sigmoid)


@d_sigmoid.case("σ'(x) = σ(x)(1 - σ(x)) on [-3, 3]")
def _(fn: Any) -> None:
    x = np.linspace(-3, 3, 7)
    out = fn(x.copy())
    name = "d_sigmoid(linspace(-3, 3, 7))"
    expect_shape(out, x.shape, name)
    s = nnf.sigmoid(x)
    if _is_close(out, s * (1 - x)):
        raise AssertionError(f"{name} equals σ(x)(1 - x): the second factor must be 1 - σ(x)")
    if _is_close(out, x * (1 - x)):
        raise AssertionError(
            f"{name} equals x(1 - x): the formula y(1 - y) needs the output y = σ(x), not the input x"
        )
    if _is_close(out, s):
        raise AssertionError(f"{name} equals σ(x): return the derivative, not the function")
    assert_close(out, nnf.d_sigmoid(x), name=name)


@d_sigmoid.case("the maximum: σ'(0) = 0.25")
def _(fn: Any) -> None:
    out = fn(np.array([0.0]))
    assert_close(out, [0.25], name="d_sigmoid([0])")


@d_sigmoid.case("a (2, 2) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.array([[-10.0, 1.0], [0.5, 4.0]])
    out = fn(x.copy())
    expect_shape(out, (2, 2), "d_sigmoid(x (2, 2))")
    assert_close(out, nnf.d_sigmoid(x), name="d_sigmoid(x (2, 2))")


relu = Checker("1_2", "relu", reference=nnf.relu)
_RELU_HINT = "`x > 0` is a mask of booleans; relu returns the values max(0, x), e.g. np.maximum(0, x)"


@relu.case("values max(0, x) as numbers")
def _(fn: Any) -> None:
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    out = fn(x.copy())
    name = "relu([-2, -0.5, 0, 0.5, 2])"
    expect_shape(out, x.shape, name)
    _number_dtype(out, name, _RELU_HINT)
    assert_close(out, nnf.relu(x), name=name)


@relu.case("the input array is left unchanged")
def _(fn: Any) -> None:
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    before = x.copy()
    out = fn(x)
    assert np.array_equal(x, before), (
        "relu changed its input array in place (e.g. x[x < 0] = 0): the caller's x is gone. "
        "Work on a copy or use np.maximum(0, x)"
    )
    assert_close(out, nnf.relu(before), name="relu(x (2, 2))")


@relu.case("a (3, 4) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.random.default_rng(1).normal(size=(3, 4))
    out = fn(x.copy())
    expect_shape(out, (3, 4), "relu(x (3, 4))")
    assert_close(out, nnf.relu(x), name="relu(x (3, 4))")


d_relu = Checker("1_2", "d_relu", reference=nnf.d_relu)


@d_relu.case("1 where x > 0, 0 where x < 0, as numbers")
def _(fn: Any) -> None:
    x = np.array([-2.0, -0.5, 0.5, 2.0, 7.0])
    out = fn(x.copy())
    name = "d_relu([-2, -0.5, 0.5, 2, 7])"
    expect_shape(out, x.shape, name)
    _number_dtype(out, name, "Return 0/1 numbers, e.g. (x > 0).astype(float)")
    if _is_close(out, nnf.relu(x)):
        raise AssertionError(f"{name} equals relu(x): return the slope (0 or 1), not the function")
    assert_close(out, nnf.d_relu(x), name=name)


@d_relu.case("at x = 0 the slope is taken as 0 (as in TensorFlow)")
def _(fn: Any) -> None:
    out = fn(np.array([0.0]))
    assert_close(out, [0.0], name="d_relu([0])")


@d_relu.case("a (2, 3) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.array([[-1.0, 0.3, 2.0], [5.0, -0.1, -3.0]])
    out = fn(x.copy())
    expect_shape(out, (2, 3), "d_relu(x (2, 3))")
    assert_close(out, nnf.d_relu(x), name="d_relu(x (2, 3))")


softmax = Checker("1_2", "softmax", reference=nnf.softmax)


def _softmax_rows(out: Any, x: np.ndarray, name: str) -> None:
    expect_shape(out, x.shape, name)
    vals = np.asarray(out, dtype=float)
    if np.isnan(vals).any() or np.isinf(vals).any():
        raise AssertionError(
            f"{name} contains NaN or inf: np.exp overflowed. Subtract the maximum of each row "
            "first (x - x.max(axis=-1, keepdims=True)); softmax does not change under a shift"
        )
    sums = vals.sum(axis=-1)
    if not np.allclose(sums, 1.0):
        raise AssertionError(
            f"{name}: every row must sum to 1 over the last axis, got row sums "
            f"{np.round(sums, 4).tolist()} (normalize with axis=-1, keepdims=True)"
        )
    assert_close(vals, nnf.softmax(x), name=name)


@softmax.case("a vector (3,), input left unchanged")
def _(fn: Any) -> None:
    x = np.array([1.0, 2.0, 3.0])
    out = fn(x)
    assert np.array_equal(x, [1.0, 2.0, 3.0]), (
        "softmax changed its input array in place (x -= x.max()?): write x = x - x.max(...)"
    )
    _softmax_rows(out, x, "softmax([1, 2, 3])")


@softmax.case("a batch (2, 3): one distribution per row")
def _(fn: Any) -> None:
    x = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    _softmax_rows(fn(x.copy()), x, "softmax(x (2, 3))")


@softmax.case("large inputs: [1000, 1001] does not overflow")
def _(fn: Any) -> None:
    x = np.array([1000.0, 1001.0])
    with np.errstate(over="ignore", invalid="ignore"):
        out = fn(x.copy())
    _softmax_rows(out, x, "softmax([1000, 1001])")


@softmax.case("rows on different scales: [[1000, 1001], [-1000, -1001]]")
def _(fn: Any) -> None:
    x = np.array([[1000.0, 1001.0], [-1000.0, -1001.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = fn(x.copy())
    _softmax_rows(out, x, "softmax([[1000, 1001], [-1000, -1001]])")


# ============================================================================== 1_3
mean_squared_error = Checker("1_3", "mean_squared_error", reference=nnf.mean_squared_error)


def _mse_diagnose(value: float, y: np.ndarray, t: np.ndarray, name: str) -> None:
    want = nnf.mean_squared_error(y, t)
    N, D = (y.shape[0], y.shape[1]) if y.ndim == 2 else (1, y.shape[0])
    slips = [  # (value / expected, the likely mistake); the first match wins
        (2.0, "twice the expected value: the lecture's E = ½ Σ (y - t)² has a factor ½"),
        (float(N), f"{N}× the expected value: average over the batch of {N} samples (divide by N)"),
        (2.0 * N, f"{2 * N}× the expected value: the ½ is missing and the sum is not averaged over N = {N}"),
    ]
    if y.ndim == 1:
        slips.append((1.0 / D, f"divided by y.shape[0] = {D}: a single sample y: (D,) is a batch of N = 1"))
    slips += [
        (2.0 / D, f"the mean over all N·D entries without ½ (Keras' MSE); sum over the {D} outputs, ½, average over N"),
        (1.0 / D, f"the mean over all N·D entries; sum over the {D} outputs, average over the N samples only"),
    ]
    for ratio, msg in slips:
        if ratio != 1.0 and np.isclose(value, want * ratio, rtol=1e-6):
            raise AssertionError(f"{name} = {value:.6g} is {msg}")
    assert_close(value, want, name=name)


@mean_squared_error.case("a batch y, t: (2, 3)")
def _(fn: Any) -> None:
    y = np.array([[0.1, 0.8, 0.1], [0.5, 0.2, 0.3]])
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    name = "mean_squared_error(y (2, 3), t (2, 3))"
    _mse_diagnose(_scalar(fn(y.copy(), t.copy()), name), y, t, name)


@mean_squared_error.case("a single sample y, t: (4,) counts as N = 1")
def _(fn: Any) -> None:
    y, t = np.array([1.0, 2.0, 0.0, -1.0]), np.array([0.0, 2.0, 2.0, 0.0])
    name = "mean_squared_error(y (4,), t (4,))"
    _mse_diagnose(_scalar(fn(y.copy(), t.copy()), name), y, t, name)


@mean_squared_error.case("a batch (5, 2): regression outputs")
def _(fn: Any) -> None:
    rng = np.random.default_rng(3)
    y, t = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    name = "mean_squared_error(y (5, 2), t (5, 2))"
    _mse_diagnose(_scalar(fn(y.copy(), t.copy()), name), y, t, name)


cross_entropy_error = Checker("1_3", "cross_entropy_error", reference=nnf.cross_entropy_error)
_Y = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])  # (3, 4)
_LABELS = np.array([1, 0, 3])


def _ce_compare(fn: Any, y: np.ndarray, t: np.ndarray, name: str, hint: str = "") -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _call(fn, y.copy(), t.copy(), hint=hint)
    value = _scalar(out, name)
    want = nnf.cross_entropy_error(y, t)
    if not np.isfinite(value):
        raise AssertionError(
            f"{name} = {value}: log(0) where a probability is 0. Add eps = 1e-7 inside the log "
            "(np.log(y + 1e-7)) or clip y to [1e-7, 1]"
        )
    if np.isclose(value, want * y.shape[0], rtol=1e-4) and y.ndim == 2 and y.shape[0] > 1:
        raise AssertionError(f"{name} = {value:.6g} is the sum over the batch; average it (divide by N)")
    if y.ndim == 1 and np.isclose(value, want / y.shape[0], rtol=1e-4):
        raise AssertionError(
            f"{name} = {value:.6g} is divided by y.shape[0] = {y.shape[0]}: a single sample "
            "y: (C,) is a batch of N = 1 (reshape it to (1, C) first)"
        )
    if np.isclose(value, -want, rtol=1e-4):
        raise AssertionError(f"{name} = {value:.6g} has the wrong sign: E = -Σ t log y")
    try:
        assert_close(value, want, rtol=1e-4, atol=1e-6, name=name)
    except AssertionError as err:
        if (y == 0).any():
            raise AssertionError(f"{err}; use eps = 1e-7, as utils.nn and Keras do") from None
        raise


@cross_entropy_error.case("a batch with one-hot labels t: (3, 4)")
def _(fn: Any) -> None:
    t = nnf.one_hot(_LABELS, 4)
    _ce_compare(fn, _Y, t, "cross_entropy_error(y (3, 4), one-hot t (3, 4))")


@cross_entropy_error.case("the same batch with integer labels t: (3,)")
def _(fn: Any) -> None:
    _ce_compare(
        fn, _Y, _LABELS, "cross_entropy_error(y (3, 4), labels t = [1, 0, 3])",
        hint="t may also be integer labels (N,): pick y[np.arange(N), t]",
    )


@cross_entropy_error.case("a single sample y: (4,) with one-hot t: (4,)")
def _(fn: Any) -> None:
    y, t = np.array([0.05, 0.15, 0.7, 0.1]), np.array([0.0, 0.0, 1.0, 0.0])
    _ce_compare(fn, y, t, "cross_entropy_error(y (4,), t (4,))", hint="treat y: (C,) as a batch of one")


@cross_entropy_error.case("probabilities 0 and 1 give a finite loss (eps = 1e-7)")
def _(fn: Any) -> None:
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # the second sample is confidently wrong
    t = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    _ce_compare(fn, y, t, "cross_entropy_error(y with zeros (2, 3), one-hot t (2, 3))")
    _ce_compare(
        fn, y, np.array([1, 1]), "cross_entropy_error(y with zeros (2, 3), labels t = [1, 1])",
        hint="t may also be integer labels (N,): pick y[np.arange(N), t]",
    )
