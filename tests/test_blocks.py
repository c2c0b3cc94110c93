"""utils.blocks (4_5): counts by formula equal Keras' count_params(); the receptive field of a
dilated causal stack by formula equals the measured one, and the stack is causal."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from utils import blocks


@pytest.mark.parametrize(("k", "c_in", "c_out", "bias"), [(3, 16, 32, True), (5, 3, 8, False)])
def test_separable_params_equal_keras(k, c_in, c_out, bias) -> None:
    import keras

    sep = keras.layers.SeparableConv2D(c_out, k, use_bias=bias)
    sep.build((None, 12, 12, c_in))
    assert sep.count_params() == blocks.depthwise_separable_params(k, c_in, c_out, bias)
    conv = keras.layers.Conv2D(c_out, k, use_bias=bias)
    conv.build((None, 12, 12, c_in))
    assert conv.count_params() == blocks.conv_params(k, c_in, c_out, bias)


def test_multiply_adds_and_ratio() -> None:
    H = W = 14
    std = blocks.conv_multiply_adds(H, W, 3, 32, 64)
    sep = blocks.depthwise_separable_multiply_adds(H, W, 3, 32, 64)
    assert std == 14 * 14 * 9 * 32 * 64 and sep == 14 * 14 * (9 * 32 + 32 * 64)
    assert sep / std == pytest.approx(blocks.separable_cost_ratio(3, 64))
    assert blocks.separable_cost_ratio(3, 64) == pytest.approx(1 / 64 + 1 / 9)


def test_mobilenet_block_dense_block_and_transition_counts() -> None:
    import keras

    inp = keras.Input((8, 8, 16))
    m = keras.Model(inp, blocks.mobilenet_block(inp, 24))
    # depthwise 9·16, BN 4·16, pointwise 16·24, BN 4·24
    assert m.count_params() == blocks.depthwise_separable_params(3, 16, 24, False) + 4 * 16 + 4 * 24
    out = blocks.dense_block(inp, num_layers=3, growth_rate=5)
    assert out.shape[-1] == blocks.dense_block_channels(16, 5, 3)[-1] == 31
    assert keras.Model(inp, out).count_params() == blocks.dense_block_params(16, 5, 3)
    t = blocks.transition_layer(out, 0.5)
    assert tuple(t.shape[1:]) == (4, 4, 15)
    assert keras.Model(out, t).count_params() == blocks.transition_params(31, 0.5)


def test_multiply_adds_of_a_model() -> None:
    import keras

    inp = keras.Input((10, 10, 8))
    sep = keras.Model(inp, blocks.mobilenet_block(inp, 16))
    assert blocks.multiply_adds(sep) == blocks.depthwise_separable_multiply_adds(10, 10, 3, 8, 16)
    std = keras.Model(inp, keras.layers.Conv2D(16, 3, padding="same")(inp))
    assert blocks.multiply_adds(std) == blocks.conv_multiply_adds(10, 10, 3, 8, 16)


def test_receptive_field_measured_and_causal() -> None:
    dilations, T, t = [1, 2, 4], 20, 15
    model = blocks.causal_conv_stack(dilations, kernel_size=3, filters=4, seq_len=T)
    g = blocks.influence(model, T, t)
    seen = np.nonzero(g)[0]
    R = blocks.receptive_field(3, dilations)
    assert R == 15
    assert list(seen) == list(range(t - R + 1, t + 1))
    assert np.all(g[t + 1 :] == 0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        blocks.receptive_field(0, [1, 2])
    with pytest.raises(ValueError, match="dilation"):
        blocks.receptive_field(2, [1, 0])
    with pytest.raises(ValueError, match="outside the sequence"):
        blocks.influence(None, 10, 10)
