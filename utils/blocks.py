"""Applied-model building blocks of 4_5: MobileNet, DenseNet and WaveNet pieces.

- Cost by formula: :func:`conv_params` (from :mod:`utils.cnn`)/:func:`conv_multiply_adds` of a standard K × K
  convolution, :func:`depthwise_separable_params`/:func:`depthwise_separable_multiply_adds`
  of a depthwise (K × K, one filter a channel) + pointwise (1 × 1) pair, and
  :func:`separable_cost_ratio` = 1/M + 1/K².
- Keras builders: :func:`mobilenet_block` (DepthwiseConv2D-BN-ReLU-Conv1×1-BN-ReLU),
  :func:`dense_block` and :func:`transition_layer` of DenseNet, with their counts by formula
  (:func:`dense_block_channels`, :func:`dense_block_params`, :func:`transition_params`), and
  :func:`causal_conv_stack`, WaveNet's dilated causal Conv1D stack.
- Receptive field: :func:`receptive_field` (1 + Σ (k − 1) d) and :func:`influence`, which
  measures it as the gradient of one output step with respect to every input step.

Keras and TensorFlow are imported when a block is built, not on ``import utils``. Taught in 4_5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from utils.cnn import conv_params  # K²·C·M (+ M): taught in 2_5, reused here

__all__ = [
    "causal_conv_stack",
    "conv_multiply_adds",
    "conv_params",
    "dense_block",
    "dense_block_channels",
    "dense_block_params",
    "depthwise_separable_multiply_adds",
    "depthwise_separable_params",
    "influence",
    "mobilenet_block",
    "multiply_adds",
    "plot_dilated_stack",
    "receptive_field",
    "separable_cost_ratio",
    "transition_layer",
    "transition_params",
]


def _positive(**values: Any) -> None:
    for name, v in values.items():
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


# ------------------------------------------------------------------ MobileNet: cost by formula
def conv_multiply_adds(h_out: int, w_out: int, k: int, c_in: int, c_out: int) -> int:
    """Multiply-adds of a standard convolution on one image: H·W·K²·C·M (H × W output positions)."""
    _positive(h_out=h_out, w_out=w_out, k=k, c_in=c_in, c_out=c_out)
    return h_out * w_out * k * k * c_in * c_out


def depthwise_separable_params(k: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Weights of a depthwise k × k (one filter per input channel: K²·C) + pointwise 1 × 1 (C·M)
    convolution, + M biases: ``keras.layers.SeparableConv2D(c_out, k, use_bias=bias)``."""
    _positive(k=k, c_in=c_in, c_out=c_out)
    return k * k * c_in + c_in * c_out + (c_out if bias else 0)


def depthwise_separable_multiply_adds(h_out: int, w_out: int, k: int, c_in: int, c_out: int) -> int:
    """Multiply-adds on one image: depthwise H·W·K²·C + pointwise H·W·C·M."""
    _positive(h_out=h_out, w_out=w_out, k=k, c_in=c_in, c_out=c_out)
    return h_out * w_out * k * k * c_in + h_out * w_out * c_in * c_out


def separable_cost_ratio(k: int, c_out: int) -> float:
    """(H·W·K²·C + H·W·C·M) / (H·W·K²·C·M) = 1/M + 1/K² (the same for parameters without biases)."""
    _positive(k=k, c_out=c_out)
    return 1.0 / c_out + 1.0 / (k * k)


def mobilenet_block(
    x: Any, filters: int, kernel_size: int = 3, strides: int = 1, bn_momentum: float = 0.99
) -> Any:
    """MobileNet (v1) block on a Keras tensor (N, H, W, C): DepthwiseConv2D(K × K) - BN - ReLU -
    Conv2D(1 × 1, filters) - BN - ReLU, convolutions without bias (BN's β shifts).

    ``bn_momentum`` is Keras' BatchNormalization momentum (the weight of the old moving value).
    Returns (N, H/strides, W/strides, filters)."""
    import keras

    L = keras.layers
    y = L.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False)(x)
    y = L.ReLU()(L.BatchNormalization(momentum=bn_momentum)(y))
    y = L.Conv2D(filters, 1, use_bias=False)(y)
    return L.ReLU()(L.BatchNormalization(momentum=bn_momentum)(y))


def multiply_adds(model: Any) -> int:
    """Multiply-adds of one image through a built Keras ``model``: its Conv2D and Dense layers
    (as :func:`utils.cnn.multiply_adds`) and its DepthwiseConv2D layers (K²·C a position)."""
    from utils.cnn import layer_multiply_adds

    total = 0
    for layer in model.layers:
        if hasattr(layer, "layers"):
            total += multiply_adds(layer)
        elif type(layer).__name__ == "DepthwiseConv2D":
            positions = int(np.prod(layer.output.shape[1:-1]))  # H_out · W_out
            total += int(np.prod(layer.kernel.shape)) * positions  # kernel (K, K, C, 1)
        else:
            total += layer_multiply_adds(layer)
    return total


# ------------------------------------------------------------------ DenseNet
def dense_block_channels(k0: int, growth_rate: int, num_layers: int) -> list[int]:
    """Channels after the input and after each layer ℓ = 1 … L of a dense block: k0 + ℓ·k."""
    _positive(k0=k0, growth_rate=growth_rate, num_layers=num_layers)
    return [k0 + ell * growth_rate for ell in range(num_layers + 1)]


def dense_block(x: Any, num_layers: int, growth_rate: int, kernel_size: int = 3) -> Any:
    """DenseNet's dense block on a Keras tensor (N, H, W, k0): each layer BN-ReLU-Conv(K × K,
    growth_rate, no bias) reads the concatenation of the block input and every earlier layer's
    output, and its k new channels are appended. Returns (N, H, W, k0 + num_layers·growth_rate)."""
    import keras

    _positive(num_layers=num_layers, growth_rate=growth_rate)
    L = keras.layers
    for _ in range(num_layers):
        y = L.ReLU()(L.BatchNormalization()(x))
        y = L.Conv2D(growth_rate, kernel_size, padding="same", use_bias=False)(y)
        x = L.Concatenate(axis=-1)([x, y])  # (N, H, W, channels so far + k)
    return x


def dense_block_params(k0: int, growth_rate: int, num_layers: int, kernel_size: int = 3) -> int:
    """``count_params()`` of :func:`dense_block`: layer ℓ (ℓ = 0 … L−1) reads c = k0 + ℓk channels,
    BN has 4c numbers (γ, β and the two moving statistics), the convolution K²·c·k."""
    k = growth_rate
    return sum(4 * c + kernel_size**2 * c * k for c in dense_block_channels(k0, k, num_layers)[:-1])


def transition_layer(x: Any, compression: float = 0.5) -> Any:
    """DenseNet's transition layer between dense blocks: BN - ReLU - Conv2D(1 × 1,
    ⌊compression · C⌋, no bias) - AveragePooling2D(2). (N, H, W, C) -> (N, H/2, W/2, ⌊θC⌋)."""
    import keras

    if not 0 < compression <= 1:
        raise ValueError(f"compression must be in (0, 1], got {compression}")
    L = keras.layers
    c_out = int(np.floor(compression * x.shape[-1]))
    y = L.ReLU()(L.BatchNormalization()(x))
    y = L.Conv2D(c_out, 1, use_bias=False)(y)
    return L.AveragePooling2D(2)(y)


def transition_params(c_in: int, compression: float = 0.5) -> int:
    """``count_params()`` of :func:`transition_layer` on c_in channels: 4C + C·⌊θC⌋."""
    return 4 * c_in + c_in * int(np.floor(compression * c_in))


# ------------------------------------------------------------------ WaveNet
def receptive_field(kernel_size: int, dilations: Sequence[int]) -> int:
    """Input steps one output step sees through stacked (causal) convolutions of kernel size k with
    the given dilations, stride 1: 1 + Σ_l (k − 1)·d_l."""
    _positive(kernel_size=kernel_size)
    for d in dilations:
        _positive(dilation=d)
    return 1 + sum((kernel_size - 1) * int(d) for d in dilations)


def causal_conv_stack(
    dilations: Sequence[int],
    kernel_size: int = 2,
    filters: int = 8,
    in_channels: int = 1,
    activation: str | None = "tanh",
    seq_len: int | None = None,
    seed: int = 0,
) -> Any:
    """A WaveNet-style stack of Conv1D(filters, kernel_size, padding="causal", dilation_rate=d)
    layers, one per dilation, then a 1 × 1 Conv1D to one output channel.

    Input (N, T, in_channels) -> output (N, T, 1); output step t sees inputs t − R + 1 … t, with
    R = :func:`receptive_field`. ``activation`` is applied after each dilated layer (tanh keeps every
    gradient non-zero, which :func:`influence` relies on)."""
    import keras

    init = keras.initializers.GlorotUniform
    inputs = keras.Input((seq_len, in_channels))
    x = inputs
    for i, d in enumerate(dilations):
        x = keras.layers.Conv1D(
            filters,
            kernel_size,
            padding="causal",
            dilation_rate=int(d),
            activation=activation,
            kernel_initializer=init(seed + i),
            name=f"dilated_{i}_d{int(d)}",
        )(x)
    outputs = keras.layers.Conv1D(1, 1, kernel_initializer=init(seed + 99), name="output")(x)
    return keras.Model(inputs, outputs, name="causal_stack")


def influence(model: Any, seq_len: int, t: int, in_channels: int = 1, seed: int = 0) -> np.ndarray:
    """|∂ y_t / ∂ x_s| summed over input channels, for every input step s: shape (seq_len,).

    ``model`` maps (1, T, in_channels) to (1, T, C_out); y_t is the sum of its channels at step t.
    The input is random normal (fixed ``seed``). The steps s with a non-zero entry are the ones
    output t depends on: their number is the measured receptive field, and for a causal model
    every entry after t is exactly 0."""
    import tensorflow as tf

    if not 0 <= t < seq_len:
        raise ValueError(f"t = {t} is outside the sequence 0 … {seq_len - 1}")
    x = tf.constant(np.random.default_rng(seed).normal(size=(1, seq_len, in_channels)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)  # (1, T, C_out)
        target = tf.reduce_sum(y[0, t])
    grad = tape.gradient(target, x).numpy()  # (1, T, in_channels)
    return np.abs(grad[0]).sum(axis=-1)


def plot_dilated_stack(
    dilations: Sequence[int], kernel_size: int = 2, seq_len: int = 16, ax: Any = None
) -> Any:
    """Draw the stack: one row of dots a layer (input at the bottom), and the connections that
    feed the last output step (the tree of its receptive field). Returns the Matplotlib axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.8 * (len(dilations) + 2)))
    n_rows = len(dilations) + 1
    for r in range(n_rows):
        ax.scatter(range(seq_len), [r] * seq_len, s=30, c="#cccccc", zorder=2)
    active = {seq_len - 1}
    for r in range(n_rows - 1, 0, -1):  # from the output row down to the input
        d = int(dilations[r - 1])
        below = set()
        for t in active:
            for j in range(kernel_size):
                s = t - j * d
                if s >= 0:
                    ax.plot([t, s], [r, r - 1], c="tab:blue", lw=1.2, zorder=1)
                    below.add(s)
        ax.scatter(sorted(active), [r] * len(active), s=40, c="tab:blue", zorder=3)
        active = below
    ax.scatter(sorted(active), [0] * len(active), s=40, c="tab:orange", zorder=3)
    labels = ["input"] + [f"dilation {int(d)}" for d in dilations]
    ax.set_yticks(range(n_rows), labels)
    ax.set_xticks(range(0, seq_len, max(1, seq_len // 10)))
    ax.set_xlabel("time step")
    ax.set_title(
        f"causal stack, kernel {kernel_size}: the last output sees "
        f"{len(active)} input steps (orange)"
    )
    ax.spines[["top", "right"]].set_visible(False)
    return ax
