"""Layer objects with ``forward``/``backward``, a ``Sequential`` container and ``two_layer_net``.

Every layer follows "Deep Learning from Scratch": ``forward(x)`` computes the output and caches
what ``backward`` needs; ``backward(dout)`` takes ∂L/∂out and returns ∂L/∂x, storing the
gradients of its parameters in ``grads``. ``params`` and ``grads`` are dicts with the same keys
(``"W"``, ``"b"``; empty for layers without parameters). ``backward`` never modifies ``dout``
or the cached input in place.

Taught in 1_5 (layers and backpropagation); ``Affine`` first appears in 1_1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float, _batch_targets, _log_softmax, sigmoid

__all__ = [
    "Affine",
    "Layer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SoftmaxWithLoss",
    "Tanh",
    "mlp",
    "two_layer_net",
]


def _require(cache: np.ndarray | None, layer: Layer) -> np.ndarray:
    """The cached array, or a clear error when ``backward`` comes before ``forward``."""
    if cache is None:
        raise RuntimeError(f"{type(layer).__name__}.backward called before forward.")
    return cache


class Layer:
    """Base class: ``forward(x) -> out`` and ``backward(dout) -> dx``. Taught in 1_5.

    A layer that behaves differently in training and inference (batch norm, dropout) sets
    ``train_mode = True`` and takes ``forward(x, train=...)``; :class:`Sequential` passes it on.
    """

    train_mode = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Output of the layer for x; caches what backward needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """∂L/∂x from ∂L/∂out (shape of the forward output); fills ``grads``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Affine(Layer):
    """Fully connected layer out = x @ W + b. W: (D, M), b: (M,). Taught in 1_1 and 1_5.

    ``forward`` accepts x: (N, D), a single sample (D,), or (N, ...) with prod(...) = D,
    which it flattens to (N, D) as "Deep Learning from Scratch" does for images; ``backward``
    returns dx in x's original shape. The arrays W and b are kept, not copied, so updating
    ``params`` in place updates the layer.
    """

    def __init__(self, W: ArrayLike, b: ArrayLike) -> None:
        super().__init__()
        W, b = _as_float(W), _as_float(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(
                f"W has shape {W.shape} but b has shape {b.shape}; expected W: (D, M), b: (M,)."
            )
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.x_shape: tuple[int, ...] | None = None  # original input shape
        self.x2: np.ndarray | None = None  # input as (N, D)

    @property
    def W(self) -> np.ndarray:
        """Weights (D, M): the live array ``params["W"]``."""
        return self.params["W"]

    @property
    def b(self) -> np.ndarray:
        """Bias (M,): the live array ``params["b"]``."""
        return self.params["b"]

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, D) | (N, ...) | (D,) -> out: (N, M) | (N, M) | (M,)."""
        x = _as_float(x)
        W, b = self.params["W"], self.params["b"]
        D = W.shape[0]
        if x.ndim == 0:
            raise ValueError(f"x has shape () but W has shape {W.shape}; x needs {D} features.")
        N = 1 if x.ndim == 1 else x.shape[0]
        x2 = x.reshape(N, -1)  # (N, D)
        if x2.shape[1] != D:
            raise ValueError(
                f"x has shape {x.shape} but W has shape {W.shape}: x has {x2.shape[1]} "
                f"features per sample, W expects {D}."
            )
        self.x_shape, self.x2 = x.shape, x2
        out = x2 @ W + b  # (N, M)
        return out[0] if x.ndim == 1 else out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like the forward output -> dx like x; sets grads W: (D, M), b: (M,)."""
        x2 = _require(self.x2, self)
        W = self.params["W"]
        N, M = x2.shape[0], W.shape[1]
        dout = _as_float(dout)
        expected = (M,) if len(self.x_shape or ()) == 1 else (N, M)
        if dout.shape != expected:
            raise ValueError(f"dout has shape {dout.shape} but the output has shape {expected}.")
        dout2 = dout.reshape(N, M)  # (N, M)
        self.grads["W"] = x2.T @ dout2  # (D, M)
        self.grads["b"] = dout2.sum(axis=0)  # (M,)
        dx = dout2 @ W.T  # (N, D)
        return dx.reshape(self.x_shape)

    def __repr__(self) -> str:
        D, M = self.params["W"].shape
        return f"Affine({D}, {M})"


class ReLU(Layer):
    """ReLU layer: out = max(0, x); backward passes dout where x > 0. Taught in 1_5."""

    def __init__(self) -> None:
        super().__init__()
        self.mask: np.ndarray | None = None  # True where x <= 0

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: any shape -> out: same shape."""
        x = _as_float(x)
        self.mask = x <= 0
        return np.where(self.mask, 0, x)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like x -> dx: a new array (dout itself is left alone)."""
        mask = _require(self.mask, self)
        return np.where(mask, 0, _as_float(dout))


class Sigmoid(Layer):
    """Sigmoid layer: out = σ(x); backward uses dσ/dx = out (1 - out). Taught in 1_5."""

    def __init__(self) -> None:
        super().__init__()
        self.out: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: any shape -> out: same shape."""
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like x -> dx = dout * out * (1 - out)."""
        out = _require(self.out, self)
        return _as_float(dout) * out * (1.0 - out)


class Tanh(Layer):
    """Tanh layer: out = tanh(x); backward uses 1 - out². Taught in 1_5."""

    def __init__(self) -> None:
        super().__init__()
        self.out: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: any shape -> out: same shape."""
        self.out = np.tanh(_as_float(x))
        return self.out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: like x -> dx = dout * (1 - out²)."""
        out = _require(self.out, self)
        return _as_float(dout) * (1.0 - out**2)


class SoftmaxWithLoss(Layer):
    """Softmax followed by the cross-entropy loss, the last layer of a classifier. Taught in 1_5.

    ``forward(x, t)`` takes the scores x: (N, C) (or (C,)) and t one-hot (N, C) or integer
    labels (N,), and returns the mean loss over the batch (stable for any x). ``backward``
    returns dx = dout * (y - t) / N, with y = softmax(x).
    """

    def __init__(self) -> None:
        super().__init__()
        self.y: np.ndarray | None = None  # softmax output (N, C)
        self.t: np.ndarray | None = None  # one-hot (N, C) or labels (N,)
        self.sparse = False
        self.x_shape: tuple[int, ...] | None = None
        self.loss: float | None = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> float:  # type: ignore[override]
        """x: (N, C), t: (N, C) one-hot or (N,) labels -> mean cross-entropy (float)."""
        x = _as_float(x)
        x2, t2, sparse = _batch_targets(x, t, "x")  # (N, C), (N, C) | (N,)
        log_y = _log_softmax(x2)  # (N, C)
        N = x2.shape[0]
        self.y, self.t, self.sparse, self.x_shape = np.exp(log_y), t2, sparse, x.shape
        if sparse:
            self.loss = float(-np.sum(log_y[np.arange(N), t2]) / N)
        else:
            self.loss = float(-np.sum(t2 * log_y) / N)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:  # type: ignore[override]
        """dout: scalar ∂L_total/∂loss (1 by default) -> dx: like x."""
        y = _require(self.y, self)
        N = y.shape[0]
        if self.sparse:
            dx = y.copy()
            dx[np.arange(N), self.t] -= 1.0
        else:
            dx = y - self.t
        return (dx * (dout / N)).reshape(self.x_shape)


class Sequential:
    """A stack of layers plus a loss layer, the model of Day 1. Taught in 1_5.

    ``layers`` run in order in ``predict``; ``loss`` (a :class:`SoftmaxWithLoss` unless
    given) turns the last output and the targets into the loss. Parameter and gradient
    dicts are keyed ``"<layer index>.<name>"``: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...

    >>> model = Sequential([Affine(W1, b1), ReLU(), Affine(W2, b2)])
    >>> grads = model.gradient(x, t); SGD(lr=0.1).update(model.params, grads)
    """

    def __init__(self, layers: Iterable[Layer], loss: Layer | None = None) -> None:
        self.layers: list[Layer] = list(layers)
        self.loss_layer: Layer = SoftmaxWithLoss() if loss is None else loss

    @property
    def params(self) -> dict[str, np.ndarray]:
        """All parameters, keyed ``"i.name"``: the live arrays (an in-place update changes the model)."""
        return {
            f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()
        }

    def predict(self, x: ArrayLike, *, train: bool = False) -> np.ndarray:
        """Forward pass without the loss. x: (N, D) -> scores (N, C).

        ``train`` reaches the layers that behave differently in training (those with
        ``train_mode = True``: batch norm, dropout); inference is the default."""
        out = _as_float(x)
        for layer in self.layers:
            out = layer.forward(out, train=train) if layer.train_mode else layer.forward(out)
        return out

    def loss(self, x: ArrayLike, t: ArrayLike, *, train: bool = False) -> float:
        """Mean loss on (x, t). x: (N, D); t: (N, C) one-hot or (N,) labels."""
        return float(self.loss_layer.forward(self.predict(x, train=train), t))  # type: ignore[call-arg]

    def gradient(self, x: ArrayLike, t: ArrayLike) -> dict[str, np.ndarray]:
        """Backpropagation: gradients of the training-mode loss w.r.t. every parameter, keyed like
        ``params`` (a training step: batch norm uses the batch statistics, dropout drops)."""
        self.loss(x, t, train=True)
        dout = self.loss_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return {
            f"{i}.{k}": g for i, layer in enumerate(self.layers) for k, g in layer.grads.items()
        }

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """Fraction of samples whose arg-max score is the label. t: (N,) labels or (N, C) one-hot."""
        y = self.predict(x)  # (N, C)
        t = np.asarray(t)
        labels = t.argmax(axis=-1) if t.shape == y.shape else t
        if labels.shape != y.shape[:-1]:
            raise ValueError(
                f"scores have shape {y.shape} but t has shape {t.shape}; t must be "
                f"one-hot {y.shape} or labels {y.shape[:-1]}."
            )
        return float(np.mean(y.argmax(axis=-1) == labels))

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], loss={self.loss_layer!r})"


def _weight_std(fan_in: int, weight_init_std: float | str) -> float:
    """Standard deviation of the initial weights: a number, "he" √(2/n) or "xavier" √(1/n)."""
    if isinstance(weight_init_std, str):
        scales = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}
        key = weight_init_std.lower()
        if key not in scales:
            raise ValueError(
                f"weight_init_std={weight_init_std!r}: use a number, 'he' or 'xavier'."
            )
        return float(np.sqrt(scales[key] / fan_in))
    return float(weight_init_std)


def two_layer_net(
    input_size: int,
    hidden_size: int,
    output_size: int,
    weight_init_std: float | str = 0.01,
    seed: int | None = None,
    *,
    affine: type[Affine] = Affine,
    loss: type[Layer] = SoftmaxWithLoss,
) -> Sequential:
    """Affine -> ReLU -> Affine with a SoftmaxWithLoss, e.g. (784, 100, 10) for MNIST.

    Weights ~ N(0, std²) with std = ``weight_init_std`` (0.01 as in "Deep Learning from
    Scratch"), or "he" (√(2/fan_in), the right choice for ReLU) or "xavier" (√(1/fan_in));
    biases 0; float64. ``seed`` fixes the weights; with None they come from NumPy's global
    generator, which ``utils.setup()`` seeds. Parameter keys: "0.W", "0.b", "2.W", "2.b".
    ``affine`` and ``loss`` are the classes the model is built from (a student's own
    ``Affine`` and ``SoftmaxWithLoss`` in 1_5); the weights do not depend on them.
    Taught in 1_5.
    """
    rng = np.random.default_rng(seed if seed is not None else np.random.randint(2**31))
    W1 = rng.normal(0.0, _weight_std(input_size, weight_init_std), (input_size, hidden_size))
    W2 = rng.normal(0.0, _weight_std(hidden_size, weight_init_std), (hidden_size, output_size))
    return Sequential(
        [affine(W1, np.zeros(hidden_size)), ReLU(), affine(W2, np.zeros(output_size))],
        loss=loss(),
    )


_ACTIVATION_LAYERS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def mlp(
    sizes: Iterable[int],
    activation: str | type[Layer] = "relu",
    weight_init: str | float | Callable[..., ArrayLike] = "he",
    batchnorm: bool | type[Layer] = False,
    seed: int | None = None,
    *,
    momentum: float = 0.9,
    eps: float = 1e-5,
    loss: type[Layer] = SoftmaxWithLoss,
) -> Sequential:
    """A deep fully connected net: Affine [BatchNorm] act … Affine, with a softmax loss.

    sizes: the widths, input first, e.g. ``[784, 100, 100, 100, 10]`` (3 hidden layers).
    activation: "relu", "sigmoid", "tanh" or a layer class (built without arguments).
    weight_init: "he" (√(2/fan_in)), "xavier" (√(1/fan_in)), a number (the std of a normal),
        "zeros", or a function ``f(fan_in, fan_out, seed=...) -> (fan_in, fan_out) array``
        (e.g. ``utils.nn.he_init`` or your own); biases start at 0.
    batchnorm: a :class:`~utils.nn.BatchNorm` (γ = 1, β = 0, ``momentum``, ``eps``) after every
        hidden Affine layer, before the activation; a class uses that class instead.
    seed: fixes the weights (each layer gets its own seed drawn from it); None draws it from
        NumPy's global generator, which ``utils.setup()`` seeds.
    Parameter keys follow the layer indices: with batch norm "0.W", "0.b", "1.gamma",
    "1.beta", "3.W", …; without, "0.W", "0.b", "2.W", …. Taught in 2_1.
    """
    from utils.nn import initializers
    from utils.nn.normalization import BatchNorm

    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes={sizes}: give at least the input and output widths, all >= 1.")
    if isinstance(activation, str):
        if activation.lower() not in _ACTIVATION_LAYERS:
            raise ValueError(f"activation={activation!r}: use one of {sorted(_ACTIVATION_LAYERS)}.")
        act: type[Layer] = _ACTIVATION_LAYERS[activation.lower()]
    else:
        act = activation
    init: Callable[..., ArrayLike]
    if callable(weight_init):
        init = weight_init
    elif isinstance(weight_init, str):
        named: dict[str, Callable[..., ArrayLike]] = {
            "he": initializers.he_init,
            "xavier": initializers.xavier_init,
            "zeros": lambda fan_in, fan_out, seed=None: np.zeros((fan_in, fan_out)),
        }
        if weight_init.lower() not in named:
            raise ValueError(f"weight_init={weight_init!r}: use 'he', 'xavier', 'zeros', a number "
                             "or a function.")
        init = named[weight_init.lower()]
    else:
        std = float(weight_init)

        def init(fan_in: int, fan_out: int, seed: int | None = None) -> np.ndarray:
            return np.random.default_rng(seed).normal(0.0, std, size=(fan_in, fan_out))

    bn_cls: type[Layer] | None = (BatchNorm if batchnorm is True else batchnorm) or None
    top = np.random.default_rng(seed if seed is not None else np.random.randint(2**31))
    layer_seeds = top.integers(0, 2**31 - 1, size=len(sizes) - 1)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        W = _as_float(init(fan_in, fan_out, seed=int(layer_seeds[i])))
        if W.shape != (fan_in, fan_out):
            raise ValueError(f"weight_init returned shape {W.shape}, expected ({fan_in}, {fan_out}).")
        layers.append(Affine(W, np.zeros(fan_out)))
        if i < len(sizes) - 2:  # a hidden layer
            if bn_cls is not None:
                layers.append(bn_cls(np.ones(fan_out), np.zeros(fan_out), momentum=momentum, eps=eps))
            layers.append(act())
    return Sequential(layers, loss=loss())
