"""word2vec in NumPy: skip-gram pairs, CBOW windows, subsampling, negative sampling, SGNS.

The skip-gram model with negative sampling (SGNS, Mikolov et al. 2013) learns two matrices:
``W_in`` (V, d), the word vectors v (the "embedding" one keeps), and ``W_out`` (V, d), the
context vectors u. For one (center c, context o) pair and K negative words n_1..n_K drawn from
the unigram distribution raised to 3/4, the loss is

    E = -log σ(u_o · v_c) - Σ_k log σ(-u_{n_k} · v_c).

Every function takes token ids (ints in ``[0, V)``). Taught in 3_5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "NegativeSampler",
    "SkipGramNS",
    "cbow_windows",
    "cosine_similarity",
    "keras_sgns_model",
    "nearest",
    "sgns_keras_loss",
    "skipgram_pairs",
    "subsample",
    "subsample_keep_prob",
]

_NORM_EPS = 1e-12  # a zero vector is divided by this instead of 0: its cosine with anything is 0


def _documents(docs: Any) -> list[np.ndarray]:
    """One sequence of ids, or a list of sequences, as a list of 1-D int64 arrays."""
    if isinstance(docs, np.ndarray) and docs.dtype != object:
        if docs.ndim == 1:
            return [docs.astype(np.int64)]
        if docs.ndim == 2:
            return [row.astype(np.int64) for row in docs]
        raise ValueError(f"docs has shape {docs.shape}; expected (T,) or a list of (T_i,) sequences.")
    docs = list(docs)
    if all(np.ndim(d) == 0 for d in docs):  # one flat sequence of ids
        return [np.asarray(docs, dtype=np.int64).reshape(-1)]
    out = []
    for i, d in enumerate(docs):
        a = np.asarray(d, dtype=np.int64)
        if a.ndim != 1:
            raise ValueError(f"document {i} has shape {a.shape}; expected a 1-D sequence of ids.")
        out.append(a)
    return out


def skipgram_pairs(
    docs: Any, window: int, *, rng: np.random.Generator | None = None
) -> np.ndarray:
    """(center, context) pairs of every position and every neighbour within ``window``.

    docs: one sequence of ids (T,), or a list of documents (T_i,); pairs never cross a document
    boundary. Returns int64 (P, 2), ordered by document, center position, then context position;
    each center is paired with up to 2·window words, never with itself, so a document of
    T > window words gives P = 2·window·T − window·(window + 1) pairs.
    rng: when given, each center uses a window b drawn uniformly from 1..window (word2vec's
    "dynamic window", which weights near words more). Taught in 3_5.
    """
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}.")
    window = int(window)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2w,)
    chunks = []
    for doc in _documents(docs):
        T = doc.size
        if T < 2:
            continue
        pos = np.arange(T)[:, None] + offsets[None, :]  # (T, 2w) context positions
        valid = (pos >= 0) & (pos < T)
        if rng is not None:
            b = rng.integers(1, window + 1, size=T)  # (T,) reduced window of each center
            valid &= np.abs(offsets)[None, :] <= b[:, None]
        centers = np.broadcast_to(doc[:, None], pos.shape)[valid]
        contexts = doc[np.clip(pos, 0, T - 1)][valid]
        chunks.append(np.stack([centers, contexts], axis=1))
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(chunks).astype(np.int64)


def cbow_windows(docs: Any, window: int) -> tuple[np.ndarray, np.ndarray]:
    """CBOW training examples: (contexts (P, 2·window), centers (P,)).

    Only positions with ``window`` words on both sides inside their document are used, so every
    row has 2·window context ids (left to right, the center left out). Taught in 3_5.
    """
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}.")
    window = int(window)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    ctx, cen = [], []
    for doc in _documents(docs):
        T = doc.size
        if T < 2 * window + 1:
            continue
        centers = np.arange(window, T - window)  # (P,)
        ctx.append(doc[centers[:, None] + offsets[None, :]])  # (P, 2w)
        cen.append(doc[centers])
    if not ctx:
        return np.zeros((0, 2 * window), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(ctx).astype(np.int64), np.concatenate(cen).astype(np.int64)


def cosine_similarity(a: ArrayLike, b: ArrayLike) -> np.ndarray | float:
    """cos(a, b) = a·b / (‖a‖ ‖b‖) along the last axis.

    a: (d,) or (n, d); b: (d,) or (m, d) -> a float for two vectors, (m,) or (n,) for a vector
    and a matrix, (n, m) for two matrices (every row of a against every row of b).
    A zero vector has cosine 0 with everything (its norm is replaced by 1e-12, as
    ``tf.math.l2_normalize`` does), never NaN. Taught in 3_5.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim not in (1, 2) or b.ndim not in (1, 2) or a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a has shape {a.shape} and b has shape {b.shape}; expected (d,) or (n, d) and "
            "(d,) or (m, d) with the same d."
        )
    a_n = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), _NORM_EPS)
    b_n = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), _NORM_EPS)
    out = a_n @ b_n.T
    return float(out) if out.ndim == 0 else out


def nearest(
    word_vectors: ArrayLike,
    query: int | ArrayLike,
    k: int = 10,
    *,
    exclude: Sequence[int] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """The k words most cosine-similar to ``query``: (ids (k,), similarities (k,)), best first.

    word_vectors: (V, d). query: a word id (the word itself is excluded) or a vector (d,).
    exclude: more ids to leave out (e.g. the words of an analogy). Taught in 3_5.
    """
    W = np.asarray(word_vectors, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"word_vectors has shape {W.shape}; expected (V, d).")
    skip = list(exclude)
    if np.ndim(query) == 0:
        q = W[int(query)]  # type: ignore[arg-type]
        skip.append(int(query))  # type: ignore[arg-type]
    else:
        q = np.asarray(query, dtype=np.float64)
        if q.shape != (W.shape[1],):
            raise ValueError(f"query has shape {q.shape}; expected a word id or ({W.shape[1]},).")
    sims = np.asarray(cosine_similarity(W, q))  # (V,)
    if skip:
        sims[np.asarray(skip, dtype=np.int64)] = -np.inf
    k = min(int(k), W.shape[0] - len(set(skip)))
    top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
    top = top[np.argsort(-sims[top], kind="stable")]
    return top.astype(np.int64), sims[top]


def subsample_keep_prob(counts: ArrayLike, t: float = 1e-4, variant: str = "paper") -> np.ndarray:
    """Probability of keeping each occurrence of a word, from its count: (V,) -> (V,).

    With f = count / total: ``"paper"`` keeps with min(1, sqrt(t / f)) (Mikolov et al. 2013,
    "discard with 1 − sqrt(t/f)"); ``"code"`` uses word2vec.c's min(1, sqrt(t/f) + t/f),
    which keeps a little more. Words with f ≤ t are always kept. Taught in 3_5.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1:
        raise ValueError(f"counts has shape {c.shape}; expected (V,).")
    f = c / max(c.sum(), 1.0)
    with np.errstate(divide="ignore"):
        ratio = np.where(f > 0, t / np.where(f > 0, f, 1.0), np.inf)
    if variant == "paper":
        keep = np.sqrt(ratio)
    elif variant == "code":
        keep = np.sqrt(ratio) + ratio
    else:
        raise ValueError(f"variant must be 'paper' or 'code', not {variant!r}.")
    return np.minimum(keep, 1.0)


def subsample(docs: Any, keep_prob: ArrayLike, rng: np.random.Generator) -> list[np.ndarray]:
    """Drop each occurrence of word w with probability 1 − keep_prob[w]; a list of documents.

    docs: as for :func:`skipgram_pairs`. The remaining words close up, so windows then reach
    further. Taught in 3_5.
    """
    p = np.asarray(keep_prob, dtype=np.float64)
    return [d[rng.random(d.size) < p[d]] for d in _documents(docs)]


class NegativeSampler:
    """Draws negative words from P(w) ∝ count(w)^power (power 3/4 in word2vec). Taught in 3_5.

    counts: (V,) word counts. ``sample(shape)`` returns int64 ids of that shape, drawn with
    replacement by inverse-CDF sampling (exact probabilities ``self.p``).
    """

    def __init__(self, counts: ArrayLike, power: float = 0.75, seed: int = 0) -> None:
        c = np.asarray(counts, dtype=np.float64)
        if c.ndim != 1 or c.size == 0 or (c < 0).any() or c.sum() <= 0:
            raise ValueError(f"counts has shape {c.shape}; expected (V,) non-negative, not all 0.")
        w = c**power
        self.p = w / w.sum()  # (V,)
        self.cdf = np.cumsum(self.p)
        self.cdf[-1] = 1.0
        self.rng = np.random.default_rng(seed)

    def sample(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Negative ids of the given shape, e.g. (B, K)."""
        u = self.rng.random(shape)
        ids = np.searchsorted(self.cdf, u, side="right")
        return np.minimum(ids, self.p.size - 1).astype(np.int64)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) without overflow: −log(1 + e^{−x})."""
    return -np.logaddexp(0.0, -x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


class SkipGramNS:
    """Skip-gram with negative sampling: params ``W_in`` (V, d) (v, word vectors) and ``W_out``.

    ``forward(centers (B,), contexts (B,), negatives (B, K))`` returns the batch mean of
    E = −log σ(u_o·v_c) − Σ_k log σ(−u_{n_k}·v_c); ``backward()`` fills ``grads`` (dense, same
    keys as ``params``) with the gradient of that mean; ``train_step`` does forward, backward
    and a sparse SGD update of only the rows involved. Initialization as in word2vec.c:
    ``W_in`` uniform in ±0.5/d, ``W_out`` zeros. Taught in 3_5.
    """

    def __init__(self, vocab_size: int, dim: int, seed: int = 0, dtype: Any = np.float32) -> None:
        rng = np.random.default_rng(seed)
        self.params = {
            "W_in": ((rng.random((vocab_size, dim)) - 0.5) / dim).astype(dtype),
            "W_out": np.zeros((vocab_size, dim), dtype=dtype),
        }
        self.grads: dict[str, np.ndarray] = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache: tuple[np.ndarray, ...] | None = None

    @classmethod
    def from_weights(cls, W_in: ArrayLike, W_out: ArrayLike) -> SkipGramNS:
        """A model holding copies of the given matrices (V, d) each, in their dtype."""
        W_in, W_out = np.array(W_in), np.array(W_out)
        if W_in.ndim != 2 or W_in.shape != W_out.shape:
            raise ValueError(f"W_in has shape {W_in.shape} and W_out {W_out.shape}; expected two (V, d).")
        model = cls(W_in.shape[0], W_in.shape[1], dtype=W_in.dtype)
        model.params = {"W_in": W_in, "W_out": W_out}
        model.grads = {k: np.zeros_like(v) for k, v in model.params.items()}
        return model

    def _check(self, centers: np.ndarray, contexts: np.ndarray, negatives: np.ndarray) -> None:
        B = centers.shape[0]
        if centers.ndim != 1 or contexts.shape != (B,) or negatives.ndim != 2 or negatives.shape[0] != B:
            raise ValueError(
                f"centers has shape {centers.shape}, contexts {contexts.shape}, negatives "
                f"{negatives.shape}; expected (B,), (B,) and (B, K)."
            )

    def scores(self, centers: ArrayLike, contexts: ArrayLike, negatives: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(s_pos (B,) = u_o·v_c, s_neg (B, K) = u_{n_k}·v_c)."""
        c, o, n = (np.asarray(a, dtype=np.int64) for a in (centers, contexts, negatives))
        self._check(c, o, n)
        v = self.params["W_in"][c]  # (B, d)
        u_o = self.params["W_out"][o]  # (B, d)
        u_n = self.params["W_out"][n]  # (B, K, d)
        return np.einsum("bd,bd->b", u_o, v), np.einsum("bkd,bd->bk", u_n, v)

    def forward(self, centers: ArrayLike, contexts: ArrayLike, negatives: ArrayLike) -> float:
        """Mean SGNS loss of a batch: centers (B,), contexts (B,), negatives (B, K) -> float."""
        c, o, n = (np.asarray(a, dtype=np.int64) for a in (centers, contexts, negatives))
        s_pos, s_neg = self.scores(c, o, n)
        self._cache = (c, o, n, s_pos, s_neg)
        losses = -_log_sigmoid(s_pos) - _log_sigmoid(-s_neg).sum(axis=1)  # (B,)
        return float(losses.mean())

    def _row_grads(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-example gradients of the *summed* loss: dv (B, d), du_o (B, d), du_n (B, K, d)."""
        if self._cache is None:
            raise RuntimeError("SkipGramNS.backward called before forward.")
        c, o, n, s_pos, s_neg = self._cache
        v = self.params["W_in"][c]  # (B, d)
        u_o = self.params["W_out"][o]  # (B, d)
        u_n = self.params["W_out"][n]  # (B, K, d)
        g_pos = _sigmoid(s_pos) - 1.0  # (B,)   dE/ds_pos = σ(s) − 1
        g_neg = _sigmoid(s_neg)  # (B, K)          dE/ds_neg = σ(s)
        dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_n)  # (B, d)
        du_o = g_pos[:, None] * v  # (B, d)
        du_n = g_neg[:, :, None] * v[:, None, :]  # (B, K, d)
        return dv, du_o, du_n

    def backward(self) -> dict[str, np.ndarray]:
        """Dense gradients of the mean loss: {"W_in": (V, d), "W_out": (V, d)} (also in ``grads``)."""
        c, o, n = self._cache[:3] if self._cache is not None else (None, None, None)
        dv, du_o, du_n = self._row_grads()
        B, d = dv.shape
        dW_in = np.zeros_like(self.params["W_in"])
        dW_out = np.zeros_like(self.params["W_out"])
        np.add.at(dW_in, c, dv / B)  # a word used several times sums its gradients
        np.add.at(dW_out, o, du_o / B)
        np.add.at(dW_out, n.reshape(-1), du_n.reshape(-1, d) / B)
        self.grads = {"W_in": dW_in, "W_out": dW_out}
        return self.grads

    def train_step(
        self, centers: ArrayLike, contexts: ArrayLike, negatives: ArrayLike, lr: float
    ) -> float:
        """One sparse SGD step; returns the batch's mean loss before the step.

        lr is per pair, as in word2vec.c: every pair moves its rows by lr × its own gradient
        (the gradient of the summed loss), so lr does not depend on the batch size.
        """
        loss = self.forward(centers, contexts, negatives)
        c, o, n = self._cache[:3]  # type: ignore[index]
        dv, du_o, du_n = self._row_grads()
        d = dv.shape[1]
        W_in, W_out = self.params["W_in"], self.params["W_out"]
        np.add.at(W_in, c, (-lr * dv).astype(W_in.dtype))
        np.add.at(W_out, o, (-lr * du_o).astype(W_out.dtype))
        np.add.at(W_out, n.reshape(-1), (-lr * du_n.reshape(-1, d)).astype(W_out.dtype))
        return loss


def keras_sgns_model(vocab_size: int, dim: int, num_negatives: int, seed: int = 0) -> Any:
    """The same SGNS as a Keras model: inputs centers (B,) and targets (B, 1 + K) -> scores (B, 1 + K).

    targets[:, 0] is the true context, targets[:, 1:] the negatives; the scores are u·v, and
    :func:`sgns_keras_loss` turns them into E. Embedding "w_in" holds the word vectors v
    (uniform ±0.5/d), "w_out" the context vectors u (zeros), as in :class:`SkipGramNS`.
    Imports Keras. Taught in 3_5.
    """
    import keras

    centers = keras.Input(shape=(), dtype="int32", name="centers")
    targets = keras.Input(shape=(1 + num_negatives,), dtype="int32", name="targets")
    init = keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim, seed=seed)
    v = keras.layers.Embedding(vocab_size, dim, embeddings_initializer=init, name="w_in")(centers)
    u = keras.layers.Embedding(vocab_size, dim, embeddings_initializer="zeros", name="w_out")(targets)
    scores = keras.layers.Dot(axes=(2, 1), name="scores")([u, v])  # (B, 1 + K, d)·(B, d) -> (B, 1 + K)
    return keras.Model([centers, targets], scores, name="skipgram_ns")


def sgns_keras_loss(labels: Any, scores: Any) -> Any:
    """Per-pair SGNS loss in Keras ops: labels (B, 1 + K) = [1, 0, …, 0], scores (B, 1 + K) -> (B,).

    −log σ(s) for the label 1 and −log σ(−s) for the labels 0, summed over the 1 + K columns:
    softplus(−s) and softplus(s). Taught in 3_5.
    """
    from keras import ops

    sign = 2.0 * ops.cast(labels, scores.dtype) - 1.0  # +1 for the context, −1 for a negative
    return ops.sum(ops.softplus(-sign * scores), axis=-1)
