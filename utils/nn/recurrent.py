"""Recurrent layers in NumPy: the simple RNN, BPTT, truncated BPTT, clipping, bidirectional.

Every sequence layer is batch-first: ``forward(x, h0=None)`` takes x: (N, T, D) and returns
all hidden states hs: (N, T, H) (``self.h`` is the last one, (N, H)); ``backward(dhs)`` takes
∂L/∂hs: (N, T, H) (zeros where a step has no loss), returns dx: (N, T, D), fills ``grads``
(same keys as ``params``) and sets ``self.dh0`` (N, H). Parameter names and layouts are
Keras': ``Wx`` = ``kernel`` (D, H), ``Wh`` = ``recurrent_kernel`` (H, H), ``b`` = ``bias``
(H,), so ``RNN.from_keras(keras.layers.SimpleRNN(...))`` copies a built Keras layer.

The lecture writes one sample as a column, u^t = W_(in) x^t + W z^(t-1) + b; with a batch of
rows this is u_t = x_t Wx + h_(t-1) Wh + b, so Wx is W_(in)ᵀ and Wh is Wᵀ.

Taught in 3_1 (``rnn_step``, ``RNN``, ``clip_grad_norm``, ``TimeAffine``,
``TimeSigmoidWithLoss``, ``Bidirectional``); ``Bidirectional`` is used again in 3_3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float, d_relu, d_sigmoid, d_tanh, relu, sigmoid
from utils.nn.layers import Layer

__all__ = [
    "RNN",
    "Bidirectional",
    "TimeAffine",
    "TimeSigmoidWithLoss",
    "clip_grad_norm",
    "rnn_step",
]

_ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "tanh": (np.tanh, d_tanh),
    "relu": (relu, d_relu),
    "sigmoid": (sigmoid, d_sigmoid),
}


def _shape_error(what: str, **arrays: Any) -> ValueError:
    shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
    return ValueError(f"{what}: got {shapes}.")


def rnn_step(
    x_t: ArrayLike,
    h_prev: ArrayLike,
    Wx: ArrayLike,
    Wh: ArrayLike,
    b: ArrayLike,
    activation: Callable[[np.ndarray], np.ndarray] = np.tanh,
) -> np.ndarray:
    """One step h_t = f(x_t Wx + h_prev Wh + b). x_t: (N, D), h_prev: (N, H) -> (N, H). Taught in 3_1.

    Wx: (D, H), Wh: (H, H), b: (H,); ``activation`` is the function f (tanh by default).
    """
    x_t, h_prev, Wx, Wh, b = (_as_float(a) for a in (x_t, h_prev, Wx, Wh, b))
    if (
        x_t.ndim != 2 or h_prev.ndim != 2 or Wx.ndim != 2 or Wh.ndim != 2
        or x_t.shape[1] != Wx.shape[0] or Wh.shape != (Wx.shape[1], Wx.shape[1])
        or h_prev.shape != (x_t.shape[0], Wx.shape[1]) or b.shape != (Wx.shape[1],)
    ):
        raise _shape_error(
            "rnn_step expects x_t (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,)",
            x_t=x_t, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b,
        )
    return activation(x_t @ Wx + h_prev @ Wh + b)  # (N, H)


class RNN(Layer):
    """Simple RNN layer over a whole sequence, with BPTT (truncated or full). Taught in 3_1.

    Forward: u_t = x_t Wx + h_(t-1) Wh + b, h_t = f(u_t), for t = 0 … T-1, from h0 (zeros
    unless given). Wx: (D, H), Wh: (H, H), b: (H,); ``activation`` "tanh", "relu" or "sigmoid".

    ``truncate``: None = full BPTT, the exact gradient of L = Σ_t ⟨dhs_t, h_t⟩. An integer k
    = truncated BPTT: the gradient that the loss term of step s (dhs[:, s]) sends back flows
    through at most k time steps, s, s-1, …, s-k+1 (it reaches Wx, Wh, b and x at those
    steps, and Wh also through h_(s-k)); it is cut before going further back. It reaches h0
    (``dh0``) only from the steps s < k. So ``truncate=1`` keeps only the direct term of each
    step, and k ≥ T equals full BPTT. This costs O(T·k) steps instead of O(T).

    After ``backward``, ``self.dhs_total`` (N, T, H) holds ∂L/∂h_t including the path through
    later steps (full BPTT only; None when truncated), used to show vanishing gradients.
    """

    def __init__(
        self,
        Wx: ArrayLike,
        Wh: ArrayLike,
        b: ArrayLike,
        activation: str = "tanh",
        truncate: int | None = None,
    ) -> None:
        super().__init__()
        Wx, Wh, b = _as_float(Wx), _as_float(Wh), _as_float(b)
        if Wx.ndim != 2 or Wh.shape != (Wx.shape[1], Wx.shape[1]) or b.shape != (Wx.shape[1],):
            raise _shape_error("RNN expects Wx (D, H), Wh (H, H), b (H,)", Wx=Wx, Wh=Wh, b=b)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation={activation!r}: use one of {sorted(_ACTIVATIONS)}.")
        if truncate is not None and (int(truncate) != truncate or truncate < 1):
            raise ValueError(f"truncate must be None or a positive integer, got {truncate!r}.")
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.activation, self.truncate = activation, truncate
        self.f, self.df = _ACTIVATIONS[activation]
        self.x: np.ndarray | None = None  # (N, T, D)
        self.h0: np.ndarray | None = None  # (N, H)
        self.us: np.ndarray | None = None  # (N, T, H) total inputs
        self.hs: np.ndarray | None = None  # (N, T, H) hidden states
        self.h: np.ndarray | None = None  # (N, H) last state
        self.dh0: np.ndarray | None = None
        self.dhs_total: np.ndarray | None = None

    @classmethod
    def from_keras(cls, keras_layer: Any, truncate: int | None = None) -> RNN:
        """The NumPy twin of a built ``keras.layers.SimpleRNN`` (weights copied). Taught in 3_1."""
        kernel, recurrent, bias = (np.array(w, dtype=np.float64) for w in keras_layer.get_weights())
        name = getattr(keras_layer.activation, "__name__", str(keras_layer.activation))
        return cls(kernel, recurrent, bias, activation=name, truncate=truncate)

    def get_weights(self) -> list[np.ndarray]:
        """[Wx, Wh, b], the order of Keras' ``SimpleRNN.get_weights``."""
        return [self.params[k].copy() for k in ("Wx", "Wh", "b")]

    def forward(self, x: ArrayLike, h0: ArrayLike | None = None) -> np.ndarray:
        """x: (N, T, D), h0: (N, H) or None (zeros) -> hs: (N, T, H)."""
        x = _as_float(x)
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        D, H = Wx.shape
        if x.ndim != 3 or x.shape[2] != D:
            raise _shape_error(f"RNN expects x (N, T, {D}) for Wx of shape {Wx.shape}", x=x)
        N, T, _ = x.shape
        dtype = np.result_type(x.dtype, Wx.dtype)
        h = np.zeros((N, H), dtype=dtype) if h0 is None else _as_float(h0)
        if h.shape != (N, H):
            raise _shape_error(f"RNN expects h0 ({N}, {H})", x=x, h0=h)
        us, hs = np.empty((N, T, H), dtype=dtype), np.empty((N, T, H), dtype=dtype)
        self.h0 = h
        for t in range(T):
            us[:, t] = x[:, t] @ Wx + h @ Wh + b  # (N, H)
            h = self.f(us[:, t])
            hs[:, t] = h
        self.x, self.us, self.hs, self.h = x, us, hs, h
        return hs

    def _step_back(self, t: int, dh: np.ndarray, grads: dict[str, np.ndarray],
                   dx: np.ndarray) -> np.ndarray:
        """One BPTT step at time t: dh = ∂L/∂h_t (N, H) -> ∂L/∂h_(t-1) (N, H)."""
        assert self.x is not None and self.us is not None and self.hs is not None
        h_prev = self.hs[:, t - 1] if t > 0 else self.h0
        delta = dh * self.df(self.us[:, t])  # δ_t = ∂L/∂u_t (N, H)
        grads["Wx"] += self.x[:, t].T @ delta  # (D, N) @ (N, H)
        grads["Wh"] += h_prev.T @ delta  # (H, N) @ (N, H)
        grads["b"] += delta.sum(axis=0)
        dx[:, t] += delta @ self.params["Wx"].T  # (N, D)
        return delta @ self.params["Wh"].T  # (N, H)

    def backward(self, dhs: ArrayLike) -> np.ndarray:
        """dhs: (N, T, H) = ∂L/∂hs -> dx: (N, T, D); fills grads and dh0 (N, H)."""
        if self.hs is None or self.x is None:
            raise RuntimeError("RNN.backward called before forward.")
        dhs = _as_float(dhs)
        if dhs.shape != self.hs.shape:
            raise _shape_error(f"RNN.backward expects dhs of the output's shape {self.hs.shape}",
                               dhs=dhs)
        N, T, H = dhs.shape
        grads = {k: np.zeros_like(v, dtype=np.result_type(v, dhs)) for k, v in self.params.items()}
        dx = np.zeros(self.x.shape, dtype=np.result_type(self.x, dhs))
        if self.truncate is None:
            total = np.empty_like(dhs)
            dh_next = np.zeros((N, H), dtype=dhs.dtype)
            for t in reversed(range(T)):
                total[:, t] = dhs[:, t] + dh_next  # direct term + the path through step t+1
                dh_next = self._step_back(t, total[:, t], grads, dx)
            self.dh0, self.dhs_total = dh_next, total
        else:
            k = int(self.truncate)
            dh0 = np.zeros((N, H), dtype=dhs.dtype)
            for s in reversed(range(T)):  # the loss term of step s ...
                dh = dhs[:, s]
                for t in range(s, max(s - k, -1), -1):  # ... flows back through k steps
                    dh = self._step_back(t, dh, grads, dx)
                if s - k < 0:  # the window reached the initial state
                    dh0 += dh
            self.dh0, self.dhs_total = dh0, None
        self.grads = grads
        return dx

    def __repr__(self) -> str:
        D, H = self.params["Wx"].shape
        extra = f", truncate={self.truncate}" if self.truncate is not None else ""
        return f"RNN({D}, {H}, activation={self.activation!r}{extra})"


class TimeAffine(Layer):
    """The same affine map at every time step: (N, T, H) -> (N, T, M). W: (H, M), b: (M,). Taught in 3_1.

    The lecture's output layer v^t = W_(out) z^t + c, for all t at once.
    """

    def __init__(self, W: ArrayLike, b: ArrayLike) -> None:
        super().__init__()
        W, b = _as_float(W), _as_float(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise _shape_error("TimeAffine expects W (H, M), b (M,)", W=W, b=b)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.x: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, T, H) -> (N, T, M)."""
        x = _as_float(x)
        W = self.params["W"]
        if x.ndim != 3 or x.shape[2] != W.shape[0]:
            raise _shape_error(f"TimeAffine expects x (N, T, {W.shape[0]}) for W {W.shape}", x=x)
        self.x = x
        return x @ W + self.params["b"]

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout: (N, T, M) -> dx: (N, T, H); grads W: (H, M), b: (M,) summed over N and T."""
        if self.x is None:
            raise RuntimeError("TimeAffine.backward called before forward.")
        dout = _as_float(dout)
        N, T, H = self.x.shape
        M = self.params["W"].shape[1]
        if dout.shape != (N, T, M):
            raise _shape_error(f"TimeAffine.backward expects dout ({N}, {T}, {M})", dout=dout)
        self.grads = {
            "W": self.x.reshape(N * T, H).T @ dout.reshape(N * T, M),  # (H, M)
            "b": dout.reshape(N * T, M).sum(axis=0),  # (M,)
        }
        return dout @ self.params["W"].T  # (N, T, H)

    def __repr__(self) -> str:
        H, M = self.params["W"].shape
        return f"TimeAffine({H}, {M})"


class TimeSigmoidWithLoss(Layer):
    """Sigmoid + binary cross-entropy at every time step and output, averaged. Taught in 3_1.

    ``forward(x, t)``: logits x and targets t in {0, 1}, same shape (N, T, M) (any shape
    works) -> the mean over all N·T·M entries of the BCE of sigmoid(x), computed stably from
    the logits. ``backward(dout)`` -> dout * (sigmoid(x) - t) / x.size. ``self.y`` holds the
    probabilities of the last forward pass.
    """

    def __init__(self) -> None:
        super().__init__()
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.loss: float | None = None

    def forward(self, x: ArrayLike, t: ArrayLike) -> float:  # type: ignore[override]
        """x: logits, t: targets of the same shape -> mean binary cross-entropy (float)."""
        x, t = _as_float(x), _as_float(t)
        if x.shape != t.shape:
            raise _shape_error("TimeSigmoidWithLoss expects x and t of the same shape", x=x, t=t)
        self.y, self.t = sigmoid(x), t
        self.loss = float(np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))))
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:  # type: ignore[override]
        """dout: scalar -> dx = dout * (sigmoid(x) - t) / x.size, like x."""
        if self.y is None or self.t is None:
            raise RuntimeError("TimeSigmoidWithLoss.backward called before forward.")
        return (self.y - self.t) * (dout / self.y.size)


class Bidirectional(Layer):
    """Two sequence layers, one reading x forwards and one backwards; outputs concatenated.

    ``forward(x)``: x (N, T, D) -> np.concatenate([h_f, h_b[:, ::-1]], axis=-1) (N, T, 2H),
    where h_f = forward_layer(x) and h_b = backward_layer(x[:, ::-1]), so that step t holds
    the forward state after x_0 … x_t and the backward state after x_(T-1) … x_t (Keras'
    ``Bidirectional(..., merge_mode="concat")`` with ``return_sequences=True``). ``self.h`` is
    [last forward state, last backward state] (N, 2H). Parameters are keyed "forward.Wx",
    "backward.Wx", …; ``backward`` splits the gradient between the two layers. Taught in 3_1,
    used in 3_3.
    """

    def __init__(self, forward_layer: Layer, backward_layer: Layer) -> None:
        super().__init__()
        self.forward_layer, self.backward_layer = forward_layer, backward_layer
        self.params = self._merged("params")
        self.grads = self._merged("grads")
        self.Hf: int | None = None
        self.h: np.ndarray | None = None
        self.dh0: np.ndarray | None = None

    def _merged(self, attr: str) -> dict[str, np.ndarray]:
        return {f"{side}.{k}": v
                for side, layer in (("forward", self.forward_layer), ("backward", self.backward_layer))
                for k, v in getattr(layer, attr).items()}

    @classmethod
    def from_keras(cls, keras_layer: Any) -> Bidirectional:
        """The NumPy twin of a built ``keras.layers.Bidirectional`` of SimpleRNN, LSTM or GRU.

        Each direction is copied with the ``from_keras`` of :class:`RNN`,
        :class:`utils.nn.gated.LSTM` or :class:`utils.nn.gated.GRU`. Taught in 3_1, used in 3_3.
        """
        from utils.nn import gated

        twins = {"SimpleRNN": RNN, "LSTM": getattr(gated, "LSTM", None), "GRU": getattr(gated, "GRU", None)}

        def twin(layer: Any) -> Layer:
            numpy_cls = twins.get(type(layer).__name__)
            if numpy_cls is None:
                raise ValueError(f"Bidirectional.from_keras knows SimpleRNN, LSTM and GRU, "
                                 f"not {type(layer).__name__}.")
            return numpy_cls.from_keras(layer)

        return cls(twin(keras_layer.forward_layer), twin(keras_layer.backward_layer))

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x: (N, T, D) -> (N, T, H_f + H_b)."""
        x = _as_float(x)
        if x.ndim != 3:
            raise _shape_error("Bidirectional expects x (N, T, D)", x=x)
        h_f = self.forward_layer.forward(x)  # (N, T, H_f)
        h_b = self.backward_layer.forward(x[:, ::-1])  # (N, T, H_b), in reversed time
        self.Hf = h_f.shape[-1]
        self.h = np.concatenate([self.forward_layer.h, self.backward_layer.h], axis=-1)
        self.params = self._merged("params")
        return np.concatenate([h_f, h_b[:, ::-1]], axis=-1)

    def backward(self, dhs: ArrayLike) -> np.ndarray:
        """dhs: (N, T, H_f + H_b) -> dx: (N, T, D); grads of both layers, dh0 (N, H_f + H_b)."""
        if self.Hf is None:
            raise RuntimeError("Bidirectional.backward called before forward.")
        dhs = _as_float(dhs)
        dx_f = self.forward_layer.backward(dhs[..., : self.Hf])
        dx_b = self.backward_layer.backward(dhs[..., self.Hf:][:, ::-1])  # back to reversed time
        self.grads = self._merged("grads")
        self.dh0 = np.concatenate([self.forward_layer.dh0, self.backward_layer.dh0], axis=-1)
        return dx_f + dx_b[:, ::-1]

    def __repr__(self) -> str:
        return f"Bidirectional({self.forward_layer!r}, {self.backward_layer!r})"


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Clip all gradients together by their total L2 norm, in place; return the norm before.

    grads: {name: array}. norm = √(Σ over all arrays of Σ g²); when norm > max_norm every
    array is multiplied by max_norm / norm (the lecture's gradient × threshold / norm), so
    the direction is kept and the new total norm is max_norm; otherwise nothing changes.
    Equals ``tf.clip_by_global_norm``. Taught in 3_1.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}.")
    norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))
    if norm > max_norm:
        rate = max_norm / norm
        for g in grads.values():
            g *= rate
    return norm
