"""utils.nn.BatchNorm against keras.layers.BatchNormalization and the numerical gradient."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from utils import nn

SHAPES = [((8, 4), 4, -1), ((3, 2, 4, 5), 2, 1)]  # (N, D) and (N, C, H, W) with axis=1


@pytest.mark.parametrize(("shape", "C", "axis"), SHAPES)
@pytest.mark.parametrize(("momentum", "eps"), [(0.8, 1e-3), (0.99, 1e-5)])
def test_matches_keras_in_training_and_inference(shape, C, axis, momentum, eps) -> None:
    import keras

    rng = np.random.default_rng(0)
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.normal(size=C)
    ours = nn.BatchNorm(gamma, beta, momentum=momentum, eps=eps)
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=eps,
                                             dtype="float64")
    theirs.build(shape)
    theirs.gamma.assign(gamma)
    theirs.beta.assign(beta)
    for step in range(4):
        x = rng.normal(step, 1.0 + step, size=shape)
        np.testing.assert_allclose(ours.forward(x, train=True), theirs(x, training=True).numpy(),
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.running_mean, theirs.moving_mean.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.moving_variance.numpy(), rtol=0, atol=1e-12)
    x = rng.normal(1.0, 2.0, size=shape)
    before = ours.running_mean.copy(), ours.running_var.copy()
    np.testing.assert_allclose(ours.forward(x, train=False), theirs(x, training=False).numpy(),
                               rtol=0, atol=1e-10)
    np.testing.assert_array_equal(ours.running_mean, before[0])
    np.testing.assert_array_equal(ours.running_var, before[1])


@pytest.mark.parametrize(("shape", "C", "axis"), SHAPES)
def test_backward_matches_gradient_tape(shape, C, axis) -> None:
    import tensorflow as tf

    rng = np.random.default_rng(1)
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.normal(size=C)
    x, dout = rng.normal(2.0, 3.0, size=shape), rng.normal(size=shape)
    layer = nn.BatchNorm(gamma, beta, eps=1e-3)
    layer.forward(x, train=True)
    dx = layer.backward(dout)
    xs, g, b = (tf.Variable(v) for v in (x, gamma, beta))
    axes = [0] if len(shape) == 2 else [0, 2, 3]
    bshape = (1, C) if len(shape) == 2 else (1, C, 1, 1)
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(xs, axes=axes, keepdims=True)
        out = tf.reshape(g, bshape) * (xs - mean) / tf.sqrt(var + 1e-3) + tf.reshape(b, bshape)
        loss = tf.reduce_sum(out * dout)
    tx, tg, tb = tape.gradient(loss, [xs, g, b])
    np.testing.assert_allclose(dx, tx.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(layer.grads["gamma"], tg.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(layer.grads["beta"], tb.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 3, 2)])
def test_gradient_check(shape) -> None:
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm(rng.normal(size=4), rng.normal(size=4))
    errors = nn.gradient_check(layer, rng.normal(1.0, 2.0, size=shape))
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_sequential_uses_batch_stats_in_training_and_running_stats_in_inference() -> None:
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm.create(3, momentum=0.5)
    model = nn.Sequential([nn.Affine(rng.normal(size=(4, 3)), np.zeros(3)), bn,
                           nn.Affine(rng.normal(size=(3, 2)), np.zeros(2))])
    x, t = rng.normal(size=(6, 4)), np.array([0, 1, 1, 0, 1, 0])
    model.gradient(x, t)  # a training step: updates the running statistics
    assert not np.allclose(bn.running_mean, 0)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    model.predict(x)  # inference: no update
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)
    errors = nn.gradient_check(model, x, t)
    # the bias before a batch norm has no effect (the mean is subtracted): its gradient is 0,
    # and the relative error of 0 against rounding noise is meaningless
    assert np.abs(model.gradient(x, t)["0.b"]).max() < 1e-12
    del errors["0.b"]
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_normalized_output_and_errors() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 3)) * [0.1, 5.0, 40.0] + [3.0, -20.0, 100.0]
    out = nn.BatchNorm.create(3, eps=0.0).forward(x)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-12)
    layer = nn.BatchNorm.create(3)
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(3,\)"):
        layer.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        nn.BatchNorm(np.ones(3), np.zeros(2))
    with pytest.raises(RuntimeError, match="training-mode forward"):
        nn.BatchNorm.create(3).backward(np.zeros((4, 3)))
    layer.forward(np.ones((4, 3)) + rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(5, 3\)"):
        layer.backward(np.zeros((5, 3)))
    layer.forward(np.zeros((4, 3)), train=False)
    with pytest.raises(RuntimeError, match="training-mode forward"):
        layer.backward(np.zeros((4, 3)))
    assert "BatchNorm(3" in repr(layer)


def test_backward_does_not_mutate_dout() -> None:
    rng = np.random.default_rng(5)
    layer = nn.BatchNorm.create(3)
    layer.forward(rng.normal(size=(4, 3)))
    dout = rng.normal(size=(4, 3))
    kept = dout.copy()
    layer.backward(dout)
    np.testing.assert_array_equal(dout, kept)
