"""utils.seq2seq: the encoder–decoder and its decoding, sampling with a temperature, the VAE pieces."""

import numpy as np
import pytest

from utils import seq2seq as s2s

V_SRC, V_TGT, UNITS = 9, 7, 8


@pytest.fixture(scope="module", params=["lstm", "gru"])
def model(request):
    return s2s.build_seq2seq(V_SRC, V_TGT, embed_dim=4, units=UNITS, cell=request.param, seed=3)


def _src(seed=0, N=6, S=5):
    rng = np.random.default_rng(seed)
    src = rng.integers(3, V_SRC, size=(N, S)).astype(np.int32)
    src[0, 3:] = 0  # a padded source
    return src


def test_shapes(model):
    src = _src()
    dec = np.ones((6, 4), dtype=np.int32)
    assert model.model.predict([src, dec], verbose=0).shape == (6, 4, V_TGT)
    enc_outputs, *states = model.encoder.predict(src, verbose=0)
    assert enc_outputs.shape == (6, 5, UNITS)
    assert len(states) == model.n_states == (2 if "lstm" in model.model.name else 1)
    assert all(s.shape == (6, UNITS) for s in states)
    probs, *new_states = model.decoder_step.predict([dec[:, :1], *states], verbose=0)
    assert probs.shape == (6, 1, V_TGT) and len(new_states) == model.n_states
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)


def _until_end(ids):
    """Mask of the positions up to and including the first END (or PAD) of each row."""
    is_end = (ids == s2s.END) | (ids == 0)
    after = np.cumsum(is_end, axis=1) - is_end  # ENDs strictly before each position
    return after == 0


def test_greedy_equals_teacher_forced_argmax(model):
    """Feeding greedy's own outputs back with teacher forcing gives the same argmax at every step."""
    src, T = _src(1), 6
    greedy = s2s.greedy_decode(model, src, T)
    dec_in, _ = s2s.teacher_forcing_targets(np.where(greedy == 0, s2s.END, greedy))
    argmax = model.model.predict([src, dec_in], verbose=0).argmax(axis=-1)
    keep = _until_end(greedy)
    np.testing.assert_array_equal(argmax[keep], greedy[keep])
    assert (greedy[~keep] == 0).all()  # padded after the end


def test_small_temperature_is_greedy(model):
    src = _src(2)
    np.testing.assert_array_equal(s2s.sample_decode(model, src, 6, temperature=1e-9, seed=5),
                                  s2s.greedy_decode(model, src, 6))


def test_sample_decode_repeatable_and_varied(model):
    src = np.repeat(_src(4)[:1], 200, axis=0)  # one source, 200 times
    a = s2s.sample_decode(model, src, 6, temperature=2.0, seed=7)
    np.testing.assert_array_equal(a, s2s.sample_decode(model, src, 6, temperature=2.0, seed=7))
    assert len({tuple(r) for r in a}) > 10  # an untrained model at T = 2 varies a lot


def test_temperature_softmax_equals_keras():
    import keras

    logits = np.random.default_rng(0).normal(size=(4, 6)) * 3
    for T in (0.3, 1.0, 2.5):
        want = keras.ops.convert_to_numpy(keras.ops.softmax(logits / T, axis=-1))
        np.testing.assert_allclose(s2s.temperature_softmax(logits, T), want, rtol=1e-6, atol=1e-12)
    assert np.isfinite(s2s.temperature_softmax(np.array([1000.0, 0.0]), 0.001)).all()


@pytest.mark.parametrize("T", [0.5, 1.0, 3.0])
def test_sampling_frequencies_match_softmax(T):
    logits = np.array([[2.0, 1.0, 0.0, -1.0, 0.5], [0.0, 0.0, 3.0, 1.0, -2.0]])
    n = 20_000
    rng = np.random.default_rng(11)
    tokens = s2s.sample_tokens(np.repeat(logits, n, axis=0), T, rng).reshape(2, n)
    for row in range(2):
        freq = np.bincount(tokens[row], minlength=5) / n
        np.testing.assert_allclose(freq, s2s.temperature_softmax(logits[row], T), atol=0.012)
    single = np.random.default_rng(12)
    draws = [s2s.sample_token(logits[0], T, single)[1] for _ in range(5_000)]
    np.testing.assert_allclose(np.bincount(draws, minlength=5) / 5_000,
                               s2s.temperature_softmax(logits[0], T), atol=0.02)


def test_sample_token_deterministic_given_rng():
    logits = np.array([0.1, 0.4, -0.3])
    a = [s2s.sample_token(logits, 1.0, r)[1] for r in [np.random.default_rng(0)] for _ in range(50)]
    b = [s2s.sample_token(logits, 1.0, r)[1] for r in [np.random.default_rng(0)] for _ in range(50)]
    assert a == b


def test_teacher_forcing_targets():
    t = np.array([[5, 6, 2, 0], [7, 2, 0, 0]])
    dec_in, dec_out = s2s.teacher_forcing_targets(t)
    np.testing.assert_array_equal(dec_in, [[1, 5, 6, 2], [1, 7, 2, 0]])
    np.testing.assert_array_equal(dec_out, t)
    assert dec_out is not t and dec_in.dtype == t.dtype


def test_reparameterize_statistics_and_formula():
    rng = np.random.default_rng(0)
    mu, log_var = np.array([[1.0, -2.0]]), np.array([[np.log(4.0), np.log(0.25)]])
    eps = rng.normal(size=(100_000, 2))
    z = s2s.reparameterize(np.repeat(mu, len(eps), 0), np.repeat(log_var, len(eps), 0), eps)
    np.testing.assert_allclose(z.mean(axis=0), mu[0], atol=0.02)
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.5], rtol=0.01)


def test_sampling_layer_statistics():
    import keras

    mu = np.tile([[0.5, -1.0]], (50_000, 1)).astype("float32")
    log_var = np.tile([[np.log(9.0), 0.0]], (50_000, 1)).astype("float32")
    z = keras.ops.convert_to_numpy(s2s.sampling_layer(seed=1)([mu, log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [0.5, -1.0], atol=0.04)
    np.testing.assert_allclose(z.std(axis=0), [3.0, 1.0], rtol=0.02)


def test_kl_against_gaussian_formula():
    """KL(N(μ, σ²) || N(0, 1)) = log(1/σ) + (σ² + μ²)/2 − ½ per dimension, summed."""
    rng = np.random.default_rng(1)
    mu, log_var = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    sigma = np.exp(0.5 * log_var)
    want = np.sum(np.log(1 / sigma) + (sigma**2 + mu**2) / 2 - 0.5, axis=1)
    np.testing.assert_allclose(s2s.kl_normal(mu, log_var), want, rtol=1e-12)
    assert np.allclose(s2s.kl_normal(np.zeros((2, 4)), np.zeros((2, 4))), 0.0)
    # Monte Carlo: E_q[log q(z) − log p(z)] for one row
    z = mu[0] + sigma[0] * rng.normal(size=(200_000, 3))
    log_q = -0.5 * (((z - mu[0]) / sigma[0]) ** 2 + np.log(2 * np.pi) + log_var[0])
    log_p = -0.5 * (z**2 + np.log(2 * np.pi))
    assert abs((log_q - log_p).sum(axis=1).mean() - want[0]) < 0.03


def test_vae_losses_match_numpy():
    """The VAE's kl and reconstruction metrics equal kl_normal and the summed BCE."""
    x = np.random.default_rng(2).uniform(0.05, 0.95, size=(32, 12)).astype("float32")
    vae = s2s.build_vae(input_dim=12, latent_dim=2, hidden=8, seed=0)
    vae.compile(optimizer="adam")
    out = vae.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    mu, log_var, _ = (np.asarray(a, dtype=np.float64) for a in vae.encoder(x))
    np.testing.assert_allclose(out["kl"], s2s.kl_normal(mu, log_var).mean(), rtol=1e-4)
    assert out["reconstruction"] > 0 and np.isclose(out["loss"], out["reconstruction"] + out["kl"], rtol=1e-4)
    hist = vae.fit(x, epochs=2, batch_size=16, verbose=0)
    assert set(hist.history) >= {"loss", "reconstruction", "kl"}


def test_autoencoder_shapes():
    ae, enc, dec = s2s.build_autoencoder(input_dim=12, latent_dim=3, hidden=8, seed=0)
    x = np.zeros((4, 12), dtype="float32")
    assert enc.predict(x, verbose=0).shape == (4, 3) and ae.predict(x, verbose=0).shape == (4, 12)
    assert dec.predict(np.zeros((2, 3)), verbose=0).shape == (2, 12)


def test_accuracies():
    assert s2s.exact_sequence_accuracy(["1994-09-27", "2001-01-01"], ["1994-09-27", "2001-01-02"]) == 0.5
    np.testing.assert_allclose(s2s.position_accuracy(["ab", "a", "xbc"], ["ab", "ab", "abc"]),
                               [2 / 3, 2 / 3, 1.0])


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(4,\)"):
        s2s.teacher_forcing_targets(np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 2\)"):
        s2s.reparameterize(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        s2s.sample_token(np.zeros((2, 3)), 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        s2s.sample_tokens(np.zeros(3), 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="positive"):
        s2s.temperature_softmax(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        s2s.kl_normal(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="3 predictions for 2"):
        s2s.exact_sequence_accuracy(["a", "b", "c"], ["a", "b"])
    with pytest.raises(ValueError, match="'rnn'"):
        s2s.build_seq2seq(5, 5, cell="rnn")


def test_greedy_decode_rejects_1d_source(model):
    with pytest.raises(ValueError, match=r"\(5,\)"):
        s2s.greedy_decode(model, np.ones(5, dtype=int), 4)


@pytest.fixture(scope="module", params=["dot", "additive"])
def attention_model(request):
    import keras

    layer = keras.layers.Attention() if request.param == "dot" else keras.layers.AdditiveAttention()
    return s2s.build_seq2seq(V_SRC, V_TGT, embed_dim=4, units=UNITS, attention=layer, seed=0)


def test_attention_hook(attention_model):
    """An attention layer plugs into the same model (lesson 3_6): greedy decoding (the step model,
    given the source ids for the padding mask) equals the teacher-forced argmax, padded rows too."""
    m = attention_model
    assert m.uses_encoder_outputs
    src = _src(5)
    src[1, 2:] = 0  # a second padded source
    greedy = s2s.greedy_decode(m, src, 5)
    dec_in, _ = s2s.teacher_forcing_targets(np.where(greedy == 0, s2s.END, greedy))
    argmax = m.model.predict([src, dec_in], verbose=0).argmax(axis=-1)
    keep = _until_end(greedy)
    np.testing.assert_array_equal(argmax[keep], greedy[keep])


def test_attention_weights_are_distributions_without_padding(attention_model):
    src = _src(6)
    src[2, 1:] = 0
    dec_in = np.ones((6, 4), dtype=np.int32)
    w = attention_model.attention_weights.predict([src, dec_in], verbose=0)
    assert w.shape == (6, 4, 5)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)
    assert (w[src[:, None, :].repeat(4, axis=1) == 0] < 1e-6).all()  # padded source positions
    np.testing.assert_allclose(w[2, :, 0], 1.0, rtol=1e-5)            # one real character: all on it


def test_no_attention_weights_without_attention(model):
    assert model.attention_weights is None and not model.uses_encoder_outputs
