"""Gated recurrent layers: LSTM and GRU, one step as a function and whole sequences with BPTT.

Arrays are batch-first, as in :mod:`utils.nn.recurrent`: ``forward(x, h0=None)`` maps
x: (N, T, D) to all hidden states hs: (N, T, H) and keeps the last state in ``self.h``
(the LSTM also its cell in ``self.c``); ``backward(dhs)`` takes ∂L/∂hs: (N, T, H), returns
dx: (N, T, D), fills ``self.grads`` and sets ``self.dh0`` (the LSTM also ``self.dc0``).

The weights use Keras' names, layouts and gate orders, so ``set_weights``/``get_weights``
copy straight across: ``Wx`` = ``kernel`` (D, k·H), ``Wh`` = ``recurrent_kernel`` (H, k·H),
``b`` = ``bias``; the LSTM's gates are (i, f, c, o), k = 4; the GRU's (z, r, h), k = 3, with
``b`` of shape (2, 3H) when ``reset_after=True`` (Keras' default: the reset gate multiplies
``h_prev @ Wh`` after the product) and (3H,) when ``reset_after=False`` (the original
paper's form: the reset gate multiplies ``h_prev`` before the product).

Taught in 3_2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.functions import _as_float, sigmoid
from utils.nn.layers import Layer

__all__ = ["GRU", "LSTM", "gru_step", "keras_init", "lstm_step", "param_count"]


# ------------------------------------------------------------------ single steps
def _check_step(
    x_t: np.ndarray, h_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, k: int
) -> tuple[int, int]:
    """Raise ValueError naming the shapes unless they fit one step of k gates; return (N, H)."""
    if x_t.ndim != 2 or h_prev.ndim != 2 or Wx.ndim != 2 or Wh.ndim != 2:
        raise ValueError(
            f"x_t has shape {x_t.shape}, h_prev {h_prev.shape}, Wx {Wx.shape}, Wh {Wh.shape}; "
            "expected x_t: (N, D), h_prev: (N, H), Wx: (D, k·H), Wh: (H, k·H)."
        )
    N, H = h_prev.shape
    if Wh.shape != (H, k * H) or Wx.shape != (x_t.shape[1], k * H) or x_t.shape[0] != N:
        raise ValueError(
            f"x_t has shape {x_t.shape}, h_prev {h_prev.shape}, Wx {Wx.shape}, Wh {Wh.shape}; "
            f"expected x_t: (N, D), h_prev: (N, H), Wx: (D, {k}H), Wh: (H, {k}H)."
        )
    return N, H


def lstm_step(
    x_t: ArrayLike,
    h_prev: ArrayLike,
    c_prev: ArrayLike,
    Wx: ArrayLike,
    Wh: ArrayLike,
    b: ArrayLike,
    p: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step: x_t (N, D), h_prev, c_prev (N, H) -> (h, c), each (N, H). Taught in 3_2.

    Wx: (D, 4H), Wh: (H, 4H), b: (4H,), gates in Keras' order i, f, c, o. p: optional
    peephole weights (3, H) for i, f (which see c_prev) and o (which sees the new c).
    """
    x_t, h_prev, c_prev = _as_float(x_t), _as_float(h_prev), _as_float(c_prev)
    Wx, Wh, b = _as_float(Wx), _as_float(Wh), _as_float(b)
    N, H = _check_step(x_t, h_prev, Wx, Wh, 4)
    if c_prev.shape != (N, H) or b.shape != (4 * H,):
        raise ValueError(
            f"c_prev has shape {c_prev.shape} and b {b.shape}; expected c_prev: {(N, H)}, "
            f"b: {(4 * H,)}."
        )
    a = x_t @ Wx + h_prev @ Wh + b  # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # each (N, H)
    if p is not None:
        p = _as_float(p)
        if p.shape != (3, H):
            raise ValueError(f"p has shape {p.shape}; expected the peephole weights {(3, H)}.")
        a_i, a_f = a_i + p[0] * c_prev, a_f + p[1] * c_prev
    i, f, g = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g)
    c = f * c_prev + i * g  # the cell state: forget a part of the old, add a part of the new
    if p is not None:
        a_o = a_o + p[2] * c
    o = sigmoid(a_o)
    h = o * np.tanh(c)
    return h, c


def gru_step(
    x_t: ArrayLike, h_prev: ArrayLike, Wx: ArrayLike, Wh: ArrayLike, b: ArrayLike
) -> np.ndarray:
    """One GRU step: x_t (N, D), h_prev (N, H) -> h (N, H). Taught in 3_2.

    Wx: (D, 3H), Wh: (H, 3H), gates in Keras' order z, r, h. b: (2, 3H) for Keras' default
    ``reset_after=True`` (input bias, recurrent bias; r multiplies ``h_prev @ Wh_h + b[1]``),
    or (3H,) for ``reset_after=False`` (r multiplies h_prev before the product).
    h = z * h_prev + (1 - z) * h_tilde, as Keras (and Cho et al. 2014) write it.
    """
    x_t, h_prev = _as_float(x_t), _as_float(h_prev)
    Wx, Wh, b = _as_float(Wx), _as_float(Wh), _as_float(b)
    N, H = _check_step(x_t, h_prev, Wx, Wh, 3)
    if b.shape == (2, 3 * H):  # reset_after=True
        ax = x_t @ Wx + b[0]  # (N, 3H)
        ah = h_prev @ Wh + b[1]  # (N, 3H)
        z = sigmoid(ax[:, :H] + ah[:, :H])
        r = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
        h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    elif b.shape == (3 * H,):  # reset_after=False
        ax = x_t @ Wx + b  # (N, 3H)
        zr = sigmoid(ax[:, :2 * H] + h_prev @ Wh[:, :2 * H])  # (N, 2H)
        z, r = zr[:, :H], zr[:, H:]
        h_tilde = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
    else:
        raise ValueError(
            f"b has shape {b.shape}; expected {(2, 3 * H)} (reset_after=True) or {(3 * H,)} "
            "(reset_after=False)."
        )
    return z * h_prev + (1.0 - z) * h_tilde


def param_count(kind: str, D: int, H: int, *, reset_after: bool = True, peephole: bool = False) -> int:
    """Number of weights of one recurrent layer with input width D and H units. Taught in 3_2.

    kind: "simple_rnn" (DH + H² + H), "lstm" (4(DH + H² + H), + 3H with peepholes),
    "gru" (3(DH + H² + 2H) with Keras' default reset_after=True, else 3(DH + H² + H)).
    """
    kind = kind.lower().replace("-", "_")
    if kind in ("simple_rnn", "simplernn", "rnn"):
        return D * H + H * H + H
    if kind == "lstm":
        return 4 * (D * H + H * H + H) + (3 * H if peephole else 0)
    if kind == "gru":
        return 3 * (D * H + H * H + (2 * H if reset_after else H))
    raise ValueError(f"kind is {kind!r}; expected 'simple_rnn', 'lstm' or 'gru'.")


# ------------------------------------------------------------------ layers
def _check_sequence(layer: Any, x: np.ndarray, h0: Any, name: str = "h0") -> tuple[int, int, np.ndarray]:
    """x must be (N, T, D) with D = Wx.shape[0]; h0 None or (N, H). Return (N, T, h0)."""
    Wx = layer.params["Wx"]
    D, H = Wx.shape[0], layer.H
    if x.ndim != 3 or x.shape[2] != D:
        raise ValueError(f"x has shape {x.shape} but Wx has shape {Wx.shape}; expected x: (N, T, {D}).")
    N, T = x.shape[:2]
    if h0 is None:
        return N, T, np.zeros((N, H), dtype=x.dtype)
    h0 = _as_float(h0)
    if h0.shape != (N, H):
        raise ValueError(f"{name} has shape {h0.shape}; expected {(N, H)} for x of shape {x.shape}.")
    return N, T, h0


def _check_dhs(layer: Any, dhs: ArrayLike) -> np.ndarray:
    if layer.x is None:
        raise RuntimeError(f"{type(layer).__name__}.backward called before forward.")
    dhs = _as_float(dhs)
    N, T = layer.x.shape[:2]
    if dhs.shape != (N, T, layer.H):
        raise ValueError(f"dhs has shape {dhs.shape}; expected the shape of hs, {(N, T, layer.H)}.")
    return dhs


def _keras_weights(keras_layer: Any, kind: str) -> list[np.ndarray]:
    """kernel, recurrent_kernel, bias of a built Keras layer, after checking its settings."""
    cfg = keras_layer.get_config()
    if not keras_layer.built:
        raise ValueError(f"the Keras {kind} layer is not built yet: call it on an input first.")
    if cfg.get("activation") != "tanh" or cfg.get("recurrent_activation") != "sigmoid":
        raise ValueError(
            f"the Keras layer uses activation={cfg.get('activation')!r}, "
            f"recurrent_activation={cfg.get('recurrent_activation')!r}; expected 'tanh', 'sigmoid'."
        )
    if not cfg.get("use_bias", True):
        raise ValueError("the Keras layer has use_bias=False; the NumPy layers always have a bias.")
    return [np.array(w, dtype=np.float64) for w in keras_layer.get_weights()]


class LSTM(Layer):
    """LSTM over a whole sequence with BPTT. Wx: (D, 4H), Wh: (H, 4H), b: (4H,). Taught in 3_2.

    Gates in Keras' order (i, f, c, o). ``peephole=True`` adds ``params["p"]`` (3, H),
    zero-initialized: i and f see c_{t-1}, o sees c_t (Gers & Schmidhuber 2000; Keras has
    none). The arrays are kept, not copied. After ``forward``, ``self.gates`` holds the gate
    values (N, T, H) of the sequence: "i", "f", "g" (the candidate), "o", "c".
    """

    def __init__(self, Wx: ArrayLike, Wh: ArrayLike, b: ArrayLike, *, peephole: bool = False) -> None:
        super().__init__()
        Wx, Wh, b = _as_float(Wx), _as_float(Wh), _as_float(b)
        H = Wh.shape[0] if Wh.ndim == 2 else -1
        if Wx.ndim != 2 or Wh.shape != (H, 4 * H) or Wx.shape[1] != 4 * H or b.shape != (4 * H,):
            raise ValueError(
                f"Wx has shape {Wx.shape}, Wh {Wh.shape}, b {b.shape}; "
                "expected Wx: (D, 4H), Wh: (H, 4H), b: (4H,)."
            )
        self.H = H
        self.peephole = peephole
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        if peephole:
            self.params["p"] = np.zeros((3, H), dtype=Wx.dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.x: np.ndarray | None = None
        self.h: np.ndarray | None = None
        self.c: np.ndarray | None = None
        self.gates: dict[str, np.ndarray] = {}

    @classmethod
    def from_keras(cls, keras_layer: Any, *, dtype: Any = np.float64) -> LSTM:
        """A NumPy LSTM with the weights of a built ``keras.layers.LSTM`` (copied)."""
        kernel, recurrent, bias = _keras_weights(keras_layer, "LSTM")
        return cls(kernel.astype(dtype), recurrent.astype(dtype), bias.astype(dtype))

    @classmethod
    def create(cls, D: int, H: int, *, seed: int = 0, peephole: bool = False) -> LSTM:
        """Random weights as Keras initializes them (Glorot-uniform Wx, orthogonal Wh, forget bias 1)."""
        Wx, Wh = keras_init(D, H, 4, seed)
        b = np.zeros(4 * H)
        b[H:2 * H] = 1.0  # unit_forget_bias
        return cls(Wx, Wh, b, peephole=peephole)

    def forward(self, x: ArrayLike, h0: ArrayLike | None = None, c0: ArrayLike | None = None) -> np.ndarray:
        """x: (N, T, D), h0, c0: (N, H) or zeros -> hs: (N, T, H); sets self.h, self.c."""
        x = _as_float(x)
        N, T, h = _check_sequence(self, x, h0)
        _, _, c = _check_sequence(self, x, c0, "c0")
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        p = self.params.get("p")
        H = self.H
        a_x = x @ Wx + b  # (N, T, 4H): the input part of every step at once
        names = ("i", "f", "g", "o", "c", "tanh_c", "h_prev", "c_prev")
        cache = {k: np.empty((N, T, H), dtype=x.dtype) for k in names}
        for t in range(T):
            cache["h_prev"][:, t], cache["c_prev"][:, t] = h, c
            a = a_x[:, t] + h @ Wh  # (N, 4H)
            a_i, a_f, a_g, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            if p is not None:
                a_i, a_f = a_i + p[0] * c, a_f + p[1] * c
            i, f, g = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g)
            c = f * c + i * g
            if p is not None:
                a_o = a_o + p[2] * c
            o = sigmoid(a_o)
            tanh_c = np.tanh(c)
            h = o * tanh_c
            for k, v in (("i", i), ("f", f), ("g", g), ("o", o), ("c", c), ("tanh_c", tanh_c)):
                cache[k][:, t] = v
        self.x, self.cache, self.h, self.c = x, cache, h, c
        self.gates = {k: cache[k] for k in ("i", "f", "g", "o", "c")}
        return cache["o"] * cache["tanh_c"]

    def backward(self, dhs: ArrayLike) -> np.ndarray:
        """dhs: (N, T, H) -> dx: (N, T, D); fills grads, sets self.dh0 and self.dc0 (N, H)."""
        dhs = _check_dhs(self, dhs)
        x, cache = self.x, self.cache
        assert x is not None
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        p = self.params.get("p")
        N, T, _ = x.shape
        H = self.H
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        dx = np.empty_like(x)
        dh = np.zeros((N, H), dtype=x.dtype)  # ∂L/∂h_t from step t + 1
        dc = np.zeros((N, H), dtype=x.dtype)  # ∂L/∂c_t from step t + 1
        for t in reversed(range(T)):
            i, f, g, o = (cache[k][:, t] for k in ("i", "f", "g", "o"))
            c, tanh_c, h_prev, c_prev = (cache[k][:, t] for k in ("c", "tanh_c", "h_prev", "c_prev"))
            dh = dh + dhs[:, t]
            da_o = dh * tanh_c * o * (1 - o)
            dc = dc + dh * o * (1 - tanh_c**2)
            if p is not None:
                dc = dc + da_o * p[2]
                grads["p"][2] += (da_o * c).sum(axis=0)
            da_i = dc * g * i * (1 - i)
            da_f = dc * c_prev * f * (1 - f)
            da_g = dc * i * (1 - g**2)
            dc = dc * f  # ∂L/∂c_{t-1}
            if p is not None:
                dc = dc + da_i * p[0] + da_f * p[1]
                grads["p"][0] += (da_i * c_prev).sum(axis=0)
                grads["p"][1] += (da_f * c_prev).sum(axis=0)
            da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
            grads["Wx"] += x[:, t].T @ da
            grads["Wh"] += h_prev.T @ da
            grads["b"] += da.sum(axis=0)
            dx[:, t] = da @ Wx.T
            dh = da @ Wh.T  # ∂L/∂h_{t-1}
        self.grads, self.dh0, self.dc0 = grads, dh, dc
        return dx

    def __repr__(self) -> str:
        extra = ", peephole=True" if self.peephole else ""
        return f"LSTM({self.params['Wx'].shape[0]}, {self.H}{extra})"


class GRU(Layer):
    """GRU over a whole sequence with BPTT. Wx: (D, 3H), Wh: (H, 3H). Taught in 3_2.

    Gates in Keras' order (z, r, h); h_t = z * h_{t-1} + (1 - z) * h̃_t. b: (2, 3H) with
    ``reset_after=True`` (Keras' default), (3H,) with ``reset_after=False``; the shape of b
    decides. The arrays are kept, not copied. After ``forward``, ``self.gates`` holds "z",
    "r" and "h_tilde", each (N, T, H).
    """

    def __init__(self, Wx: ArrayLike, Wh: ArrayLike, b: ArrayLike) -> None:
        super().__init__()
        Wx, Wh, b = _as_float(Wx), _as_float(Wh), _as_float(b)
        H = Wh.shape[0] if Wh.ndim == 2 else -1
        if Wx.ndim != 2 or Wh.shape != (H, 3 * H) or Wx.shape[1] != 3 * H or b.shape not in (
            (2, 3 * H), (3 * H,)
        ):
            raise ValueError(
                f"Wx has shape {Wx.shape}, Wh {Wh.shape}, b {b.shape}; expected Wx: (D, 3H), "
                "Wh: (H, 3H), b: (2, 3H) (reset_after=True) or (3H,) (reset_after=False)."
            )
        self.H = H
        self.reset_after = b.ndim == 2
        self.params = {"Wx": Wx, "Wh": Wh, "b": b}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.x: np.ndarray | None = None
        self.h: np.ndarray | None = None
        self.gates: dict[str, np.ndarray] = {}

    @classmethod
    def from_keras(cls, keras_layer: Any, *, dtype: Any = np.float64) -> GRU:
        """A NumPy GRU with the weights of a built ``keras.layers.GRU`` (copied), either reset_after."""
        kernel, recurrent, bias = _keras_weights(keras_layer, "GRU")
        return cls(kernel.astype(dtype), recurrent.astype(dtype), bias.astype(dtype))

    @classmethod
    def create(cls, D: int, H: int, *, seed: int = 0, reset_after: bool = True) -> GRU:
        """Random weights as Keras initializes them (Glorot-uniform Wx, orthogonal Wh, zero bias)."""
        Wx, Wh = keras_init(D, H, 3, seed)
        return cls(Wx, Wh, np.zeros((2, 3 * H)) if reset_after else np.zeros(3 * H))

    def forward(self, x: ArrayLike, h0: ArrayLike | None = None) -> np.ndarray:
        """x: (N, T, D), h0: (N, H) or zeros -> hs: (N, T, H); sets self.h."""
        x = _as_float(x)
        N, T, h = _check_sequence(self, x, h0)
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        H = self.H
        a_x = x @ Wx + (b[0] if self.reset_after else b)  # (N, T, 3H)
        names = ("z", "r", "h_tilde", "h_prev", "a_hh")
        cache = {k: np.empty((N, T, H), dtype=x.dtype) for k in names}
        hs = np.empty((N, T, H), dtype=x.dtype)
        for t in range(T):
            ax = a_x[:, t]
            cache["h_prev"][:, t] = h
            if self.reset_after:
                ah = h @ Wh + b[1]  # (N, 3H)
                zr = sigmoid(ax[:, :2 * H] + ah[:, :2 * H])
                z, r = zr[:, :H], zr[:, H:]
                a_hh = ah[:, 2 * H:]  # what r multiplies: h_prev @ Wh_h + b_h
                h_tilde = np.tanh(ax[:, 2 * H:] + r * a_hh)
            else:
                zr = sigmoid(ax[:, :2 * H] + h @ Wh[:, :2 * H])
                z, r = zr[:, :H], zr[:, H:]
                a_hh = r * h  # what multiplies Wh_h
                h_tilde = np.tanh(ax[:, 2 * H:] + a_hh @ Wh[:, 2 * H:])
            h = z * h + (1 - z) * h_tilde
            for k, v in (("z", z), ("r", r), ("h_tilde", h_tilde), ("a_hh", a_hh)):
                cache[k][:, t] = v
            hs[:, t] = h
        self.x, self.cache, self.h = x, cache, h
        self.gates = {k: cache[k] for k in ("z", "r", "h_tilde")}
        return hs

    def backward(self, dhs: ArrayLike) -> np.ndarray:
        """dhs: (N, T, H) -> dx: (N, T, D); fills grads, sets self.dh0 (N, H)."""
        dhs = _check_dhs(self, dhs)
        x, cache = self.x, self.cache
        assert x is not None
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        N, T, _ = x.shape
        H = self.H
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        dx = np.empty_like(x)
        dh = np.zeros((N, H), dtype=x.dtype)
        for t in reversed(range(T)):
            z, r, h_tilde, h_prev, a_hh = (cache[k][:, t] for k in ("z", "r", "h_tilde", "h_prev", "a_hh"))
            dh = dh + dhs[:, t]
            da_z = dh * (h_prev - h_tilde) * z * (1 - z)
            da_h = dh * (1 - z) * (1 - h_tilde**2)  # ∂L/∂(pre-activation of h̃)
            dh_prev = dh * z
            if self.reset_after:
                da_r = da_h * a_hh * r * (1 - r)
                dah = np.concatenate([da_z, da_r, da_h * r], axis=1)  # ∂L/∂(h_prev @ Wh + b[1])
                grads["Wh"] += h_prev.T @ dah
                grads["b"][1] += dah.sum(axis=0)
                dh_prev = dh_prev + dah @ Wh.T
            else:
                d_rh = da_h @ Wh[:, 2 * H:].T  # ∂L/∂(r * h_prev)
                da_r = d_rh * h_prev * r * (1 - r)
                dzr = np.concatenate([da_z, da_r], axis=1)  # (N, 2H)
                grads["Wh"][:, :2 * H] += h_prev.T @ dzr
                grads["Wh"][:, 2 * H:] += a_hh.T @ da_h
                dh_prev = dh_prev + d_rh * r + dzr @ Wh[:, :2 * H].T
            dax = np.concatenate([da_z, da_r, da_h], axis=1)  # (N, 3H)
            grads["Wx"] += x[:, t].T @ dax
            if self.reset_after:
                grads["b"][0] += dax.sum(axis=0)
            else:
                grads["b"] += dax.sum(axis=0)
            dx[:, t] = dax @ Wx.T
            dh = dh_prev
        self.grads, self.dh0 = grads, dh
        return dx

    def __repr__(self) -> str:
        return f"GRU({self.params['Wx'].shape[0]}, {self.H}, reset_after={self.reset_after})"


def keras_init(D: int, H: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Keras' default initial weights of a recurrent layer with k blocks. Taught in 3_2.

    Returns Wx: (D, kH), Glorot-uniform, and Wh: (H, kH) with orthonormal rows (k = 1 SimpleRNN,
    3 GRU, 4 LSTM). The biases (zeros; ones in the LSTM's forget block) are set by ``create``.
    """
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6.0 / (D + k * H))
    Wx = rng.uniform(-limit, limit, size=(D, k * H))
    q, r = np.linalg.qr(rng.standard_normal((k * H, H)))  # (kH, H) with orthonormal columns
    Wh = (q * np.sign(np.diag(r))).T  # (H, kH), orthogonal rows
    return Wx, Wh
