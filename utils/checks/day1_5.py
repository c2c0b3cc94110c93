"""Checkers of 1_5 backpropagation."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import Affine, ReLU, Sequential, SoftmaxWithLoss, gradient_check, softmax


def _affine_data(seed: int, x_shape: tuple[int, ...], M: int) -> tuple[np.ndarray, ...]:
    rng = _h.rng(seed)
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
    _h.with_hint(lambda: assert_close(db, dout.sum(axis=0), name="db"), db, hints)


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
    x = _h.rng(98).normal(size=(5, 4))
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
    rng = _h.rng(seed)
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
    _h.with_hint(lambda: assert_close(dx, (y - t1) / 4, name="dx"), dx, _softmax_hints(y, t1, 4))


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
    _h.with_hint(
        lambda: assert_close(dx, (y - t1) / 5, name="dx for integer labels"),
        dx,
        _softmax_hints(y, t1, 5),
    )
    dx_again = layer.backward()
    if not _h.close(dx_again, dx):
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
    _h.with_hint(
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
    rng = _h.rng(seed)
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
