"""utils.nn.conv against Keras layers, tf.GradientTape and the numerical gradient (taught in 2_4)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re
from typing import Any

import numpy as np
import pytest

from utils import nn

KERAS_ATOL = 1e-5  # Keras computes in float32




def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def nhwc(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)


def nchw(x: Any) -> np.ndarray:
    return np.asarray(x).transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)


def keras_kernel(W: np.ndarray) -> np.ndarray:
    return W.transpose(2, 3, 1, 0)  # (FN, C, FH, FW) -> (FH, FW, C, FN)


# (N, C, H, W, FN, FH, FW, stride, pad)
CONV_CASES = [
    (2, 1, 7, 7, 3, 3, 3, 1, 0),
    (2, 3, 8, 8, 4, 3, 3, 1, 1),
    (1, 3, 9, 9, 2, 3, 3, 2, 1),
    (2, 2, 10, 8, 3, 5, 3, 3, 2),
    (1, 4, 6, 6, 5, 2, 2, 1, 1),  # the lecture's 6 x 6 input, 2 x 2 filter, pad 1 -> 7 x 7
    (2, 3, 7, 9, 4, 1, 1, 1, 0),
    (1, 2, 11, 11, 2, 4, 4, 2, 0),
]


def conv_data(case: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, ...]:
    N, C, H, W, FN, FH, FW, _, _ = case
    r = rng(seed)
    return r.normal(size=(N, C, H, W)), r.normal(size=(FN, C, FH, FW)), r.normal(size=FN)


def keras_conv(keras: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int,
               padding: str = "valid") -> np.ndarray:
    """Keras' output (NCHW) of Conv2D with our weights, explicit zero padding when pad > 0."""
    FN, C, FH, FW = W.shape
    t = keras.ops.convert_to_tensor(nhwc(x).astype(np.float32))
    if pad:
        t = keras.layers.ZeroPadding2D(pad)(t)
    layer = keras.layers.Conv2D(FN, (FH, FW), strides=stride, padding=padding)
    layer.build(t.shape)
    layer.set_weights([keras_kernel(W).astype(np.float32), b.astype(np.float32)])
    return nchw(layer(t))


# ------------------------------------------------------------------ conv_output_size
@pytest.mark.parametrize(("n", "f", "p", "s", "want"), [
    (28, 3, 0, 1, 26), (28, 3, 1, 1, 28), (6, 2, 1, 1, 7), (28, 5, 2, 2, 14), (28, 3, 0, 2, 13),
    (7, 7, 0, 1, 1), (32, 4, 0, 4, 8), (10, 3, 3, 1, 14),
])
def test_conv_output_size(n: int, f: int, p: int, s: int, want: int) -> None:
    got = nn.conv_output_size(n, f, p, s)
    assert got == want and isinstance(got, int)


def test_conv_output_size_window_too_large() -> None:
    with pytest.raises(ValueError, match=r"size 5 does not fit.*size 3 with padding 0"):
        nn.conv_output_size(3, 5, 0, 1)
    with pytest.raises(ValueError, match="s >= 1"):
        nn.conv_output_size(8, 3, 0, 0)


# ------------------------------------------------------------------ im2col / col2im
def test_im2col_rows_are_the_windows() -> None:
    x = np.arange(2 * 3 * 5 * 4, dtype=float).reshape(2, 3, 5, 4)  # (N, C, H, W)
    FH, FW, s, p = 3, 2, 2, 1
    col = nn.im2col(x, FH, FW, s, p)
    OH, OW = nn.conv_output_size(5, FH, p, s), nn.conv_output_size(4, FW, p, s)
    assert col.shape == (2 * OH * OW, 3 * FH * FW)
    xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
    row = 0
    for n in range(2):
        for i in range(OH):
            for j in range(OW):
                window = xp[n, :, i * s:i * s + FH, j * s:j * s + FW]  # (C, FH, FW)
                np.testing.assert_array_equal(col[row], window.ravel())
                row += 1


def test_col2im_is_the_adjoint_of_im2col() -> None:
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im is im2col's transpose."""
    for shape, FH, FW, s, p in [((2, 3, 6, 7), 3, 3, 1, 1), ((1, 2, 9, 9), 4, 2, 3, 2),
                                ((3, 1, 5, 5), 2, 2, 2, 0)]:
        x = rng(1).normal(size=shape)
        col = nn.im2col(x, FH, FW, s, p)
        c = rng(2).normal(size=col.shape)
        back = nn.col2im(c, shape, FH, FW, s, p)
        assert back.shape == shape
        np.testing.assert_allclose(np.sum(col * c), np.sum(x * back), rtol=1e-12)


def test_col2im_of_im2col_counts_the_windows() -> None:
    x = rng(3).normal(size=(2, 2, 6, 6))
    counts = nn.col2im(nn.im2col(np.ones_like(x), 3, 3, 1, 1), x.shape, 3, 3, 1, 1)
    np.testing.assert_allclose(nn.col2im(nn.im2col(x, 3, 3, 1, 1), x.shape, 3, 3, 1, 1), x * counts)
    assert counts[0, 0, 0, 0] == 4 and counts[0, 0, 2, 3] == 9  # a corner, an inner pixel
    # non-overlapping windows that tile the image: col2im undoes im2col exactly
    np.testing.assert_array_equal(nn.col2im(nn.im2col(x, 2, 2, 2), x.shape, 2, 2, 2), x)


def test_im2col_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=re.escape("(3, 8, 8)")):
        nn.im2col(np.zeros((3, 8, 8)), 3, 3)
    with pytest.raises(ValueError, match=re.escape("(1, 1, 4, 4)") + ".*5 × 5"):
        nn.im2col(np.zeros((1, 1, 4, 4)), 5, 5)
    with pytest.raises(ValueError, match=re.escape("(5, 9)")):
        nn.col2im(np.zeros((5, 9)), (1, 1, 4, 4), 3, 3)


# ------------------------------------------------------------------ Conv2D
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_forward_equals_keras(keras: Any, case: tuple[int, ...]) -> None:
    x, W, b = conv_data(case)
    stride, pad = case[7], case[8]
    ours = nn.Conv2D(W, b, stride, pad).forward(x)
    theirs = keras_conv(keras, x, W, b, stride, pad)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=KERAS_ATOL)


@pytest.mark.parametrize("f", [1, 3, 5])
def test_conv2d_same_padding_equals_keras_same(keras: Any, f: int) -> None:
    """Odd filter, stride 1: pad = (f - 1) / 2 is Keras' padding="same"."""
    x, W, b = conv_data((2, 2, 8, 7, 3, f, f, 1, 0), seed=f)
    ours = nn.Conv2D(W, b, 1, (f - 1) // 2).forward(x)
    theirs = keras_conv(keras, x, W, b, 1, 0, padding="same")
    assert ours.shape == (2, 3, 8, 7)
    np.testing.assert_allclose(ours, theirs, atol=KERAS_ATOL)


@pytest.mark.parametrize("case", CONV_CASES[:5])
def test_conv2d_naive_equals_im2col(case: tuple[int, ...]) -> None:
    x, W, b = conv_data(case, seed=4)
    stride, pad = case[7], case[8]
    np.testing.assert_allclose(nn.conv2d_naive(x, W, b, stride, pad),
                               nn.Conv2D(W, b, stride, pad).forward(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES[:5])
def test_conv2d_backward_equals_gradient_tape(tf: Any, case: tuple[int, ...]) -> None:
    x, W, b = conv_data(case, seed=5)
    stride, pad = case[7], case[8]
    layer = nn.Conv2D(W, b, stride, pad)
    out = layer.forward(x)
    dout = rng(6).normal(size=out.shape)
    dx = layer.backward(dout)
    xv = tf.Variable(nhwc(x))
    kv, bv = tf.Variable(keras_kernel(W)), tf.Variable(b)
    with tf.GradientTape() as tape:
        xp = tf.pad(xv, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        y = tf.nn.conv2d(xp, kv, strides=stride, padding="VALID") + bv  # (N, OH, OW, FN)
        loss = tf.reduce_sum(y * nhwc(dout))
    gx, gk, gb = tape.gradient(loss, [xv, kv, bv])
    np.testing.assert_allclose(dx, nchw(gx), atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], gk.numpy().transpose(3, 2, 0, 1), atol=1e-10)
    np.testing.assert_allclose(layer.grads["b"], gb.numpy(), atol=1e-10)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (1, 1), (2, 1), (3, 2)])
def test_conv2d_gradient_check(stride: int, pad: int) -> None:
    r = rng(7)
    layer = nn.Conv2D(r.normal(size=(3, 2, 3, 3)), r.normal(size=3), stride, pad)
    errors = nn.gradient_check(layer, r.normal(size=(2, 2, 6, 5)))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_conv2d_errors_name_the_shapes() -> None:
    layer = nn.Conv2D(np.zeros((4, 3, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=re.escape("(2, 1, 8, 8)") + ".*C = 1.*" + re.escape("(4, 3, 3, 3)")):
        layer.forward(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 2, 8)") + ".*3 × 3"):
        layer.forward(np.zeros((2, 3, 2, 8)))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 8)")):
        layer.forward(np.zeros((2, 3, 8)))
    with pytest.raises(ValueError, match=re.escape("(4, 3, 3, 3)") + ".*" + re.escape("(3,)")):
        nn.Conv2D(np.zeros((4, 3, 3, 3)), np.zeros(3))
    layer.forward(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=re.escape("(2, 4, 2, 2)") + ".*" + re.escape("(2, 4, 3, 3)")):
        layer.backward(np.zeros((2, 4, 2, 2)))


def test_conv2d_keeps_the_parameter_arrays() -> None:
    W, b = rng(8).normal(size=(2, 1, 2, 2)), np.zeros(2)
    layer = nn.Conv2D(W, b)
    assert layer.params["W"] is W and layer.params["b"] is b


# ------------------------------------------------------------------ pooling
# (N, C, H, W, pool, stride)
POOL_CASES = [(2, 3, 8, 8, 2, 2), (1, 2, 9, 7, 3, 2), (2, 1, 6, 6, 2, 1), (1, 4, 9, 9, 3, 3),
              (2, 2, 7, 7, 2, 2)]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_forward_equals_keras(keras: Any, case: tuple[int, ...], kind: str) -> None:
    N, C, H, W, k, s = case
    x = rng(9).normal(size=(N, C, H, W))
    ours = (nn.MaxPool if kind == "max" else nn.AvgPool)(k, k, s).forward(x)
    layer = (keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D)(k, strides=s)
    theirs = nchw(layer(nhwc(x).astype(np.float32)))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=KERAS_ATOL)


def test_pool_default_stride_is_the_window() -> None:
    pool = nn.MaxPool(2)
    assert (pool.pool_h, pool.pool_w, pool.stride) == (2, 2, 2)
    with pytest.raises(ValueError, match="explicit stride"):
        nn.MaxPool(2, 3)


def test_maxpool_padding_never_wins_equals_keras_same(keras: Any) -> None:
    """pad 1 around a 3 x 3 window, stride 1: Keras' "same", which ignores the border."""
    x = rng(10).normal(size=(2, 2, 6, 5)) - 3.0  # all negative: a zero border would win
    ours = nn.MaxPool(3, 3, 1, pad=1).forward(x)
    theirs = nchw(keras.layers.MaxPooling2D(3, strides=1, padding="same")(nhwc(x).astype(np.float32)))
    np.testing.assert_allclose(ours, theirs, atol=KERAS_ATOL)


def test_avgpool_padding_counts_zeros(tf: Any) -> None:
    x = rng(11).normal(size=(1, 2, 5, 5))
    ours = nn.AvgPool(3, 3, 2, pad=1).forward(x)
    xp = np.pad(nhwc(x), [(0, 0), (1, 1), (1, 1), (0, 0)])
    theirs = nchw(tf.nn.avg_pool2d(xp, 3, 2, "VALID"))
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_equals_gradient_tape(tf: Any, case: tuple[int, ...], kind: str) -> None:
    N, C, H, W, k, s = case
    x = rng(12).normal(size=(N, C, H, W))
    layer = (nn.MaxPool if kind == "max" else nn.AvgPool)(k, k, s)
    out = layer.forward(x)
    dout = rng(13).normal(size=out.shape)
    dx = layer.backward(dout)
    xv = tf.Variable(nhwc(x))
    pool = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(pool(xv, k, s, "VALID") * nhwc(dout))
    np.testing.assert_allclose(dx, nchw(tape.gradient(loss, xv)), atol=1e-10)


@pytest.mark.parametrize(("k", "s", "pad"), [(2, 2, 0), (3, 2, 0), (2, 1, 0), (3, 1, 1)])
@pytest.mark.parametrize("cls", [nn.MaxPool, nn.AvgPool])
def test_pool_gradient_check(cls: type, k: int, s: int, pad: int) -> None:
    x = rng(14).permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) * 0.1  # distinct values: no ties
    errors = nn.gradient_check(cls(k, k, s, pad), x)
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_maxpool_backward_routes_to_the_max() -> None:
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])  # (1, 1, 2, 2)
    pool = nn.MaxPool(2)
    assert pool.forward(x).item() == 5.0
    np.testing.assert_array_equal(pool.backward(np.array([[[[7.0]]]])), [[[[0, 7.0], [0, 0]]]])


def test_pool_errors_name_the_shapes() -> None:
    pool = nn.MaxPool(3)
    with pytest.raises(ValueError, match=re.escape("(1, 1, 2, 2)") + ".*3 × 3"):
        pool.forward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=re.escape("(4, 4)")):
        pool.forward(np.zeros((4, 4)))
    pool.forward(np.zeros((1, 2, 6, 6)))
    with pytest.raises(ValueError, match=re.escape("(1, 2, 3, 3)") + ".*" + re.escape("(1, 2, 2, 2)")):
        pool.backward(np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match="smaller than the window"):
        nn.AvgPool(2, 2, 2, pad=2)


# ------------------------------------------------------------------ a small CNN
def test_small_cnn_gradient_check() -> None:
    """Conv -> ReLU -> MaxPool -> Affine -> softmax loss: every parameter passes the check."""
    r = rng(15)
    model = nn.Sequential([
        nn.Conv2D(r.normal(0, 0.5, (3, 2, 3, 3)), r.normal(0, 0.1, 3), 1, 1),
        nn.ReLU(),
        nn.MaxPool(2),
        nn.Affine(r.normal(0, 0.2, (3 * 3 * 3, 4)), r.normal(0, 0.1, 4)),  # scores O(1)
    ])
    x, t = r.normal(size=(3, 2, 6, 6)), np.array([0, 3, 1])
    errors = nn.gradient_check(model, x, t)
    assert set(errors) == {"0.W", "0.b", "3.W", "3.b"}
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors
