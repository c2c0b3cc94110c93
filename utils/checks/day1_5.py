"""Checkers of 1_5 backpropagation."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import (
    GRADCHECK_TOL,
    Affine,
    ReLU,
    Sequential,
    SoftmaxWithLoss,
    gradient_check,
    sigmoid,
    softmax,
)


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
    """Extra cases: both dicts flag the same parameters (relative error above GRADCHECK_TOL)."""
    if not isinstance(actual, dict) or set(actual) != set(expected):
        raise AssertionError(f"expected a dict with keys {sorted(expected)}, got {actual!r}")
    for key in expected:
        if (float(actual[key]) > GRADCHECK_TOL) != (float(expected[key]) > GRADCHECK_TOL):
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
    bad = {k: f"{v:.1e}" for k, v in errors.items() if not v < GRADCHECK_TOL}
    if bad:
        raise AssertionError(
            f"a correct model got relative errors {bad} (expected < {GRADCHECK_TOL:g}, "
            "utils.nn.GRADCHECK_TOL). All near 1? Then the numerical gradient was 0: "
            "numerical_gradient must perturb the model's own array model.params[key], "
            "not a copy, with f = lambda _: model.loss(x, t)"
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
    ok = {k: f"{v:.1e}" for k, v in errors.items() if k != "0.b" and not v < GRADCHECK_TOL}
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


# ------------------------------------------------------------------ two_layer_backward (δ form)
_KEYS = ("W1", "b1", "W2", "b2")


def two_layer_backward_reference(x: Any, t: Any, params: dict[str, Any]) -> dict[str, np.ndarray]:
    """Gradients of Affine → ReLU → Affine → softmax cross-entropy (batch mean), from the layers.

    x: (N, D), t: one-hot (N, K), params: "W1" (D, H), "b1" (H,), "W2" (H, K), "b2" (K,).
    Returns {"W1", "b1", "W2", "b2"}, each of its parameter's shape. Taught in 1_5.
    """
    net = Sequential([Affine(params["W1"], params["b1"]), ReLU(), Affine(params["W2"], params["b2"])])
    g = net.gradient(x, t)
    return {"W1": g["0.W"], "b1": g["0.b"], "W2": g["2.W"], "b2": g["2.b"]}


def _compare_grads(actual: Any, expected: Any) -> None:
    """Extra cases: the same dict of gradients."""
    if not isinstance(actual, dict) or set(actual) != set(expected):
        raise AssertionError(f"expected a dict with keys {sorted(expected)}, got {type(actual).__name__}")
    for key in _KEYS:
        assert_close(actual[key], expected[key], name=f'grads["{key}"]')


two_layer_backward = Checker(
    "1_5",
    "two_layer_backward",
    reference=two_layer_backward_reference,
    compare=_compare_grads,
    doc="two_layer_backward(x, t, params): δ2 = (y - t)/N, δ1 = (δ2 W2ᵀ) ⊙ (u1 > 0), dW = zᵀδ, db = Σδ.",
)


def _net_data(seed: int, N: int, D: int, H: int, K: int) -> tuple[np.ndarray, np.ndarray, dict]:
    rng = _h.rng(seed)
    params = {
        "W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H) * 0.5,
        "W2": rng.normal(size=(H, K)), "b2": rng.normal(size=K) * 0.5,
    }  # fmt: skip
    x, labels = rng.normal(size=(N, D)), rng.integers(0, K, size=N)
    return x, np.eye(K)[labels], params


def _wrong_grads(x: np.ndarray, t: np.ndarray, p: dict) -> list[tuple[dict, str]]:
    """The gradients of the classic mistakes, each with its hint."""
    N = x.shape[0]
    u1 = x @ p["W1"] + p["b1"]  # (N, H)
    z1 = np.maximum(u1, 0.0)
    y = softmax(z1 @ p["W2"] + p["b2"])  # (N, K)
    d2 = (y - t) / N

    def grads(d2: np.ndarray, d1: np.ndarray, z: np.ndarray = z1) -> dict:
        return {"W1": x.T @ d1, "b1": d1.sum(axis=0), "W2": z.T @ d2, "b2": d2.sum(axis=0)}

    back = d2 @ p["W2"].T  # (N, H)
    s = sigmoid(u1)
    out = [
        (grads(d2 * N, (back * N) * (u1 > 0)),
         "your gradients are N times too large: δ2 = (y - t) / N, because the loss is the "
         "mean over the batch"),
        (grads(d2, back),
         "δ1 lacks the ReLU derivative: δ1 = (δ2 @ W2.T) * (u1 > 0)"),
        (grads(d2, back * s * (1 - s)),
         "that is the sigmoid's derivative σ(u1)(1 - σ(u1)); the hidden layer is a ReLU, whose "
         "derivative is (u1 > 0)"),
        (grads(d2, back * z1 * (1 - z1)),
         "z1 * (1 - z1) is the sigmoid's derivative written with its output; the hidden layer "
         "is a ReLU, whose derivative is (u1 > 0)"),
        (grads(d2, back * z1),
         "δ1 was multiplied by ReLU(u1), the function; multiply by its derivative (u1 > 0)"),
        (grads(d2, back * (u1 > 0), z=u1),
         "dW2 = z1.T @ δ2 uses the input of the second layer, z1 = ReLU(u1), not u1"),
        ({"W1": x.T @ (back * (u1 > 0)), "b1": (back * (u1 > 0)).mean(axis=0),
          "W2": z1.T @ d2, "b2": d2.mean(axis=0)},
         "the bias gets the sum of δ over the batch, db = delta.sum(axis=0); the mean divides "
         "by N a second time"),
    ]
    right = grads(d2, back * (u1 > 0))
    for key, name in (("W1", "x"), ("W2", "z1")):  # a square W: the transposed gradient fits
        out.append(({**right, key: right[key].T},
                    f"this is the transpose of d{key}: d{key} = {name}.T @ delta, "
                    f"(in, N) @ (N, out) -> {key}'s shape (in, out)"))
    if p["W2"].shape[0] == p["W2"].shape[1]:  # square W2: the transposed product runs
        out.append((grads(d2, (d2 @ p["W2"]) * (u1 > 0)),
                    "δ1 = (δ2 @ W2.T) * (u1 > 0): W2 is (H, K), so δ2 (N, K) goes back through "
                    "W2.T (K, H); you multiplied by W2"))
    return out


def _run_backward(fn: Any, x: np.ndarray, t: np.ndarray, params: dict) -> dict:
    before = {k: v.copy() for k, v in params.items()}
    try:
        grads = fn(x.copy(), t.copy(), params)
    except ValueError as err:
        raise AssertionError(
            f"your code raised ValueError: {err}.\n    Hint: check the shapes of each product: "
            "δ2 (N, K), δ1 = (δ2 @ W2.T) * (u1 > 0) is (N, K) @ (K, H) -> (N, H), "
            "dW1 = x.T @ δ1 is (D, N) @ (N, H) -> (D, H)"
        ) from None
    for k in _KEYS:
        if not np.array_equal(params[k], before[k]):
            raise AssertionError(f'your function changed params["{k}"] in place; compute new arrays')
    if not isinstance(grads, dict):
        raise AssertionError(
            f"two_layer_backward returned {type(grads).__name__}; return a dict "
            '{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'
        )
    missing = [k for k in _KEYS if k not in grads]
    if missing:
        raise AssertionError(f"the returned dict lacks the keys {missing}; it needs {list(_KEYS)}")
    return grads


def _compare_backward(fn: Any, seed: int, N: int, D: int, H: int, K: int) -> None:
    x, t, params = _net_data(seed, N, D, H, K)
    grads = _run_backward(fn, x, t, params)
    want = two_layer_backward_reference(x, t, params)
    wrong = _wrong_grads(x, t, params)
    for key in ("W2", "b2", "W1", "b1"):  # the order backprop computes them
        got, shape = grads[key], params[key].shape
        if key[0] == "b" and np.shape(got) == (N, shape[0]) and N > 1:
            raise AssertionError(
                f'grads["{key}"] has shape {np.shape(got)}, expected {shape}: the bias is added '
                "to every sample, so its gradient sums δ over the batch, delta.sum(axis=0)"
            )
        if key[0] == "W" and np.shape(got) == shape[::-1] and shape[0] != shape[1]:
            name = "x" if key == "W1" else "z1"
            raise AssertionError(
                f'grads["{key}"] has shape {np.shape(got)}, expected {key}\'s shape {shape}: '
                f"d{key} = {name}.T @ delta"
            )
        expect_shape(got, shape, f'grads["{key}"]')
        _h.with_hint(
            lambda g=got, k=key: assert_close(g, want[k], name=f'grads["{k}"]'),
            got,
            [(w[key], hint) for w, hint in wrong],
        )


@two_layer_backward.case("a batch with H = K (N=4, D=3, H=K=5)")
def _(fn: Any) -> None:
    _compare_backward(fn, 81, 4, 3, 5, 5)


@two_layer_backward.case("other shapes (N=6, D=7, H=4, K=3)")
def _(fn: Any) -> None:
    _compare_backward(fn, 82, 6, 7, 4, 3)


@two_layer_backward.case("MNIST-like widths (N=10, D=20, H=16, K=10) and one sample (N=1)")
def _(fn: Any) -> None:
    _compare_backward(fn, 83, 10, 20, 16, 10)
    _compare_backward(fn, 84, 1, 4, 3, 2)
