"""Attention in NumPy: (scaled) dot-product (Luong) and additive (Bahdanau) attention.

Every function takes a batch of queries and a batch of keys/values and returns
``(context, weights)``:

- ``query`` (N, Tq, dq): what each output step is looking for (a decoder state);
- ``key`` (N, Tk, dk): what each input position offers to be matched against;
- ``value`` (N, Tk, dv): what each input position hands over (often the key itself);
- ``mask`` (N, Tk) or (N, Tq, Tk), boolean, True where a query may attend (False: padding);
- ``weights`` (N, Tq, Tk): for every query a probability distribution over the keys (the
  softmax of the alignment scores, 0 at masked positions);
- ``context`` (N, Tq, dv) = weights @ value: the weighted average of the values.

:func:`dot_product_attention` scores with ``q · k`` times a scale (``1 / sqrt(d)`` by default,
1 for Luong's plain dot product; ``keras.layers.Attention`` multiplies by a learned scalar
instead). :func:`additive_attention` scores with ``v · tanh(q W_q + k W_k)``;
``keras.layers.AdditiveAttention`` computes the same on already projected queries and keys.
Taught in 3_6.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "additive_attention",
    "additive_scores",
    "dot_product_attention",
    "dot_product_attention_backward",
    "masked_softmax",
]


def _as3d(a: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f"{name} must be a batch (N, T, d), got shape {a.shape}")
    return a


def _inputs(query: ArrayLike, key: ArrayLike, value: ArrayLike | None) -> tuple[np.ndarray, ...]:
    q, k = _as3d(query, "query"), _as3d(key, "key")
    v = k if value is None else _as3d(value, "value")
    if q.shape[0] != k.shape[0] or k.shape[:2] != v.shape[:2]:
        raise ValueError(f"query {q.shape}, key {k.shape} and value {v.shape}: the batch sizes N must "
                         "agree, and key and value need the same number of positions Tk")
    return q, k, v


def _mask(mask: ArrayLike | None, shape: tuple[int, int, int]) -> np.ndarray | None:
    """mask (N, Tk) or (N, Tq, Tk) -> boolean (N, Tq, Tk) (or None)."""
    if mask is None:
        return None
    m = np.asarray(mask)
    N, Tq, Tk = shape
    if m.shape == (N, Tk):
        m = m[:, None, :]                                # (N, 1, Tk): the same for every query
    elif m.shape != (N, Tq, Tk):
        raise ValueError(f"mask has shape {m.shape}; expected (N, Tk) = {(N, Tk)} or "
                         f"(N, Tq, Tk) = {(N, Tq, Tk)}")
    return np.broadcast_to(m.astype(bool), shape)


def masked_softmax(scores: ArrayLike, mask: ArrayLike | None = None) -> np.ndarray:
    """Softmax over the last axis of scores (N, Tq, Tk), exactly 0 where ``mask`` is False. Taught in 3_6.

    Numerically stable (the largest unmasked score of each row is subtracted). A row whose keys
    are all masked has no distribution: ValueError.
    """
    s = _as3d(scores, "scores")
    m = _mask(mask, s.shape)
    if m is not None:
        if not m.any(axis=-1).all():
            raise ValueError("mask: some query has every key masked; each row needs at least one "
                             "True position to attend to")
        s = np.where(m, s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))        # exp(-inf) = 0 at masked keys
    return e / e.sum(axis=-1, keepdims=True)


def dot_product_attention(query: ArrayLike, key: ArrayLike, value: ArrayLike | None = None,
                          mask: ArrayLike | None = None, scale: float | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention: (N, Tq, d), (N, Tk, d), (N, Tk, dv) -> (context (N, Tq, dv), weights (N, Tq, Tk)).

    scores = scale · q kᵀ with ``scale = 1 / sqrt(d)`` by default (pass ``scale=1.0`` for Luong's
    unscaled dot product); weights = softmax(scores) over the keys (0 where ``mask`` is False);
    context = weights @ value. ``value`` defaults to ``key``. Taught in 3_6.
    """
    q, k, v = _inputs(query, key, value)
    if q.shape[2] != k.shape[2]:
        raise ValueError(f"query {q.shape} and key {k.shape}: the dot product needs the same "
                         "feature size d")
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[2])
    scores = scale * (q @ k.transpose(0, 2, 1))          # (N, Tq, d) @ (N, d, Tk) -> (N, Tq, Tk)
    weights = masked_softmax(scores, mask)               # (N, Tq, Tk)
    return weights @ v, weights                          # (N, Tq, dv), (N, Tq, Tk)


def dot_product_attention_backward(dcontext: ArrayLike, query: ArrayLike, key: ArrayLike,
                                   value: ArrayLike | None = None, mask: ArrayLike | None = None,
                                   scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (dquery, dkey, dvalue) of sum(context * dcontext); dcontext: (N, Tq, dv). Taught in 3_6.

    With S = scale · Q Kᵀ, A = softmax(S), C = A V (the forward pass is recomputed):
    dV = Aᵀ dC, dA = dC Vᵀ, dS = A ⊙ (dA − Σ_k dA ⊙ A) (the softmax's Jacobian, 0 at masked
    keys), dQ = scale · dS K, dK = scale · dSᵀ Q. ``value`` None: the keys are the values, and
    dkey then holds both contributions (dvalue is returned as well, equal to its share).
    """
    q, k, v = _inputs(query, key, value)
    dC = np.asarray(dcontext, dtype=np.float64)
    if dC.shape != (q.shape[0], q.shape[1], v.shape[2]):
        raise ValueError(f"dcontext has shape {dC.shape}; expected the context's (N, Tq, dv) = "
                         f"{(q.shape[0], q.shape[1], v.shape[2])}")
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[2])
    _, A = dot_product_attention(q, k, v, mask=mask, scale=scale)  # (N, Tq, Tk)
    dV = A.transpose(0, 2, 1) @ dC                                 # (N, Tk, dv)
    dA = dC @ v.transpose(0, 2, 1)                                 # (N, Tq, Tk)
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))         # (N, Tq, Tk)
    dQ = scale * dS @ k                                            # (N, Tq, d)
    dK = scale * dS.transpose(0, 2, 1) @ q                         # (N, Tk, d)
    if value is None:
        dK = dK + dV
    return dQ, dK, dV


def additive_scores(query: ArrayLike, key: ArrayLike, W_q: ArrayLike, W_k: ArrayLike,
                    v: ArrayLike) -> np.ndarray:
    """Bahdanau's alignment scores v · tanh(q W_q + k W_k): (N, Tq, dq), (N, Tk, dk) -> (N, Tq, Tk). Taught in 3_6.

    W_q: (dq, A), W_k: (dk, A), v: (A,), for an attention size A.
    """
    q, k = _as3d(query, "query"), _as3d(key, "key")
    W_q, W_k, v = (np.asarray(a, dtype=np.float64) for a in (W_q, W_k, v))
    A = v.shape[0] if v.ndim == 1 else -1
    if W_q.shape != (q.shape[2], A) or W_k.shape != (k.shape[2], A) or v.ndim != 1:
        raise ValueError(f"additive attention: query (N, Tq, dq) {q.shape}, key (N, Tk, dk) {k.shape} "
                         f"need W_q (dq, A), W_k (dk, A), v (A,); got W_q {W_q.shape}, W_k {W_k.shape}, "
                         f"v {v.shape}")
    if q.shape[0] != k.shape[0]:
        raise ValueError(f"query {q.shape} and key {k.shape} have different batch sizes")
    pq = (q @ W_q)[:, :, None, :]                        # (N, Tq, 1, A)
    pk = (k @ W_k)[:, None, :, :]                        # (N, 1, Tk, A)
    return np.tanh(pq + pk) @ v                          # (N, Tq, Tk, A) @ (A,) -> (N, Tq, Tk)


def additive_attention(query: ArrayLike, key: ArrayLike, value: ArrayLike | None, W_q: ArrayLike,
                       W_k: ArrayLike, v: ArrayLike, mask: ArrayLike | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Additive (Bahdanau) attention -> (context (N, Tq, dv), weights (N, Tq, Tk)). Taught in 3_6.

    scores = v · tanh(q W_q + k W_k) (see :func:`additive_scores`), weights = their softmax
    over the keys (0 where ``mask`` is False), context = weights @ value (``value`` None: the keys).
    """
    q, k, val = _inputs(query, key, value)
    weights = masked_softmax(additive_scores(q, k, W_q, W_k, v), mask)  # (N, Tq, Tk)
    return weights @ val, weights
