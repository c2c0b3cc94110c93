"""The Transformer: NumPy attention pieces and Keras 3 encoder / decoder layers. Taught in 4_6.

NumPy (float64; the references of the 4_6 exercises, tested against Keras):

- :func:`scaled_dot_product_attention` ``(..., Tq, d), (..., Tk, d), (..., Tk, dv)`` ->
  ``(context (..., Tq, dv), weights (..., Tq, Tk))``, any number of leading axes (batch, heads),
  built on :func:`utils.nn.attention.dot_product_attention` of 3_6;
- :func:`multi_head_attention` with the weights of a ``keras.layers.MultiHeadAttention``
  (``layer.get_weights()``: query, key, value kernels ``(d_model, H, d_k)`` and biases
  ``(H, d_k)``, output kernel ``(H, d_k, d_model)`` and bias ``(d_model,)``);
- :func:`positional_encoding` (sinusoidal), :func:`causal_mask`, :func:`padding_mask`.

Keras (imported when a layer is built): :func:`token_and_position_embedding`,
:func:`transformer_encoder`, :func:`transformer_decoder` return layer instances (the classes
are created on first use, so ``import utils.transformer`` stays light);
:func:`build_imdb_classifier` and :func:`build_date_transformer` the lesson's two models, and
:func:`greedy_decode` decodes with the latter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from utils.nn.attention import dot_product_attention

__all__ = [
    "build_date_transformer",
    "build_imdb_classifier",
    "causal_mask",
    "greedy_decode",
    "multi_head_attention",
    "padding_mask",
    "positional_encoding",
    "scaled_dot_product_attention",
    "token_and_position_embedding",
    "transformer_decoder",
    "transformer_encoder",
]

_CLASSES: dict[str, type] = {}


# ------------------------------------------------------------------ NumPy pieces
def scaled_dot_product_attention(query: ArrayLike, key: ArrayLike, value: ArrayLike,
                                 mask: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """softmax(Q Kᵀ / sqrt(d_k)) V over the last two axes. Taught in 4_6.

    query ``(..., Tq, d_k)``, key ``(..., Tk, d_k)``, value ``(..., Tk, d_v)`` with the same
    leading axes (e.g. ``(N, H)``); ``mask`` broadcastable to ``(..., Tq, Tk)``, True where a
    query may attend. Returns ``(context (..., Tq, d_v), weights (..., Tq, Tk))``.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
    if q.ndim < 2 or q.ndim != k.ndim or k.ndim != v.ndim:
        raise ValueError(f"query {q.shape}, key {k.shape} and value {v.shape} need the same number "
                         "(≥ 2) of axes (..., T, d)")
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"query {q.shape}, key {k.shape} and value {v.shape}: the leading axes "
                         "(batch, heads) must agree")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"query {q.shape}, key {k.shape}, value {v.shape}: query and key need the "
                         "same d_k, key and value the same number of positions Tk")
    lead, (Tq, dk), (Tk, dv) = q.shape[:-2], q.shape[-2:], v.shape[-2:]
    m = None
    if mask is not None:
        try:
            m = np.broadcast_to(np.asarray(mask, dtype=bool), (*lead, Tq, Tk)).reshape(-1, Tq, Tk)
        except ValueError:
            raise ValueError(f"mask of shape {np.shape(mask)} does not broadcast to (..., Tq, Tk) = "
                             f"{(*lead, Tq, Tk)}") from None
    ctx, w = dot_product_attention(q.reshape(-1, Tq, dk), k.reshape(-1, Tk, dk),
                                   v.reshape(-1, Tk, dv), mask=m)
    return ctx.reshape(*lead, Tq, dv), w.reshape(*lead, Tq, Tk)


def multi_head_attention(query: ArrayLike, value: ArrayLike, weights: list[ArrayLike],
                         key: ArrayLike | None = None, mask: ArrayLike | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """What ``keras.layers.MultiHeadAttention`` computes, in NumPy. Taught in 4_6.

    query ``(N, Tq, d_model)``, value ``(N, Tk, d_model)``, key (default: value);
    ``weights`` = ``layer.get_weights()`` ``[Wq, bq, Wk, bk, Wv, bv, Wo, bo]`` with
    ``Wq (d_model, H, d_k)``, ``bq (H, d_k)``, …, ``Wo (H, d_k, d_model)``, ``bo (d_model,)``;
    ``mask`` ``(N, Tq, Tk)`` or ``(Tq, Tk)`` (Keras' ``attention_mask``), True = may attend.
    Returns ``(output (N, Tq, d_model), weights (N, H, Tq, Tk))``.
    """
    if len(weights) != 8:
        raise ValueError(f"weights must be the 8 arrays of MultiHeadAttention.get_weights() "
                         f"(with biases), got {len(weights)}")
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = (np.asarray(w, dtype=np.float64) for w in weights)
    q_in = np.asarray(query, dtype=np.float64)
    v_in = np.asarray(value, dtype=np.float64)
    k_in = v_in if key is None else np.asarray(key, dtype=np.float64)
    for name, a in (("query", q_in), ("key", k_in), ("value", v_in)):
        if a.ndim != 3 or a.shape[-1] != Wq.shape[0]:
            raise ValueError(f"{name} has shape {a.shape}; expected (N, T, d_model) with d_model = "
                             f"{Wq.shape[0]} (the kernels' first axis)")
    q = np.einsum("ntd,dhk->nhtk", q_in, Wq) + bq[None, :, None, :]  # (N, H, Tq, d_k)
    k = np.einsum("ntd,dhk->nhtk", k_in, Wk) + bk[None, :, None, :]  # (N, H, Tk, d_k)
    v = np.einsum("ntd,dhk->nhtk", v_in, Wv) + bv[None, :, None, :]  # (N, H, Tk, d_v)
    m = None if mask is None else np.asarray(mask, dtype=bool)
    if m is not None and m.ndim == 3:
        m = m[:, None]                                               # (N, 1, Tq, Tk): every head
    ctx, w = scaled_dot_product_attention(q, k, v, m)                # (N, H, Tq, d_v)
    out = np.einsum("nhtk,hkd->ntd", ctx, Wo) + bo                   # concat heads @ W_O
    return out, w


def positional_encoding(length: int, depth: int) -> np.ndarray:
    """Sinusoidal positional encoding ``(length, depth)``. Taught in 4_6.

    ``PE[pos, 2i] = sin(pos / 10000^(2i / depth))``, ``PE[pos, 2i + 1] = cos(pos / 10000^(2i / depth))``
    (Vaswani et al. 2017); an odd ``depth`` ends with a sine column.
    """
    if int(length) != length or int(depth) != depth or length < 1 or depth < 1:
        raise ValueError(f"length and depth must be positive integers, got {length!r}, {depth!r}")
    pos = np.arange(int(length))[:, None]                        # (length, 1)
    two_i = np.arange(0, int(depth), 2)[None, :]                 # (1, ceil(depth / 2))
    angle = pos / np.power(10_000.0, two_i / depth)              # (length, ceil(depth / 2))
    pe = np.zeros((int(length), int(depth)))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : depth // 2])
    return pe


def causal_mask(length: int) -> np.ndarray:
    """``(length, length)`` boolean, True on and below the diagonal: step t sees steps ≤ t. Taught in 4_6."""
    if int(length) != length or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    return np.tril(np.ones((int(length), int(length)), dtype=bool))


def padding_mask(ids: ArrayLike, pad_id: int = 0) -> np.ndarray:
    """Token ids ``(N, T)`` -> boolean ``(N, T)``, True at real tokens, False at ``pad_id``. Taught in 4_6."""
    a = np.asarray(ids)
    if a.ndim != 2:
        raise ValueError(f"padding_mask expects token ids (N, T), got shape {a.shape}")
    return a != pad_id


# ------------------------------------------------------------------ Keras layers
def _classes() -> dict[str, type]:
    if _CLASSES:
        return _CLASSES
    import keras
    from keras import layers, ops

    @keras.saving.register_keras_serializable(package="course")
    class TokenAndPositionEmbedding(layers.Layer):
        """Token ids (N, T) -> embeddings (N, T, d): token embedding + position encoding.

        ``positions="sinusoidal"`` adds the fixed :func:`positional_encoding` (and scales the
        token embedding by sqrt(d), as the paper does); ``"learned"`` adds a trained
        ``Embedding(maxlen, d)`` of the positions (BERT, keras.io's example).
        """

        def __init__(self, maxlen: int, vocab_size: int, embed_dim: int,
                     positions: str = "sinusoidal", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if positions not in ("sinusoidal", "learned"):
                raise ValueError(f"positions must be 'sinusoidal' or 'learned', got {positions!r}")
            self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
            self.positions = positions
            self.token_emb = layers.Embedding(vocab_size, embed_dim)
            if positions == "learned":
                self.pos_emb = layers.Embedding(maxlen, embed_dim)
            else:
                self.pe = ops.convert_to_tensor(positional_encoding(maxlen, embed_dim), dtype="float32")

        def call(self, ids: Any) -> Any:
            T = ops.shape(ids)[-1]
            x = self.token_emb(ids)
            if self.positions == "learned":
                return x + self.pos_emb(ops.arange(0, T))
            return x * (self.embed_dim ** 0.5) + self.pe[:T]

        def compute_mask(self, ids: Any, mask: Any = None) -> None:
            return None

        def get_config(self) -> dict:
            return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                    "embed_dim": self.embed_dim, "positions": self.positions}

    def _ffn(embed_dim: int, ff_dim: int) -> Any:
        return keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])

    def _key_mask(padding: Any, Tq: Any) -> Any:
        """(N, Tk) -> (N, Tq, Tk): the same key mask for every query."""
        m = ops.expand_dims(ops.cast(padding, "bool"), 1)           # (N, 1, Tk)
        return ops.repeat(m, Tq, axis=1)

    @keras.saving.register_keras_serializable(package="course")
    class TransformerEncoder(layers.Layer):
        """One encoder block (post-LN, as in the paper): x -> LN(x + MHA(x, x)) -> LN(. + FFN(.)).

        ``call(x (N, T, d), padding_mask (N, T) or None)`` -> (N, T, d); with
        ``return_attention_scores=True`` also the weights (N, H, T, T).
        """

        def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1,
                     key_dim: int | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if embed_dim % num_heads:
                raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
            self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
            self.key_dim = key_dim
            # d_k = d_model / H as in the paper, unless given (keras.io's example uses d_k = d_model)
            self.att = layers.MultiHeadAttention(num_heads, key_dim=key_dim or embed_dim // num_heads)
            self.ffn = _ffn(embed_dim, ff_dim)
            self.ln1, self.ln2 = layers.LayerNormalization(epsilon=1e-6), layers.LayerNormalization(epsilon=1e-6)
            self.drop1, self.drop2 = layers.Dropout(rate), layers.Dropout(rate)

        def call(self, x: Any, padding_mask: Any = None, training: bool = False,
                 return_attention_scores: bool = False) -> Any:
            mask = None if padding_mask is None else _key_mask(padding_mask, ops.shape(x)[1])
            a, scores = self.att(x, x, attention_mask=mask, return_attention_scores=True,
                                 training=training)
            h = self.ln1(x + self.drop1(a, training=training))
            out = self.ln2(h + self.drop2(self.ffn(h), training=training))
            return (out, scores) if return_attention_scores else out

        def compute_mask(self, x: Any, mask: Any = None) -> None:
            return None

        def get_config(self) -> dict:
            return {**super().get_config(), "embed_dim": self.embed_dim, "num_heads": self.num_heads,
                    "ff_dim": self.ff_dim, "rate": self.rate, "key_dim": self.key_dim}

    @keras.saving.register_keras_serializable(package="course")
    class TransformerDecoder(layers.Layer):
        """One decoder block: masked (causal) self-attention, cross-attention to the encoder, FFN.

        ``call(y (N, T, d), enc (N, S, d), enc_padding_mask (N, S) or None)`` -> (N, T, d);
        output t depends on y[:, :t + 1] only. ``return_attention_scores=True`` also returns
        ``(self_weights (N, H, T, T), cross_weights (N, H, T, S))``.
        """

        def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1,
                     **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if embed_dim % num_heads:
                raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
            self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
            self.self_att = layers.MultiHeadAttention(num_heads, key_dim=embed_dim // num_heads)
            self.cross_att = layers.MultiHeadAttention(num_heads, key_dim=embed_dim // num_heads)
            self.ffn = _ffn(embed_dim, ff_dim)
            self.ln1, self.ln2, self.ln3 = (layers.LayerNormalization(epsilon=1e-6) for _ in range(3))
            self.drop1, self.drop2, self.drop3 = (layers.Dropout(rate) for _ in range(3))

        def call(self, y: Any, enc: Any, enc_padding_mask: Any = None, training: bool = False,
                 return_attention_scores: bool = False) -> Any:
            T = ops.shape(y)[1]
            causal = ops.expand_dims(ops.tril(ops.ones((T, T), dtype="int32")) > 0, 0)  # (1, T, T)
            a, s_self = self.self_att(y, y, attention_mask=causal, return_attention_scores=True,
                                      training=training)
            h = self.ln1(y + self.drop1(a, training=training))
            mask = None if enc_padding_mask is None else _key_mask(enc_padding_mask, T)
            c, s_cross = self.cross_att(h, enc, attention_mask=mask, return_attention_scores=True,
                                        training=training)
            h = self.ln2(h + self.drop2(c, training=training))
            out = self.ln3(h + self.drop3(self.ffn(h), training=training))
            return (out, (s_self, s_cross)) if return_attention_scores else out

        def compute_mask(self, y: Any, enc: Any = None, mask: Any = None) -> None:
            return None

        def get_config(self) -> dict:
            return {**super().get_config(), "embed_dim": self.embed_dim, "num_heads": self.num_heads,
                    "ff_dim": self.ff_dim, "rate": self.rate}

    _CLASSES.update(TokenAndPositionEmbedding=TokenAndPositionEmbedding,
                    TransformerEncoder=TransformerEncoder, TransformerDecoder=TransformerDecoder)
    return _CLASSES


def token_and_position_embedding(maxlen: int, vocab_size: int, embed_dim: int,
                                 positions: str = "sinusoidal", **kwargs: Any) -> Any:
    """A ``TokenAndPositionEmbedding`` layer: ids (N, T ≤ maxlen) -> (N, T, embed_dim)."""
    return _classes()["TokenAndPositionEmbedding"](maxlen, vocab_size, embed_dim, positions, **kwargs)


def transformer_encoder(embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1, **kwargs: Any) -> Any:
    """A ``TransformerEncoder`` block (self-attention + feed-forward, residuals, LayerNorm)."""
    return _classes()["TransformerEncoder"](embed_dim, num_heads, ff_dim, rate, **kwargs)


def transformer_decoder(embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1, **kwargs: Any) -> Any:
    """A ``TransformerDecoder`` block (causal self-attention, cross-attention, feed-forward)."""
    return _classes()["TransformerDecoder"](embed_dim, num_heads, ff_dim, rate, **kwargs)


def build_imdb_classifier(vocab_size: int = 20_000, maxlen: int = 200, embed_dim: int = 32,
                          num_heads: int = 2, ff_dim: int = 32, rate: float = 0.1,
                          positions: str = "learned", learning_rate: Any = 1e-3,
                          padding_mask: bool = True, key_dim: int | None = None) -> Any:
    """IMDB sentiment: ids (N, maxlen) -> embedding -> one encoder block -> masked mean -> sigmoid.

    Padding (id 0) is masked in the attention and left out of the average over positions; with
    ``padding_mask=False`` (keras.io's example) the padding is attended to and averaged like a
    token. ``key_dim``: the heads' d_k (default ``embed_dim // num_heads``).
    Compiled with Adam (``learning_rate``: a number or a Keras schedule), binary cross-entropy
    and accuracy. The encoder block is the
    layer named ``"encoder"``.
    """
    import keras
    from keras import layers, ops

    ids = keras.Input((maxlen,), dtype="int32", name="ids")
    pad = ops.not_equal(ids, 0) if padding_mask else ops.ones_like(ids, dtype="bool")  # (N, T)
    x = token_and_position_embedding(maxlen, vocab_size, embed_dim, positions, name="embedding")(ids)
    x = transformer_encoder(embed_dim, num_heads, ff_dim, rate, key_dim=key_dim, name="encoder")(
        x, padding_mask=pad if padding_mask else None)
    w = ops.expand_dims(ops.cast(pad, "float32"), -1)                    # (N, T, 1)
    x = ops.sum(x * w, axis=1) / ops.maximum(ops.sum(w, axis=1), 1.0)    # mean over real tokens
    x = layers.Dropout(rate)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(rate)(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(ids, out, name="imdb_transformer")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def build_date_transformer(src_vocab: int, tgt_vocab: int, src_len: int, tgt_len: int,
                           embed_dim: int = 64, num_heads: int = 4, ff_dim: int = 128,
                           num_layers: int = 1, rate: float = 0.1, learning_rate: Any = 1e-3) -> Any:
    """Encoder–decoder Transformer: [source ids (N, S), decoder input ids (N, T)] -> logits (N, T, tgt_vocab).

    The source's padding (id 0) is masked in the encoder and in the cross-attention; the
    decoder's self-attention is causal. Layers are named ``encoder_i`` and ``decoder_i``.
    Compiled with Adam (``learning_rate``: a number or a Keras schedule) and sparse categorical
    cross-entropy on logits.
    """
    import keras
    from keras import layers, ops

    src = keras.Input((src_len,), dtype="int32", name="source")
    tgt = keras.Input((tgt_len,), dtype="int32", name="decoder_input")
    pad = ops.not_equal(src, 0)
    x = token_and_position_embedding(src_len, src_vocab, embed_dim, name="src_embedding")(src)
    for i in range(num_layers):
        x = transformer_encoder(embed_dim, num_heads, ff_dim, rate, name=f"encoder_{i}")(x, padding_mask=pad)
    y = token_and_position_embedding(tgt_len, tgt_vocab, embed_dim, name="tgt_embedding")(tgt)
    for i in range(num_layers):
        y = transformer_decoder(embed_dim, num_heads, ff_dim, rate, name=f"decoder_{i}")(
            y, x, enc_padding_mask=pad)
    logits = layers.Dense(tgt_vocab, name="logits")(y)
    model = keras.Model([src, tgt], logits, name="date_transformer")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def greedy_decode(model: Any, src_ids: np.ndarray, tgt_len: int, start_id: int = 1,
                  batch_size: int = 1024) -> np.ndarray:
    """Greedy decoding with :func:`build_date_transformer`'s model: (N, S) -> ids (N, tgt_len).

    Step t feeds [START, y_1, …, y_t, 0, …] and keeps the argmax at position t; the causal mask
    makes the zeros after t irrelevant.
    """
    src_ids = np.asarray(src_ids)
    if src_ids.ndim != 2:
        raise ValueError(f"src_ids must be (N, S), got shape {src_ids.shape}")
    out = np.zeros((len(src_ids), tgt_len), dtype=np.int32)
    for lo in range(0, len(src_ids), batch_size):
        src = src_ids[lo:lo + batch_size]
        dec = np.zeros((len(src), tgt_len), dtype=np.int32)
        dec[:, 0] = start_id
        for t in range(tgt_len):
            logits = np.asarray(model([src, dec], training=False))      # (n, T, V)
            nxt = logits[:, t].argmax(-1)
            out[lo:lo + len(src), t] = nxt
            if t + 1 < tgt_len:
                dec[:, t + 1] = nxt
    return out
