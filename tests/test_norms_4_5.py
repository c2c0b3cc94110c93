"""The plain NumPy norms of utils.nn.normalization (4_5) against Keras' normalization layers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from utils.nn import normalization as norm

SHAPE = (3, 4, 5, 6)  # (N, H, W, C)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(1.0, 2.0, size=SHAPE), rng.uniform(0.5, 2.0, 6), rng.normal(size=6)


def _with_weights(layer, gamma, beta):
    layer.build(SHAPE)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


def test_batch_norm_equals_keras_training_mode() -> None:
    import keras

    x, g, b = _data()
    bn = _with_weights(keras.layers.BatchNormalization(epsilon=1e-5, dtype="float64"), g, b)
    np.testing.assert_allclose(
        norm.batch_norm_nhwc(x, g, b), bn(x, training=True).numpy(), atol=1e-10
    )


def test_layer_norm_equals_keras_layer_and_group_norm() -> None:
    import keras

    x, g, b = _data(1)
    ln = keras.layers.LayerNormalization(axis=[1, 2, 3], epsilon=1e-5, dtype="float64")
    np.testing.assert_allclose(norm.layer_norm(x), ln(x).numpy(), atol=1e-10)
    gn = _with_weights(
        keras.layers.GroupNormalization(groups=1, epsilon=1e-5, dtype="float64"), g, b
    )
    np.testing.assert_allclose(norm.layer_norm(x, g, b), gn(x).numpy(), atol=1e-10)
    ln2 = keras.layers.LayerNormalization(epsilon=1e-5, dtype="float64")  # (N, D): the last axis
    x2 = x.reshape(3, -1)
    np.testing.assert_allclose(norm.layer_norm(x2), ln2(x2).numpy(), atol=1e-10)


@pytest.mark.parametrize("groups", [2, 3, 6])
def test_group_and_instance_norm_equal_keras(groups: int) -> None:
    import keras

    x, g, b = _data(2)
    gn = _with_weights(
        keras.layers.GroupNormalization(groups=groups, epsilon=1e-5, dtype="float64"), g, b
    )
    np.testing.assert_allclose(norm.group_norm(x, groups, g, b), gn(x).numpy(), atol=1e-10)
    if groups == 6:
        np.testing.assert_allclose(norm.instance_norm(x, g, b), gn(x).numpy(), atol=1e-10)


def test_statistics_and_invariances() -> None:
    x, _, _ = _data(3)
    y = norm.layer_norm(x)
    np.testing.assert_allclose(y.mean(axis=(1, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2, 3)), 1, atol=1e-4)
    scaled = (
        x * np.array([3.0, 0.5, 10.0])[:, None, None, None] + 7.0
    )  # per-example scale and shift
    np.testing.assert_allclose(
        norm.layer_norm(scaled, eps=0), norm.layer_norm(x, eps=0), atol=1e-10
    )
    np.testing.assert_allclose(norm.layer_norm(x[:1]), y[:1], atol=1e-12)  # batch-independent
    assert not np.allclose(norm.batch_norm_nhwc(x[:2]), norm.batch_norm_nhwc(x)[:2])
    assert norm.norm_axes("instance") == (1, 2) and norm.norm_axes("batch", 2) == (0,)


def test_bad_input_names_the_shapes() -> None:
    x, g, _ = _data()
    with pytest.raises(ValueError, match=r"must divide the 6 channels"):
        norm.group_norm(x, 4)
    with pytest.raises(ValueError, match=r"\(6,\)"):
        norm.layer_norm(x, g[:3], g[:3])
    with pytest.raises(ValueError, match=r"\(5,\)"):
        norm.layer_norm(np.zeros(5))
    with pytest.raises(ValueError, match="unknown normalization"):
        norm.norm_axes("channel")
