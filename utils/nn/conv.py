"""Convolution and pooling in NumPy (NCHW): im2col/col2im, Conv2D, MaxPool, AvgPool. Taught in 2_4.

Every array of images is ``(N, C, H, W)``: batch, channels, height, width ("channels first",
as in "Deep Learning from Scratch"; Keras uses ``(N, H, W, C)``). A filter bank ``W`` is
``(FN, C, FH, FW)``: FN filters of C channels and FH × FW pixels, with one bias per filter.
Like every deep-learning framework, "convolution" here is the cross-correlation
``out[n, f, i, j] = Σ_{c,k,l} x_pad[n, c, i·s + k, j·s + l] · W[f, c, k, l] + b[f]``
(the filter is not flipped). ``im2col`` turns it into one matrix product;
``conv2d_naive`` computes it with loops, for comparison.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float
from utils.nn.layers import Layer, _require

__all__ = [
    "AvgPool",
    "Conv2D",
    "MaxPool",
    "col2im",
    "conv2d_naive",
    "conv_output_size",
    "im2col",
]


def conv_output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """Output length (n + 2p - f) // s + 1 of a window f sliding over n with padding p, stride s.

    n: input height or width, f: filter (window) size, p: zero padding on each side,
    s: stride. The division rounds down: a window that would stick out is dropped, as in
    Keras. Taught in 2_4.
    """
    n, f, p, s = int(n), int(f), int(p), int(s)
    if s < 1 or p < 0 or f < 1:
        raise ValueError(f"need f >= 1, p >= 0 and s >= 1; got f={f}, p={p}, s={s}.")
    if f > n + 2 * p:
        raise ValueError(
            f"a window of size {f} does not fit an input of size {n} with padding {p} "
            f"(n + 2p = {n + 2 * p} < f = {f})."
        )
    return (n + 2 * p - f) // s + 1


def _images(x: ArrayLike, name: str = "x") -> np.ndarray:
    """x as a float array of shape (N, C, H, W), or a ValueError naming its shape."""
    x = _as_float(x)
    if x.ndim != 4:
        raise ValueError(f"{name} has shape {x.shape}; expected images (N, C, H, W).")
    return x


def _out_hw(x_shape: tuple[int, ...], FH: int, FW: int, stride: int, pad: int,
            what: str) -> tuple[int, int]:
    """(OH, OW) of a window FH × FW on x_shape (N, C, H, W), errors naming both shapes."""
    N, C, H, W = x_shape
    try:
        return (conv_output_size(H, FH, pad, stride), conv_output_size(W, FW, pad, stride))
    except ValueError as err:
        raise ValueError(
            f"x has shape {tuple(x_shape)} but the {what} is {FH} × {FW} with pad={pad}, "
            f"stride={stride}: {err}"
        ) from None


def im2col(x: ArrayLike, FH: int, FW: int, stride: int = 1, pad: int = 0, *,
           pad_value: float = 0.0) -> np.ndarray:
    """x: (N, C, H, W) -> col: (N*OH*OW, C*FH*FW), one row per window position.

    Row ``(n, i, j)`` (in that order) holds the FH × FW window of every channel whose top-left
    corner is at ``(i·stride, j·stride)`` of the padded image, flattened in the order
    (C, FH, FW), the order of ``W.reshape(FN, -1)``. ``pad_value`` fills the border
    (0 for convolution; max pooling uses -inf). Taught in 2_4.
    """
    x = _images(x)
    N, C, H, W = x.shape
    OH, OW = _out_hw(x.shape, FH, FW, stride, pad, "window")
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)],
                 constant_values=pad_value)  # (N, C, H + 2p, W + 2p)
    col = np.empty((N, C, FH, FW, OH, OW), dtype=x.dtype)  # (N, C, FH, FW, OH, OW)
    for i in range(FH):  # one slice per filter pixel, not per window: FH·FW copies in all
        i_max = i + stride * OH
        for j in range(FW):
            j_max = j + stride * OW
            col[:, :, i, j, :, :] = img[:, :, i:i_max:stride, j:j_max:stride]  # (N, C, OH, OW)
    col = col.transpose(0, 4, 5, 1, 2, 3)  # (N, OH, OW, C, FH, FW)
    return col.reshape(N * OH * OW, C * FH * FW)  # (N*OH*OW, C*FH*FW)


def col2im(col: ArrayLike, x_shape: tuple[int, int, int, int], FH: int, FW: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    """col: (N*OH*OW, C*FH*FW) -> x: (N, C, H, W), adding up the windows where they overlap.

    The adjoint ("transpose") of :func:`im2col`, not its inverse: a pixel covered by k
    windows receives the sum of its k entries. This is exactly what the backward pass needs.
    x_shape: the shape (N, C, H, W) of the input given to im2col. Taught in 2_4.
    """
    col = _as_float(col)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape {tuple(x_shape)} must be (N, C, H, W).")
    N, C, H, W = (int(v) for v in x_shape)
    OH, OW = _out_hw((N, C, H, W), FH, FW, stride, pad, "window")
    if col.shape != (N * OH * OW, C * FH * FW):
        raise ValueError(
            f"col has shape {col.shape} but x_shape {(N, C, H, W)} with a {FH} × {FW} window, "
            f"pad={pad}, stride={stride} gives im2col shape {(N * OH * OW, C * FH * FW)}."
        )
    col6 = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)  # (N, C, FH, FW, OH, OW)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)  # (N, C, H + 2p, W + 2p)
    for i in range(FH):
        i_max = i + stride * OH
        for j in range(FW):
            j_max = j + stride * OW
            img[:, :, i:i_max:stride, j:j_max:stride] += col6[:, :, i, j, :, :]  # (N, C, OH, OW)
    return img[:, :, pad:pad + H, pad:pad + W]  # (N, C, H, W)


def conv2d_naive(x: ArrayLike, W: ArrayLike, b: ArrayLike, stride: int = 1,
                 pad: int = 0) -> np.ndarray:
    """x: (N, C, H, W), W: (FN, C, FH, FW), b: (FN,) -> out: (N, FN, OH, OW), with Python loops.

    The definition, one output value at a time (four nested loops, a sum over the window
    each): slow, and the reference the im2col version is timed against. Taught in 2_4.
    """
    x, Wf, b = _images(x), _as_float(W), _as_float(b)
    _check_filters(x.shape, Wf.shape, b.shape)
    N, C, H, Wd = x.shape
    FN, _, FH, FW = Wf.shape
    OH, OW = _out_hw(x.shape, FH, FW, stride, pad, "filter")
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])  # (N, C, H + 2p, W + 2p)
    out = np.empty((N, FN, OH, OW), dtype=np.result_type(x, Wf))  # (N, FN, OH, OW)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = img[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]  # (C, FH, FW)
                    out[n, f, i, j] = np.sum(window * Wf[f]) + b[f]
    return out


def _check_filters(x_shape: tuple[int, ...] | None, W_shape: tuple[int, ...],
                   b_shape: tuple[int, ...]) -> None:
    """ValueError when W is not (FN, C, FH, FW) with x's C channels, or b is not (FN,)."""
    if len(W_shape) != 4:
        raise ValueError(f"W has shape {W_shape}; expected (FN, C, FH, FW).")
    if b_shape != (W_shape[0],):
        raise ValueError(f"W has shape {W_shape} but b has shape {b_shape}; expected b: ({W_shape[0]},).")
    if x_shape is not None and x_shape[1] != W_shape[1]:
        raise ValueError(
            f"x has shape {tuple(x_shape)} with C = {x_shape[1]} channels but W has shape "
            f"{W_shape}, whose filters have C = {W_shape[1]} channels."
        )


class Conv2D(Layer):
    """Convolution layer on (N, C, H, W) by im2col. W: (FN, C, FH, FW), b: (FN,). Taught in 2_4.

    ``forward`` caches ``x``, ``col`` (the im2col matrix) and ``col_W`` (the filters as a
    (C*FH*FW, FN) matrix) for ``backward``. W and b are kept, not copied, so an optimizer's
    in-place update of ``params`` updates the layer.
    """

    def __init__(self, W: ArrayLike, b: ArrayLike, stride: int = 1, pad: int = 0) -> None:
        super().__init__()
        W, b = _as_float(W), _as_float(b)
        _check_filters(None, W.shape, b.shape)
        if int(stride) < 1 or int(pad) < 0:
            raise ValueError(f"need stride >= 1 and pad >= 0; got stride={stride}, pad={pad}.")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.stride, self.pad = int(stride), int(pad)
        self.x: np.ndarray | None = None  # input (N, C, H, W)
        self.col: np.ndarray | None = None  # (N*OH*OW, C*FH*FW)
        self.col_W: np.ndarray | None = None  # (C*FH*FW, FN)

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, FN, OH, OW)."""
        x = _images(x)
        FN, C, FH, FW = self.params["W"].shape
        _check_filters(x.shape, self.params["W"].shape, self.params["b"].shape)
        N, C, H, W = x.shape
        OH, OW = _out_hw(x.shape, FH, FW, self.stride, self.pad, "filter")
        col = im2col(x, FH, FW, self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        col_W = self.params["W"].reshape(FN, -1).T  # (FN, C*FH*FW) -> (C*FH*FW, FN)
        out = col @ col_W + self.params["b"]  # (N*OH*OW, FN)
        out = out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)  # (N, OH, OW, FN) -> (N, FN, OH, OW)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: (N, FN, OH, OW) -> dx: (N, C, H, W); sets grads W: (FN, C, FH, FW), b: (FN,)."""
        x = _require(self.x, self)
        FN, C, FH, FW = self.params["W"].shape
        N = x.shape[0]
        OH, OW = _out_hw(x.shape, FH, FW, self.stride, self.pad, "filter")
        dout = _as_float(dout)
        if dout.shape != (N, FN, OH, OW):
            raise ValueError(f"dout has shape {dout.shape} but the output has shape {(N, FN, OH, OW)}.")
        dout2 = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # (N, OH, OW, FN) -> (N*OH*OW, FN)
        self.grads["b"] = dout2.sum(axis=0)  # (FN,)
        dW = self.col.T @ dout2  # (C*FH*FW, N*OH*OW) @ (N*OH*OW, FN) -> (C*FH*FW, FN)
        self.grads["W"] = dW.T.reshape(FN, C, FH, FW)  # (FN, C*FH*FW) -> (FN, C, FH, FW)
        dcol = dout2 @ self.col_W.T  # (N*OH*OW, FN) @ (FN, C*FH*FW) -> (N*OH*OW, C*FH*FW)
        return col2im(dcol, x.shape, FH, FW, self.stride, self.pad)  # (N, C, H, W)

    def __repr__(self) -> str:
        FN, C, FH, FW = self.params["W"].shape
        return f"Conv2D({C} -> {FN}, {FH}x{FW}, stride={self.stride}, pad={self.pad})"


class _Pool(Layer):
    """Shared set-up of the pooling layers: window pool_h × pool_w, stride, padding."""

    def __init__(self, pool_h: int, pool_w: int | None = None, stride: int | None = None,
                 pad: int = 0) -> None:
        super().__init__()
        pool_w = pool_h if pool_w is None else pool_w
        if stride is None:
            if pool_h != pool_w:
                raise ValueError(f"a {pool_h} × {pool_w} window needs an explicit stride.")
            stride = pool_h  # non-overlapping windows, Keras' default
        self.pool_h, self.pool_w, self.stride, self.pad = int(pool_h), int(pool_w), int(stride), int(pad)
        if min(self.pool_h, self.pool_w, self.stride) < 1 or self.pad < 0:
            raise ValueError(f"need pool sizes and stride >= 1, pad >= 0; got {self!r}.")
        if self.pad >= min(self.pool_h, self.pool_w):
            raise ValueError(f"pad={pad} must be smaller than the window {pool_h} × {pool_w}.")
        self.x: np.ndarray | None = None  # input (N, C, H, W)

    def _shapes(self, x: np.ndarray) -> tuple[int, int, int, int, int, int]:
        N, C, H, W = x.shape
        OH, OW = _out_hw(x.shape, self.pool_h, self.pool_w, self.stride, self.pad, "pooling window")
        return N, C, H, W, OH, OW

    def _dout_rows(self, dout: ArrayLike) -> np.ndarray:
        """dout (N, C, OH, OW) -> (N*OH*OW*C,), the row order of the pooled im2col matrix."""
        x = _require(self.x, self)
        N, C, H, W, OH, OW = self._shapes(x)
        dout = _as_float(dout)
        if dout.shape != (N, C, OH, OW):
            raise ValueError(f"dout has shape {dout.shape} but the output has shape {(N, C, OH, OW)}.")
        return dout.transpose(0, 2, 3, 1).reshape(-1)  # (N, OH, OW, C) -> (N*OH*OW*C,)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.pool_h}, {self.pool_w}, stride={self.stride}, "
                f"pad={self.pad})")


class MaxPool(_Pool):
    """Max pooling on (N, C, H, W), each channel separately. Taught in 2_4.

    ``MaxPool(2)`` is a 2 × 2 window with stride 2 (Keras' ``MaxPooling2D(2)``). Padding,
    rarely used, is -inf, so it never wins the max. ``forward`` caches ``x`` and
    ``arg_max``, the position of the maximum inside each window (N*OH*OW*C,); ``backward``
    sends each gradient to that position only.
    """

    def __init__(self, pool_h: int, pool_w: int | None = None, stride: int | None = None,
                 pad: int = 0) -> None:
        super().__init__(pool_h, pool_w, stride, pad)
        self.arg_max: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, OH, OW)."""
        x = _images(x)
        N, C, H, W, OH, OW = self._shapes(x)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad,
                     pad_value=-np.inf)  # (N*OH*OW, C*ph*pw)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # (N*OH*OW*C, ph*pw): a window a row
        self.arg_max = col.argmax(axis=1)  # (N*OH*OW*C,)
        out = col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)  # (N, C, OH, OW)
        self.x = x
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: (N, C, OH, OW) -> dx: (N, C, H, W), nonzero only where a window had its max."""
        d = self._dout_rows(dout)  # (N*OH*OW*C,)
        arg_max = _require(self.arg_max, self)
        N, C, H, W, OH, OW = self._shapes(self.x)
        size = self.pool_h * self.pool_w
        dmax = np.zeros((d.size, size), dtype=d.dtype)  # (N*OH*OW*C, ph*pw)
        dmax[np.arange(d.size), arg_max] = d
        dcol = dmax.reshape(N * OH * OW, C * size)  # (N*OH*OW, C*ph*pw)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class AvgPool(_Pool):
    """Average pooling on (N, C, H, W), each channel separately. Taught in 2_4.

    ``AvgPool(2)`` equals Keras' ``AveragePooling2D(2)``. With ``pad > 0`` the zero padding
    counts in the mean (every window divides by pool_h·pool_w, like PyTorch's default;
    Keras' "same" divides by the number of real pixels instead).
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, OH, OW)."""
        x = _images(x)
        N, C, H, W, OH, OW = self._shapes(x)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)  # (N*OH*OW, C*ph*pw)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # (N*OH*OW*C, ph*pw)
        out = col.mean(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)  # (N, C, OH, OW)
        self.x = x
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: (N, C, OH, OW) -> dx: (N, C, H, W), each gradient shared equally by its window."""
        d = self._dout_rows(dout)  # (N*OH*OW*C,)
        N, C, H, W, OH, OW = self._shapes(self.x)
        size = self.pool_h * self.pool_w
        dcol = np.repeat(d[:, None] / size, size, axis=1)  # (N*OH*OW*C, ph*pw)
        dcol = dcol.reshape(N * OH * OW, C * size)  # (N*OH*OW, C*ph*pw)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
