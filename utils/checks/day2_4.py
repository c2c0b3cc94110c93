"""Checkers of 2_4 convolution and pooling."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close
from utils.nn import AvgPool, Conv2D, MaxPool, conv2d_naive, im2col
from utils.nn import conv_output_size as _conv_output_size

# ------------------------------------------------------------------ conv_output_size
conv_output_size = Checker(
    "2_4",
    "conv_output_size",
    reference=_conv_output_size,
    doc="conv_output_size(n, f, p, s) = (n + 2p - f) // s + 1, an int.",
)


def _size_hints(n: int, f: int, p: int, s: int) -> list[tuple[Any, str]]:
    """The results of the classic slips, each with its hint."""
    return [
        ((n + 2 * p - f) // s, "the +1 is missing: the first window position counts too, "
                               "(n + 2p - f) // s + 1"),
        ((n + p - f) // s + 1, "the padding is added on both sides: n + 2p, not n + p"),
        ((n - f) // s + 1, "the padding p is ignored: (n + 2p - f) // s + 1"),
        ((n + 2 * p - f) / s + 1, "a window that would stick out is dropped: round down with "
                                  "integer division //, (n + 2p - f) // s + 1"),
        ((n + 2 * p - f) // s + 1 + ((n + 2 * p - f) % s > 0), "this rounds up: a window that "
                                                              "would stick out is dropped, use //"),
        ((n + 2 * p + f) // s + 1, "the filter size is subtracted: n + 2p - f"),
    ]


def _check_size(fn: Any, n: int, f: int, p: int, s: int) -> None:
    name = f"conv_output_size(n={n}, f={f}, p={p}, s={s})"
    out = fn(n, f, p, s)
    want = (n + 2 * p - f) // s + 1
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if isinstance(out, bool) or np.ndim(out) != 0:
        raise AssertionError(f"{name} returned {out!r}, expected one integer, {want}")
    if _h.close(out, want) and not isinstance(out, int | np.integer):
        raise AssertionError(
            f"{name} returned {out!r} ({type(out).__name__}), expected the int {want}: an output "
            "size counts positions; use integer division //, which also rounds down"
        )
    if not _h.close(out, want):
        for wrong, hint in _size_hints(n, f, p, s):
            if _h.close(out, wrong):
                raise AssertionError(f"{name} returned {out!r}, expected {want}.\n    Hint: {hint}")
        raise AssertionError(f"{name} returned {out!r}, expected {want} = (n + 2p - f) // s + 1")


@conv_output_size.case("no padding, stride 1: 28 x 28 with a 3 x 3 filter")
def _(fn: Any) -> None:
    _check_size(fn, 28, 3, 0, 1)
    _check_size(fn, 7, 7, 0, 1)


@conv_output_size.case("padding: 28 with f = 5, p = 2, and the lecture's 6 x 6 input, 2 x 2 filter, pad 1")
def _(fn: Any) -> None:
    _check_size(fn, 28, 5, 2, 1)
    _check_size(fn, 6, 2, 1, 1)


@conv_output_size.case("stride 2 with padding: 28, f = 5, p = 2")
def _(fn: Any) -> None:
    _check_size(fn, 28, 5, 2, 2)
    _check_size(fn, 32, 4, 0, 4)


@conv_output_size.case("a stride that does not divide n + 2p - f rounds down")
def _(fn: Any) -> None:
    _check_size(fn, 28, 3, 0, 2)
    _check_size(fn, 10, 3, 1, 3)


# ------------------------------------------------------------------ Conv2D.forward (im2col)
def _conv_compare(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=(W, b, stride, pad)`` builds both layers; compare their forward."""
    W = expected.params["W"]
    x = _h.rng(97).normal(size=(2, W.shape[1], 7, 6))
    assert_close(actual.forward(x.copy()), expected.forward(x), name="forward(x)")


conv2d_forward = Checker(
    "2_4",
    "conv2d_forward",
    reference=Conv2D,
    compare=_conv_compare,
    doc="Conv2D.forward by im2col: col @ W.reshape(FN, -1).T + b, reshaped to (N, FN, OH, OW).",
)


def _conv_data(seed: int, x_shape: tuple[int, ...], W_shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    rng = _h.rng(seed)
    return rng.normal(size=x_shape), rng.normal(size=W_shape), rng.normal(size=W_shape[0])


def _conv_hints(x: np.ndarray, W: np.ndarray, b: np.ndarray, s: int, p: int) -> list[tuple[Any, str]]:
    """The outputs of the classic slips of an im2col convolution, each with its hint."""
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    OH, OW = _conv_output_size(x.shape[2], FH, p, s), _conv_output_size(x.shape[3], FW, p, s)
    col = im2col(x, FH, FW, s, p)  # (N*OH*OW, C*FH*FW)
    right = col @ W.reshape(FN, -1).T + b  # (N*OH*OW, FN)
    out = [
        (conv2d_naive(x, W[:, :, ::-1, ::-1], b, s, p),
         "you flipped the filter (the convolution of mathematics); a CNN layer computes the "
         "cross-correlation: multiply each window by W as it is"),
        ((col @ W.reshape(-1, FN) + b).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2),
         "W.reshape(-1, FN) has the right shape but mixes the filters: the columns of col are "
         "ordered (C, FH, FW) per filter, so use W.reshape(FN, -1).T"),
        ((col @ W.reshape(FN, -1).T).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2),
         'the bias is missing: add self.params["b"] (FN,) to col @ col_W'),
        (right.reshape(N, FN, OH, OW),
         "the rows of col @ col_W are ordered (N, OH, OW) with one column per filter: reshape to "
         "(N, OH, OW, FN) first, then transpose(0, 3, 1, 2); reshaping straight to "
         "(N, FN, OH, OW) scrambles the values"),
        (right.reshape(N, OW, OH, FN).transpose(0, 3, 2, 1),
         "height and width are swapped: reshape to (N, OH, OW, FN), then transpose(0, 3, 1, 2)"),
    ]
    return out


def _shape_hint(got: tuple, want: tuple, x: np.ndarray, W: np.ndarray, s: int, p: int) -> str:
    """Why the output has the wrong shape, when a known slip explains it."""
    N, FN, OH, OW = want
    FH, FW = W.shape[2:]
    if got == (N, OH, OW, FN):
        return ("this is the NHWC layout (N, OH, OW, FN) of Keras; the course's layers are NCHW: "
                "transpose(0, 3, 1, 2) after reshaping to (N, OH, OW, FN)")
    if p and got == (N, FN, _conv_output_size(x.shape[2], FH, 0, s), _conv_output_size(x.shape[3], FW, 0, s)):
        return f"the padding is ignored: pass pad={p} (self.pad) to im2col"
    if s > 1 and got == (N, FN, _conv_output_size(x.shape[2], FH, p, 1), _conv_output_size(x.shape[3], FW, p, 1)):
        return f"the stride is ignored: pass stride={s} (self.stride) to im2col"
    if got == (N * OH * OW, FN):
        return "reshape the (N*OH*OW, FN) product to (N, OH, OW, FN), then transpose(0, 3, 1, 2)"
    return "out must be (N, FN, OH, OW)"


def _run_conv(cls: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray, s: int, p: int) -> tuple[Any, Any]:
    """Build the student's layer, run forward, and compare with the expected output."""
    layer = cls(W.copy(), b.copy(), stride=s, pad=p)
    try:
        out = layer.forward(x.copy())
    except ValueError as err:
        raise AssertionError(
            f"forward raised ValueError on x {x.shape}, W {W.shape} (stride={s}, pad={p}): {err}."
            "\n    Hint: col is (N*OH*OW, C*FH*FW) and col_W = W.reshape(FN, -1).T is "
            "(C*FH*FW, FN), so col @ col_W is (N*OH*OW, FN)"
        ) from None
    want = Conv2D(W, b, s, p).forward(x)
    name = f"forward(x {x.shape}) with W {W.shape}, stride={s}, pad={p}"
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return out`?")
    if np.shape(out) != want.shape:
        raise AssertionError(f"{name} has shape {np.shape(out)}, expected {want.shape} = (N, FN, OH, OW)."
                             f"\n    Hint: {_shape_hint(tuple(np.shape(out)), want.shape, x, W, s, p)}")
    _h.with_hint(lambda: assert_close(out, want, name=name), out, _conv_hints(x, W, b, s, p))
    return layer, out


@conv2d_forward.case("one channel, two filters, stride 1, no padding")
def _(cls: Any) -> None:
    x, W, b = _conv_data(41, (2, 1, 5, 5), (2, 1, 3, 3))
    _run_conv(cls, x, W, b, 1, 0)


@conv2d_forward.case("three channels, four filters, padding 1")
def _(cls: Any) -> None:
    x, W, b = _conv_data(42, (2, 3, 6, 6), (4, 3, 3, 3))
    _run_conv(cls, x, W, b, 1, 1)


@conv2d_forward.case("stride 2 and padding 1")
def _(cls: Any) -> None:
    x, W, b = _conv_data(43, (1, 2, 7, 7), (3, 2, 3, 3))
    _run_conv(cls, x, W, b, 2, 1)


@conv2d_forward.case("a non-square input and filter (H != W, FH != FW)")
def _(cls: Any) -> None:
    x, W, b = _conv_data(44, (2, 2, 7, 5), (3, 2, 3, 2))
    _run_conv(cls, x, W, b, 1, 0)


@conv2d_forward.case("the inherited backward works after your forward")
def _(cls: Any) -> None:
    x, W, b = _conv_data(45, (2, 2, 5, 5), (3, 2, 3, 3))
    layer, out = _run_conv(cls, x, W, b, 1, 1)
    dout = _h.rng(46).normal(size=np.shape(out))
    ref = Conv2D(W, b, 1, 1)
    ref.forward(x)
    want = ref.backward(dout)
    try:
        dx = layer.backward(dout.copy())
    except Exception as err:
        raise AssertionError(
            f"backward after your forward raised {type(err).__name__}: {str(err).rstrip('.')}.\n    Hint: forward "
            "must store self.x (the input), self.col (the im2col matrix) and self.col_W "
            "(the filters as a (C*FH*FW, FN) matrix): the inherited backward uses them"
        ) from None
    assert_close(dx, want, name="backward(dout) after your forward")
    assert_close(layer.grads["W"], ref.grads["W"], name='grads["W"] after your forward')


# ------------------------------------------------------------------ MaxPool.forward
def _pool_compare(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=(pool_h, pool_w, stride)`` builds both layers; compare forward."""
    x = _h.rng(96).normal(size=(2, 3, 8, 7))
    assert_close(actual.forward(x.copy()), expected.forward(x), name="forward(x)")


maxpool_forward = Checker(
    "2_4",
    "maxpool_forward",
    reference=MaxPool,
    compare=_pool_compare,
    doc="MaxPool.forward: im2col, one row per window and channel, max over each row, (N, C, OH, OW).",
)


def _pool_hints(x: np.ndarray, ph: int, pw: int, s: int) -> list[tuple[Any, str]]:
    N, C, H, W = x.shape
    OH, OW = _conv_output_size(H, ph, 0, s), _conv_output_size(W, pw, 0, s)
    col = im2col(x, ph, pw, s, 0).reshape(-1, ph * pw)  # (N*OH*OW*C, ph*pw)
    return [
        (AvgPool(ph, pw, s).forward(x), "this is average pooling: take the max of each window"),
        (np.maximum(col.max(axis=1), 0).reshape(N, OH, OW, C).transpose(0, 3, 1, 2),
         "negative maxima came out as 0: did you start from zeros (np.maximum(0, …))? "
         "Take col.max(axis=1)"),
        (col.max(axis=1).reshape(N, C, OH, OW),
         "the rows of the reshaped col are ordered (N, OH, OW, C): reshape to (N, OH, OW, C), "
         "then transpose(0, 3, 1, 2)"),
        (col.min(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2), "this is the minimum"),
    ]


def _pool_shape_hint(got: tuple, x: np.ndarray, ph: int, pw: int, s: int) -> str:
    N, C, H, W = x.shape
    OH, OW = _conv_output_size(H, ph, 0, s), _conv_output_size(W, pw, 0, s)
    if got == (N, 1, OH, OW) and C > 1:
        return ("one value per window for all channels together: pooling works on each channel "
                "separately; reshape col to (-1, pool_h * pool_w) before the max")
    if s != 1 and got == (N, C, _conv_output_size(H, ph, 0, 1), _conv_output_size(W, pw, 0, 1)):
        return f"the stride is ignored: the windows move by self.stride = {s}, pass it to im2col"
    if got == (N, OH, OW, C):
        return "this is NHWC; transpose(0, 3, 1, 2) to (N, C, OH, OW)"
    if got == (N, C, OW, OH):
        return "height and width are swapped: reshape to (N, OH, OW, C) and transpose(0, 3, 1, 2)"
    return "the output is (N, C, OH, OW)"


def _run_pool(cls: Any, x: np.ndarray, ph: int, pw: int, s: int) -> tuple[Any, Any]:
    layer = cls(ph, pw, s)
    name = f"MaxPool({ph}, {pw}, stride={s}).forward(x {x.shape})"
    try:
        out = layer.forward(x.copy())
    except ValueError as err:
        raise AssertionError(
            f"{name} raised ValueError: {err}.\n    Hint: pool each channel separately: "
            "reshape the im2col matrix (N*OH*OW, C*ph*pw) to (-1, pool_h * pool_w), one row per "
            "window and channel, take the max of each row, reshape to (N, OH, OW, C)"
        ) from None
    want = MaxPool(ph, pw, s).forward(x)
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return out`?")
    if np.shape(out) != want.shape:
        raise AssertionError(f"{name} has shape {np.shape(out)}, expected {want.shape} = (N, C, OH, OW)."
                             f"\n    Hint: {_pool_shape_hint(tuple(np.shape(out)), x, ph, pw, s)}")
    _h.with_hint(lambda: assert_close(out, want, name=name), out, _pool_hints(x, ph, pw, s))
    return layer, out


@maxpool_forward.case("2 x 2 windows, stride 2, three channels")
def _(cls: Any) -> None:
    _run_pool(cls, _h.rng(51).normal(size=(2, 3, 4, 6)), 2, 2, 2)


@maxpool_forward.case("overlapping 3 x 3 windows, stride 2")
def _(cls: Any) -> None:
    _run_pool(cls, _h.rng(52).normal(size=(1, 2, 7, 7)), 3, 3, 2)


@maxpool_forward.case("all values negative")
def _(cls: Any) -> None:
    _run_pool(cls, _h.rng(53).normal(size=(2, 2, 4, 4)) - 5.0, 2, 2, 2)


@maxpool_forward.case("a 2 x 3 window, stride 1, on a non-square input")
def _(cls: Any) -> None:
    _run_pool(cls, _h.rng(54).normal(size=(1, 3, 5, 6)), 2, 3, 1)


@maxpool_forward.case("the inherited backward works after your forward")
def _(cls: Any) -> None:
    x = _h.rng(55).normal(size=(2, 2, 4, 4))
    layer, out = _run_pool(cls, x, 2, 2, 2)
    dout = _h.rng(56).normal(size=np.shape(out))
    ref = MaxPool(2, 2, 2)
    ref.forward(x)
    try:
        dx = layer.backward(dout.copy())
    except Exception as err:
        raise AssertionError(
            f"backward after your forward raised {type(err).__name__}: {str(err).rstrip('.')}.\n    Hint: forward "
            "must store self.x (the input) and self.arg_max = col.argmax(axis=1), the position "
            "of each window's maximum: the inherited backward uses them"
        ) from None
    assert_close(dx, ref.backward(dout), name="backward(dout) after your forward")
