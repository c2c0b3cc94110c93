"""Keras building blocks for the CNN lessons (2_5, 2_6): image preparation, a fast batch norm,
conv blocks, the input pipeline with augmentation, a cosine learning-rate schedule, a timing
callback, and the reference CNN, residual block and Inception block of 2_5.

Imports Keras/TensorFlow when a block is built, not on ``import utils``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "CNN_BUDGET",
    "augmentation",
    "auxiliary_head",
    "batch_norm",
    "build_cnn",
    "conv_bn_relu",
    "conv_params",
    "cosine_schedule",
    "deep_cnn",
    "epoch_timer",
    "inception_block",
    "inception_params",
    "layer_multiply_adds",
    "make_dataset",
    "multiply_adds",
    "plain_block",
    "residual_block",
    "to_images",
]

_FUSED: dict[str, type] = {}


def to_images(x: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 (N, H, W, 1) in [0, 1], the NHWC layout Keras expects.

    Taught in 2_5."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"to_images expects grey images (N, H, W), got shape {x.shape}")
    return (x[..., None] / 255.0).astype(np.float32)  # (N, H, W, 1)


def _fused_class() -> type:
    """``FusedBatchNorm``: ``keras.layers.BatchNormalization`` computed by TensorFlow's fused kernel."""
    if "cls" in _FUSED:
        return _FUSED["cls"]
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="course")
    class FusedBatchNorm(keras.layers.Layer):
        """Batch normalization over the last axis of NHWC images, as ``BatchNormalization``.

        Same parameters (γ, β), moving statistics and defaults (``momentum`` 0.99 weights the
        old moving value, ``epsilon`` 1e-3, the biased batch variance; with ``trainable =
        False`` it runs in inference mode even inside ``fit``), but one fused
        TensorFlow kernel (``FusedBatchNormV3``) instead of Keras 3's separate moment and
        normalization ops: on a 2-core CPU that made a Conv-BN CNN about twice as fast (2_5).
        """

        def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.momentum, self.epsilon = float(momentum), float(epsilon)

        def build(self, input_shape: tuple) -> None:
            if len(input_shape) != 4:
                raise ValueError(f"FusedBatchNorm expects NHWC images (N, H, W, C), got {input_shape}")
            c = (int(input_shape[-1]),)
            self.gamma = self.add_weight(shape=c, initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=c, initializer="zeros", name="beta")
            self.moving_mean = self.add_weight(shape=c, initializer="zeros", trainable=False, name="moving_mean")
            self.moving_variance = self.add_weight(shape=c, initializer="ones", trainable=False,
                                                   name="moving_variance")

        def call(self, x: Any, training: bool | None = None) -> Any:
            if training and self.trainable:  # a frozen layer normalizes with its moving statistics, as Keras'
                y, mean, var, *_ = tf.raw_ops.FusedBatchNormV3(
                    x=x, scale=self.gamma, offset=self.beta, mean=tf.zeros([0]), variance=tf.zeros([0]),
                    epsilon=self.epsilon, is_training=True)
                n = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), x.dtype)
                var = var * (n - 1.0) / n  # the kernel returns the unbiased variance; Keras keeps the biased one
                self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
                self.moving_variance.assign(self.moving_variance * self.momentum + var * (1.0 - self.momentum))
                return y
            y, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x, scale=self.gamma, offset=self.beta, mean=self.moving_mean, variance=self.moving_variance,
                epsilon=self.epsilon, is_training=False)
            return y

        def get_config(self) -> dict:
            return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}

    _FUSED["cls"] = FusedBatchNorm
    return FusedBatchNorm


def batch_norm(name: str | None = None, **kwargs: Any) -> Any:
    """A batch-norm layer for NHWC images: ``FusedBatchNorm`` (see :func:`_fused_class`), which
    computes what ``keras.layers.BatchNormalization(**kwargs)`` computes, faster on a CPU.
    Taught in 2_5."""
    return _fused_class()(name=name, **kwargs)


def conv_bn_relu(x: Any, filters: int, kernel_size: int = 3, strides: int = 1, name: str | None = None,
                 *, momentum: float = 0.99, norm: Any = None, pool: bool = False) -> Any:
    """Conv2D (no bias, "same") -> batch norm -> ReLU on a Keras tensor (NHWC). Taught in 2_5.

    The convolution has no bias: the batch norm's β that follows would cancel it. ``norm`` makes
    the batch-norm layer (called as ``norm(name=…, momentum=…)``): :func:`batch_norm` by default,
    ``keras.layers.BatchNormalization`` for Keras' own (same maths, slower on a CPU).
    ``pool=True`` puts a 2 × 2 max pooling right after the convolution: Conv -> MaxPool -> BN ->
    ReLU. At inference (and with BN scales γ > 0) that equals Conv -> BN -> ReLU -> MaxPool,
    because max pooling commutes with increasing functions, but batch norm and ReLU then work
    on a quarter of the values."""
    import keras

    L = keras.layers
    norm = norm or batch_norm
    x = L.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                 name=None if name is None else f"{name}_conv")(x)
    if pool:
        x = L.MaxPooling2D(name=None if name is None else f"{name}_pool")(x)
    x = norm(name=None if name is None else f"{name}_bn", momentum=momentum)(x)
    return L.ReLU(name=None if name is None else f"{name}_relu")(x)


# ------------------------------------------------------------------ data pipeline and training aids
def augmentation(shift: float = 0.07, flip: bool = True, seed: int | None = None) -> Any:
    """Random shifts (up to ``shift`` of the height/width, whole pixels, zero fill) and
    horizontal flips.

    A ``keras.Sequential`` of preprocessing layers, active only when called with
    ``training=True``: images (N, H, W, C) -> (N, H, W, C). Taught in 2_5."""
    import keras

    L = keras.layers
    layers = [L.RandomTranslation(shift, shift, fill_mode="constant", interpolation="nearest",
                                 seed=seed)]
    if flip:
        layers.append(L.RandomFlip("horizontal", seed=None if seed is None else seed + 1))
    return keras.Sequential(layers, name="augmentation")


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = 128, *, augment: Any = None,
                 shuffle: bool = True, seed: int = 0) -> Any:
    """A ``tf.data`` pipeline of (images (B, H, W, C), labels (B,)) batches: shuffled each epoch,
    augmented by ``augment`` (e.g. :func:`augmentation`) on whole batches, prefetched.

    Taught in 2_5."""
    import tensorflow as tf

    if len(x) != len(y):
        raise ValueError(f"make_dataset: x has {len(x)} samples (shape {np.shape(x)}) but y has "
                         f"{len(y)} (shape {np.shape(y)})")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if augment is not None:
        ds = ds.map(lambda images, labels: (augment(images, training=True), labels),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def cosine_schedule(lr: float, total_steps: int, warmup_steps: int = 0) -> Any:
    """Learning rate rising linearly from 0 to ``lr`` over ``warmup_steps``, then falling along a
    half cosine to 0 at ``total_steps``: a Keras ``CosineDecay`` schedule. Taught in 2_5."""
    import keras

    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"cosine_schedule needs 0 <= warmup_steps < total_steps, got "
                         f"warmup_steps={warmup_steps}, total_steps={total_steps}")
    return keras.optimizers.schedules.CosineDecay(
        0.0 if warmup_steps else lr, total_steps - warmup_steps,
        warmup_target=lr if warmup_steps else None, warmup_steps=warmup_steps)


_TIMER: dict[str, type] = {}


def epoch_timer() -> Any:
    """A Keras callback that keeps the wall-clock seconds of every epoch in ``.seconds``.

    Taught in 2_5."""
    if "cls" not in _TIMER:
        import time

        import keras

        class EpochTimer(keras.callbacks.Callback):
            """Seconds per epoch of ``fit`` (training and validation), in ``self.seconds``."""

            def __init__(self) -> None:
                super().__init__()
                self.seconds: list[float] = []
                self._start = 0.0

            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                self.seconds.append(time.perf_counter() - self._start)

        _TIMER["cls"] = EpochTimer
    return _TIMER["cls"]()


# ------------------------------------------------------------------ the CNN of 2_5
# What a CNN for the 2_5 exercise may cost, so that full mode trains it within its budget.
CNN_BUDGET = {"params": 1_000_000, "multiply_adds": 12_000_000}


def build_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10, *,
              norm: Any = None, pool_first: bool = True) -> Any:
    """The reference CNN of 2_5: three blocks Conv -> 2 × 2 max pooling -> BN -> ReLU (32, 64,
    128 filters; batch-norm momentum 0.9), dropout, Dense 256, dropout, softmax.

    Images (N, 28, 28, 1) -> class probabilities (N, 10); uncompiled. ``norm``: the batch-norm
    layer (see :func:`conv_bn_relu`). ``pool_first=False`` pools after the ReLU instead (Conv ->
    BN -> ReLU -> MaxPool, VGG's order; the same parameters). Taught in 2_5."""
    import keras

    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, filters in enumerate((32, 64, 128), start=1):
        x = conv_bn_relu(x, filters, name=f"block{i}", momentum=0.9, norm=norm, pool=pool_first)
        if not pool_first:
            x = L.MaxPooling2D(name=f"block{i}_pool")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dropout(0.25, name="dropout1")(x)
    x = L.Dense(256, activation="relu", name="dense")(x)
    x = L.Dropout(0.25, name="dropout2")(x)
    outputs = L.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")


def conv_params(k: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Weights of a k × k convolution from c_in to c_out channels: k·k·c_in·c_out (+ c_out
    biases). Taught in 2_5."""
    return k * k * c_in * c_out + (c_out if bias else 0)


def layer_multiply_adds(layer: Any) -> int:
    """Multiply-adds of one image through a Conv2D or Dense ``layer`` of a built model: kernel
    size × output positions (0 for other layers). Taught in 2_5."""
    if type(layer).__name__ not in ("Conv2D", "Dense"):
        return 0
    positions = int(np.prod(layer.output.shape[1:-1]))  # H_out · W_out (1 for Dense)
    return int(np.prod(layer.kernel.shape)) * positions


def multiply_adds(model: Any) -> int:
    """Multiply-adds of one image's forward pass through the Conv2D and Dense layers of a Keras
    ``model`` (nested models included). Taught in 2_5."""
    return sum(multiply_adds(layer) if hasattr(layer, "layers") else layer_multiply_adds(layer)
               for layer in model.layers)


# ------------------------------------------------------------------ ResNet and GoogLeNet blocks
def residual_block(x: Any, filters: int, stride: int = 1) -> Any:
    """The basic residual block of ResNet on a Keras tensor (N, H, W, C):
    ReLU(BN(conv3×3(ReLU(BN(conv3×3(x))))) + shortcut), where the shortcut is x itself, or a
    1 × 1 convolution with the stride (+ BN) when the stride or the channels change.

    Returns (N, H/stride, W/stride, filters). Taught in 2_5."""
    import keras

    L = keras.layers
    y = conv_bn_relu(x, filters, 3, strides=stride)
    y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = batch_norm()(y)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:  # projection shortcut
        shortcut = L.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = batch_norm()(shortcut)
    return L.ReLU()(L.Add()([y, shortcut]))


def plain_block(x: Any, filters: int, stride: int = 1) -> Any:
    """:func:`residual_block` without the skip connection: ReLU(BN(conv3×3(ReLU(BN(conv3×3(x)))))).

    (N, H, W, C) -> (N, H/stride, W/stride, filters). Taught in 2_5."""
    import keras

    y = conv_bn_relu(x, filters, 3, strides=stride)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return keras.layers.ReLU()(batch_norm()(y))


def deep_cnn(num_blocks: int, filters: int = 16, *, residual: bool = True,
             input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10,
             block: Any = None) -> Any:
    """A deep CNN of ``num_blocks`` blocks of two 3 × 3 convolutions (2·num_blocks + 2 weight
    layers): a stride-4 stem (two stride-2 Conv-BN-ReLU), the blocks at 7 × 7, global average
    pooling, softmax. ``residual`` picks :func:`residual_block` or :func:`plain_block` (``block``
    overrides both). Images (N, 28, 28, 1) -> probabilities (N, 10); uncompiled. Taught in 2_5."""
    import keras

    L = keras.layers
    make = block or (residual_block if residual else plain_block)
    inputs = keras.Input(input_shape)
    x = conv_bn_relu(inputs, filters, 3, strides=2)
    x = conv_bn_relu(x, filters, 3, strides=2)
    for _ in range(num_blocks):
        x = make(x, filters)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=f"{'residual' if residual else 'plain'}_{2 * num_blocks + 2}")


def inception_block(x: Any, f1: int, f3_reduce: int, f3: int, f5_reduce: int, f5: int,
                    pool_proj: int) -> Any:
    """The Inception module of GoogLeNet on a Keras tensor (N, H, W, C): four parallel branches
    1×1 | 1×1 → 3×3 | 1×1 → 5×5 | 3×3 max pool (stride 1) → 1×1, each convolution "same" with
    bias and ReLU, concatenated on the channel axis.

    Returns (N, H, W, f1 + f3 + f5 + pool_proj). Taught in 2_5."""
    import keras

    L = keras.layers

    def conv(filters: int, k: int) -> Any:
        return L.Conv2D(filters, k, padding="same", activation="relu")

    b1 = conv(f1, 1)(x)
    b2 = conv(f3, 3)(conv(f3_reduce, 1)(x))
    b3 = conv(f5, 5)(conv(f5_reduce, 1)(x))
    b4 = conv(pool_proj, 1)(L.MaxPooling2D(3, strides=1, padding="same")(x))
    return L.Concatenate(axis=-1)([b1, b2, b3, b4])


def inception_params(c_in: int, f1: int, f3_reduce: int, f3: int, f5_reduce: int, f5: int,
                     pool_proj: int) -> int:
    """Parameters of :func:`inception_block` on an input with ``c_in`` channels (weights + biases
    of its six convolutions). Taught in 2_5."""
    return (conv_params(1, c_in, f1) + conv_params(1, c_in, f3_reduce) + conv_params(3, f3_reduce, f3)
            + conv_params(1, c_in, f5_reduce) + conv_params(5, f5_reduce, f5)
            + conv_params(1, c_in, pool_proj))


def auxiliary_head(x: Any, num_classes: int = 10, *, filters: int = 128, units: int = 1024,
                   dropout: float = 0.7, name: str = "aux") -> Any:
    """GoogLeNet's auxiliary classifier on an intermediate Keras tensor (N, H, W, C): 5 × 5
    average pooling (stride 3), 1 × 1 conv + ReLU, Dense + ReLU, dropout, softmax.

    Returns probabilities (N, num_classes); used only in training. Taught in 2_5."""
    import keras

    L = keras.layers
    pool = min(5, int(x.shape[1]))
    y = L.AveragePooling2D(pool, strides=min(3, pool), name=f"{name}_pool")(x)
    y = L.Conv2D(filters, 1, activation="relu", name=f"{name}_conv")(y)
    y = L.Flatten(name=f"{name}_flatten")(y)
    y = L.Dense(units, activation="relu", name=f"{name}_dense")(y)
    y = L.Dropout(dropout, name=f"{name}_dropout")(y)
    return L.Dense(num_classes, activation="softmax", name=name)(y)
