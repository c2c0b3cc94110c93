"""Checkers of 1_1, 1_2, 1_3: stub, plausible wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _step(u):
    return (np.asarray(u) > 0).astype(float)


def _xor_sigmoid_unrounded(x):
    """A 2-layer XOR of steep sigmoids, returned as probabilities (not 0/1)."""
    x = np.asarray(x, dtype=float)
    h = _sig(10 * (x @ np.array([[-1.0, 1.0], [-1.0, 1.0]]) + np.array([1.5, -0.5])))
    return _sig(10 * (h.sum(axis=1) - 1.5))


def _xor_column(x):
    x = np.asarray(x, dtype=float)
    h = _step(x @ np.array([[-1.0, 1.0], [-1.0, 1.0]]) + np.array([1.5, -0.5]))
    return _step(h @ np.array([[1.0], [1.0]]) - 1.5)  # (N, 1)


def _relu_inplace(x):
    x[x < 0] = 0
    return x


def _softmax_naive(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_axis0(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_global_max(x):
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_inplace(x):
    x -= x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _ce_no_eps(y, t):
    y = np.atleast_2d(y)
    t = np.asarray(t)
    if t.ndim == 1 and t.size == y.shape[0] and y.shape[1] != t.size:
        t = np.eye(y.shape[1])[t]
    t = np.atleast_2d(t)
    return -np.sum(t * np.log(y)) / y.shape[0]


def _ce_one_hot_only(y, t):
    if y.ndim == 1:
        y, t = y[None], t[None]
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def _ce_no_single_sample(y, t):  # the batch formula applied to y: (C,) divides by C
    if t.shape != y.shape:
        t = np.eye(y.shape[-1])[t]
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def _ce_summed(y, t):
    if y.ndim == 1:
        y, t = y[None], t[None]
    if t.shape != y.shape:
        t = np.eye(y.shape[-1])[t]
    return -np.sum(t * np.log(y + 1e-7))


def _ce_argmax(y, t):  # the old solution: one-hot turned into labels, wrong for soft targets
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:
        y, t = y[np.newaxis], t[np.newaxis]
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    return float(-np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0])


CASES = {
    "1_1/affine_forward": Spec(
        wrong=[
            lambda x, W, b: x @ W,  # bias missing
            lambda x, W, b: x @ W.T + b,  # W transposed
            lambda x, W, b: np.dot(W, x) + b,  # the one-sample formula with W: (M, D)
            lambda x, W, b: np.atleast_2d(x) @ W + b,  # (1, M) for a single sample
        ],
        messages=["bias b is missing", "W.T", "raised ValueError", "shape (1, 2)"],
    ),
    "1_1/xor_network": Spec(
        wrong=[
            lambda x: _step(np.asarray(x) @ np.array([1.0, 1.0]) - 0.5),  # one neuron: OR
            lambda x: _step(np.asarray(x) @ np.array([1.0, 1.0]) - 1.5),  # one neuron: AND
            _xor_sigmoid_unrounded,  # right shape, probabilities instead of 0/1
            _xor_column,  # (N, 1)
            lambda x: np.array([0.0, 1.0, 1.0, 0.0]),  # the truth table hard-coded
        ],
        messages=["two layers", "two layers", "exactly 0 or 1", "flatten", "shape (4,)"],
    ),
    "1_2/sigmoid": Spec(
        wrong=[
            lambda x: 1.0 / (1.0 + np.exp(x)),  # sign flipped
            np.tanh,  # another S-curve
            lambda x: 1.0 / (1.0 - np.exp(-x)),  # minus instead of plus
        ],
        messages=["sign of the exponent", "differs"],
    ),
    "1_2/d_sigmoid": Spec(
        wrong=[
            lambda x: _sig(x) * (1 - x),  # (1 - x) instead of (1 - σ(x))
            lambda x: x * (1 - x),  # the output formula applied to the input
            _sig,  # the function itself
            lambda x: _sig(x) * (1 - _sig(x)) * 4,  # scaled
        ],
        messages=["1 - σ(x)", "output y = σ(x)", "not the function", "differs"],
    ),
    "1_2/d_tanh": Spec(
        wrong=[
            lambda x: 1 - x**2,  # the output formula applied to the input
            lambda x: 1 - np.tanh(x),  # square missing
            lambda x: _sig(x) * (1 - _sig(x)),  # the sigmoid's derivative
            lambda x: np.tanh(x) * (1 - np.tanh(x)),  # the sigmoid's pattern y(1 - y)
            np.tanh,  # the function itself
            lambda x: 1 - np.tanh(x) ** 2 + (np.abs(x) > 10),  # wrong in saturation only
        ],
        messages=["output y = tanh(x)", "must be squared", "sigmoid's derivative", "y(1 - y)",
                  "not the function", "d_tanh([[-30"],
    ),
    "1_2/relu": Spec(
        wrong=[
            lambda x: x > 0,  # a boolean mask
            _relu_inplace,  # mutates its input
            lambda x: np.maximum(x, 0.0) * (x > 0).sum(),  # nonsense scaling
            np.abs,
        ],
        messages=["dtype bool", "in place", "differs", "differs"],
    ),
    "1_2/d_relu": Spec(
        wrong=[
            lambda x: x > 0,  # booleans
            lambda x: np.maximum(x, 0.0),  # relu itself
            lambda x: (x >= 0).astype(float),  # slope 1 at 0
        ],
        messages=["dtype bool", "not the function", "d_relu([0])"],
    ),
    "1_2/softmax": Spec(
        wrong=[
            _softmax_naive,  # overflows on [1000, 1001]
            _softmax_axis0,  # normalizes columns
            _softmax_global_max,  # one max for the whole batch: 0/0 in the second row
            _softmax_inplace,  # x -= x.max(): changes the caller's array
            lambda x: np.exp(x) / np.exp(x).sum(),  # one sum over the whole batch
        ],
        messages=["NaN or inf", "sum to 1", "NaN or inf", "in place", "sum to 1"],
    ),
    "1_3/mean_squared_error": Spec(
        wrong=[
            lambda y, t: np.sum((y - t) ** 2) / np.atleast_2d(y).shape[0],  # no ½
            lambda y, t: 0.5 * np.sum((y - t) ** 2),  # not averaged over the batch
            lambda y, t: float(np.mean((y - t) ** 2)),  # Keras' convention
            lambda y, t: 0.5 * np.sum((y - t) ** 2) / y.shape[0],  # divides a single sample by D
            lambda y, t: 0.5 * np.sum((y - t) ** 2, axis=-1),  # one loss per sample
        ],
        messages=["factor ½", "average over the batch", "Keras", "N = 1", "one number"],
    ),
    "1_3/cross_entropy_error": Spec(
        wrong=[
            _ce_no_eps,  # log(0)
            _ce_one_hot_only,  # integer labels unsupported
            _ce_no_single_sample,  # (C,) divided by C
            _ce_summed,  # summed over the batch
            lambda y, t: _ce_one_hot_only(y, t) * -1 if np.shape(t) == np.shape(y) else 0.0,  # sign
            _ce_argmax,  # soft targets collapsed to their argmax
        ],
        messages=["log(0)", "integer labels", "batch of N = 1", "average it", "wrong sign", "label smoothing"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


# 1_2: d_sigmoid does not depend on the notebook's own `sigmoid` (one mistake must not cost twice).
def _d_sigmoid_beside(own_sigmoid, source=None):
    """The instructor notebook's d_sigmoid (or ``source``), defined beside a `sigmoid` of our choice."""
    from pathlib import Path

    import utils
    from utils import notebooks

    if source is None:
        nb = notebooks.read(Path(__file__).resolve().parents[1] / "notebooks/day1/1_2_activation_functions.ipynb")
        source = next(c.source for c in nb.cells if c.cell_type == "code" and "def d_sigmoid(" in c.source)
    namespace = {"np": np, "utils": utils, "sigmoid": own_sigmoid}
    exec(source, namespace)
    return namespace["d_sigmoid"]


_OWN_SIGMOID_D = "def d_sigmoid(x):\n    s = sigmoid(x)\n    return s * (1 - s)\n"


def test_1_2_notebook_d_sigmoid_passes_whatever_the_notebooks_sigmoid():
    from tests.checkerkit import run, stub
    from utils import checks

    for own in (stub, lambda x: 1.0 / (1.0 + np.exp(x)), np.tanh, _sig):
        rec = run("1_2/d_sigmoid", _d_sigmoid_beside(own))
        assert rec.status == checks.PASS, rec.message


def test_1_2_d_sigmoid_calling_a_broken_own_sigmoid_is_told_why():
    from tests.checkerkit import run, stub
    from utils import checks

    for own, what in ((stub, "not implemented yet"), (np.tanh, "gives wrong values"),
                      (lambda x: None, "is wrong (d_sigmoid raised TypeError")):
        rec = run("1_2/d_sigmoid", _d_sigmoid_beside(own, _OWN_SIGMOID_D))
        assert rec.status == checks.FAIL, rec.message
        assert what in rec.message and "utils.nn.sigmoid" in rec.message
    rec = run("1_2/d_sigmoid", _d_sigmoid_beside(_sig, _OWN_SIGMOID_D))  # own sigmoid right: fine
    assert rec.status == checks.PASS, rec.message
