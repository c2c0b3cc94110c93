"""utils.nn.word2vec: pairs, CBOW windows, sampler, subsampling, cosine, nearest, SGNS vs TensorFlow."""

import numpy as np
import pytest

from utils import nn
from utils.nn import word2vec as w2v


# ------------------------------------------------------------------ pairs and windows
def test_skipgram_pairs_hand_example() -> None:
    # "a b c d" = ids 0 1 2 3, window 1 and window 2, written out by hand
    assert w2v.skipgram_pairs([0, 1, 2, 3], 1).tolist() == [
        [0, 1], [1, 0], [1, 2], [2, 1], [2, 3], [3, 2]]
    assert w2v.skipgram_pairs([[0, 1, 2, 3]], 2).tolist() == [
        [0, 1], [0, 2], [1, 0], [1, 2], [1, 3], [2, 0], [2, 1], [2, 3], [3, 1], [3, 2]]


def test_skipgram_pairs_respects_documents() -> None:
    pairs = w2v.skipgram_pairs([[0, 1], [2, 3, 4]], 3)
    assert pairs.tolist() == [[0, 1], [1, 0], [2, 3], [2, 4], [3, 2], [3, 4], [4, 2], [4, 3]]
    assert w2v.skipgram_pairs([[5], []], 2).shape == (0, 2)


def test_skipgram_pairs_count_formula_and_repeats() -> None:
    for T, m in [(5, 1), (5, 2), (6, 2), (10, 3), (4, 3)]:
        assert len(w2v.skipgram_pairs(np.arange(T), m)) == 2 * m * T - m * (m + 1)
    # a repeated word is a real pair; the center's own position never is
    assert w2v.skipgram_pairs([7, 7], 1).tolist() == [[7, 7], [7, 7]]


def test_dynamic_window_is_a_subset_weighted_to_near_words() -> None:
    rng = np.random.default_rng(0)
    doc = np.arange(2000)
    pairs = w2v.skipgram_pairs(doc, 5, rng=rng)
    dist = np.abs(pairs[:, 0] - pairs[:, 1])
    assert dist.min() >= 1 and dist.max() <= 5
    counts = np.bincount(dist, minlength=6)[1:]
    assert np.all(np.diff(counts) < 0)  # distance 1 most often, 5 least
    # expected share of distance k: (5 - k + 1) / 15
    np.testing.assert_allclose(counts / counts.sum(), np.arange(5, 0, -1) / 15, atol=0.02)


def test_cbow_windows() -> None:
    ctx, cen = w2v.cbow_windows([[0, 1, 2, 3, 4], [9, 8]], 1)
    assert ctx.tolist() == [[0, 2], [1, 3], [2, 4]] and cen.tolist() == [1, 2, 3]
    ctx, cen = w2v.cbow_windows([[1, 2]], 2)
    assert ctx.shape == (0, 4) and cen.shape == (0,)


def test_bad_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="window"):
        w2v.skipgram_pairs([1, 2, 3], 0)
    with pytest.raises(ValueError, match="shape"):
        w2v.skipgram_pairs([[[1, 2]]], 1)
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        w2v.cosine_similarity(np.ones(4), np.ones(3))
    model = w2v.SkipGramNS(10, 3)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        model.forward([0, 1], [1, 2, 3], [[1], [2]])


# ------------------------------------------------------------------ sampler and subsampling
def test_negative_sampler_frequencies() -> None:
    counts = np.array([1000, 100, 10, 1, 0])
    sampler = w2v.NegativeSampler(counts, seed=0)
    p = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(sampler.p, p)
    draws = sampler.sample((100_000, 5))
    assert draws.shape == (100_000, 5) and draws.dtype == np.int64
    freq = np.bincount(draws.ravel(), minlength=5) / draws.size
    np.testing.assert_allclose(freq, p, atol=3e-3)
    assert freq[4] == 0  # a word that never occurs is never drawn


def test_subsampling_formula() -> None:
    counts = np.array([50_000, 1_000, 100, 10, 0], dtype=float)  # 51 110 words in all
    f = counts / counts.sum()
    keep = w2v.subsample_keep_prob(counts, t=1e-2)
    np.testing.assert_allclose(keep[:2], np.sqrt(1e-2 / f[:2]))
    assert keep[2] == keep[3] == keep[4] == 1.0  # f <= t: always kept
    code = w2v.subsample_keep_prob(counts, t=1e-2, variant="code")
    np.testing.assert_allclose(code[:2], np.minimum(np.sqrt(1e-2 / f[:2]) + 1e-2 / f[:2], 1))
    docs = [np.zeros(20_000, dtype=np.int64), np.ones(10, dtype=np.int64)]
    kept = w2v.subsample(docs, np.array([0.25, 1.0]), np.random.default_rng(0))
    assert abs(kept[0].size / 20_000 - 0.25) < 0.02 and kept[1].size == 10


# ------------------------------------------------------------------ cosine and nearest
def test_cosine_matches_keras_and_formula() -> None:
    import keras

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    keras_cos = -np.asarray(keras.losses.cosine_similarity(a, b, axis=-1))  # (4,) row by row
    np.testing.assert_allclose(np.diag(w2v.cosine_similarity(a, b)), keras_cos, rtol=1e-5)
    formula = (a @ b.T) / np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(w2v.cosine_similarity(a, b), formula, rtol=1e-12)
    assert isinstance(w2v.cosine_similarity(a[0], b[0]), float)
    np.testing.assert_allclose(w2v.cosine_similarity(a[0], b), formula[0], rtol=1e-12)
    np.testing.assert_allclose(w2v.cosine_similarity(a, b[0]), formula[:, 0], rtol=1e-12)
    assert w2v.cosine_similarity([1.0, 2.0, 2.0], [2.0, 0.0, 1.0]) == pytest.approx(4 / (3 * 5**0.5))


def test_cosine_zero_vector_is_zero() -> None:
    out = w2v.cosine_similarity(np.zeros(3), np.array([[1.0, 0, 0], [0, 0, 0]]))
    assert np.array_equal(out, [0.0, 0.0])


def test_nearest() -> None:
    W = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [0.7, 0.7]])
    ids, sims = w2v.nearest(W, 0, k=3)
    assert ids.tolist() == [1, 4, 2] and np.all(np.diff(sims) <= 0)
    ids, _ = w2v.nearest(W, np.array([1.0, 0.0]), k=2, exclude=[0])
    assert ids.tolist() == [1, 4]


# ------------------------------------------------------------------ the SGNS model
def _small_model(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    V, d, B, K = 15, 4, 6, 3
    model = w2v.SkipGramNS.from_weights(rng.normal(size=(V, d)), rng.normal(size=(V, d)))
    c, o = rng.integers(0, V, size=B), rng.integers(0, V, size=B)
    n = rng.integers(0, V, size=(B, K))
    c[1] = c[0]  # a repeated center and a negative equal to a context: sums of gradients
    n[2, 0] = o[2]
    return model, c, o, n


def _loss_of(model, name, c, o, n):
    def f(W):
        keep = model.params[name]
        model.params[name] = W
        try:
            return model.forward(c, o, n)
        finally:
            model.params[name] = keep
    return f


def test_sgns_loss_formula() -> None:
    model, c, o, n = _small_model()
    v, U = model.params["W_in"], model.params["W_out"]
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    want = np.mean([
        -np.log(sig(U[o[i]] @ v[c[i]])) - sum(np.log(sig(-U[k] @ v[c[i]])) for k in n[i])
        for i in range(len(c))
    ])
    assert model.forward(c, o, n) == pytest.approx(want, rel=1e-12)
    # all-zero context vectors: every score 0, loss (1 + K) log 2
    fresh = w2v.SkipGramNS(15, 4, seed=0)
    assert fresh.forward(c, o, n) == pytest.approx(4 * np.log(2), rel=1e-6)


def test_sgns_gradient_check() -> None:
    model, c, o, n = _small_model(1)
    model.forward(c, o, n)
    grads = {k: g.copy() for k, g in model.backward().items()}
    assert set(grads) == set(model.params)
    for name in model.params:
        err = nn.gradient_check(_loss_of(model, name, c, o, n), model.params[name], grad=grads[name])
        assert err["x"] < nn.GRADCHECK_TOL, (name, err)


def test_train_step_is_sgd_on_the_summed_loss() -> None:
    model, c, o, n = _small_model(2)
    before = {k: v.copy() for k, v in model.params.items()}
    want = model.forward(c, o, n)
    grads = {k: g.copy() for k, g in model.backward().items()}  # of the mean loss
    assert model.train_step(c, o, n, lr=0.05) == want  # the loss before the step
    for k in before:
        np.testing.assert_allclose(model.params[k], before[k] - 0.05 * len(c) * grads[k], atol=1e-12)


def test_sgns_equals_keras_embedding_dot_with_gradient_tape() -> None:
    import keras
    import tensorflow as tf

    model, c, o, n = _small_model(3)
    V, d = model.params["W_in"].shape
    K = n.shape[1]
    kmodel = w2v.keras_sgns_model(V, d, K)
    w_in, w_out = kmodel.get_layer("w_in"), kmodel.get_layer("w_out")
    w_in.set_weights([model.params["W_in"].astype("float32")])
    w_out.set_weights([model.params["W_out"].astype("float32")])
    np_model = w2v.SkipGramNS.from_weights(np.asarray(w_in.embeddings, np.float64),
                                           np.asarray(w_out.embeddings, np.float64))
    targets = np.concatenate([o[:, None], n], axis=1).astype("int32")
    labels = np.zeros(targets.shape, "float32")
    labels[:, 0] = 1
    with tf.GradientTape() as tape:
        scores = kmodel([c.astype("int32"), targets])
        loss = tf.reduce_mean(w2v.sgns_keras_loss(labels, scores))
    g_in, g_out = (tf.convert_to_tensor(g).numpy()
                   for g in tape.gradient(loss, [w_in.embeddings, w_out.embeddings]))
    np_loss = np_model.forward(c, o, n)
    grads = np_model.backward()
    assert float(loss) == pytest.approx(np_loss, rel=1e-5)
    np.testing.assert_allclose(g_in, grads["W_in"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g_out, grads["W_out"], rtol=1e-4, atol=1e-5)
    # the Keras loss used with compile() gives the same mean
    kmodel.compile(optimizer=keras.optimizers.SGD(0.0), loss=w2v.sgns_keras_loss)
    assert kmodel.evaluate([c.astype("int32"), targets], labels, verbose=0) == pytest.approx(np_loss, rel=1e-5)
