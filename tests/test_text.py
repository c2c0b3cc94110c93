"""utils.text: pad_sequences equals keras.utils.pad_sequences; the padded IMDB loader; build_bilstm."""

from __future__ import annotations

import numpy as np
import pytest

from utils import data, text

SEQS = [[5, 6, 7, 8, 9], [1, 2], [], [3] * 7, [4, 5, 6]]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [1, 3, 5, 9])
def test_pad_sequences_equals_keras(keras, padding: str, truncating: str, maxlen: int) -> None:
    want = keras.utils.pad_sequences(SEQS, maxlen=maxlen, padding=padding, truncating=truncating)
    got = text.pad_sequences(SEQS, maxlen, padding=padding, truncating=truncating)
    assert got.dtype == want.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_pad_sequences_sides() -> None:
    np.testing.assert_array_equal(text.pad_sequences([[1, 2, 3]], 5), [[0, 0, 1, 2, 3]])
    np.testing.assert_array_equal(text.pad_sequences([[1, 2, 3]], 5, padding="post"), [[1, 2, 3, 0, 0]])
    np.testing.assert_array_equal(text.pad_sequences([[1, 2, 3]], 2), [[2, 3]])  # keeps the end
    np.testing.assert_array_equal(text.pad_sequences([[1, 2, 3]], 2, truncating="post"), [[1, 2]])


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"padding": "middle"}, "'pre' or 'post'"),
    ({"truncating": "both"}, "'pre' or 'post'"),
])
def test_pad_sequences_bad_side(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        text.pad_sequences(SEQS, 3, **kwargs)


def test_pad_sequences_bad_input() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        text.pad_sequences(SEQS, 0)
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(2, 2\)"):
        text.pad_sequences([[1], [[1, 2], [3, 4]]], 3)


def _fake_imdb(num_words: int | None = None):  # noqa: ANN202
    def objects(lists):  # noqa: ANN001, ANN202
        out = np.empty(len(lists), dtype=object)
        out[:] = lists
        return out

    train = objects([[1, 14, 22], [1, 5], [1, 9, 9, 9, 9, 9]])
    test = objects([[1, 7, 8, 9], [1]])
    return (train, np.array([1, 0, 1])), (test, np.array([0, 1]))


def test_load_imdb_padded(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake(num_words=None):  # noqa: ANN001, ANN202
        seen["num_words"] = num_words
        return _fake_imdb(num_words)

    monkeypatch.setattr(data, "load_imdb", fake)
    (x, y), (xt, yt) = text.load_imdb_padded(1000, 4)
    assert seen["num_words"] == 1000
    np.testing.assert_array_equal(x, [[0, 1, 14, 22], [0, 0, 1, 5], [9, 9, 9, 9]])
    np.testing.assert_array_equal(y, [1, 0, 1])
    np.testing.assert_array_equal(xt, [[1, 7, 8, 9], [0, 0, 0, 1]])
    (x, y), (xt, yt) = text.load_imdb_padded(1000, 3, padding="post", truncating="post",
                                             n_train=2, n_test=1)
    np.testing.assert_array_equal(x, [[1, 14, 22], [1, 5, 0]])
    np.testing.assert_array_equal(y, [1, 0])
    assert xt.shape == (1, 3) and yt.tolist() == [0]
    with pytest.raises(ValueError, match="between 1 and 3"):
        text.load_imdb_padded(1000, 3, n_train=4)


@pytest.mark.parametrize(("vocab", "maxlen", "embed", "units"), [(1000, 50, 16, 8), (300, 7, 4, 3)])
def test_build_bilstm(keras, vocab: int, maxlen: int, embed: int, units: int) -> None:
    model = text.build_bilstm(vocab, maxlen, embed, units)
    assert model.input_shape == (None, maxlen) and model.output_shape == (None, 1)
    assert model.count_params() == text.bilstm_param_count(vocab, embed, units)
    bi = next(layer for layer in model.layers if isinstance(layer, keras.layers.Bidirectional))
    assert isinstance(bi.forward_layer, keras.layers.LSTM) and bi.forward_layer.return_sequences
    assert model.get_compile_config()["loss"] == "binary_crossentropy"
    out = np.asarray(model(np.ones((2, maxlen), dtype="int32")))
    assert out.shape == (2, 1) and ((out > 0) & (out < 1)).all()


def test_bilstm_numpy_twin_equals_keras(keras) -> None:
    """Embedding lookup -> utils.nn.Bidirectional (from_keras) -> max over time -> sigmoid equals
    the Keras model's prediction: what 3_3 shows on real reviews."""
    from utils import nn

    keras.utils.set_random_seed(3)
    model = text.build_bilstm(200, 12, 6, 5)
    x = np.random.default_rng(0).integers(0, 200, size=(3, 12)).astype("int32")
    x[0, :5] = 0
    E = model.layers[0].get_weights()[0]
    hs = nn.Bidirectional.from_keras(model.layers[1]).forward(E[x].astype(float))  # (3, 12, 10)
    W, b = model.layers[3].get_weights()
    p = 1 / (1 + np.exp(-(hs.max(axis=1) @ W + b)))
    np.testing.assert_allclose(p, np.asarray(model(x)), atol=1e-5)


def test_bidirectional_reference_equals_keras(keras) -> None:
    """The 3_3 checker's reference equals keras.layers.Bidirectional(SimpleRNN) with its weights."""
    from utils import nn
    from utils.checks.day3_3 import bidirectional_reference

    keras.utils.set_random_seed(4)
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype("float32")
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(4, return_sequences=True))
    want = np.asarray(layer(x))
    Wf, Uf, bf, Wb, Ub, bb = layer.get_weights()
    got = bidirectional_reference(x.astype(float), nn.RNN(Wf, Uf, bf).forward, nn.RNN(Wb, Ub, bb).forward)
    np.testing.assert_allclose(got, want, atol=1e-5)
