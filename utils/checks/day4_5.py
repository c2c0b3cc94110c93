"""Checkers of 4_5 applied models: a depthwise-separable convolution's parameters, layer norm,
the receptive field of a dilated causal stack.

``depthwise_separable_params(k, c_in, c_out, bias)`` is the count of
``keras.layers.SeparableConv2D(c_out, k, use_bias=bias)``: K²·C + C·M (+ M). ``layer_norm(x,
gamma, beta, eps)`` normalizes each example of x: (N, D) or (N, H, W, C) over all its values,
then γ, β of shape (C,). ``receptive_field(kernel_size, dilations)`` is 1 + Σ (k − 1) d. The
hints recognize the usual slips: the standard convolution's K²·C·M, a bias on both parts, K not
squared; the batch axis instead of the example's, the last axis only, eps outside the root or
missing, the unbiased variance, γ/β left out; k·d instead of (k − 1)·d, the missing 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.blocks import depthwise_separable_params as _sep_params
from utils.blocks import receptive_field as _rf
from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn.normalization import layer_norm as _layer_norm


def _integer(out: Any, fn: str) -> int:
    if out is None:
        raise AssertionError(f"{fn} returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(
            f"{fn} returned an array of shape {np.shape(out)}, expected one number"
        )
    try:
        value = float(out)
    except (TypeError, ValueError):
        raise AssertionError(f"{fn} returned {type(out).__name__}, expected an int") from None
    if value != int(value):
        raise AssertionError(f"{fn} returned {value:g}, expected a whole number (an int)")
    return int(value)


def _first_hint(value: int, hints: list[tuple[int, str]]) -> str:
    for wrong, hint in hints:
        if value == wrong:
            return f"\n    Hint: {hint}"
    return ""


# ------------------------------------------------------------------ depthwise_separable_params
def _sep_hints(k: int, C: int, M: int, bias: bool) -> list[tuple[int, str]]:
    b = M if bias else 0
    return [
        (
            k * k * C * M + b,
            "K²·C·M is the standard convolution: the depthwise part has one K×K "
            "filter per input channel (K²·C), the pointwise part C·M",
        ),
        (
            k * k * C * M + C * M + b,
            "the depthwise part has one K×K filter per input channel, K²·C weights, not K²·C·M",
        ),
        (
            k * k * C + C * M + C + M if bias else -1,
            "SeparableConv2D has one bias vector, of the M "
            "outputs (after the pointwise part): + M, not + C + M",
        ),
        (k * C + C * M + b, "the depthwise filter is K × K: K²·C weights, not K·C"),
        (C * M + b, "the depthwise part (K²·C weights) is missing"),
        (k * k * C + b, "the pointwise 1 × 1 convolution (C·M weights) is missing"),
    ] + (
        [(k * k * C + C * M, "the M biases of the output channels are missing (bias=True)")]
        if bias
        else [(k * k * C + C * M + M, "count the M biases only when bias is True")]
    )


def _check_sep(fn: Any, k: int, C: int, M: int, bias: bool) -> None:
    want = _sep_params(k, C, M, bias)
    got = _integer(_h.call(fn, k, C, M, bias), "depthwise_separable_params")
    if got != want:
        raise AssertionError(
            f"depthwise_separable_params(k={k}, c_in={C}, c_out={M}, bias={bias}) returned {got}, "
            f"expected {want}" + _first_hint(got, _sep_hints(k, C, M, bias))
        )


depthwise_separable_params = Checker(
    "4_5",
    "depthwise_separable_params",
    reference=_sep_params,
    doc="depthwise_separable_params: K²·C (depthwise) + C·M (pointwise) + M biases if bias.",
)


@depthwise_separable_params.case("3 × 3, 32 → 64 channels, with bias: 9·32 + 32·64 + 64 = 2 400")
def _(fn: Any) -> None:
    _check_sep(fn, 3, 32, 64, True)


@depthwise_separable_params.case("5 × 5, 16 → 24 channels, no bias")
def _(fn: Any) -> None:
    _check_sep(fn, 5, 16, 24, False)


@depthwise_separable_params.case("3 × 3 on one input channel (C = 1), 8 outputs, with bias")
def _(fn: Any) -> None:
    _check_sep(fn, 3, 1, 8, True)


@depthwise_separable_params.case("7 × 7, 3 → 10 channels, with bias")
def _(fn: Any) -> None:
    _check_sep(fn, 7, 3, 10, True)


# ------------------------------------------------------------------ layer_norm
def _ln_hints(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> list[tuple[Any, str]]:
    def norm(
        axes: tuple[int, ...], *, ddof: int = 0, eps_in: bool = True, e: float = eps
    ) -> np.ndarray:
        mu = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        std = np.sqrt(var + e) if eps_in else np.sqrt(var) + e
        return (x - mu) / std

    own = tuple(range(1, x.ndim))
    out = [
        (
            g * norm(tuple(range(x.ndim - 1))) + b,
            "this normalizes each feature over the batch (batch "
            "norm): layer norm takes the mean and variance of each "
            "example over all its own values, axis=(1, …, x.ndim - 1)",
        ),
        (
            g * norm((0,)) + b,
            "this averages over the batch axis 0 (batch norm): layer norm averages "
            "over each example's own values, axes 1 … x.ndim - 1",
        ),
        (
            g * norm(own, eps_in=False) + b,
            "eps goes inside the square root: (x - mu) / sqrt(var + eps)",
        ),
        (g * norm(own, e=0.0) + b, "eps is missing: divide by sqrt(var + eps)"),
        (
            g * norm(own, ddof=1) + b,
            "use the biased variance (divide by the number of values, "
            "np.var's default ddof=0), as Keras does",
        ),
        (norm(own), "gamma and beta are missing: return gamma * x_hat + beta"),
        (b * norm(own) + g, "gamma and beta are swapped: gamma scales, beta shifts"),
    ]
    if x.ndim > 2:
        out.insert(
            0,
            (
                g * norm((x.ndim - 1,)) + b,
                "this normalizes over the last axis (C) only: for images layer norm takes "
                "each example's H·W·C values together, axes (1, 2, 3)",
            ),
        )
        out.insert(
            1,
            (
                g * norm(tuple(range(1, x.ndim - 1))) + b,
                "this normalizes each channel separately over H, W (instance norm): layer "
                "norm takes the channels together too, axes (1, 2, 3)",
            ),
        )
    return out


def _check_ln(fn: Any, x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> None:
    want = _layer_norm(x, g, b, eps)
    x_in = x.copy()
    out = _h.call(
        fn, x_in, g.copy(), b.copy(), eps, hint="gamma and beta have shape (C,), the last axis of x"
    )
    if out is None:
        raise AssertionError("layer_norm returned None: did you forget `return`?")
    if not np.array_equal(x_in, x):
        raise AssertionError("layer_norm changed its input x in place: compute into a new array")
    expect_shape(out, want.shape, "layer_norm's output (the shape of x)")
    _h.with_hint(
        lambda: assert_close(out, want, rtol=1e-6, atol=1e-7, name="layer_norm(x)"),
        out,
        _ln_hints(x, g, b, eps),
    )


layer_norm = Checker(
    "4_5",
    "layer_norm",
    reference=_layer_norm,
    doc="layer_norm: per example over all its values, (x - mu) / sqrt(var + eps), then gamma, beta.",
)


@layer_norm.case("(N, D) = (4, 6), γ = 1, β = 0")
def _(fn: Any) -> None:
    x = _h.rng(451).normal(1.0, 2.0, size=(4, 6))
    _check_ln(fn, x, np.ones(6), np.zeros(6), 1e-5)


@layer_norm.case("(N, H, W, C) = (3, 4, 5, 6) with γ, β per channel")
def _(fn: Any) -> None:
    rng = _h.rng(452)
    x = rng.normal(0.5, 3.0, size=(3, 4, 5, 6))
    _check_ln(fn, x, rng.normal(1.0, 0.5, size=6), rng.normal(size=6), 1e-5)


@layer_norm.case("a large eps = 0.5 on values of small variance (eps must sit inside the root)")
def _(fn: Any) -> None:
    rng = _h.rng(453)
    x = rng.normal(0.0, 0.3, size=(2, 3, 3, 4))
    _check_ln(fn, x, rng.normal(1.0, 0.2, size=4), rng.normal(size=4), 0.5)


@layer_norm.case("a batch of one image: layer norm needs no other examples")
def _(fn: Any) -> None:
    rng = _h.rng(454)
    x = rng.normal(-2.0, 1.5, size=(1, 5, 5, 3))
    _check_ln(fn, x, rng.normal(1.0, 0.3, size=3), rng.normal(size=3), 1e-5)


# ------------------------------------------------------------------ receptive_field
def _rf_hints(k: int, ds: list[int]) -> list[tuple[int, str]]:
    s = sum(ds)
    return [
        (
            k * s,
            "each layer adds (k - 1)·d steps, not k·d: a kernel of k taps spans k - 1 gaps of d",
        ),
        ((k - 1) * s, "the output step itself counts: R = 1 + Σ (k - 1)·d"),
        (1 + k * s, "each layer adds (k - 1)·d steps, not k·d"),
        (1 + s, "the kernel size is missing: each layer adds (k - 1)·d steps"),
        (k ** len(ds), "k^L holds only for dilations 1, k, k², …; add up 1 + Σ (k - 1)·d"),
        (
            (k - 1) * max(ds, default=0) + 1,
            "every layer adds its own (k - 1)·d, not only the largest",
        ),
        (1 + (k - 1) * len(ds), "the dilations are missing: layer l adds (k - 1)·d_l steps"),
    ]


def _check_rf(fn: Any, k: int, ds: list[int]) -> None:
    want = _rf(k, ds)
    got = _integer(_h.call(fn, k, list(ds)), "receptive_field")
    if got != want:
        raise AssertionError(
            f"receptive_field(kernel_size={k}, dilations={ds}) returned {got}, "
            f"expected {want}" + _first_hint(got, _rf_hints(k, ds))
        )


receptive_field = Checker(
    "4_5",
    "receptive_field",
    reference=_rf,
    doc="receptive_field: 1 + sum over layers of (kernel_size - 1) * dilation.",
)


@receptive_field.case("kernel 2, dilations 1, 2, 4, 8 (WaveNet): 16")
def _(fn: Any) -> None:
    _check_rf(fn, 2, [1, 2, 4, 8])


@receptive_field.case("kernel 3, dilations 1, 2, 4")
def _(fn: Any) -> None:
    _check_rf(fn, 3, [1, 2, 4])


@receptive_field.case("kernel 2, five undilated layers (d = 1)")
def _(fn: Any) -> None:
    _check_rf(fn, 2, [1, 1, 1, 1, 1])


@receptive_field.case("kernel 3, the dilations 1 … 8 repeated twice")
def _(fn: Any) -> None:
    _check_rf(fn, 3, [1, 2, 4, 8, 1, 2, 4, 8])
