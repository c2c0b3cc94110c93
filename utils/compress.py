"""Making a trained network smaller: int8 quantization, knowledge distillation, magnitude pruning.

Taught in 4_4. NumPy versions of the formulas (the lesson's exercises) and their Keras 3
counterparts (a ``Distiller`` model, a pruning callback); no tensorflow-model-optimization,
which needs the legacy ``tf_keras``.

- :func:`quantize_int8` / :func:`dequantize`: affine (asymmetric) per-tensor int8,
  ``q = clip(round(x / s) + z, -128, 127)``, ``x̂ = (q - z) s``.
- :func:`distillation_loss`: ``α CE(t, softmax(u_s)) + (1 - α) T² KL(softmax(u_t / T) ‖
  softmax(u_s / T))`` in ``keras.ops`` (works on NumPy arrays and inside ``train_step``).
- :class:`Distiller`: a ``keras.Model`` that trains a student on that loss against a frozen teacher.
- :func:`magnitude_prune`: the 0/1 mask that zeroes the smallest ``|w|``;
  :class:`PruningCallback` raises the sparsity on a polynomial schedule and re-applies the masks
  after every training step.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

try:  # keras is imported lazily elsewhere in utils; here the classes need it at definition time
    import keras
except ImportError:  # pragma: no cover - the course always has Keras
    keras = None  # type: ignore[assignment]

INT8_MIN, INT8_MAX = -128, 127


# ------------------------------------------------------------------ data and models
def mnist_flat(
    n_train: int, n_test: int = 10_000
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The first ``n_train`` / ``n_test`` MNIST digits as float32 ``(N, 784)`` in [0, 1], uint8 labels."""
    from utils.data import load_mnist

    (x, y), (xt, yt) = load_mnist()
    if not (0 < n_train <= len(x) and 0 < n_test <= len(xt)):
        raise ValueError(
            f"n_train must be in 1..{len(x)} and n_test in 1..{len(xt)}, got {n_train}, {n_test}"
        )
    flat = lambda a: a.reshape(len(a), -1).astype("float32") / 255.0  # noqa: E731
    return (flat(x[:n_train]), y[:n_train]), (flat(xt[:n_test]), yt[:n_test])


def build_mlp(
    hidden: int | Sequence[int] = 128,
    n_classes: int = 10,
    *,
    compile: bool = True,
    lr: float = 1e-3,
) -> Any:
    """784 -> Dense(hidden, relu)… -> Dense(n_classes) **logits** (no softmax), as distillation needs.

    ``utils.tfbasics.build_mlp(..., output_activation=None)``; with ``compile=True`` compiled
    with Adam and sparse cross-entropy ``from_logits=True``.
    """
    from utils.tfbasics import build_mlp as _mlp

    sizes = [hidden] if isinstance(hidden, int) else list(hidden)
    model = _mlp(784, sizes, n_classes, output_activation=None)
    if compile:
        model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    return model


def accuracy(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model`` (logits or probabilities out) on ``x: (N, D)``, ``y: (N,)``."""
    pred = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    return float((pred.argmax(axis=1) == np.asarray(y)).mean())


def uncompiled_copy(model: Any) -> Any:
    """A clone of ``model`` with the same weights and no optimizer (so a saved file holds weights only)."""
    clone = type(model).from_config(model.get_config())  # clone_model would copy the compile state
    clone.set_weights(model.get_weights())
    return clone


def saved_weights_size(model: Any, *, gzipped: bool = False) -> int:
    """Bytes of ``model.save_weights(...)`` (a ``.weights.h5`` file), optionally after gzip.

    Save an uncompiled model (:func:`uncompiled_copy`): a compiled, trained model also writes
    its optimizer's state (Adam's two moments triple the file).
    """
    fd, path = tempfile.mkstemp(suffix=".weights.h5")
    os.close(fd)
    try:
        model.save_weights(path)
        data = open(path, "rb").read()  # noqa: SIM115
    finally:
        os.remove(path)
    return len(gzip.compress(data, compresslevel=9)) if gzipped else len(data)


# ------------------------------------------------------------------ quantization
def to_tflite(model: Any, *, dynamic_range: bool = True) -> bytes:
    """A TFLite flat buffer of the float Keras ``model``; ``dynamic_range``: int8 weights (Optimize.DEFAULT).

    Dynamic-range quantization stores the weights as int8 and keeps activations in float,
    so it needs no calibration data. (A Keras-quantized model cannot be converted.)
    """
    import contextlib
    import io

    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if dynamic_range:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with contextlib.redirect_stdout(io.StringIO()):  # the converter prints the exported signature
        return converter.convert()


def tflite_predict(blob: bytes, x: np.ndarray) -> np.ndarray:
    """Run a one-input TFLite model on the whole batch ``x: (N, ...)`` with LiteRT's Interpreter.

    Without the ``ai-edge-litert`` package (e.g. on Colab) TensorFlow's own, deprecated
    ``tf.lite.Interpreter`` runs it: the same interpreter under its former name.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter

    interp = Interpreter(model_content=blob)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    if tuple(x.shape[1:]) != tuple(inp["shape"][1:]):
        raise ValueError(
            f"x has shape {x.shape}, the model expects (N, {', '.join(map(str, inp['shape'][1:]))})"
        )
    interp.resize_tensor_input(inp["index"], [len(x), *inp["shape"][1:]])
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], np.asarray(x, dtype=inp["dtype"]))
    interp.invoke()
    return np.array(interp.get_tensor(out["index"]))


def quantize_int8(x: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Affine per-tensor int8 quantization of ``x`` (any shape): ``(q, scale, zero_point)``.

    The range ``[min(x.min(), 0), max(x.max(), 0)]`` (0 always inside, so 0 is exact) is mapped
    onto the 256 levels -128 … 127: ``scale = (hi - lo) / 255``,
    ``zero_point = round(-128 - lo / scale)``, ``q = clip(round(x / scale) + zero_point, -128, 127)``
    as ``np.int8``. A tensor of zeros gets ``scale = 1``. The round trip error is at most
    ``scale / 2``.
    """
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError(f"quantize_int8 needs a non-empty array, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"quantize_int8 needs numbers, got dtype {x.dtype}")
    xf = x.astype(np.float64)
    if not np.all(np.isfinite(xf)):
        raise ValueError("quantize_int8 got NaN or inf values")
    lo, hi = min(float(xf.min()), 0.0), max(float(xf.max()), 0.0)
    scale = (hi - lo) / (INT8_MAX - INT8_MIN) if hi > lo else 1.0
    zero_point = int(np.clip(np.round(INT8_MIN - lo / scale), INT8_MIN, INT8_MAX))
    q = np.clip(np.round(xf / scale) + zero_point, INT8_MIN, INT8_MAX).astype(np.int8)
    return q, float(scale), zero_point


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """``(q - zero_point) * scale`` as float32, the inverse of :func:`quantize_int8` up to rounding."""
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer):
        raise ValueError(f"dequantize needs integer codes q, got dtype {q.dtype}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return ((q.astype(np.float64) - zero_point) * scale).astype(np.float32)


def quantize_1bit(a: np.ndarray) -> np.ndarray:
    """The lecture's extreme example: every value rounded to the nearer of the two levels 0 and 1."""
    return (np.asarray(a, dtype=np.float64) >= 0.5).astype(np.float64)


# ------------------------------------------------------------------ distillation
def distillation_loss(
    student_logits: Any,
    teacher_logits: Any,
    labels: Any,
    temperature: float = 3.0,
    alpha: float = 0.1,
    dtype: str = "float32",
) -> Any:
    """``α CE(labels, softmax(u_s)) + (1 - α) T² KL(softmax(u_t/T) ‖ softmax(u_s/T))``, batch mean.

    student_logits, teacher_logits: (N, K); labels: (N,) integers. Written in ``keras.ops``, so it
    takes NumPy arrays or tensors and returns a scalar tensor (``float(...)`` for a number),
    computed in ``dtype``. The
    ``T²`` keeps the soft term's gradients the same size whatever the temperature (Hinton et al.
    2015): the gradient of the soft term with respect to the logits shrinks like ``1 / T²``.
    """
    ops = keras.ops
    s_shape, t_shape = tuple(student_logits.shape), tuple(teacher_logits.shape)
    if len(s_shape) != 2 or s_shape != t_shape:
        raise ValueError(
            f"student and teacher logits must both be (N, K), got {s_shape} and {t_shape}"
        )
    if tuple(labels.shape) != s_shape[:1]:
        raise ValueError(
            f"labels must be (N,) = ({s_shape[0]},) integers, got shape {tuple(labels.shape)}"
        )
    if not temperature > 0 or not 0 <= alpha <= 1:
        raise ValueError(
            f"need temperature > 0 and 0 <= alpha <= 1, got T={temperature}, alpha={alpha}"
        )
    u_s = ops.cast(student_logits, dtype)
    u_t = ops.cast(teacher_logits, dtype)
    hard = ops.mean(ops.sparse_categorical_crossentropy(labels, u_s, from_logits=True))
    p_t = ops.softmax(u_t / temperature, axis=-1)
    log_p_t = ops.log_softmax(u_t / temperature, axis=-1)
    log_p_s = ops.log_softmax(u_s / temperature, axis=-1)
    kl = ops.mean(ops.sum(p_t * (log_p_t - log_p_s), axis=-1))
    return alpha * hard + (1.0 - alpha) * temperature**2 * kl


def distillation_loss_value(
    student_logits: Any,
    teacher_logits: Any,
    labels: Any,
    temperature: float = 3.0,
    alpha: float = 0.1,
) -> float:
    """:func:`distillation_loss` as a Python float (what the lesson's NumPy exercise returns)."""
    return float(
        distillation_loss(
            np.asarray(student_logits),
            np.asarray(teacher_logits),
            np.asarray(labels),
            temperature,
            alpha,
            dtype="float64",
        )
    )


if keras is not None:

    class Distiller(keras.Model):
        """Train ``student`` on :func:`distillation_loss` against a fixed ``teacher``.

        ``Distiller(student, teacher, temperature=3, alpha=0.1)``, then ``compile(optimizer=...,
        metrics=[...])`` and ``fit(x, y)`` with integer labels; ``predict`` / ``evaluate`` use the
        student. Both models output logits.
        """

        def __init__(
            self,
            student: Any,
            teacher: Any,
            temperature: float = 3.0,
            alpha: float = 0.1,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            if not temperature > 0 or not 0 <= alpha <= 1:
                raise ValueError(
                    f"need temperature > 0 and 0 <= alpha <= 1, got {temperature}, {alpha}"
                )
            self.student = student
            # Not tracked by Keras (object.__setattr__): the teacher's weights are no variables of
            # the Distiller, so the optimizer never sees them, and the teacher model itself is left
            # as it was (setting teacher.trainable = False would freeze it for later use too).
            object.__setattr__(self, "_teacher", teacher)
            self.temperature, self.alpha = float(temperature), float(alpha)

        @property
        def teacher(self) -> Any:
            return self._teacher

        def call(self, x: Any, training: bool = False) -> Any:
            return self.student(x, training=training)

        def compute_loss(
            self,
            x: Any = None,
            y: Any = None,
            y_pred: Any = None,
            sample_weight: Any = None,
            **kwargs: Any,
        ) -> Any:
            teacher_logits = self.teacher(x, training=False)
            return distillation_loss(
                y_pred, keras.ops.stop_gradient(teacher_logits), y, self.temperature, self.alpha
            )


# ------------------------------------------------------------------ pruning
def magnitude_prune(w: np.ndarray, sparsity: float) -> np.ndarray:
    """The 0/1 mask (float32, shape of ``w``) that zeroes the ``k = round(sparsity * w.size)`` smallest |w|."""
    w = np.asarray(w)
    if w.size == 0:
        raise ValueError(f"magnitude_prune needs a non-empty array, got shape {w.shape}")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity is a fraction in [0, 1], got {sparsity}")
    k = int(round(sparsity * w.size))
    mask = np.ones(w.size, dtype=np.float32)
    mask[np.argsort(np.abs(w).ravel(), kind="stable")[:k]] = 0.0
    return mask.reshape(w.shape)


def polynomial_sparsity(
    step: int, final: float, begin: int, end: int, initial: float = 0.0, power: float = 3.0
) -> float:
    """Zhu & Gupta's schedule: ``s = s_f + (s_i - s_f)(1 - (t - t_0)/(t_1 - t_0))^power`` on [t_0, t_1].

    ``initial`` before ``begin``, ``final`` after ``end``; it rises fast at first and slowly at the
    end, when there are fewer small weights left to remove.
    """
    if end <= begin:
        raise ValueError(f"end step {end} must come after begin step {begin}")
    frac = min(max((step - begin) / (end - begin), 0.0), 1.0)
    return float(final + (initial - final) * (1.0 - frac) ** power)


def sparsity_of(model: Any) -> float:
    """Fraction of exact zeros among the kernels (not the biases) of the model's Dense layers."""
    kernels = [
        np.asarray(layer.kernel) for layer in model.layers if isinstance(layer, keras.layers.Dense)
    ]
    return float(sum((k == 0).sum() for k in kernels) / sum(k.size for k in kernels))


if keras is not None:

    class PruningCallback(keras.callbacks.Callback):
        """Gradual magnitude pruning of every Dense kernel, with masks re-applied after each step.

        Every ``frequency`` steps between ``begin_step`` and ``end_step`` the masks are recomputed
        by :func:`magnitude_prune` at the target of :func:`polynomial_sparsity`; after every
        training batch the current masks are multiplied into the kernels again (the optimizer's
        update, Adam's momentum included, would otherwise revive pruned weights). After
        ``end_step`` the masks stay fixed at ``final_sparsity`` (fine-tuning).
        """

        def __init__(
            self,
            final_sparsity: float = 0.8,
            begin_step: int = 0,
            end_step: int = 1000,
            frequency: int = 50,
            power: float = 3.0,
        ) -> None:
            super().__init__()
            if not 0.0 <= final_sparsity < 1.0:
                raise ValueError(f"final_sparsity is a fraction in [0, 1), got {final_sparsity}")
            if frequency < 1:
                raise ValueError(f"frequency must be >= 1 step, got {frequency}")
            polynomial_sparsity(0, final_sparsity, begin_step, end_step)  # validates the steps
            self.final_sparsity, self.begin_step, self.end_step = (
                final_sparsity,
                begin_step,
                end_step,
            )
            self.frequency, self.power = frequency, power
            self.step = 0
            self.masks: dict[str, Any] = {}  # layer name -> 0/1 tensor of the kernel's shape
            self.history: list[tuple[int, float]] = []

        def _layers(self) -> list[Any]:
            return [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]

        def _apply(self) -> None:
            for layer in self._layers():
                if layer.name in self.masks:
                    layer.kernel.assign(layer.kernel * self.masks[layer.name])

        def _update_masks(self) -> None:
            target = polynomial_sparsity(
                self.step, self.final_sparsity, self.begin_step, self.end_step, power=self.power
            )
            for layer in self._layers():
                mask = magnitude_prune(np.asarray(layer.kernel), target)
                self.masks[layer.name] = keras.ops.convert_to_tensor(mask, dtype=layer.kernel.dtype)
            self.history.append((self.step, target))

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.step += 1
            in_window = self.begin_step <= self.step <= self.end_step
            if in_window and (
                (self.step - self.begin_step) % self.frequency == 0 or self.step == self.end_step
            ):
                self._update_masks()
            self._apply()
