"""Checkers of 2_1 vanishing gradients, initialization and batch normalization."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn.initializers import he_init, xavier_init
from utils.nn.normalization import BatchNorm

# ------------------------------------------------------------------ xavier_init / he_init
_STD_RTOL = 0.03  # the sample std of 40 000 normal values is within 0.4 % (one sigma)


def _weights(fn: Any, fan_in: int, fan_out: int, seed: int | None, name: str) -> np.ndarray:
    """``fn(fan_in, fan_out, seed=seed)`` as a float array of shape (fan_in, fan_out)."""
    W = fn(fan_in, fan_out) if seed is None else fn(fan_in, fan_out, seed=seed)
    call = f"{name}({fan_in}, {fan_out}{'' if seed is None else f', seed={seed}'})"
    if W is None:
        raise AssertionError(f"{call} returned None: did you forget `return`?")
    W = np.asarray(W)
    if W.dtype.kind not in "f":
        raise AssertionError(f"{call} returned dtype {W.dtype}, expected floats (float64)")
    if W.shape == (fan_out, fan_in) and fan_in != fan_out:
        raise AssertionError(
            f"{call} has shape {W.shape}, expected ({fan_in}, {fan_out}): rows are the inputs "
            "(fan_in), columns the outputs (fan_out), so that u = x @ W"
        )
    expect_shape(W, (fan_in, fan_out), call)
    return W


def _std_candidates(fan_in: int, fan_out: int, scheme: str) -> list[tuple[float, str]]:
    """Standard deviations of the classic slips, each with its hint."""
    n_in, n_out = fan_in, fan_out
    factor = "2" if scheme == "he" else "1"
    other = [(np.sqrt(2.0 / n_in), "this is He's √(2/fan_in); Xavier is √(1/fan_in)")] \
        if scheme == "xavier" else [(np.sqrt(1.0 / n_in), "this is Xavier's √(1/fan_in); He "
                                     "is √(2/fan_in): ReLU zeroes half of its inputs, so the "
                                     "variance is doubled")]
    return other + [
        (np.sqrt(float(factor) / n_out), f"the std is √({factor}/fan_out): use fan_in, the "
         "number of nodes of the previous layer (the rows of W)"),
        (np.sqrt(2.0 / (n_in + n_out)), "this is Keras' GlorotNormal variance "
         "2/(fan_in + fan_out); the lecture's Xavier uses 1/fan_in" if scheme == "xavier"
         else "this is Keras' GlorotNormal variance 2/(fan_in + fan_out); He uses 2/fan_in"),
        (float(factor) / n_in, f"the std is {factor}/fan_in, the variance: the std is its "
         f"square root, np.sqrt({factor} / fan_in)"),
        (np.sqrt(float(factor) / n_in) / np.sqrt(3.0), f"the std is √({factor}/fan_in)/√3: a "
         f"uniform distribution on [-√({factor}/fan_in), √({factor}/fan_in)]? Draw from a "
         "normal distribution with that std"),
        (1.0, "the std is 1: the standard normal without scaling; multiply by the std"),
        (0.01, "the std is 0.01, the small Gaussian of Deep Learning from Scratch's default; "
         "use the std of the scheme"),
    ]


def _check_std(fn: Any, name: str, scheme: str, fan_in: int, fan_out: int, seed: int) -> None:
    W = _weights(fn, fan_in, fan_out, seed, name)
    want = float(np.sqrt((2.0 if scheme == "he" else 1.0) / fan_in))
    got = float(W.std())
    call = f"{name}({fan_in}, {fan_out}, seed={seed})"
    if abs(float(W.mean())) > 6 * want / np.sqrt(W.size):
        raise AssertionError(f"{call} has mean {W.mean():.4g}, expected 0 (weights ~ N(0, std²))")
    if abs(got / want - 1) > _STD_RTOL:
        msg = f"{call} has std {got:.4g}, expected {want:.4g}"
        for std, hint in _std_candidates(fan_in, fan_out, scheme):
            if abs(got / std - 1) <= _STD_RTOL:
                raise AssertionError(f"{msg}\n    Hint: {hint}")
        raise AssertionError(msg)


def _init_checker(name: str, scheme: str, reference: Any) -> Checker:
    formula = "√(1/fan_in)" if scheme == "xavier" else "√(2/fan_in)"

    def compare(actual: Any, expected: Any) -> None:
        """Extra cases: the same shape and, for large matrices, the same std within 5 %."""
        expect_shape(actual, np.shape(expected), name)
        a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
        if e.size >= 10_000 and abs(a.std() / e.std() - 1) > 0.05:
            raise AssertionError(f"{name}: std {a.std():.4g}, expected about {e.std():.4g}")

    chk = Checker(
        "2_1", name, reference=reference, compare=compare,
        doc=f"{name}(fan_in, fan_out, seed=None): (fan_in, fan_out) weights ~ N(0, {formula}²).",
    )

    @chk.case("shape (fan_in, fan_out), float values")
    def _(fn: Any) -> None:
        _weights(fn, 30, 12, 0, name)
        _weights(fn, 8, 8, 1, name)

    @chk.case(f"std {formula} when fan_in > fan_out and fan_in < fan_out; mean 0")
    def _(fn: Any) -> None:
        _check_std(fn, name, scheme, 400, 100, 11)
        _check_std(fn, name, scheme, 100, 400, 12)

    @chk.case("normal values (not uniform, not truncated)")
    def _(fn: Any) -> None:
        W = _weights(fn, 200, 200, 13, name).ravel()
        z = (W - W.mean()) / W.std()
        kurtosis = float(np.mean(z**4) - 3.0)  # 0 for a normal, -1.2 uniform, -0.64 truncated at 2σ
        if kurtosis < -0.3:
            shape = "uniform" if kurtosis < -1.0 else "truncated (no values beyond about 2 std)"
            raise AssertionError(
                f"{name}(200, 200, seed=13) looks {shape}: its excess kurtosis is "
                f"{kurtosis:.2f}, expected about 0 for a normal distribution. The lecture's "
                "initializers draw from a normal: rng.normal(0.0, std, size=(fan_in, fan_out))"
            )

    @chk.case("seed: the same seed gives the same weights, another seed others; seed=None works")
    def _(fn: Any) -> None:
        a, b = _weights(fn, 20, 10, 5, name), _weights(fn, 20, 10, 5, name)
        c = _weights(fn, 20, 10, 6, name)
        if not np.array_equal(a, b):
            raise AssertionError(
                f"{name}(20, 10, seed=5) gave different weights on two calls: draw them from "
                "rng = np.random.default_rng(seed), not from np.random.randn"
            )
        if np.array_equal(a, c):
            raise AssertionError(f"{name} gave the same weights for seed=5 and seed=6: use the seed")
        _weights(fn, 20, 10, None, name)

    return chk


xavier_init_checker = _init_checker("xavier_init", "xavier", xavier_init)
he_init_checker = _init_checker("he_init", "he", he_init)


# ------------------------------------------------------------------ BatchNorm.forward
def _batch(seed: int, N: int, D: int) -> np.ndarray:
    """A batch whose features have different means and scales (comparable to eps = 0.5)."""
    rng = _h.rng(seed)
    return rng.normal(size=(N, D)) * np.linspace(0.5, 2.0, D) + np.linspace(-2.0, 3.0, D)


def _gamma_beta(seed: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    rng = _h.rng(seed)
    return rng.uniform(0.5, 2.0, size=D), rng.normal(size=D)


def _make(cls: Any, D: int, seed: int, momentum: float, eps: float) -> tuple[Any, Any]:
    """The student's layer and the course's, with the same γ, β, momentum and eps."""
    gamma, beta = _gamma_beta(seed, D)
    mine = cls(gamma.copy(), beta.copy(), momentum=momentum, eps=eps)
    return mine, BatchNorm(gamma, beta, momentum=momentum, eps=eps)


def _forward(layer: Any, x: np.ndarray, train: bool) -> np.ndarray:
    """``layer.forward(x, train=train)``; a NumPy shape error becomes a hint about the axis."""
    try:
        out = layer.forward(x.copy(), train=train)
    except ValueError as err:
        raise AssertionError(
            f"your forward raised ValueError on x of shape {x.shape}: {str(err).strip()}."
            "\n    Hint: the "
            "statistics are taken over the batch, axis=0: mu = x.mean(axis=0) has shape (D,)"
        ) from None
    if out is None:
        raise AssertionError("forward returned None: did you forget `return out`?")
    expect_shape(out, x.shape, f"forward(x {x.shape}, train={train})")
    return np.asarray(out)


def _train_slips(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> list:
    """Training-mode outputs of the classic slips, each with its hint."""
    mu, var = x.mean(axis=0), x.var(axis=0)
    std = x.std(axis=0)
    mu1, var1 = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return [
        (gamma * (x - mu) / np.sqrt(var) + beta,
         "eps is missing: divide by np.sqrt(var + self.eps)"),
        (gamma * (x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
         "this is the unbiased variance (divided by N - 1); batch norm divides by N: x.var(axis=0)"),
        (gamma * (x - mu) / (var + eps) + beta,
         "you divided by var + eps; divide by its square root, the standard deviation"),
        (gamma * (x - mu) / (std + eps) + beta,
         "you divided by std + eps; eps goes inside the square root: np.sqrt(var + eps)"),
        (gamma * (x - mu) / np.sqrt(std + eps) + beta,
         "you took the square root of std + eps; use the variance: np.sqrt(var + eps)"),
        (gamma * (x - mu1) / np.sqrt(var1 + eps) + beta,
         "you normalized each sample over its features (axis=1); batch norm normalizes each "
         "feature over the batch, axis=0"),
        (xhat, "γ and β are missing: out = gamma * xhat + beta"),
        (beta * xhat + gamma, "γ and β are swapped: out = gamma * xhat + beta"),
        (gamma * (x - mu) + beta, "x is only centred: divide by np.sqrt(var + eps) too"),
    ] + ([(gamma * (x - x.mean(axis=1)) / np.sqrt(x.var(axis=1) + eps) + beta,
           "you took the statistics over axis=1 (each sample's features); batch norm takes "
           "them per feature over the batch, axis=0")] if x.shape[0] == x.shape[1] else [])


def _compare_batchnorm(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=(gamma, beta)`` (and kwargs) build both; run both on three batches."""
    D = expected.params["gamma"].shape[0]
    for step in range(3):
        x = _batch(90 + step, 6, D)
        assert_close(actual.forward(x.copy(), train=True), expected.forward(x, train=True),
                     name=f"forward(train=True), step {step + 1}")
    assert_close(actual.running_mean, expected.running_mean, name="running_mean")
    assert_close(actual.running_var, expected.running_var, name="running_var")
    x = _batch(93, 4, D)
    assert_close(actual.forward(x.copy(), train=False), expected.forward(x, train=False),
                 name="forward(train=False)")


batchnorm_forward = Checker(
    "2_1",
    "batchnorm_forward",
    reference=BatchNorm,
    compare=_compare_batchnorm,
    doc="BatchNorm.forward(x, train): batch statistics + running averages in training, running "
        "statistics in inference; stores self.xhat and self.std for backward.",
)


@batchnorm_forward.case("training: out = γ (x − μ) / √(σ² + eps) + β per feature")
def _(cls: Any) -> None:
    eps = 0.5
    layer, ref = _make(cls, 3, 21, 0.9, eps)
    x = _batch(22, 8, 3)
    out = _forward(layer, x, True)
    want = ref.forward(x, train=True)
    gamma, beta = _gamma_beta(21, 3)
    _h.with_hint(lambda: assert_close(out, want, name="forward(x (8, 3), train=True)"),
                 out, _train_slips(x, gamma, beta, eps))


@batchnorm_forward.case("training on a square batch (N = D = 5): statistics per feature")
def _(cls: Any) -> None:
    eps = 0.5
    layer, ref = _make(cls, 5, 23, 0.9, eps)
    x = _batch(24, 5, 5)
    out = _forward(layer, x, True)
    gamma, beta = _gamma_beta(23, 5)
    _h.with_hint(lambda: assert_close(out, ref.forward(x, train=True),
                                      name="forward(x (5, 5), train=True)"),
                 out, _train_slips(x, gamma, beta, eps))


def _running_slips(batches: list[np.ndarray], m: float, eps: float) -> list[tuple[str, Any, str]]:
    """(attribute, wrong value, hint) of the classic slips in the running statistics."""
    D = batches[0].shape[1]

    def average(stat: Any, weight_old: float, start: float) -> np.ndarray:
        r = np.full(D, start)
        for x in batches:
            r = weight_old * r + (1 - weight_old) * stat(x)
        return r

    def var(x: np.ndarray) -> np.ndarray:
        return x.var(axis=0)

    def mean(x: np.ndarray) -> np.ndarray:
        return x.mean(axis=0)

    return [
        ("running_mean", np.zeros(D), "running_mean was not updated: in training, "
         "self.running_mean = m * self.running_mean + (1 - m) * mu"),
        ("running_var", np.ones(D), "running_var was not updated: in training, "
         "self.running_var = m * self.running_var + (1 - m) * var"),
        ("running_mean", average(mean, 1 - m, 0.0), "momentum weights the old running value: "
         "m * running + (1 - m) * batch statistic, not the other way round"),
        ("running_var", average(var, 1 - m, 1.0), "momentum weights the old running value: "
         "m * running + (1 - m) * batch statistic, not the other way round"),
        ("running_mean", mean(batches[-1]), "running_mean is the last batch's mean: average it, "
         "m * running_mean + (1 - m) * mu"),
        ("running_var", var(batches[-1]), "running_var is the last batch's variance: average "
         "it, m * running_var + (1 - m) * var"),
        ("running_var", average(lambda x: x.var(axis=0, ddof=1), m, 1.0), "running_var uses "
         "the unbiased variance (N - 1); use the batch variance x.var(axis=0), as Keras does"),
        ("running_var", average(lambda x: x.std(axis=0), m, 1.0), "running_var averages the "
         "standard deviation; average the variance var"),
        ("running_var", average(lambda x: x.var(axis=0) + eps, m, 1.0), "running_var includes "
         "eps; average the variance itself and add eps only when dividing"),
    ]


@batchnorm_forward.case("running statistics after three training steps (momentum 0.8)")
def _(cls: Any) -> None:
    m, eps = 0.8, 0.5
    layer, ref = _make(cls, 4, 31, m, eps)
    batches = [_batch(32 + k, 6, 4) for k in range(3)]
    for x in batches:
        _forward(layer, x, True)
        ref.forward(x, train=True)
    slips = _running_slips(batches, m, eps)
    for attr in ("running_mean", "running_var"):
        got = np.asarray(getattr(layer, attr))
        _h.with_hint(lambda g=got, a=attr: assert_close(g, getattr(ref, a), name=f"layer.{a}"),
                     got, [(w, hint) for name, w, hint in slips if name == attr])


@batchnorm_forward.case("inference: the running statistics normalize, and nothing is updated")
def _(cls: Any) -> None:
    m, eps = 0.8, 0.5
    layer, ref = _make(cls, 4, 41, m, eps)
    for k in range(2):
        x = _batch(42 + k, 6, 4)
        _forward(layer, x, True)
        ref.forward(x, train=True)
    before = (np.array(layer.running_mean), np.array(layer.running_var))
    x = _batch(45, 3, 4) * 0.5 + 1.0  # a batch with statistics unlike the running ones
    out = _forward(layer, x, False)
    gamma, beta = _gamma_beta(41, 4)
    batch_stats = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
    _h.with_hint(
        lambda: assert_close(out, ref.forward(x, train=False), name="forward(x, train=False)"),
        out,
        [(batch_stats, "in inference (train=False) normalize with self.running_mean and "
          "self.running_var, not with the batch's own statistics"),
         (gamma * (x - ref.running_mean) / np.sqrt(ref.running_var) + beta,
          "eps is missing: divide by np.sqrt(self.running_var + self.eps)")],
    )
    after = (np.asarray(layer.running_mean), np.asarray(layer.running_var))
    if not (_h.close(after[0], before[0]) and _h.close(after[1], before[1])):
        raise AssertionError(
            "forward(x, train=False) changed the running statistics: update them only in "
            "training (inside `if train:`)"
        )


@batchnorm_forward.case("the inherited backward works after your forward (self.xhat, self.std)")
def _(cls: Any) -> None:
    eps = 0.5
    layer, ref = _make(cls, 3, 51, 0.9, eps)
    x = _batch(52, 6, 3)
    dout = _h.rng(53).normal(size=(6, 3))
    out = _forward(layer, x, True)
    want_out = ref.forward(x, train=True)
    if not _h.close(out, want_out):
        raise AssertionError("the training output is wrong (see the first check), so backward "
                             "cannot be right yet: fix forward(x, train=True) first")
    for attr, shape, formula in (("xhat", (6, 3), "(x - mu) / self.std"),
                                 ("std", (3,), "np.sqrt(var + self.eps)")):
        got = getattr(layer, attr)
        if got is None or not _h.close(got, getattr(ref, attr)):
            what = "is None" if got is None else f"has shape {np.shape(got)}, expected {shape}" \
                if np.shape(got) != shape else "has other values"
            raise AssertionError(
                f"self.{attr} {what} after forward(x (6, 3), train=True): the inherited backward "
                f"needs self.{attr} = {formula}, shape {shape}"
            )
    dx = layer.backward(dout.copy())
    assert_close(dx, ref.backward(dout), name="backward: dx")
    for key in ("gamma", "beta"):
        assert_close(layer.grads[key], ref.grads[key], name=f'backward: grads["{key}"]')
