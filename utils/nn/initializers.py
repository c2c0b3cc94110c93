"""Weight initializers: Xavier (Glorot) and He, as the lecture defines them. Taught in 2_1.

Both draw a (fan_in, fan_out) weight matrix from a normal distribution N(0, std²):

- ``xavier_init``: std = √(1/fan_in) ("divide by the square root of the number of nodes of the
  previous layer"), for sigmoid and tanh;
- ``he_init``: std = √(2/fan_in) (Xavier times √2), for ReLU, which zeroes half of its inputs.

Keras differs in two details. ``keras.initializers.GlorotNormal`` uses the variance
2/(fan_in + fan_out), the average of the forward and backward conditions of Glorot & Bengio
(2010), equal to ours only when fan_in = fan_out; ``HeNormal`` uses our 2/fan_in. And both draw
from a *truncated* normal (values beyond two standard deviations are redrawn), with the scale
corrected so that the final standard deviation is still the one named.
"""

from __future__ import annotations

import numpy as np

__all__ = ["he_init", "init_std", "xavier_init"]


def _check_fans(fan_in: int, fan_out: int) -> None:
    """Raise ``ValueError`` unless both fans are positive integers."""
    for name, n in (("fan_in", fan_in), ("fan_out", fan_out)):
        if int(n) != n or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}.")


def init_std(fan_in: int, scheme: str) -> float:
    """Standard deviation of ``scheme`` ("xavier" √(1/fan_in) or "he" √(2/fan_in)). Taught in 2_1."""
    scales = {"xavier": 1.0, "he": 2.0}
    if scheme not in scales:
        raise ValueError(f"scheme={scheme!r}: use 'xavier' or 'he'.")
    _check_fans(fan_in, 1)
    return float(np.sqrt(scales[scheme] / fan_in))


def xavier_init(
    fan_in: int, fan_out: int, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """W: (fan_in, fan_out) ~ N(0, 1/fan_in), float64 (the lecture's Xavier). Taught in 2_1.

    ``seed`` (an int or a NumPy ``Generator``) fixes the draw; None draws fresh values.
    """
    _check_fans(fan_in, fan_out)
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, init_std(fan_in, "xavier"), size=(fan_in, fan_out))


def he_init(fan_in: int, fan_out: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """W: (fan_in, fan_out) ~ N(0, 2/fan_in), float64 (He et al., 2015). Taught in 2_1.

    ``seed`` (an int or a NumPy ``Generator``) fixes the draw; None draws fresh values.
    """
    _check_fans(fan_in, fan_out)
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, init_std(fan_in, "he"), size=(fan_in, fan_out))
