"""Checkers of 3_6 attention: scaled dot-product attention and the recursive NN's combination step.

``dot_product_attention(query, key, value, mask)`` returns ``(context, weights)`` with the
scores scaled by 1 / sqrt(d) and the masked keys given weight 0. ``recursive_combine(left,
right, W)`` is ``tanh(W · [left; right])``. The hints recognize the usual slips: no scaling,
the softmax over the queries, the mask ignored or applied after the softmax, the context taken
from the keys; the missing tanh, the children swapped, a sum instead of the concatenation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, compare_arrays, expect_arrays, expect_shape
from utils.nn.attention import dot_product_attention as _attention
from utils.nn.recursive import recursive_combine as _combine


# ------------------------------------------------------------------ dot_product_attention
def _softmax(s: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    return _attention(q, k, v, mask=mask)


def _qkv(seed: int, N: int = 2, Tq: int = 3, Tk: int = 5, d: int = 4, dv: int = 6
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _h.rng(seed)
    return rng.normal(size=(N, Tq, d)) * 1.5, rng.normal(size=(N, Tk, d)) * 1.5, rng.normal(size=(N, Tk, dv))


def _pair(out: Any) -> tuple[np.ndarray, ...]:
    return expect_arrays(out, "dot_product_attention", ("context", "weights"))


def _weight_hints(q: np.ndarray, k: np.ndarray, mask: np.ndarray | None) -> list[tuple[Any, str]]:
    d = q.shape[-1]
    raw = q @ k.transpose(0, 2, 1)                       # (N, Tq, Tk)
    keep = None if mask is None else np.broadcast_to(mask[:, None, :], raw.shape)

    def masked(s: np.ndarray) -> np.ndarray:
        return s if keep is None else np.where(keep, s, -1e9)

    out = [
        (_softmax(masked(raw)), "the scores are not scaled: divide q · k by sqrt(d), the square "
                                "root of the feature size (query.shape[-1])"),
        (_softmax(masked(raw / d)), "scaled by 1/d: the scale is 1 / sqrt(d)"),
        (_softmax(masked(raw * np.sqrt(d))), "multiplied by sqrt(d): divide by it"),
        (_softmax(masked(raw / np.sqrt(d)), axis=1), "the softmax runs over the queries (axis 1): "
                                                     "each query's weights must sum to 1 over the "
                                                     "keys, the last axis"),
        (masked(raw / np.sqrt(d)), "no softmax: the weights are softmax(scores) over the keys"),
    ]
    if keep is not None:
        plain = _softmax(raw / np.sqrt(d))
        out += [
            (plain, "the mask is ignored: padded keys (mask False) must get weight 0; set their "
                    "scores to a very negative number (or -inf) before the softmax"),
            (plain * keep, "the mask is applied after the softmax without normalizing again: the "
                           "weights no longer sum to 1. Mask the scores before the softmax"),
            (_softmax(np.where(keep, raw / np.sqrt(d), 0.0)), "the masked scores were set to 0, "
                                                               "which still gets weight e^0: use a "
                                                               "very negative number or -inf"),
        ]
    return out


def _check_attention(fn: Any, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None) -> None:
    want_ctx, want_w = _reference(q, k, v, mask)
    args = (q.copy(), k.copy(), v.copy()) + ((mask.copy(),) if mask is not None else ())
    ctx, w = _pair(_h.call(fn, *args))
    if want_w.shape != want_ctx.shape and ctx.shape == want_w.shape and w.shape == want_ctx.shape:
        raise AssertionError("context and weights are swapped: return (context, weights)")
    if w.shape == (q.shape[0], k.shape[1], q.shape[1]) != want_w.shape:
        raise AssertionError(f"weights have shape {w.shape} = (N, Tk, Tq): compute "
                             "query @ key.transpose(0, 2, 1), one row of scores per query")
    expect_shape(w, want_w.shape, "weights (N, Tq, Tk)")
    if not np.all(np.isfinite(w)):
        raise AssertionError("the weights hold NaN or inf: subtract each row's maximum score "
                             "before np.exp (large scores overflow)")
    _h.with_hint(lambda: assert_close(w, want_w, name="weights"), w, _weight_hints(q, k, mask))
    if _h.close(ctx, want_w @ k):
        raise AssertionError("the context averages the keys: it is weights @ value")
    expect_shape(ctx, want_ctx.shape, "context (N, Tq, dv)")
    assert_close(ctx, want_ctx, name="context")


dot_product_attention = Checker(
    "3_6",
    "dot_product_attention",
    reference=_reference,
    compare=compare_arrays("dot_product_attention", ("context", "weights")),
    doc="dot_product_attention: weights = softmax(q kᵀ / sqrt(d)) over the keys, 0 where the mask "
        "is False; context = weights @ value.",
)


@dot_product_attention.case("a batch without a mask: weights softmax(q kᵀ / sqrt(d)), context weights @ v")
def _(fn: Any) -> None:
    q, k, v = _qkv(61)
    _check_attention(fn, q, k, v, None)


@dot_product_attention.case("a padding mask (N, Tk): padded keys get weight 0, the rest sum to 1")
def _(fn: Any) -> None:
    q, k, v = _qkv(62, N=3, Tq=2, Tk=6, d=8, dv=3)
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    mask[1, 2:] = False
    mask[2, 1:] = False
    _check_attention(fn, q, k, v, mask)


@dot_product_attention.case("large scores stay finite; one query; value size differs from d")
def _(fn: Any) -> None:
    q, k, v = _qkv(63, N=1, Tq=1, Tk=4, d=2, dv=5)
    _check_attention(fn, q * 40.0, k * 40.0, v, None)


# ------------------------------------------------------------------ recursive_combine
def _children(seed: int, d: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _h.rng(seed)
    return rng.normal(size=d), rng.normal(size=d), rng.normal(size=(d, 2 * d)) * 0.7


def _combine_hints(left: np.ndarray, right: np.ndarray, W: np.ndarray) -> list[tuple[Any, str]]:
    d = len(left)
    return [
        (W.dot(np.concatenate([left, right])), "the activation is missing: apply np.tanh to "
                                                "W.dot(np.concatenate([left, right]))"),
        (np.tanh(W.dot(np.concatenate([right, left]))), "the children are swapped: left comes first, "
                                                         "np.concatenate([left, right])"),
        (np.tanh(W[:, :d].dot(left + right)), "left + right adds the children: concatenate them "
                                              "into one vector of 2d numbers"),
        (np.tanh(W[:, :d].dot(left) + W[:, :d].dot(right)), "both children used the first d "
                                                            "columns of W: concatenate them instead"),
        (np.tanh(W[:, :d].dot(left * right)), "the element-wise product mixes the children: "
                                              "concatenate them"),
        (np.tanh(np.concatenate([left, right])), "W is missing: tanh(W.dot(np.concatenate([left, right])))"),
    ]


def _check_combine(fn: Any, left: np.ndarray, right: np.ndarray, W: np.ndarray) -> None:
    want = _combine(left, right, W)
    out = _h.call(fn, left.copy(), right.copy(), W.copy(),
                  hint="W is (d, 2d): it multiplies the concatenation of left and right (2d numbers)")
    if out is None:
        raise AssertionError("recursive_combine returned None: did you forget `return`?")
    out = np.asarray(out)
    if out.shape == (2 * len(left),):
        raise AssertionError(f"the result has shape {out.shape} (2d): multiply the concatenation "
                             "by W, which maps it back to d numbers")
    expect_shape(out, want.shape, "the parent vector")
    _h.with_hint(lambda: assert_close(out, want, name="the parent vector"), out,
                 _combine_hints(left, right, W))


recursive_combine = Checker(
    "3_6",
    "recursive_combine",
    reference=_combine,
    doc="recursive_combine: tanh(W.dot(np.concatenate([left, right]))).",
)


@recursive_combine.case("two word vectors (d = 3), W (3, 6)")
def _(fn: Any) -> None:
    _check_combine(fn, *_children(71))


@recursive_combine.case("d = 5; the order of the children matters")
def _(fn: Any) -> None:
    left, right, W = _children(72, d=5)
    _check_combine(fn, left, right, W)


@recursive_combine.case("a large input saturates tanh at ±1")
def _(fn: Any) -> None:
    left, right, W = _children(73, d=2)
    _check_combine(fn, left * 30, right * 30, W)
