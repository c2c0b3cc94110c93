"""Generative adversarial networks of 4_8: the losses, a small DCGAN, a conditional GAN.

The losses take the discriminator's **logits** (before the sigmoid), as
``keras.losses.BinaryCrossentropy(from_logits=True)`` does: with ``D(x) = sigmoid(a)``,
``-log D = softplus(-a)`` and ``-log(1 - D) = softplus(a)``.

- :func:`discriminator_loss` (NumPy) ``= mean softplus(-a_real) + mean softplus(a_fake)``;
- :func:`generator_loss` (NumPy), non-saturating ``mean softplus(-a_fake) = -mean log D(G(z))``
  (``saturating=True`` gives the minimax form ``mean log(1 - D(G(z)))``);
- :func:`d_loss`, :func:`g_loss`: the same in ``keras.ops`` for the training step;
- :func:`build_generator`, :func:`build_discriminator`: DCGAN-style models for 28 x 28 images,
  optionally conditioned on a class (one-hot concatenated to z; projection discriminator);
- :class:`GAN`: a ``keras.Model`` whose ``train_step`` (TensorFlow backend) alternates one
  discriminator step and one generator step; :func:`sample_grid` tiles images.
Taught in 4_8.
"""

from __future__ import annotations

from typing import Any

import numpy as np


# ------------------------------------------------------------------ losses (NumPy)
def _logits(a: Any, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or len(a) == 0:
        raise ValueError(f"{name} must be logits of shape (N,) or (N, 1), got shape {a.shape}")
    return a


def softplus(a: Any) -> np.ndarray:
    """log(1 + e^a), stable for large |a|."""
    return np.logaddexp(0.0, np.asarray(a, dtype=np.float64))


def discriminator_loss(real_logits: Any, fake_logits: Any) -> float:
    """-mean log D(x) - mean log(1 - D(G(z))) from logits ``(N,)`` / ``(N, 1)`` (N may differ)."""
    r, f = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return float(softplus(-r).mean() + softplus(f).mean())


def generator_loss(fake_logits: Any, saturating: bool = False) -> float:
    """Non-saturating ``-mean log D(G(z))``; ``saturating=True``: the minimax ``mean log(1 - D(G(z)))``."""
    f = _logits(fake_logits, "fake_logits")
    return float(-softplus(f).mean()) if saturating else float(softplus(-f).mean())


def generator_grad(d_of_gz: Any, saturating: bool = False) -> np.ndarray:
    """d loss / d logit of the generator loss at ``D(G(z)) = d_of_gz``: ``-D`` (minimax) or ``D - 1``."""
    d = np.asarray(d_of_gz, dtype=np.float64)
    return -d if saturating else d - 1.0


# ------------------------------------------------------------------ losses (keras.ops)
def d_loss(real_logits: Any, fake_logits: Any) -> Any:
    """:func:`discriminator_loss` in keras.ops (differentiable)."""
    from keras import ops

    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def g_loss(fake_logits: Any) -> Any:
    """Non-saturating :func:`generator_loss` in keras.ops."""
    from keras import ops

    return ops.mean(ops.softplus(-fake_logits))


# ------------------------------------------------------------------ models
def build_generator(latent_dim: int = 64, n_classes: int | None = None, width: int = 64) -> Any:
    """z: (N, latent_dim) [+ labels (N,) int] -> images (N, 28, 28, 1) in [-1, 1] (tanh).

    Dense -> (7, 7, width) -> ConvTranspose stride 2 (width/2) -> ConvTranspose stride 2 (1).
    With ``n_classes`` the inputs are ``[z, labels]`` and the one-hot label is concatenated to z.
    """
    import keras
    from keras import layers

    if latent_dim < 1 or width < 2:
        raise ValueError(f"latent_dim and width must be positive, got {latent_dim}, {width}")
    z = keras.Input((latent_dim,), name="z")
    inputs: list[Any] = [z]
    h = z
    if n_classes:
        y = keras.Input((), dtype="int32", name="label")
        inputs.append(y)
        h = layers.Concatenate()([z, layers.CategoryEncoding(n_classes, output_mode="one_hot")(y)])
    h = layers.Dense(7 * 7 * width, use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    h = layers.Reshape((7, 7, width))(h)
    h = layers.Conv2DTranspose(width // 2, 4, strides=2, padding="same", use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(h)
    return keras.Model(inputs if n_classes else z, out, name="generator")


def build_discriminator(n_classes: int | None = None, width: int = 32) -> Any:
    """images (N, 28, 28, 1) [+ labels (N,)] -> logits (N, 1).

    Conv stride 2 (width) -> LeakyReLU -> Conv stride 2 (2 width) -> LeakyReLU -> features h.
    Unconditional: Dense(1)(h). With ``n_classes`` a projection discriminator:
    ``Dense(1)(h) + <embed(y), h>`` (Miyato & Koyama 2018).
    """
    import keras
    from keras import layers, ops

    x = keras.Input((28, 28, 1), name="image")
    h = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(x))
    h = layers.LeakyReLU(0.2)(layers.Conv2D(2 * width, 4, strides=2, padding="same")(h))
    h = layers.Flatten()(h)
    out = layers.Dense(1)(h)
    if not n_classes:
        return keras.Model(x, out, name="discriminator")
    y = keras.Input((), dtype="int32", name="label")
    e = layers.Embedding(
        n_classes, h.shape[-1], embeddings_initializer=keras.initializers.RandomNormal(0, 0.02)
    )(y)
    proj = layers.Lambda(lambda t: ops.sum(t[0] * t[1], axis=-1, keepdims=True))([e, h])
    return keras.Model([x, y], layers.Add()([out, proj]), name="discriminator")


def _gan_class() -> type:
    import keras
    import tensorflow as tf

    class GAN(keras.Model):
        """Alternating GAN training: ``fit(x)`` (unconditional) or ``fit(x, labels)`` (conditional)."""

        def __init__(
            self,
            generator: Any,
            discriminator: Any,
            latent_dim: int,
            n_classes: int | None = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            self.generator, self.discriminator = generator, discriminator
            self.latent_dim, self.n_classes = int(latent_dim), n_classes
            self.seed = keras.random.SeedGenerator(0)

        def compile(self, d_optimizer: Any, g_optimizer: Any, **kwargs: Any) -> None:
            super().compile(**kwargs)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

        def _check(self, x: Any, y: Any) -> None:
            if tuple(x.shape[1:]) != (28, 28, 1):
                raise ValueError(f"images must be (N, 28, 28, 1), got shape {tuple(x.shape)}")
            if self.n_classes and y is None:
                raise ValueError("a conditional GAN needs labels: fit(x, labels)")
            if y is not None and tuple(y.shape) != (x.shape[0],):
                raise ValueError(
                    f"labels must be (N,) for images {tuple(x.shape)}, got shape {tuple(y.shape)}"
                )

        def fit(self, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
            """``fit(images (N, 28, 28, 1))``, or ``fit(images, labels (N,))`` for a conditional GAN."""
            if hasattr(x, "shape"):
                self._check(x, y)
            return super().fit(x, y, **kwargs)

        def _g(self, z: Any, y: Any, training: bool) -> Any:
            return self.generator([z, y] if self.n_classes else z, training=training)

        def _d(self, x: Any, y: Any, training: bool) -> Any:
            return self.discriminator([x, y] if self.n_classes else x, training=training)

        def generate(self, n: int, labels: Any = None, seed: int = 0) -> np.ndarray:
            """n images (n, 28, 28, 1) in [-1, 1]; ``labels`` (n,) for a conditional GAN."""
            z = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
            if self.n_classes:
                labels = np.asarray(labels, dtype="int32")
                if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.n_classes:
                    raise ValueError(
                        f"labels must be (n,) = ({n},) ints in 0..{self.n_classes - 1}, "
                        f"got shape {labels.shape}"
                    )
            return np.asarray(
                self.generator.predict(
                    [z, labels] if self.n_classes else z, verbose=0, batch_size=256
                )
            )

        def d_step(self, x: Any, y: Any = None) -> Any:
            """One discriminator update; the generator's weights stay unchanged."""
            x = tf.convert_to_tensor(x)
            y = None if y is None else tf.convert_to_tensor(y)
            n = tf.shape(x)[0]
            z = keras.random.normal((n, self.latent_dim), seed=self.seed)
            fake = self._g(z, y, training=True)
            with tf.GradientTape() as tape:
                loss = d_loss(self._d(x, y, True), self._d(fake, y, True))
            w = self.discriminator.trainable_weights
            self.d_optimizer.apply_gradients(zip(tape.gradient(loss, w), w, strict=True))
            return loss

        def g_step(self, n: Any, y: Any = None) -> Any:
            """One generator update (non-saturating loss); the discriminator's weights stay unchanged."""
            y = None if y is None else tf.convert_to_tensor(y)
            z = keras.random.normal((n, self.latent_dim), seed=self.seed)
            with tf.GradientTape() as tape:
                loss = g_loss(self._d(self._g(z, y, True), y, True))
            w = self.generator.trainable_weights
            self.g_optimizer.apply_gradients(zip(tape.gradient(loss, w), w, strict=True))
            return loss

        def train_step(self, data: Any) -> dict:
            x, y = (data if isinstance(data, tuple) else (data, None))[:2]
            ld = self.d_step(x, y)
            lg = self.g_step(tf.shape(x)[0], y)
            return {"d_loss": ld, "g_loss": lg}

    return GAN


_GAN: type | None = None


def GAN(generator: Any, discriminator: Any, latent_dim: int, n_classes: int | None = None) -> Any:
    """A ``keras.Model`` subclass (built on first use, so importing this module needs no TF)."""
    global _GAN
    if _GAN is None:
        _GAN = _gan_class()
    return _GAN(generator, discriminator, latent_dim, n_classes)


# ------------------------------------------------------------------ helpers
def sample_grid(images: Any, nrows: int) -> np.ndarray:
    """Tile ``images: (N, H, W)`` or ``(N, H, W, 1)``, row by row, into one ``(nrows H, ncols W)`` array."""
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or nrows < 1 or len(x) % nrows:
        raise ValueError(
            f"images must be (N, H, W) with N a multiple of nrows={nrows}, got shape {x.shape}"
        )
    n, H, W = x.shape
    ncols = n // nrows
    return (
        x.reshape(nrows, ncols, H, W).transpose(0, 2, 1, 3).reshape(nrows * H, ncols * W)
    )  # (rows H, cols W)


def label_entropy(labels: Any, n_classes: int = 10) -> float:
    """Entropy (nats) of the histogram of integer labels; log(n_classes) when all are equally common."""
    p = np.bincount(np.asarray(labels, dtype=int), minlength=n_classes) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())
