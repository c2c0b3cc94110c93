"""utils.transformer: NumPy attention vs Keras MultiHeadAttention, positional encoding, masks, layers."""

import numpy as np
import pytest

from utils import transformer as tr


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_sdpa_matches_formula_with_heads_and_mask():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 3, 4, 8)), rng.normal(size=(2, 3, 5, 8)), rng.normal(size=(2, 3, 5, 6))
    mask = rng.random((2, 1, 4, 5)) < 0.6
    mask[..., 0] = True
    ctx, w = tr.scaled_dot_product_attention(q, k, v, mask)
    s = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(8), -np.inf)
    np.testing.assert_allclose(w, _softmax(s), atol=1e-12)
    np.testing.assert_allclose(ctx, _softmax(s) @ v, atol=1e-12)
    assert ctx.shape == (2, 3, 4, 6) and w.shape == (2, 3, 4, 5)


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_equals_keras(keras, masked):
    rng = np.random.default_rng(1)
    layer = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4, seed=1)
    xq = rng.normal(size=(2, 5, 12)).astype("float32")
    xv = rng.normal(size=(2, 6, 12)).astype("float32")
    mask = None
    if masked:
        mask = rng.random((2, 5, 6)) < 0.5
        mask[:, :, 0] = True
    out_k, w_k = layer(xq, xv, attention_mask=mask, return_attention_scores=True)
    out, w = tr.multi_head_attention(xq, xv, layer.get_weights(), mask=mask)
    assert out.shape == (2, 5, 12) and w.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(out, np.asarray(out_k), atol=1e-5)
    np.testing.assert_allclose(w, np.asarray(w_k), atol=1e-5)


def test_multi_head_attention_causal_self_attention(keras):
    rng = np.random.default_rng(2)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, seed=2)
    x = rng.normal(size=(1, 4, 6)).astype("float32")
    out_k = layer(x, x, use_causal_mask=True)
    out, w = tr.multi_head_attention(x, x, layer.get_weights(), mask=tr.causal_mask(4))
    np.testing.assert_allclose(out, np.asarray(out_k), atol=1e-5)
    assert np.all(w[..., np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)


def test_positional_encoding_values():
    pe = tr.positional_encoding(50, 16)
    assert pe.shape == (50, 16)
    for pos, i in [(0, 0), (1, 0), (7, 3), (49, 7)]:
        angle = pos / 10_000 ** (2 * i / 16)
        assert pe[pos, 2 * i] == pytest.approx(np.sin(angle))
        assert pe[pos, 2 * i + 1] == pytest.approx(np.cos(angle))
    assert tr.positional_encoding(3, 5).shape == (3, 5)


def test_masks():
    m = tr.causal_mask(4)
    assert m.dtype == bool and m.shape == (4, 4)
    np.testing.assert_array_equal(m, np.tril(np.ones((4, 4), dtype=bool)))
    p = tr.padding_mask(np.array([[3, 4, 0], [5, 0, 0]]))
    np.testing.assert_array_equal(p, [[True, True, False], [True, False, False]])


def test_clear_shape_errors():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(2, 5, 3\)"):
        tr.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((2, 5, 3)), np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="does not broadcast"):
        tr.scaled_dot_product_attention(np.zeros((1, 3, 4)), np.zeros((1, 5, 4)), np.zeros((1, 5, 2)),
                                        np.ones((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="d_model = 6"):
        tr.multi_head_attention(np.zeros((1, 2, 5)), np.zeros((1, 2, 6)),
                                [np.zeros((6, 2, 3)), np.zeros((2, 3))] * 3 + [np.zeros((2, 3, 6)), np.zeros(6)])
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        tr.padding_mask(np.zeros(3))
    with pytest.raises(ValueError, match="positive"):
        tr.causal_mask(0)


def test_encoder_decoder_shapes_and_causality(keras):
    rng = np.random.default_rng(3)
    enc = tr.transformer_encoder(16, 4, 32, rate=0.0)
    x = rng.normal(size=(2, 6, 16)).astype("float32")
    pad = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]], dtype=bool)
    out, w = enc(x, padding_mask=pad, return_attention_scores=True)
    assert tuple(out.shape) == (2, 6, 16) and tuple(w.shape) == (2, 4, 6, 6)
    assert float(np.asarray(w)[1, :, :, 2:].max()) < 1e-6        # padded keys get no weight
    dec = tr.transformer_decoder(16, 4, 32, rate=0.0)
    y = rng.normal(size=(2, 5, 16)).astype("float32")
    y2 = y.copy()
    y2[:, 3:] += 1.0
    o1, (sw, cw) = dec(y, out, enc_padding_mask=pad, return_attention_scores=True)
    o2 = dec(y2, out, enc_padding_mask=pad)
    assert tuple(o1.shape) == (2, 5, 16) and tuple(sw.shape) == (2, 4, 5, 5) and tuple(cw.shape) == (2, 4, 5, 6)
    np.testing.assert_allclose(np.asarray(o1)[:, :3], np.asarray(o2)[:, :3], atol=1e-6)
    assert np.abs(np.asarray(o1)[:, 3:] - np.asarray(o2)[:, 3:]).max() > 1e-3
    with pytest.raises(ValueError, match="divisible"):
        tr.transformer_encoder(10, 4, 8)


def test_models_and_greedy_decode(keras):
    rng = np.random.default_rng(4)
    m = tr.build_date_transformer(12, 9, src_len=7, tgt_len=5, embed_dim=16, num_heads=2, ff_dim=16)
    src = rng.integers(1, 12, size=(3, 7))
    src[:, 5:] = 0
    tgt = rng.integers(1, 9, size=(3, 5))
    a = np.asarray(m([src, tgt]))
    t2 = tgt.copy()
    t2[:, 2:] = 1
    b = np.asarray(m([src, t2]))
    assert a.shape == (3, 5, 9)
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-5)      # the model is causal end to end
    ids = tr.greedy_decode(m, src, 5)
    assert ids.shape == (3, 5) and ids.dtype == np.int32
    clf = tr.build_imdb_classifier(vocab_size=50, maxlen=10, embed_dim=8, num_heads=2, ff_dim=8)
    x = rng.integers(0, 50, size=(4, 10))
    assert tuple(clf(x).shape) == (4, 1)
    with pytest.raises(ValueError, match=r"\(N, S\)"):
        tr.greedy_decode(m, src[0], 5)
    emb = tr.token_and_position_embedding(10, 50, 8)
    assert tuple(emb(x).shape) == (4, 10, 8)
    with pytest.raises(ValueError, match="sinusoidal"):
        tr.token_and_position_embedding(10, 50, 8, positions="rope")
