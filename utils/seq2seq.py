"""Encoder–decoder (seq2seq) for the date task, decoding, and the autoencoder / VAE of 3_4.

NumPy pieces (the references of the 3_4 exercises): :func:`teacher_forcing_targets`,
:func:`temperature_softmax`, :func:`sample_token`, :func:`sample_tokens`,
:func:`reparameterize`, :func:`kl_normal`, :func:`exact_sequence_accuracy`,
:func:`position_accuracy`.

Keras pieces (Keras is imported when a model is built, not on ``import utils.seq2seq``):
:func:`build_seq2seq` returns a :class:`Seq2Seq` holding the training model and the two
inference models (the encoder, returning all its outputs and its final state, and a one-step
decoder); :func:`greedy_decode` and :func:`sample_decode` run them. :func:`build_seq2seq` takes
an optional ``attention`` layer, so that lesson 3_6 adds attention to the same model.
:func:`sampling_layer`, :func:`build_autoencoder` and :func:`build_vae` are the autoencoder
and the variational autoencoder on flattened images. Taught in 3_4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Seq2Seq",
    "build_autoencoder",
    "build_seq2seq",
    "build_vae",
    "exact_sequence_accuracy",
    "greedy_decode",
    "kl_normal",
    "position_accuracy",
    "reparameterize",
    "sample_decode",
    "sample_token",
    "sample_tokens",
    "sampling_layer",
    "teacher_forcing_targets",
    "temperature_softmax",
]

START, END, PAD = 1, 2, 0  # the ids of utils.synthetic.CharVocab
_CLASSES: dict[str, type] = {}


# ------------------------------------------------------------------ NumPy pieces
def teacher_forcing_targets(target_ids: np.ndarray, start_id: int = START) -> tuple[np.ndarray, np.ndarray]:
    """target_ids: (N, T) -> (decoder_input (N, T), decoder_target (N, T)). Taught in 3_4.

    ``target_ids`` holds each target sequence followed by END and PAD (no START). The
    decoder's input at step t is the *correct* token of step t − 1 (teacher forcing): START,
    then the targets shifted right by one, the last one dropped. The target is the sequence
    itself. PAD stays PAD; the input array is not changed.
    """
    target_ids = np.asarray(target_ids)
    if target_ids.ndim != 2:
        raise ValueError(f"teacher_forcing_targets expects target ids (N, T), got shape {target_ids.shape}")
    N = target_ids.shape[0]
    start = np.full((N, 1), start_id, dtype=target_ids.dtype)           # (N, 1)
    decoder_input = np.concatenate([start, target_ids[:, :-1]], axis=1)  # (N, T)
    return decoder_input, target_ids.copy()


def temperature_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """logits: (..., K) -> softmax(logits / temperature) (..., K), numerically stable. Taught in 3_4.

    A small temperature sharpens the distribution towards the argmax, a large one flattens it
    towards uniform. ``temperature`` must be positive.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)  # the largest becomes 0: exp cannot overflow
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_token(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """logits: (K,) -> (probs (K,), token). Taught in 3_4.

    ``probs`` = softmax(logits / temperature); the token is one draw
    ``rng.choice(K, p=probs)`` (so the same generator state gives the same token).
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1:
        raise ValueError(f"sample_token expects one vector of logits (K,), got shape {logits.shape}")
    probs = temperature_softmax(logits, temperature)
    return probs, int(rng.choice(len(probs), p=probs))


def sample_tokens(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """logits: (N, K) -> one token per row (N,), drawn from softmax(logits / T). Taught in 3_4.

    Vectorized inverse-CDF sampling: one uniform number per row, the first class whose
    cumulative probability exceeds it.
    """
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"sample_tokens expects logits (N, K), got shape {logits.shape}")
    cdf = np.cumsum(temperature_softmax(logits, temperature), axis=1)   # (N, K)
    u = rng.random((logits.shape[0], 1)) * cdf[:, -1:]                  # (N, 1)
    return np.minimum((cdf <= u).sum(axis=1), logits.shape[1] - 1)


def reparameterize(mu: np.ndarray, log_var: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """z = mu + exp(log_var / 2) * eps; mu, log_var, eps: (N, L) -> z (N, L). Taught in 3_4.

    ``log_var`` is log σ², so σ = exp(½ log σ²). The noise ``eps`` ~ N(0, 1) is an input:
    z is a differentiable function of mu and log_var (the reparameterization trick).
    """
    mu, log_var, eps = np.asarray(mu), np.asarray(log_var), np.asarray(eps)
    if not (mu.shape == log_var.shape == eps.shape):
        raise ValueError(f"reparameterize: mu {mu.shape}, log_var {log_var.shape} and eps "
                         f"{eps.shape} must have one shape")
    return mu + np.exp(0.5 * log_var) * eps


def kl_normal(mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """KL(N(mu, σ²) || N(0, 1)) summed over the latent axis; mu, log_var: (N, L) -> (N,). Taught in 3_4.

    KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²).
    """
    mu, log_var = np.asarray(mu, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    if mu.shape != log_var.shape or mu.ndim != 2:
        raise ValueError(f"kl_normal: mu {mu.shape} and log_var {log_var.shape} must both be (N, L)")
    return -0.5 * np.sum(1.0 + log_var - mu**2 - np.exp(log_var), axis=1)


def exact_sequence_accuracy(pred_texts: Sequence[str], true_texts: Sequence[str]) -> float:
    """Fraction of predictions equal to their target as whole strings; (N,), (N,) -> float. Taught in 3_4."""
    if len(pred_texts) != len(true_texts):
        raise ValueError(f"exact_sequence_accuracy: {len(pred_texts)} predictions for "
                         f"{len(true_texts)} targets")
    if not len(true_texts):
        raise ValueError("exact_sequence_accuracy: no sequences")
    return float(np.mean([p == t for p, t in zip(pred_texts, true_texts, strict=True)]))


def position_accuracy(pred_texts: Sequence[str], true_texts: Sequence[str]) -> np.ndarray:
    """Per-character accuracy at each position of the targets; (N,), (N,) -> (T,). Taught in 3_4.

    T is the longest target; a missing predicted character counts as wrong, and a position
    is averaged over the targets that are that long.
    """
    if len(pred_texts) != len(true_texts):
        raise ValueError(f"position_accuracy: {len(pred_texts)} predictions for {len(true_texts)} targets")
    T = max(len(t) for t in true_texts)
    hits, counts = np.zeros(T), np.zeros(T)
    for p, t in zip(pred_texts, true_texts, strict=True):
        for i, c in enumerate(t):
            counts[i] += 1
            hits[i] += i < len(p) and p[i] == c
    return hits / np.maximum(counts, 1)


# ------------------------------------------------------------------ seq2seq in Keras
@dataclass
class Seq2Seq:
    """The three Keras models of one encoder–decoder, sharing their layers. Taught in 3_4.

    model: ``[source ids (N, S), decoder input ids (N, T)] -> per-step softmax (N, T, V)``,
        trained with teacher forcing.
    encoder: ``source ids (N, S) -> [all outputs (N, S, units), *final states (N, units)]``.
    decoder_step: ``[token (N, 1), *states]`` (with attention, ``uses_encoder_outputs``:
        ``[token (N, 1), encoder outputs (N, S, units), source ids (N, S), *states]``, the ids
        giving the padding mask) ``-> [probs (N, 1, V), *new states]``.
    attention_weights: with attention, ``[source ids (N, S), decoder input ids (N, T)] ->
        weights (N, T, S)`` (each row a distribution over the source positions), else None.
    """

    model: Any
    encoder: Any
    decoder_step: Any
    n_states: int
    uses_encoder_outputs: bool = False
    attention_weights: Any = None


def build_seq2seq(src_vocab: int, tgt_vocab: int, embed_dim: int = 32, units: int = 128,
                  cell: str = "lstm", attention: Any = None, seed: int | None = None,
                  mask: bool = True) -> Seq2Seq:
    """An embedding + LSTM/GRU encoder–decoder: src ids (N, S), dec ids (N, T) -> (N, T, tgt_vocab). Taught in 3_4.

    The encoder's final state (h, and c for an LSTM) is the context that initializes the
    decoder. Id 0 is padding (``mask_zero=True``). ``attention``: optional layer called as
    ``attention([decoder_outputs, encoder_outputs])`` returning a context (N, T, units) that is
    concatenated to the decoder outputs before the softmax (lesson 3_6); it must accept
    ``mask=[query mask, value mask]`` and ``return_attention_scores=True``, as
    ``keras.layers.Attention`` and ``AdditiveAttention`` do. The source's padding (id 0) is
    masked out of the attention in training and in ``decoder_step`` alike. ``seed`` fixes the
    initial weights.
    """
    import keras

    L = keras.layers
    cells = {"lstm": (L.LSTM, 2), "gru": (L.GRU, 1)}
    if cell not in cells:
        raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
    rnn, n_states = cells[cell]
    if seed is not None:
        keras.utils.set_random_seed(seed)

    src = keras.Input((None,), dtype="int32", name="source_ids")
    dec = keras.Input((None,), dtype="int32", name="decoder_input_ids")
    enc_emb = L.Embedding(src_vocab, embed_dim, mask_zero=mask, name="encoder_embedding")
    enc_rnn = rnn(units, return_sequences=True, return_state=True, name=f"encoder_{cell}")
    dec_emb = L.Embedding(tgt_vocab, embed_dim, mask_zero=mask, name="decoder_embedding")
    dec_rnn = rnn(units, return_sequences=True, return_state=True, name=f"decoder_{cell}")
    head = L.Dense(tgt_vocab, activation="softmax", name="softmax")

    def decode(tokens: Any, states: list, enc_outputs: Any, src_ids: Any) -> tuple[Any, list, Any]:
        out, *new_states = dec_rnn(dec_emb(tokens), initial_state=states)  # (N, T, units)
        weights = None
        if attention is not None:
            masks = [keras.ops.not_equal(tokens, PAD), keras.ops.not_equal(src_ids, PAD)]  # (N, T), (N, S)
            context, weights = attention([out, enc_outputs], mask=masks,
                                         return_attention_scores=True)     # (N, T, units), (N, T, S)
            out = L.Concatenate(name="decoder_and_context")([out, context])
        return head(out), new_states, weights                              # (N, T, V)

    enc_outputs, *enc_states = enc_rnn(enc_emb(src))                       # (N, S, units), states
    probs, _, weights = decode(dec, enc_states, enc_outputs, src)
    model = keras.Model([src, dec], probs, name=f"seq2seq_{cell}")
    encoder = keras.Model(src, [enc_outputs, *enc_states], name="encoder")
    attention_weights = None if weights is None else keras.Model([src, dec], weights, name="attention_weights")

    token = keras.Input((1,), dtype="int32", name="token")
    state_in = [keras.Input((units,), name=f"state_{k}") for k in range(n_states)]
    enc_in = keras.Input((None, units), name="encoder_outputs")
    src_in = keras.Input((None,), dtype="int32", name="source_ids_for_mask")
    step_probs, step_states, _ = decode(token, state_in, enc_in, src_in)
    inputs = [token, enc_in, src_in, *state_in] if attention is not None else [token, *state_in]
    decoder_step = keras.Model(inputs, [step_probs, *step_states], name="decoder_step")
    return Seq2Seq(model, encoder, decoder_step, n_states, attention is not None, attention_weights)


def _check_src(src_ids: np.ndarray) -> np.ndarray:
    src_ids = np.asarray(src_ids)
    if src_ids.ndim != 2:
        raise ValueError(f"source ids must be (N, S), got shape {src_ids.shape}")
    return src_ids.astype(np.int32)


def _decode_loop(s2s: Seq2Seq, src_ids: np.ndarray, max_len: int, choose: Any,
                 start_id: int, end_id: int, batch_size: int) -> np.ndarray:
    """Run the encoder once and the one-step decoder ``max_len`` times; ``choose(probs (N, V))``."""
    src_ids = _check_src(src_ids)
    out = np.zeros((len(src_ids), max_len), dtype=np.int32)
    for lo in range(0, len(src_ids), batch_size):
        enc_outputs, *states = (np.asarray(a) for a in s2s.encoder(src_ids[lo:lo + batch_size], training=False))
        n = enc_outputs.shape[0]
        token = np.full((n, 1), start_id, dtype=np.int32)
        done = np.zeros(n, dtype=bool)
        extra = [enc_outputs, src_ids[lo:lo + n]] if s2s.uses_encoder_outputs else []
        for t in range(max_len):
            probs, *states = (np.asarray(a) for a in s2s.decoder_step([token, *extra, *states], training=False))
            nxt = choose(probs[:, 0])                             # (n,)
            nxt = np.where(done, PAD, nxt)                        # after END: padding
            out[lo:lo + n, t] = nxt
            done |= (nxt == end_id) | (nxt == PAD)                # PAD cannot be fed back: it ends too
            if done.all():
                break
            token = nxt[:, None].astype(np.int32)
    return out


def greedy_decode(s2s: Seq2Seq, src_ids: np.ndarray, max_len: int, start_id: int = START,
                  end_id: int = END, batch_size: int = 1024) -> np.ndarray:
    """src_ids: (N, S) -> generated ids (N, max_len), the most probable token at every step. Taught in 3_4.

    Each step feeds the model's own previous output back in (no teacher forcing); after END
    (or a generated PAD, which an untrained model may emit) the row is padded with 0.
    """
    return _decode_loop(s2s, src_ids, max_len, lambda p: p.argmax(axis=1), start_id, end_id, batch_size)


def sample_decode(s2s: Seq2Seq, src_ids: np.ndarray, max_len: int, temperature: float = 1.0,
                  seed: int = 0, start_id: int = START, end_id: int = END,
                  batch_size: int = 1024) -> np.ndarray:
    """src_ids: (N, S) -> sampled ids (N, max_len), each token drawn from softmax(log p / T). Taught in 3_4.

    ``seed`` makes the draws repeatable. As the temperature goes to 0 this becomes
    :func:`greedy_decode`.
    """
    rng = np.random.default_rng(seed)
    temperature_softmax(np.zeros((1, 1)), temperature)  # validates the temperature

    def choose(p: np.ndarray) -> np.ndarray:
        return sample_tokens(np.log(np.maximum(p, 1e-30)), temperature, rng)

    return _decode_loop(s2s, src_ids, max_len, choose, start_id, end_id, batch_size)


# ------------------------------------------------------------------ autoencoder and VAE
def _vae_classes() -> dict[str, type]:
    """``Sampling`` (a layer) and ``VAE`` (a model with a KL-adding train step)."""
    if _CLASSES:
        return _CLASSES
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="course")
    class Sampling(keras.layers.Layer):
        """[mu (N, L), log_var (N, L)] -> z = mu + exp(½ log_var) · eps, eps ~ N(0, 1) drawn each call."""

        def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed = seed
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs: Any) -> Any:
            mu, log_var = inputs
            eps = keras.random.normal(keras.ops.shape(mu), seed=self.seed_generator)
            return mu + keras.ops.exp(0.5 * log_var) * eps

        def get_config(self) -> dict:
            return {**super().get_config(), "seed": self.seed}

    class VAE(keras.Model):
        """x (N, D) in [0, 1] -> reconstruction (N, D); loss = BCE summed over pixels + beta · KL."""

        def __init__(self, encoder: Any, decoder: Any, beta: float = 1.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.encoder, self.decoder, self.beta = encoder, decoder, float(beta)
            self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "reconstruction", "kl")}

        @property
        def metrics(self) -> list:
            return list(self.trackers.values())

        def call(self, x: Any, training: bool = False) -> Any:
            _, _, z = self.encoder(x, training=training)
            return self.decoder(z, training=training)

        def vae_losses(self, x: Any, training: bool) -> dict[str, Any]:
            mu, log_var, z = self.encoder(x, training=training)
            x_hat = self.decoder(z, training=training)
            bce = keras.losses.binary_crossentropy(x[..., None], x_hat[..., None])  # (N, D)
            recon = keras.ops.mean(keras.ops.sum(bce, axis=1))
            kl = keras.ops.mean(-0.5 * keras.ops.sum(
                1.0 + log_var - keras.ops.square(mu) - keras.ops.exp(log_var), axis=1))
            return {"loss": recon + self.beta * kl, "reconstruction": recon, "kl": kl}

        def _track(self, losses: dict[str, Any]) -> dict[str, Any]:
            for k, v in losses.items():
                self.trackers[k].update_state(v)
            return {k: m.result() for k, m in self.trackers.items()}

        def train_step(self, data: Any) -> dict[str, Any]:
            x = data[0] if isinstance(data, tuple) else data
            with tf.GradientTape() as tape:
                losses = self.vae_losses(x, training=True)
            grads = tape.gradient(losses["loss"], self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
            return self._track(losses)

        def test_step(self, data: Any) -> dict[str, Any]:
            x = data[0] if isinstance(data, tuple) else data
            return self._track(self.vae_losses(x, training=False))

    _CLASSES.update(Sampling=Sampling, VAE=VAE)
    return _CLASSES


def sampling_layer(seed: int | None = None) -> Any:
    """The reparameterization layer: [mu (N, L), log_var (N, L)] -> z (N, L). Taught in 3_4."""
    return _vae_classes()["Sampling"](seed=seed, name="sampling")


def _mlp_decoder(latent_dim: int, input_dim: int, hidden: int) -> Any:
    import keras

    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(hidden, activation="relu")(z)
    x_hat = keras.layers.Dense(input_dim, activation="sigmoid", name="reconstruction")(h)
    return keras.Model(z, x_hat, name="decoder")


def build_autoencoder(input_dim: int = 784, latent_dim: int = 2, hidden: int = 256,
                      seed: int | None = None) -> tuple[Any, Any, Any]:
    """A dense autoencoder x (N, D) -> z (N, latent_dim) -> x_hat (N, D): (autoencoder, encoder, decoder). Taught in 3_4."""
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    x = keras.Input((input_dim,), name="x")
    h = keras.layers.Dense(hidden, activation="relu")(x)
    z = keras.layers.Dense(latent_dim, name="z")(h)
    encoder = keras.Model(x, z, name="encoder")
    decoder = _mlp_decoder(latent_dim, input_dim, hidden)
    autoencoder = keras.Model(x, decoder(encoder(x)), name="autoencoder")
    return autoencoder, encoder, decoder


def build_vae(input_dim: int = 784, latent_dim: int = 2, hidden: int = 256, beta: float = 1.0,
              seed: int | None = None) -> Any:
    """A dense VAE on x (N, D) in [0, 1]; ``.encoder``: x -> [mu, log_var, z] (N, latent_dim) each,
    ``.decoder``: z -> x_hat (N, D). Compile with an optimizer only. Taught in 3_4."""
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    x = keras.Input((input_dim,), name="x")
    h = keras.layers.Dense(hidden, activation="relu")(x)
    mu = keras.layers.Dense(latent_dim, name="mu")(h)
    log_var = keras.layers.Dense(latent_dim, name="log_var")(h)
    z = sampling_layer(seed)([mu, log_var])
    encoder = keras.Model(x, [mu, log_var, z], name="encoder")
    decoder = _mlp_decoder(latent_dim, input_dim, hidden)
    return _vae_classes()["VAE"](encoder, decoder, beta=beta, name="vae")
