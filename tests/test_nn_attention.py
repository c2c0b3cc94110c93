"""utils.nn.attention and utils.nn.recursive: equal to Keras' Attention / AdditiveAttention, masks, shapes."""

import numpy as np
import pytest

from utils import nn
from utils.nn import attention as att
from utils.nn import recursive as rec


def _qkv(seed=0, N=3, Tq=4, Tk=5, d=6, dv=7):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, Tq, d)), rng.normal(size=(N, Tk, d)), rng.normal(size=(N, Tk, dv))


def _pad_mask(N=3, Tk=5):
    mask = np.ones((N, Tk), dtype=bool)
    mask[0, 3:] = False  # a padded source
    mask[2, 1:] = False  # only one real position
    return mask


def _run(layer, inputs, mask=None):
    import keras

    out, w = layer([keras.ops.convert_to_tensor(a.astype("float32")) for a in inputs],
                   mask=None if mask is None else [None, keras.ops.convert_to_tensor(mask)],
                   return_attention_scores=True)
    return keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(w)


# ------------------------------------------------------------------ against Keras
@pytest.mark.parametrize("masked", [False, True])
def test_dot_product_equals_keras_attention(keras, masked):
    """scale = 1 is Keras' Attention(); Keras' learned scalar set to 1/sqrt(d) is the scaled version."""
    q, k, v = _qkv(1)
    mask = _pad_mask() if masked else None
    plain = keras.layers.Attention()
    want_ctx, want_w = _run(plain, [q, v, k], mask)
    ctx, w = nn.dot_product_attention(q, k, v, mask=mask, scale=1.0)
    np.testing.assert_allclose(ctx, want_ctx, atol=1e-5)
    np.testing.assert_allclose(w, want_w, atol=1e-5)

    scaled = keras.layers.Attention(use_scale=True)
    scaled.build([q.shape, v.shape, k.shape])
    scaled.set_weights([np.array(1 / np.sqrt(q.shape[-1]), dtype="float32")])
    want_ctx, want_w = _run(scaled, [q, v, k], mask)
    ctx, w = nn.dot_product_attention(q, k, v, mask=mask)  # default scale 1/sqrt(d)
    np.testing.assert_allclose(ctx, want_ctx, atol=1e-5)
    np.testing.assert_allclose(w, want_w, atol=1e-5)


def test_dot_product_value_defaults_to_key(keras):
    q, k, _ = _qkv(2)
    want_ctx, want_w = _run(keras.layers.Attention(), [q, k])
    ctx, w = nn.dot_product_attention(q, k, scale=1.0)
    np.testing.assert_allclose(ctx, want_ctx, atol=1e-5)
    np.testing.assert_allclose(w, want_w, atol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_additive_equals_keras_additive_attention(keras, masked):
    """Keras' AdditiveAttention scores sum(scale * tanh(q + k)) on projected inputs: with the
    projections q W_q, k W_k done outside and its `scale` set to v, it is Bahdanau's v·tanh(qW_q + kW_k)."""
    rng = np.random.default_rng(3)
    q, k, val = _qkv(3, d=6)
    A = 8
    W_q, W_k, v = rng.normal(size=(6, A)) * 0.5, rng.normal(size=(6, A)) * 0.5, rng.normal(size=A)
    mask = _pad_mask() if masked else None
    layer = keras.layers.AdditiveAttention()
    pq, pk = q @ W_q, k @ W_k
    layer.build([pq.shape, val.shape, pk.shape])
    layer.set_weights([v.astype("float32")])
    want_ctx, want_w = _run(layer, [pq, val, pk], mask)
    ctx, w = nn.additive_attention(q, k, val, W_q, W_k, v, mask=mask)
    np.testing.assert_allclose(ctx, want_ctx, atol=1e-5)
    np.testing.assert_allclose(w, want_w, atol=1e-5)


# ------------------------------------------------------------------ properties
def test_weights_are_distributions_and_masked_positions_get_zero():
    q, k, v = _qkv(4)
    mask = _pad_mask()
    for ctx, w in (nn.dot_product_attention(q, k, v, mask=mask),
                   nn.additive_attention(q, k, v, np.eye(6), np.eye(6), np.ones(6), mask=mask)):
        assert w.shape == (3, 4, 5) and ctx.shape == (3, 4, 7)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0)
        assert (w >= 0).all()
        assert (w[np.broadcast_to(~mask[:, None, :], w.shape)] == 0).all()
        np.testing.assert_allclose(w[2, :, 0], 1.0)           # one real key: all the weight
        np.testing.assert_allclose(ctx[2], np.repeat(v[2, :1], 4, axis=0))


def test_per_query_mask_and_hand_example():
    # one query, keys e1 and e2: scores 1 and 0 (scale 1) -> weights softmax([1, 0])
    q = np.array([[[1.0, 0.0]]])
    k = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    v = np.array([[[10.0], [20.0]]])
    ctx, w = nn.dot_product_attention(q, k, v, scale=1.0)
    e = np.exp(1.0)
    np.testing.assert_allclose(w, [[[e / (e + 1), 1 / (e + 1)]]])
    np.testing.assert_allclose(ctx, [[[(10 * e + 20) / (e + 1)]]])
    causal = np.tril(np.ones((4, 5), dtype=bool))[None].repeat(3, axis=0)  # (N, Tq, Tk)
    _, w = nn.dot_product_attention(*_qkv(5), mask=causal)
    assert (w[:, 0, 1:] == 0).all() and np.allclose(w.sum(-1), 1)


def test_scaling_flattens_the_weights():
    q, k, v = _qkv(6, d=64)
    _, w_plain = nn.dot_product_attention(q, k, v, scale=1.0)
    _, w_scaled = nn.dot_product_attention(q, k, v)
    assert w_scaled.max(axis=-1).mean() < w_plain.max(axis=-1).mean()


def test_stable_for_large_scores():
    q, k, v = _qkv(7)
    ctx, w = nn.dot_product_attention(q * 1e3, k, v)
    assert np.isfinite(ctx).all() and np.allclose(w.sum(-1), 1)


def test_shape_errors_name_the_shapes():
    q, k, v = _qkv(8)
    with pytest.raises(ValueError, match=r"query must be a batch \(N, T, d\), got shape \(4, 6\)"):
        nn.dot_product_attention(q[0], k, v)
    with pytest.raises(ValueError, match=r"same feature size d"):
        nn.dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match=r"value \(3, 4, 7\)"):
        nn.dot_product_attention(q, k, v[:, :4])
    with pytest.raises(ValueError, match=r"mask has shape \(3, 4\)"):
        nn.dot_product_attention(q, k, v, mask=np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="at least one"):
        nn.dot_product_attention(q, k, v, mask=np.zeros((3, 5), dtype=bool))
    with pytest.raises(ValueError, match=r"W_q \(dq, A\).*got W_q \(5, 8\)"):
        nn.additive_attention(q, k, v, np.ones((5, 8)), np.ones((6, 8)), np.ones(8))
    with pytest.raises(ValueError, match=r"v \(4,\)"):
        nn.additive_scores(q, k, np.ones((6, 8)), np.ones((6, 8)), np.ones(4))


def test_masked_softmax_matches_plain_softmax_without_mask():
    s = np.random.default_rng(9).normal(size=(2, 3, 4))
    np.testing.assert_allclose(att.masked_softmax(s), nn.softmax(s.reshape(-1, 4)).reshape(2, 3, 4))


# ------------------------------------------------------------------ backward
@pytest.mark.parametrize("masked", [False, True])
def test_dot_product_backward_gradient_check(masked):
    q, k, v = _qkv(12, Tk=5)
    mask = _pad_mask() if masked else None
    dout = np.random.default_rng(13).normal(size=(3, 4, 7))
    dq, dk, dv = nn.dot_product_attention_backward(dout, q, k, v, mask=mask)
    for name, x, g, f in (
        ("q", q, dq, lambda x: nn.dot_product_attention(x, k, v, mask)[0] * dout),
        ("k", k, dk, lambda x: nn.dot_product_attention(q, x, v, mask)[0] * dout),
        ("v", v, dv, lambda x: nn.dot_product_attention(q, k, x, mask)[0] * dout),
    ):
        assert nn.gradient_check(f, x, grad=g)["x"] < nn.GRADCHECK_TOL, name
    if masked:  # padded keys receive no gradient
        assert np.abs(dk[~mask]).max() == 0 and np.abs(dv[~mask]).max() == 0


def test_dot_product_backward_equals_tf(tf):
    q, k, v = _qkv(14)
    dout = np.random.default_rng(15).normal(size=(3, 4, 7))
    tq, tk, tv = (tf.Variable(a) for a in (q, k, v))
    with tf.GradientTape() as tape:
        w = tf.nn.softmax(tf.matmul(tq, tk, transpose_b=True) / np.sqrt(6.0), axis=-1)
        loss = tf.reduce_sum(tf.matmul(w, tv) * dout)
    want = tape.gradient(loss, [tq, tk, tv])
    for got, exp in zip(nn.dot_product_attention_backward(dout, q, k, v), want, strict=True):
        np.testing.assert_allclose(got, exp.numpy(), atol=1e-10)


def test_backward_self_attention_value_is_key_and_shape_error():
    q, k, _ = _qkv(16)
    dout = np.random.default_rng(17).normal(size=(3, 4, 6))
    _, dk, _ = nn.dot_product_attention_backward(dout, q, k)
    f = lambda x: nn.dot_product_attention(q, x)[0] * dout  # noqa: E731
    assert nn.gradient_check(f, k, grad=dk)["x"] < nn.GRADCHECK_TOL
    with pytest.raises(ValueError, match=r"dcontext has shape \(3, 4, 5\)"):
        nn.dot_product_attention_backward(dout[..., :5], q, k)


# ------------------------------------------------------------------ recursive NN
def test_recursive_combine_is_w_dot_concatenate():
    rng = np.random.default_rng(10)
    left, right, W, b = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(3, 6)), rng.normal(size=3)
    np.testing.assert_allclose(rec.recursive_combine(left, right, W), np.tanh(W.dot(np.concatenate([left, right]))))
    np.testing.assert_allclose(rec.recursive_combine(left, right, W, b),
                               np.tanh(W.dot(np.concatenate([left, right])) + b))
    assert not np.allclose(rec.recursive_combine(left, right, W), rec.recursive_combine(right, left, W))
    batch = rec.recursive_combine(np.stack([left, right]), np.stack([right, left]), W, b)
    np.testing.assert_allclose(batch[1], rec.recursive_combine(right, left, W, b))


def test_encode_tree_post_order_and_dict_trees():
    rng = np.random.default_rng(11)
    vecs = {w: rng.normal(size=2) for w in ("the", "movie", "was", "good")}
    W = rng.normal(size=(2, 4))
    tree = (("the", "movie"), ("was", "good"))
    root, nodes = rec.encode_tree(tree, vecs, W)
    assert [t for t, _ in nodes] == ["the", "movie", "(the movie)", "was", "good", "(was good)",
                                     "((the movie) (was good))"]
    want = np.tanh(W.dot(np.concatenate([np.tanh(W.dot(np.concatenate([vecs["the"], vecs["movie"]]))),
                                         np.tanh(W.dot(np.concatenate([vecs["was"], vecs["good"]])))])))
    np.testing.assert_allclose(root, want)
    as_dict = {"left": {"left": "the", "right": "movie"}, "right": {"left": "was", "right": "good"}}
    np.testing.assert_allclose(rec.encode_tree(as_dict, vecs, W)[0], root)


def test_recursive_errors():
    with pytest.raises(ValueError, match=r"W has shape \(3, 5\).*\(d_out, 6\)"):
        rec.recursive_combine(np.ones(3), np.ones(3), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"left \(3,\) and right \(2,\)"):
        rec.recursive_combine(np.ones(3), np.ones(2), np.ones((3, 6)))
    with pytest.raises(KeyError, match="'cat'"):
        rec.encode_tree(("cat", "dog"), {"dog": np.ones(2)}, np.ones((2, 4)))
    with pytest.raises(ValueError, match="a pair"):
        rec.encode_tree(("a", "b", "c"), {}, np.ones((2, 4)))
