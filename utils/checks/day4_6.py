"""Checkers of 4_6 the Transformer: scaled dot-product attention, positional encoding, causal mask.

``scaled_dot_product_attention(Q, K, V, mask=None)`` works on any leading axes (batch, heads):
Q ``(..., Tq, d_k)``, K ``(..., Tk, d_k)``, V ``(..., Tk, d_v)``, mask broadcastable to
``(..., Tq, Tk)`` (True = may attend); it returns ``(context, weights)``. The hints recognize:
no scaling, 1/d, the softmax over the queries, the mask ignored or set to 0, ``.T`` on a 4-D
key (which reverses every axis). ``positional_encoding(length, depth)`` returns the
``(length, depth)`` sinusoids (sin at even columns, cos at odd ones); hints for the exponent
``i / d`` instead of ``2i / d``, sin and cos swapped, the (depth, length) transpose.
``causal_mask(T)`` returns the ``(T, T)`` boolean lower triangle; hints for the upper
triangle and for the diagonal left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, compare_arrays, expect_arrays, expect_shape
from utils.transformer import causal_mask as _causal
from utils.transformer import positional_encoding as _pe
from utils.transformer import scaled_dot_product_attention as _sdpa


# ------------------------------------------------------------------ scaled_dot_product_attention
def _softmax(s: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _qkv(seed: int, lead: tuple[int, ...], Tq: int, Tk: int, d: int, dv: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _h.rng(seed)
    return (rng.normal(size=(*lead, Tq, d)) * 1.5, rng.normal(size=(*lead, Tk, d)) * 1.5,
            rng.normal(size=(*lead, Tk, dv)))


def _weight_hints(q: np.ndarray, k: np.ndarray, mask: np.ndarray | None) -> list[tuple[Any, str]]:
    d = q.shape[-1]
    raw = q @ np.swapaxes(k, -1, -2)                     # (..., Tq, Tk)
    keep = None if mask is None else np.broadcast_to(mask, raw.shape)

    def masked(s: np.ndarray) -> np.ndarray:
        return s if keep is None else np.where(keep, s, -1e9)

    out = [
        (_softmax(masked(raw)), "the scores are not scaled: divide Q Kᵀ by sqrt(d_k), the square "
                                "root of the key size (Q.shape[-1])"),
        (_softmax(masked(raw / d)), "scaled by 1/d_k: the scale is 1 / sqrt(d_k)"),
        (_softmax(masked(raw / np.sqrt(d)), axis=-2), "the softmax runs over the queries (axis -2): "
                                                      "each query's weights must sum to 1 over the "
                                                      "keys, the last axis"),
    ]
    if keep is not None:
        out += [
            (_softmax(raw / np.sqrt(d)), "the mask is ignored: where it is False set the score to a "
                                         "very negative number (or -inf) before the softmax"),
            (_softmax(np.where(keep, raw / np.sqrt(d), 0.0)), "the masked scores were set to 0, which "
                                                               "still gets weight e^0: use -1e9 or -inf"),
            (_softmax(np.where(keep, -1e9, raw / np.sqrt(d))), "the mask is inverted: True means "
                                                                "'may attend', so keep the scores where "
                                                                "the mask is True"),
        ]
    return out


def _check_sdpa(fn: Any, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None) -> None:
    want_ctx, want_w = _sdpa(q, k, v, mask)
    args = (q.copy(), k.copy(), v.copy()) + ((mask.copy(),) if mask is not None else ())
    try:
        out = fn(*args)
    except ValueError as err:
        raise AssertionError(
            f"scaled_dot_product_attention raised ValueError on Q {q.shape}, K {k.shape}, V {v.shape}"
            f"{'' if mask is None else f', mask {mask.shape}'}: {err}. Transpose only the last two "
            "axes of K (np.swapaxes(K, -1, -2)); K.T reverses every axis of a 4-D array") from None
    ctx, w = expect_arrays(out, "scaled_dot_product_attention", ("context", "weights"))
    if w.shape == want_ctx.shape != want_w.shape and ctx.shape == want_w.shape:
        raise AssertionError("context and weights are swapped: return (context, weights)")
    expect_shape(w, want_w.shape, "weights (..., Tq, Tk)")
    if not np.all(np.isfinite(w)):
        raise AssertionError("the weights hold NaN or inf: subtract each row's maximum score before "
                             "np.exp, and mask with a large negative number")
    _h.with_hint(lambda: assert_close(w, want_w, name="weights"), w, _weight_hints(q, k, mask))
    if _h.close(ctx, want_w @ k) and not _h.close(ctx, want_ctx):
        raise AssertionError("the context averages the keys: it is weights @ V")
    expect_shape(ctx, want_ctx.shape, "context (..., Tq, d_v)")
    assert_close(ctx, want_ctx, name="context")


scaled_dot_product_attention = Checker(
    "4_6",
    "scaled_dot_product_attention",
    reference=_sdpa,
    compare=compare_arrays("scaled_dot_product_attention", ("context", "weights")),
    doc="scaled_dot_product_attention: weights = softmax(Q Kᵀ / sqrt(d_k)) over the last axis, "
        "masked where the mask is False; context = weights @ V; any leading axes.",
)


@scaled_dot_product_attention.case("one batch (N, T, d) without a mask")
def _(fn: Any) -> None:
    _check_sdpa(fn, *_qkv(461, (2,), 3, 5, 4, 6), None)


@scaled_dot_product_attention.case("heads (N, H, T, d_k) with a causal mask (Tq, Tk) broadcast to all")
def _(fn: Any) -> None:
    q, k, v = _qkv(462, (2, 3), 4, 4, 8, 5)
    _check_sdpa(fn, q, k, v, np.tril(np.ones((4, 4), dtype=bool)))


@scaled_dot_product_attention.case("heads with a padding mask (N, 1, 1, Tk); large scores stay finite")
def _(fn: Any) -> None:
    q, k, v = _qkv(463, (2, 2), 3, 6, 4, 3)
    mask = np.ones((2, 1, 1, 6), dtype=bool)
    mask[0, ..., 4:] = False
    mask[1, ..., 1:] = False
    _check_sdpa(fn, q * 20.0, k * 20.0, v, mask)


# ------------------------------------------------------------------ positional_encoding
def _pe_hints(length: int, depth: int) -> list[tuple[Any, str]]:
    pos = np.arange(length)[:, None]
    i = np.arange(depth)[None, :]
    two_i = (i // 2) * 2
    angle = pos / 10_000.0 ** (two_i / depth)
    wrong_exp = pos / 10_000.0 ** (i / depth)
    half = pos / 10_000.0 ** (np.arange(0, depth, 2)[None, :] / depth)
    return [
        (np.where(i % 2 == 0, np.cos(angle), np.sin(angle)), "sin and cos are swapped: even columns "
                                                             "2i hold the sine, odd columns 2i + 1 "
                                                             "the cosine"),
        (np.where(i % 2 == 0, np.sin(wrong_exp), np.cos(wrong_exp)), "the exponent uses the column "
                                                                     "index j / d: columns 2i and 2i + 1 "
                                                                     "share the frequency "
                                                                     "1 / 10000^(2i / d)"),
        (np.concatenate([np.sin(half), np.cos(half)], axis=1), "all sines first, then all cosines "
                                                               "(the keras.io layout): interleave "
                                                               "them, sin at column 2i, cos at 2i + 1"),
        (np.where(i % 2 == 0, np.sin(pos * 10_000.0 ** (two_i / depth)),
                  np.cos(pos * 10_000.0 ** (two_i / depth))), "the position is multiplied by "
                                                              "10000^(2i/d): divide by it"),
    ]


def _check_pe(fn: Any, length: int, depth: int) -> None:
    want = _pe(length, depth)
    out = _h.call(fn, length, depth)
    if out is None:
        raise AssertionError("positional_encoding returned None: did you forget `return`?")
    out = np.asarray(out)
    if out.shape == (depth, length) != want.shape:
        raise AssertionError(f"the encoding has shape {out.shape} = (depth, length): one row per "
                             f"position, expected {want.shape}")
    expect_shape(out, want.shape, "the encoding (length, depth)")
    _h.with_hint(lambda: assert_close(out, want, name="the encoding"), out, _pe_hints(length, depth))


positional_encoding = Checker(
    "4_6",
    "positional_encoding",
    reference=_pe,
    doc="positional_encoding: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same).",
)


@positional_encoding.case("length 6, depth 8")
def _(fn: Any) -> None:
    _check_pe(fn, 6, 8)


@positional_encoding.case("length 50, depth 16: the slow columns")
def _(fn: Any) -> None:
    _check_pe(fn, 50, 16)


@positional_encoding.case("length 3, depth 4: the first rows")
def _(fn: Any) -> None:
    _check_pe(fn, 3, 4)


# ------------------------------------------------------------------ causal_mask
def _check_causal(fn: Any, T: int) -> None:
    want = _causal(T)
    out = _h.call(fn, T)
    if out is None:
        raise AssertionError("causal_mask returned None: did you forget `return`?")
    out = np.asarray(out)
    expect_shape(out, want.shape, f"causal_mask({T})")
    if out.dtype != bool:
        if set(np.unique(out).tolist()) <= {0, 1}:
            raise AssertionError(f"causal_mask returned dtype {out.dtype}: return booleans "
                                 "(.astype(bool)), True where a query may attend")
        raise AssertionError(f"causal_mask returned values {np.unique(out)[:5]}: return booleans, "
                             "True on and below the diagonal")
    if np.array_equal(out, want):
        return
    if np.array_equal(out, want.T):
        raise AssertionError("the mask is the upper triangle: row t (a query) may see the keys "
                             "0 … t, the entries on and below the diagonal (np.tril)")
    if np.array_equal(out, ~want):
        raise AssertionError("the mask is inverted: True means 'may attend', i.e. the past and the "
                             "position itself")
    if np.array_equal(out, np.tril(want, -1)):
        raise AssertionError("the diagonal is False: a position may attend to itself (np.tril "
                             "with k=0); otherwise the first row has no key at all")
    bad = tuple(int(i) for i in np.argwhere(out != want)[0])
    raise AssertionError(f"causal_mask({T}) differs at {bad}: expected {bool(want[bad])}")


causal_mask = Checker(
    "4_6",
    "causal_mask",
    reference=_causal,
    compare=lambda a, e: assert_close(np.asarray(a, dtype=float), np.asarray(e, dtype=float)),
    doc="causal_mask: (T, T) booleans, True where key j <= query i.",
)


@causal_mask.case("T = 4")
def _(fn: Any) -> None:
    _check_causal(fn, 4)


@causal_mask.case("T = 7")
def _(fn: Any) -> None:
    _check_causal(fn, 7)


@causal_mask.case("T = 1: one position sees itself")
def _(fn: Any) -> None:
    _check_causal(fn, 1)
