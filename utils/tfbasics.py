"""TensorFlow and Keras basics of 4_1: regression data, GradientTape training, small models.

``train_step`` is the reference of the 4_1 exercise: one update of any Keras model with a
``tf.GradientTape``. ``fit_custom`` runs it over mini-batches in order, so that it can be set
next to ``model.fit(..., shuffle=False)`` and give the same weights. ``fit_polynomial`` fits
``y = c_0 + c_1 x + … + c_p x^p`` with ``tf.Variable`` coefficients (the linear and the
non-linear regression of the lesson). ``softmax_regression_grad`` is NumPy's gradient of
multiclass logistic regression, tested against the tape. The models: ``build_iris_model``
(the exercise's reference), ``softmax_regression``, ``build_mlp``, ``build_small_cnn``.
Taught in 4_1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

TRUE_W, TRUE_B = 5.0, 2.0  # the line d = 5x + 2 of the lesson's linear regression
CUBIC = (1.0, -2.8, 1.6, -0.4)  # d = 1 - 2.8x + 1.6x^2 - 0.4x^3, coefficients low to high


# ------------------------------------------------------------------ data
def linear_data(
    n: int, noise: float, *, w: float = TRUE_W, b: float = TRUE_B, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of ``d = w x + b + noise · N(0, 1)`` with ``x ~ U[0, 1)``: x, d ``(n,)`` float32."""
    if n < 2:
        raise ValueError(f"n must be at least 2 to fit a line, got {n}")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be ≥ 0, got {noise}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=n)
    d = w * x + b + noise * rng.normal(size=n)
    return x.astype(np.float32), d.astype(np.float32)


def cubic_data(
    n: int,
    noise: float,
    *,
    coefs: Sequence[float] = CUBIC,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of ``d = Σ_k coefs[k] x^k + noise · N(0, 1)``, ``x ~ U[low, high)``: ``(n,)`` float32."""
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be ≥ 0, got {noise}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=n)
    d = np.polynomial.polynomial.polyval(x, np.asarray(coefs, dtype=float)) + noise * rng.normal(
        size=n
    )
    return x.astype(np.float32), d.astype(np.float32)


def standardize(x_train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scale every column to mean 0 and standard deviation 1 with the training set's statistics.

    x_train: (N, D); each array of ``others`` (M, D) is scaled with the same mean and std.
    """
    x_train = np.asarray(x_train, dtype=np.float32)
    if x_train.ndim != 2:
        raise ValueError(f"x_train must be (N, D), got shape {x_train.shape}")
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    out = [(x_train - mean) / std]
    for x in others:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != x_train.shape[1]:
            raise ValueError(
                f"an array to scale has shape {x.shape}, expected (M, {x_train.shape[1]})"
            )
        out.append((x - mean) / std)
    return tuple(out)


# ------------------------------------------------------------------ GradientTape training
def train_step(
    model: Any, loss_fn: Callable[[Any, Any], Any], optimizer: Any, x: Any, t: Any
) -> Any:
    """One update: the loss of the batch under a tape, its gradients, ``apply_gradients``.

    model: a Keras model; loss_fn(t, y) -> a scalar loss; optimizer: a Keras optimizer;
    x: (N, ...) inputs, t: (N, ...) targets. Returns the loss before the update (a scalar tensor).
    """
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y = model(x, training=True)
        loss = loss_fn(t, y)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def fit_custom(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    x: np.ndarray,
    t: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    step: Callable[..., Any] = train_step,
) -> list[float]:
    """Train with ``step(model, loss_fn, optimizer, xb, tb)`` over mini-batches in order.

    The batches are ``x[0:B], x[B:2B], …`` every epoch (no shuffling, the last one may be
    smaller), as ``model.fit(x, t, batch_size=B, shuffle=False)`` takes them. ``step`` runs as a
    ``tf.function``. Returns the mean batch loss of each epoch (what ``fit`` reports as "loss").
    """
    import tensorflow as tf

    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} samples but t has {len(t)}")
    if batch_size < 1 or epochs < 0:
        raise ValueError(f"need batch_size ≥ 1 and epochs ≥ 0, got {batch_size} and {epochs}")
    compiled = tf.function(step)
    history = []
    for _ in range(epochs):
        losses = [
            float(compiled(model, loss_fn, optimizer, x[i : i + batch_size], t[i : i + batch_size]))
            for i in range(0, len(x), batch_size)
        ]
        history.append(float(np.mean(losses)))
    return history


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """``(..., n)`` -> ``(..., n, degree + 1)`` with columns ``1, x, x², …, x^degree`` (float32)."""
    x = np.asarray(x, dtype=np.float32)
    return np.stack([x**k for k in range(degree + 1)], axis=-1)


def fit_polynomial(
    x: np.ndarray, d: np.ndarray, degree: int, *, steps: int, lr: float, optimizer: str = "sgd"
) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``y = Σ_k c_k x^k`` to ``d`` by full-batch gradient descent on the mean squared error.

    x, d: ``(n,)``, or ``(L, n)`` for L data sets fitted at once (each its own coefficients; the
    sum of their losses is minimized, which trains each set as if alone). The coefficients are
    one ``tf.Variable``, initially 0; each step computes the loss under a ``tf.GradientTape``
    and lets ``optimizer`` (``"sgd"`` or ``"adam"``) apply the gradient, inside one compiled
    ``tf.function``. Returns the coefficients ``(degree + 1,)`` or ``(L, degree + 1)``, low to
    high like ``np.polynomial.polynomial.polyfit``, and the mean squared error before every
    step, ``(steps,)`` or ``(steps, L)``.
    """
    import keras
    import tensorflow as tf

    x, d = np.asarray(x, dtype=np.float32), np.asarray(d, dtype=np.float32)
    if x.shape != d.shape or x.ndim not in (1, 2) or x.shape[-1] < 1:
        raise ValueError(
            f"x and d must have one shape, (n,) or (L, n); got {x.shape} and {d.shape}"
        )
    makers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    if optimizer not in makers:
        raise ValueError(f"optimizer must be one of {sorted(makers)}, got {optimizer!r}")
    single = x.ndim == 1
    feats = tf.constant(polynomial_features(np.atleast_2d(x), degree))  # (L, n, degree + 1)
    target = tf.constant(np.atleast_2d(d))  # (L, n)
    c = tf.Variable(tf.zeros((target.shape[0], degree + 1)), name="coefficients")
    opt = makers[optimizer](learning_rate=lr)
    opt.build([c])  # the optimizer's own variables exist before the compiled loop runs

    @tf.function
    def run(steps: tf.Tensor) -> tf.Tensor:
        losses = tf.TensorArray(tf.float32, size=steps)
        for i in tf.range(steps):
            with tf.GradientTape() as tape:
                y = tf.linalg.matvec(feats, c)  # (L, n)
                mse = tf.reduce_mean((y - target) ** 2, axis=1)  # (L,)
                loss = tf.reduce_sum(mse)
            opt.apply_gradients([(tape.gradient(loss, c), c)])
            losses = losses.write(i, mse)
        return losses.stack()  # (steps, L)

    losses = run(tf.constant(steps)).numpy().astype(np.float64)
    coefs = c.numpy().astype(np.float64)
    return (coefs[0], losses[:, 0]) if single else (coefs, losses)


# ------------------------------------------------------------------ multiclass logistic regression
def softmax_regression_grad(
    x: np.ndarray, t: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss and gradients of multiclass logistic regression, in NumPy.

    x: (N, D), t: (N,) integer labels, W: (D, K), b: (K,). With y = softmax(xW + b) the loss is
    E = -(1/N) Σ_n log y[n, t_n]; its gradients are dW = xᵀ (y - T) / N, db = Σ_n (y - T) / N,
    T the one-hot labels. Returns (E, dW (D, K), db (K,)).
    """
    x, W, b = np.asarray(x, dtype=float), np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    t = np.asarray(t)
    N, D = x.shape
    if W.shape[0] != D or b.shape != (W.shape[1],) or t.shape != (N,):
        raise ValueError(
            f"shapes do not fit: x {x.shape}, t {t.shape}, W {W.shape}, b {b.shape}; "
            "need x (N, D), t (N,), W (D, K), b (K,)"
        )
    u = x @ W + b  # (N, K)
    u = u - u.max(axis=1, keepdims=True)
    y = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(y[np.arange(N), t])))
    delta = y.copy()
    delta[np.arange(N), t] -= 1.0  # y - T
    return loss, x.T @ delta / N, delta.sum(axis=0) / N


# ------------------------------------------------------------------ models
def build_iris_model(activation: str = "relu", optimizer: Any = None, hidden: int = 16) -> Any:
    """Iris classifier: 4 features -> Dense(hidden, activation) -> Dense(3, softmax), compiled.

    Loss sparse categorical cross-entropy (integer labels 0, 1, 2), metric accuracy; the
    optimizer defaults to Adam with learning rate 0.01. The reference of the 4_1 exercise.
    """
    import keras

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(hidden, activation=activation),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizer if optimizer is not None else keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def softmax_regression(n_inputs: int, n_classes: int) -> Any:
    """Multiclass logistic regression as a network: one Dense layer with softmax (uncompiled)."""
    import keras

    return keras.Sequential(
        [keras.Input((n_inputs,)), keras.layers.Dense(n_classes, activation="softmax")]
    )


def build_mlp(n_inputs: int = 784, hidden: Sequence[int] = (256, 128), n_classes: int = 10,
              output_activation: str | None = "softmax") -> Any:
    """A fully connected classifier: ReLU hidden layers, softmax output (uncompiled).

    (N, n_inputs) -> Dense(hidden[0], relu) -> … -> Dense(n_classes, softmax) -> (N, n_classes).
    The default is the lesson's three-layer MNIST network 784 -> 256 -> 128 -> 10.
    ``output_activation=None`` returns logits instead (4_4's distillation needs them).
    """
    import keras

    sizes = [n_inputs, *hidden, n_classes]
    if any(int(h) != h or h < 1 for h in sizes):
        raise ValueError(
            f"layer sizes must be positive integers, got n_inputs={n_inputs}, "
            f"hidden={tuple(hidden)}, n_classes={n_classes}"
        )
    layers = [keras.Input((n_inputs,))] + [keras.layers.Dense(h, activation="relu") for h in hidden]
    return keras.Sequential(layers + [keras.layers.Dense(n_classes, activation=output_activation)])


def build_small_cnn(dropout: float = 0.0, n_classes: int = 10) -> Any:
    """(28, 28, 1) images -> two Conv-MaxPool blocks (16, 32 filters) -> Dense 64 -> Dropout -> softmax.

    ``dropout`` is the rate of the Dropout layer before the output (0 keeps it and drops nothing).
    Uncompiled; (N, 28, 28, 1) -> (N, n_classes) probabilities.
    """
    import keras

    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout is a rate in [0, 1), got {dropout}")
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
