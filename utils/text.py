"""Text classification helpers: padded IMDB sequences and the recurrent classifiers of 3_3.

``pad_sequences`` is NumPy's twin of ``keras.utils.pad_sequences`` (same result, tested);
``load_imdb_padded`` returns :func:`utils.data.load_imdb`'s reviews as an ``(N, maxlen)`` int32
matrix, ready for an ``Embedding`` layer (for the lessons after 3_3 that read IMDB).
``build_bilstm`` is the reference model of the 3_3 exercise. Taught in 3_3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int,
    *,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
    dtype: str = "int32",
) -> np.ndarray:
    """Lists of token ids -> one ``(N, maxlen)`` matrix, like ``keras.utils.pad_sequences``.

    A sequence longer than ``maxlen`` loses its first tokens (``truncating="pre"``, Keras'
    default: the end of a review is kept) or its last ones (``"post"``); a shorter one is filled
    with ``value`` before (``padding="pre"``, Keras' default) or after (``"post"``) its tokens.
    """
    if padding not in _SIDES or truncating not in _SIDES:
        raise ValueError(f"padding and truncating must be 'pre' or 'post', got padding={padding!r}, "
                         f"truncating={truncating!r}")
    if int(maxlen) != maxlen or maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer, got {maxlen!r}")
    maxlen = int(maxlen)
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        s = np.asarray(seq, dtype=dtype)
        if s.ndim != 1:
            raise ValueError(f"sequence {i} has shape {s.shape}; each sequence must be a flat list "
                             "of token ids")
        if len(s) == 0:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, :len(s)] = s
    return out


def load_imdb_padded(
    num_words: int,
    maxlen: int,
    *,
    padding: str = "pre",
    truncating: str = "pre",
    n_train: int | None = None,
    n_test: int | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """IMDB as ``(x_train, y_train), (x_test, y_test)`` with x ``(N, maxlen)`` int32, y int64.

    The reviews of :func:`utils.data.load_imdb(num_words) <utils.data.load_imdb>` (already
    shuffled with Keras' seed; ids ≥ ``num_words`` are the out-of-vocabulary id 2, 0 is padding),
    padded and truncated by :func:`pad_sequences`. ``n_train`` / ``n_test`` keep the first
    reviews of each split (a random subset, since the splits are shuffled); None keeps all 25 000.
    """
    from utils import data

    (x_train, y_train), (x_test, y_test) = data.load_imdb(num_words=num_words)
    splits = []
    for x, y, n in ((x_train, y_train, n_train), (x_test, y_test, n_test)):
        if n is not None:
            if n < 1 or n > len(x):
                raise ValueError(f"n must be between 1 and {len(x)}, got {n}")
            x, y = x[:n], y[:n]
        splits.append((pad_sequences(x, maxlen, padding=padding, truncating=truncating), y))
    return splits[0], splits[1]


def build_bilstm(vocab_size: int, maxlen: int, embed_dim: int = 128, units: int = 64) -> Any:
    """The 3_3 reference: Embedding -> Bidirectional(LSTM, every step) -> max over time -> sigmoid.

    Input ``(None, maxlen)`` token ids, output ``(None, 1)``, the probability that a review is
    positive. Compiled with Adam (learning rate 1e-3), binary cross-entropy and accuracy.
    Parameters: ``vocab_size·embed_dim + 2·4·(embed_dim·units + units² + units) + 2·units + 1``.
    """
    import keras

    model = keras.Sequential([
        keras.Input((maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embed_dim),
        keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True)),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def bilstm_param_count(vocab_size: int, embed_dim: int, units: int) -> int:
    """Parameters of :func:`build_bilstm` (the formula in its docstring)."""
    return vocab_size * embed_dim + 2 * 4 * (embed_dim * units + units**2 + units) + 2 * units + 1
