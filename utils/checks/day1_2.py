"""Checkers of 1_2 activation functions."""

from __future__ import annotations

import dis
from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.checks.remote import probe
from utils.nn import functions as nnf

sigmoid = Checker("1_2", "sigmoid", reference=nnf.sigmoid)


@sigmoid.case("values on [-4, 4]")
def _(fn: Any) -> None:
    x = np.linspace(-4, 4, 9)
    out = fn(x.copy())
    name = "sigmoid(linspace(-4, 4, 9))"
    expect_shape(out, x.shape, name)
    if _h.is_close(out, nnf.sigmoid(-x)):
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


def _loads_global(fn: Any, name: str) -> bool:
    """Whether ``fn``'s own code reads the global ``name`` (``sigmoid(x)``, not ``nn.sigmoid(x)``)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    return any(ins.opname == "LOAD_GLOBAL" and ins.argval == name for ins in dis.get_instructions(code))


def _calls_own_sigmoid(fn: Any) -> bool:
    if not _loads_global(fn, "sigmoid"):
        return False
    return getattr(fn, "__globals__", {}).get("sigmoid") is not nnf.sigmoid


def _uses_own_sigmoid(fn: Any) -> bool:
    """Whether ``fn`` calls a global ``sigmoid`` that is not the course's (e.g. the notebook's)."""
    return bool(probe(_calls_own_sigmoid, fn))


_OWN_SIGMOID = (
    "your d_sigmoid calls `sigmoid`, the notebook's own function, which {what}. Make d_sigmoid "
    "independent of it: use the course's σ, `s = utils.nn.sigmoid(x)`, or write σ inline"
)


def _own_sigmoid_of(fn: Any, x: np.ndarray) -> Any:
    """The notebook's own ``sigmoid(x)``, or None when it crashes (or is the unfinished stub)."""
    try:
        return fn.__globals__["sigmoid"](x.copy())
    except Exception:
        return None


def _own_sigmoid_is_wrong(fn: Any, x: np.ndarray) -> bool:
    """Whether ``fn`` calls the notebook's own ``sigmoid`` and that one is wrong at ``x``."""
    if not _uses_own_sigmoid(fn):
        return False
    own = probe(_own_sigmoid_of, fn, x)  # computed where the student's code runs
    return own is None or not _h.is_close(own, nnf.sigmoid(x))


def _d_sigmoid_of(fn: Any, x: np.ndarray) -> Any:
    """``fn(x)``; a failure caused by the notebook's own ``sigmoid`` says so."""
    try:
        return fn(x.copy())
    except NotImplementedError:
        if _uses_own_sigmoid(fn):  # d_sigmoid itself is written: its `sigmoid` is the stub
            raise AssertionError(_OWN_SIGMOID.format(what="is not implemented yet")) from None
        raise
    except Exception as err:
        if _own_sigmoid_is_wrong(fn, x):
            what = f"is wrong (d_sigmoid raised {type(err).__name__}: {err})"
            raise AssertionError(_OWN_SIGMOID.format(what=what)) from None
        raise


def _own_sigmoid_hint(fn: Any, out: Any, x: np.ndarray, name: str) -> None:
    """Raise the hint when ``out`` is wrong and the notebook's own sigmoid is to blame."""
    if not _h.is_close(out, nnf.d_sigmoid(x)) and _own_sigmoid_is_wrong(fn, x):
        raise AssertionError(f"{name} is wrong: " + _OWN_SIGMOID.format(what="gives wrong values"))


@d_sigmoid.case("σ'(x) = σ(x)(1 - σ(x)) on [-3, 3]")
def _(fn: Any) -> None:
    x = np.linspace(-3, 3, 7)
    out = _d_sigmoid_of(fn, x)
    name = "d_sigmoid(linspace(-3, 3, 7))"
    expect_shape(out, x.shape, name)
    _own_sigmoid_hint(fn, out, x, name)
    s = nnf.sigmoid(x)
    if _h.is_close(out, s * (1 - x)):
        raise AssertionError(f"{name} equals σ(x)(1 - x): the second factor must be 1 - σ(x)")
    if _h.is_close(out, x * (1 - x)):
        raise AssertionError(
            f"{name} equals x(1 - x): the formula y(1 - y) needs the output y = σ(x), not the input x"
        )
    if _h.is_close(out, s):
        raise AssertionError(f"{name} equals σ(x): return the derivative, not the function")
    assert_close(out, nnf.d_sigmoid(x), name=name)


@d_sigmoid.case("the maximum: σ'(0) = 0.25")
def _(fn: Any) -> None:
    x = np.array([0.0])
    out = _d_sigmoid_of(fn, x)
    _own_sigmoid_hint(fn, out, x, "d_sigmoid([0])")
    assert_close(out, [0.25], name="d_sigmoid([0])")


@d_sigmoid.case("a (2, 2) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.array([[-10.0, 1.0], [0.5, 4.0]])
    out = _d_sigmoid_of(fn, x)
    expect_shape(out, (2, 2), "d_sigmoid(x (2, 2))")
    _own_sigmoid_hint(fn, out, x, "d_sigmoid(x (2, 2))")
    assert_close(out, nnf.d_sigmoid(x), name="d_sigmoid(x (2, 2))")


d_tanh = Checker("1_2", "d_tanh", reference=nnf.d_tanh)


@d_tanh.case("tanh'(x) = 1 - tanh(x)² on [-2, 2]")
def _(fn: Any) -> None:
    x = np.linspace(-2, 2, 9)
    out = fn(x.copy())
    name = "d_tanh(linspace(-2, 2, 9))"
    expect_shape(out, x.shape, name)
    t = np.tanh(x)
    wrong = [
        (1 - x**2, "equals 1 - x²: the formula 1 - y² needs the output y = tanh(x), not the input x"),
        (1 - t, "equals 1 - tanh(x): the tanh must be squared, 1 - tanh(x)**2"),
        (
            nnf.d_sigmoid(x),
            "equals σ(x)(1 - σ(x)), the sigmoid's derivative: the slope of tanh is 1 - tanh(x)²",
        ),
        (
            t * (1 - t),
            "equals tanh(x)(1 - tanh(x)): that is the sigmoid's pattern y(1 - y); for tanh it is "
            "1 - y² = (1 - y)(1 + y)",
        ),
        (t, "equals tanh(x): return the derivative, not the function"),
    ]
    for value, hint in wrong:
        if _h.is_close(out, value):
            raise AssertionError(f"{name} {hint}")
    assert_close(out, nnf.d_tanh(x), name=name)


@d_tanh.case("the maximum: tanh'(0) = 1")
def _(fn: Any) -> None:
    assert_close(fn(np.array([0.0])), [1.0], name="d_tanh([0])")


@d_tanh.case("saturation: tanh'(±30) ≈ 0, no NaN; a (2, 2) batch keeps its shape")
def _(fn: Any) -> None:
    x = np.array([[-30.0, 0.5], [-0.5, 30.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        out = fn(x.copy())
    expect_shape(out, (2, 2), "d_tanh(x (2, 2))")
    assert_close(out, nnf.d_tanh(x), atol=1e-10, name="d_tanh([[-30, 0.5], [-0.5, 30]])")


relu = Checker("1_2", "relu", reference=nnf.relu)
_RELU_HINT = "`x > 0` is a mask of booleans; relu returns the values max(0, x), e.g. np.maximum(0, x)"


@relu.case("values max(0, x) as numbers")
def _(fn: Any) -> None:
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    out = fn(x.copy())
    name = "relu([-2, -0.5, 0, 0.5, 2])"
    expect_shape(out, x.shape, name)
    _h.number_dtype(out, name, _RELU_HINT)
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
    _h.number_dtype(out, name, "Return 0/1 numbers, e.g. (x > 0).astype(float)")
    if _h.is_close(out, nnf.relu(x)):
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
