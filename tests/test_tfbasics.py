"""utils.tfbasics: the tape's gradients equal the formulas, fit_custom equals fit, the fits equal least squares."""

from __future__ import annotations

import numpy as np
import pytest

from utils import tfbasics as tb


def test_softmax_regression_grad_equals_tape(tf) -> None:
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    loss, dW, db = tb.softmax_regression_grad(x, t, W, b)
    Wv, bv = tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        u = tf.constant(x) @ Wv + bv
        e = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(t), u))
    gW, gb = tape.gradient(e, [Wv, bv])
    assert np.isclose(loss, float(e))
    np.testing.assert_allclose(dW, gW.numpy(), rtol=1e-10)
    np.testing.assert_allclose(db, gb.numpy(), rtol=1e-10)


def test_softmax_regression_grad_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"x \(5, 4\), t \(5,\), W \(3, 3\)"):
        tb.softmax_regression_grad(
            np.zeros((5, 4)), np.zeros(5, int), np.zeros((3, 3)), np.zeros(3)
        )


def test_fit_polynomial_equals_least_squares() -> None:
    xs, ds = zip(*[tb.linear_data(200, s, seed=i) for i, s in enumerate((0.0, 0.3))], strict=False)
    coefs, losses = tb.fit_polynomial(np.stack(xs), np.stack(ds), 1, steps=400, lr=0.5)
    assert coefs.shape == (2, 2) and losses.shape == (400, 2)
    np.testing.assert_allclose(coefs[0], [tb.TRUE_B, tb.TRUE_W], atol=1e-4)
    np.testing.assert_allclose(
        coefs[1], np.polynomial.polynomial.polyfit(xs[1], ds[1], 1), atol=1e-4
    )
    x, d = tb.cubic_data(100, 0.05, seed=1)
    c, _ = tb.fit_polynomial(x, d, 3, steps=1500, lr=0.05, optimizer="adam")
    np.testing.assert_allclose(c, np.polynomial.polynomial.polyfit(x, d, 3), atol=2e-3)


def test_fit_polynomial_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        tb.fit_polynomial(np.zeros(3), np.zeros(4), 1, steps=1, lr=0.1)
    with pytest.raises(ValueError, match="optimizer"):
        tb.fit_polynomial(np.zeros(3), np.zeros(3), 1, steps=1, lr=0.1, optimizer="rmsprop")


def test_fit_custom_equals_fit(keras) -> None:
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(60, 5)).astype("float32"), rng.integers(0, 3, size=60)
    keras.utils.set_random_seed(0)
    a, b = tb.softmax_regression(5, 3), tb.softmax_regression(5, 3)
    b.set_weights(a.get_weights())
    loss = keras.losses.SparseCategoricalCrossentropy()
    hist = tb.fit_custom(a, loss, keras.optimizers.SGD(0.3), x, t, epochs=2, batch_size=20)
    b.compile(
        optimizer=keras.optimizers.SGD(0.3), loss=keras.losses.SparseCategoricalCrossentropy()
    )
    ref = b.fit(x, t, batch_size=20, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(hist, ref, rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, atol=1e-6)


def test_data_and_standardize() -> None:
    x, d = tb.linear_data(50, 0.0)
    np.testing.assert_allclose(d, 5 * x + 2, atol=1e-5)
    with pytest.raises(ValueError, match="noise"):
        tb.linear_data(10, -1.0)
    a, b = tb.standardize(np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([[2.0, 5.0]]))
    np.testing.assert_allclose(a, [[-1, 0], [1, 0]])
    np.testing.assert_allclose(b, [[0, 3]])
    with pytest.raises(ValueError, match=r"\(1, 3\), expected \(M, 2\)"):
        tb.standardize(np.zeros((2, 2)), np.zeros((1, 3)))


def test_build_mlp_shapes_and_parameters(keras) -> None:
    model = tb.build_mlp()
    # Dense 784 -> 256 -> 128 -> 10: weights plus biases of each layer
    assert model.count_params() == (784 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10)
    assert model.count_params() == 235_146
    x = np.random.default_rng(0).random((3, 784)).astype("float32")
    y = model.predict(x, verbose=0)
    assert y.shape == (3, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    small = tb.build_mlp(5, (4,), 3)
    assert small.count_params() == (5 * 4 + 4) + (4 * 3 + 3)
    assert small.predict(x[:, :5], verbose=0).shape == (3, 3)
    with pytest.raises(ValueError, match=r"hidden=\(4, 0\)"):
        tb.build_mlp(5, (4, 0), 3)


def test_build_small_cnn_shapes_parameters_and_dropout(keras) -> None:
    model = tb.build_small_cnn(dropout=0.5)
    # conv 3x3x1x16 + 16; pool -> 13x13x16; conv 3x3x16x32 + 32 -> 11x11x32; pool -> 5x5x32 = 800
    conv = (3 * 3 * 1 * 16 + 16) + (3 * 3 * 16 * 32 + 32)
    dense = (800 * 64 + 64) + (64 * 10 + 10)
    assert model.count_params() == conv + dense == 56_714
    assert tb.build_small_cnn(dropout=0.0).count_params() == 56_714  # dropout has no weights
    drop = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(drop) == 1 and drop[0].rate == 0.5
    x = np.random.default_rng(1).random((2, 28, 28, 1)).astype("float32")
    y = np.asarray(model(x, training=False))
    assert y.shape == (2, 10)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), y)  # inference: no dropout
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match=r"rate in \[0, 1\)"):
            tb.build_small_cnn(dropout=bad)
