"""Keras pieces of the transfer-learning lesson: class splits, few-shot subsets, frozen bases,
fine-tuning, copies of trained parts, and rehearsal with a two-head model. Taught in 2_6.

Imports Keras when a model is built, not on ``import utils``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "TASK_A",
    "TASK_B",
    "accuracy",
    "autoencoder_layer",
    "budget_index",
    "build_base",
    "compile_classifier",
    "copy_layer",
    "copy_model",
    "embed",
    "few_shot",
    "fine_tune_model",
    "fit_steps",
    "freeze_base",
    "nearest_neighbor_accuracy",
    "rehearsal_mix",
    "split_classes",
    "trainable_count",
    "two_head_model",
    "with_head",
]

TASK_A: tuple[int, ...] = (0, 1, 2, 3, 4)  # Fashion-MNIST: T-shirt/top, Trouser, Pullover, Dress, Coat
TASK_B: tuple[int, ...] = (5, 6, 7, 8, 9)  # Sandal, Shirt, Sneaker, Bag, Ankle boot


def _check_xy(x: np.ndarray, y: np.ndarray, fn: str) -> None:
    if np.ndim(y) != 1 or len(x) != len(y):
        raise ValueError(f"{fn} expects x (N, ...) and labels y (N,), got shapes "
                         f"{np.shape(x)} and {np.shape(y)}")


def split_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The samples of ``classes``, labels renumbered 0..K-1 in the order given. Taught in 2_6.

    x: (N, ...), y: (N,) integer labels -> x_sub (M, ...), y_sub (M,) int64 in [0, len(classes)).
    """
    _check_xy(x, y, "split_classes")
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes):
        raise ValueError(f"split_classes: classes {classes} contain a duplicate")
    lookup = {c: k for k, c in enumerate(classes)}
    keep = np.isin(y, classes)
    y_sub = np.array([lookup[int(v)] for v in y[keep]], dtype=np.int64)
    return x[keep], y_sub


def few_shot(x: np.ndarray, y: np.ndarray, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` random samples of every label of y, shuffled. Taught in 2_6.

    x: (N, ...), y: (N,) -> (K * per_class, ...), (K * per_class,); the same seed gives the same
    subset. Raises ValueError when a class has fewer than ``per_class`` samples.
    """
    _check_xy(x, y, "few_shot")
    if per_class < 1:
        raise ValueError(f"few_shot: per_class must be at least 1, got {per_class}")
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        if len(idx) < per_class:
            raise ValueError(f"few_shot: class {label} has {len(idx)} samples, fewer than {per_class}")
        picked.append(rng.choice(idx, size=per_class, replace=False))
    order = rng.permutation(np.concatenate(picked))
    return x[order], y[order]


def build_base(input_shape: tuple[int, ...] = (28, 28, 1), filters: Sequence[int] = (32, 64, 128),
               bn_momentum: float = 0.9, name: str = "base") -> Any:
    """A small CNN feature extractor: Conv-BN-ReLU blocks, each followed by max-pooling, flattened.

    (N, 28, 28, 1) images -> (N, 3 * 3 * filters[-1]) features (1152 by default). Blocks are
    named ``block1`` …, so that their layers are easy to find (``block3_conv``, ``block3_bn``).
    Taught in 2_6.

    The blocks are those of 2_5 but built with Keras' own ``BatchNormalization``: this lesson
    relies on its freezing rule (a frozen batch norm runs in inference mode), which the fused
    batch norm of ``utils.cnn.conv_bn_relu`` does not follow. ``bn_momentum`` is 0.9 instead of
    0.99, so that the moving statistics settle within a few dozen steps and even a short
    pretraining (quick mode) gives a base that works in inference mode.
    """
    import keras

    L = keras.layers
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for i, f in enumerate(filters, 1):
        x = L.Conv2D(f, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = L.BatchNormalization(momentum=bn_momentum, name=f"block{i}_bn")(x)
        x = L.ReLU(name=f"block{i}_relu")(x)
        x = L.MaxPooling2D(name=f"block{i}_pool")(x)  # 28 -> 14 -> 7 -> 3
    features = L.Flatten(name="features")(x)
    return keras.Model(inputs, features, name=name)


def freeze_base(base: Any, num_classes: int) -> Any:
    """The frozen ``base`` with a new softmax head of ``num_classes``. Taught in 2_6.

    (N, H, W, C) images -> (N, num_classes) probabilities; only the head's kernel and bias are
    trainable, and the base is the same object (its layers shared, not copied).
    """
    import keras

    base.trainable = False  # every layer of the base, BatchNormalization included
    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs, training=False)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs)


def fine_tune_model(base: Any, head: Any, n_layers: int, lr: float) -> Any:
    """``head(base(x))`` with the top ``n_layers`` of the base unfrozen, compiled with Adam(lr).

    Layers are counted from the top of ``base.layers``; BatchNormalization layers stay frozen
    (they then keep using their moving statistics). Loss: sparse categorical cross-entropy on
    probabilities. Taught in 2_6.
    """
    import keras

    if n_layers < 0:
        raise ValueError(f"fine_tune_model: n_layers must be >= 0, got {n_layers}")
    base.trainable = True
    n_frozen = len(base.layers) - n_layers
    for i, layer in enumerate(base.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= n_frozen and not is_bn
    inputs = keras.Input(shape=base.input_shape[1:])
    model = keras.Model(inputs, head(base(inputs, training=False)))
    return compile_classifier(model, lr)


def compile_classifier(model: Any, lr: float) -> Any:
    """Compile a softmax classifier: Adam(lr), sparse categorical cross-entropy, accuracy.

    Returns the model. Taught in 2_6."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def with_head(base: Any, head: Any) -> Any:
    """``head(base(x))`` as one model (nothing frozen or compiled): to evaluate a task's head.

    Taught in 2_6."""
    import keras

    inputs = keras.Input(shape=base.input_shape[1:])
    return keras.Model(inputs, head(base(inputs, training=False)))


def copy_model(model: Any) -> Any:
    """A new model with the same architecture, weights and ``trainable`` flags. Taught in 2_6.

    Fine-tuning changes the weights in place; a copy keeps the pretrained original intact.
    """
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for src, dst in zip(model.layers, clone.layers, strict=True):
        dst.trainable = src.trainable
    return clone


def copy_layer(layer: Any) -> Any:
    """A new, built layer with the same configuration and weights (e.g. a trained head).

    Taught in 2_6."""
    new = layer.__class__.from_config(layer.get_config())
    new.build_from_config(layer.get_build_config())
    new.set_weights(layer.get_weights())
    return new


def two_head_model(base: Any, head_a: Any, head_b: Any) -> Any:
    """One base with two task heads: outputs ``{"task_a": (N, K_a), "task_b": (N, K_b)}``.

    Used for rehearsal: train on new data through ``head_b`` and a few old images through
    ``head_a``, with :func:`rehearsal_mix`. Taught in 2_6.
    """
    import keras

    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs, training=False)
    outputs = {"task_a": head_a(features), "task_b": head_b(features)}
    return keras.Model(inputs, outputs)


def rehearsal_mix(x_new: np.ndarray, y_new: np.ndarray, x_old: np.ndarray, y_old: np.ndarray,
                  seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """New-task and rehearsed old-task samples for a :func:`two_head_model`. Taught in 2_6.

    x_new: (N, ...), y_new: (N,); x_old: (M, ...), y_old: (M,) -> x (N+M, ...) shuffled, labels
    ``{"task_a": …, "task_b": …}`` and sample weights of the same keys: each sample has weight 1
    for its own task's head and 0 (label 0, ignored) for the other.
    """
    _check_xy(x_new, y_new, "rehearsal_mix")
    _check_xy(x_old, y_old, "rehearsal_mix")
    if np.shape(x_new)[1:] != np.shape(x_old)[1:]:
        raise ValueError(f"rehearsal_mix: new images {np.shape(x_new)} and old images "
                         f"{np.shape(x_old)} differ in shape")
    n, m = len(y_new), len(y_old)
    x = np.concatenate([x_new, x_old])
    is_old = np.r_[np.zeros(n, bool), np.ones(m, bool)]
    y_a = np.where(is_old, np.r_[np.zeros(n, np.int64), y_old], 0)
    y_b = np.where(is_old, 0, np.r_[y_new, np.zeros(m, np.int64)])
    order = np.random.default_rng(seed).permutation(n + m)
    labels = {"task_a": y_a[order].astype(np.int64), "task_b": y_b[order].astype(np.int64)}
    weights = {"task_a": is_old[order].astype(np.float32), "task_b": (~is_old[order]).astype(np.float32)}
    return x[order], labels, weights


def budget_index(n: int, steps: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """Indices into n samples for exactly ``steps`` minibatches of ``batch_size``. Taught in 2_6.

    Shuffled passes over the data, one after the other, cut at steps * batch_size: fitting
    ``x[idx]`` for one epoch (``shuffle=False``) gives every method the same number of updates,
    whatever the size of its training set.
    """
    if n < 1 or steps < 1 or batch_size < 1:
        raise ValueError(f"budget_index needs n, steps, batch_size >= 1, got {n}, {steps}, {batch_size}")
    rng = np.random.default_rng(seed)
    total = steps * batch_size
    passes = [rng.permutation(n) for _ in range(-(-total // n))]
    return np.concatenate(passes)[:total]


def fit_steps(model: Any, x: np.ndarray, y: Any, steps: int, batch_size: int = 25, seed: int = 0,
              sample_weight: Any = None) -> Any:
    """Train a compiled model for exactly ``steps`` minibatches (see :func:`budget_index`).

    x: (N, ...); y: (N,) labels, or a dict of them per output (then ``sample_weight`` is a dict
    too). Returns the Keras ``History``. Taught in 2_6.
    """
    idx = budget_index(len(x), steps, batch_size, seed)

    def take(v: Any) -> Any:
        return None if v is None else {k: a[idx] for k, a in v.items()} if isinstance(v, dict) else v[idx]

    return model.fit(x[idx], take(y), sample_weight=take(sample_weight), batch_size=batch_size,
                     epochs=1, shuffle=False, verbose=0)


def autoencoder_layer(z: np.ndarray, units: int, epochs: int = 1, batch_size: int = 128,
                      seed: int = 0) -> tuple[Any, np.ndarray]:
    """One step of greedy layer-wise pretraining: a sigmoid autoencoder z -> h -> z_hat.

    z: (N, D) in [0, 1] -> (the trained encoder ``Dense(units, "sigmoid")``, its codes (N, units)).
    The decoder is trained with it and thrown away; the codes are the next layer's input.
    Taught in 2_6.
    """
    import keras

    if np.ndim(z) != 2:
        raise ValueError(f"autoencoder_layer expects z (N, D), got shape {np.shape(z)}")
    keras.utils.set_random_seed(seed)
    encoder = keras.layers.Dense(units, activation="sigmoid")
    decoder = keras.layers.Dense(z.shape[1], activation="sigmoid")
    inputs = keras.Input(shape=z.shape[1:])
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    autoencoder.fit(z, z, epochs=epochs, batch_size=batch_size, verbose=0)
    codes = np.concatenate([np.asarray(encoder(z[i:i + 4096])) for i in range(0, len(z), 4096)])
    return encoder, codes


def accuracy(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Share of ``argmax(model(x)) == y``, in inference mode, batch by batch. Taught in 2_6.

    x: (N, ...), y: (N,) -> a float in [0, 1]. Runs eagerly (no ``predict`` graph to trace).
    """
    _check_xy(x, y, "accuracy")
    hits = 0
    for start in range(0, len(x), batch_size):
        probs = np.asarray(model(x[start:start + batch_size], training=False))
        hits += int((probs.argmax(axis=1) == y[start:start + batch_size]).sum())
    return hits / len(x)


def embed(model: Any, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """``model(x)`` in inference mode, batch by batch, as one float32 array. Taught in 2_6.

    x: (N, ...) -> (N, ...) outputs, e.g. the base's features (N, 1152)."""
    if len(x) == 0:
        raise ValueError(f"embed needs at least one sample, got x of shape {np.shape(x)}")
    parts = [np.asarray(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float32)


def nearest_neighbor_accuracy(f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray,
                              y_test: np.ndarray) -> float:
    """Accuracy of the 1-nearest-neighbour rule by cosine similarity. Taught in 2_6.

    f_train: (M, F) features of the labelled examples (e.g. one a class: one-shot), y_train: (M,);
    f_test: (N, F), y_test: (N,). Each test sample gets the label of the most similar example.
    """
    f_train, f_test = np.asarray(f_train, float), np.asarray(f_test, float)
    if f_train.ndim != 2 or f_test.ndim != 2 or f_train.shape[1] != f_test.shape[1]:
        raise ValueError(f"nearest_neighbor_accuracy expects features (M, F) and (N, F), got "
                         f"{f_train.shape} and {f_test.shape}")
    _check_xy(f_train, y_train, "nearest_neighbor_accuracy")
    _check_xy(f_test, y_test, "nearest_neighbor_accuracy")

    def unit(f: np.ndarray) -> np.ndarray:
        return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)

    similarity = unit(f_test) @ unit(f_train).T  # (N, M)
    return float((np.asarray(y_train)[similarity.argmax(axis=1)] == y_test).mean())


def trainable_count(model: Any) -> int:
    """The number of trainable parameters of a Keras model. Taught in 2_6."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
