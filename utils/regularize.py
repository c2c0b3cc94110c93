"""Keras pieces of the regularization lesson: the lecture's dropout, MixUp, digit augmentation.

- :class:`LectureDropout`: dropout as the lecture (and the original paper) defines it: drop
  units with probability ``rate`` in training without rescaling, multiply by the keep rate
  1 − rate at inference. ``keras.layers.Dropout`` is *inverted* dropout instead (scale by
  1/(1 − rate) in training, identity at inference).
- :func:`mixup_batch` and :class:`MixUpData`: MixUp (Zhang et al., 2018) on NumPy batches,
  a ``keras.utils.PyDataset`` for ``model.fit``.
- :func:`digit_augmenter`: random shifts and rotations of (N, 28, 28, 1) images, as Keras
  preprocessing layers that are active in training only.

Imports Keras (this module is imported explicitly: ``import utils.regularize``). Taught in 2_3.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = ["LectureDropout", "MixUpData", "digit_augmenter", "mixup_batch"]


@keras.saving.register_keras_serializable(package="course")
class LectureDropout(keras.layers.Layer):
    """The lecture's dropout: training x·mask (kept with probability 1 − rate), inference
    x·(1 − rate). x: any shape; out: the same shape. Taught in 2_3."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"rate is the drop probability and must be in [0, 1), got {rate!r}.")
        self.rate, self.seed = float(rate), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training:
            u = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
            return inputs * ops.cast(u >= self.rate, inputs.dtype)  # drop, do not rescale
        return inputs * (1.0 - self.rate)  # every unit, weighted by the keep rate

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def mixup_batch(
    x: np.ndarray, t: np.ndarray, alpha: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """MixUp of one batch: x̃ = λ x + (1 − λ) x[perm], t̃ = λ t + (1 − λ) t[perm]. Taught in 2_3.

    x: (N, ...) inputs, t: (N, K) one-hot or soft targets; one λ ~ Beta(alpha, alpha) per
    sample, perm a random permutation of the batch. Returns float32 arrays of the same shapes.
    """
    x, t = np.asarray(x), np.asarray(t)
    if t.ndim != 2 or len(t) != len(x):
        raise ValueError(
            f"x has shape {x.shape} but t has shape {t.shape}; t must be one-hot (N, K) with "
            "the N of x."
        )
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}.")
    N = len(x)
    lam = rng.beta(alpha, alpha, size=N)  # (N,)
    perm = rng.permutation(N)
    lx = lam.reshape((N,) + (1,) * (x.ndim - 1))  # broadcast over the input's axes
    x_mix = lx * x + (1.0 - lx) * x[perm]
    t_mix = lam[:, None] * t + (1.0 - lam[:, None]) * t[perm]  # (N, K)
    return x_mix.astype(np.float32), t_mix.astype(np.float32)


class MixUpData(keras.utils.PyDataset):
    """Shuffled minibatches of (x, t) with MixUp, for ``model.fit(MixUpData(...))``. Taught in 2_3.

    x: (N, ...), t: (N, K) one-hot. Batch i of epoch e is drawn from ``default_rng((seed, e,
    i))``, so the batches do not depend on the order Keras asks for them.
    """

    def __init__(
        self, x: np.ndarray, t: np.ndarray, batch_size: int = 64, alpha: float = 0.2,
        seed: int = 0, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if len(x) != len(t):
            raise ValueError(f"x has shape {np.shape(x)} but t has shape {np.shape(t)}.")
        self.x, self.t = np.asarray(x), np.asarray(t)
        self.batch_size, self.alpha, self.seed = int(batch_size), float(alpha), int(seed)
        self.epoch = 0
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.x))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, i))
        return mixup_batch(self.x[idx], self.t[idx], self.alpha, rng)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.x))


def digit_augmenter(shift: float = 0.1, degrees: float = 10.0, seed: int | None = None) -> Any:
    """Random shifts (a fraction of the size) and rotations (± degrees) of (N, H, W, 1) images,
    black fill; a ``keras.Sequential`` that changes images in training only. Taught in 2_3."""
    L = keras.layers
    return keras.Sequential([
        L.RandomTranslation(shift, shift, fill_mode="constant", seed=seed),
        L.RandomRotation(degrees / 360.0, fill_mode="constant", seed=None if seed is None else seed + 1),
    ], name="augment")
