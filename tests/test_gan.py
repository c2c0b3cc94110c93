"""utils.gan: losses vs hand computation and Keras, model shapes, the train step, errors."""

import keras
import numpy as np
import pytest

from utils import gan


def test_losses_by_hand():
    # D = sigmoid(0) = 1/2 everywhere: -log(1/2) per term
    assert gan.discriminator_loss([0.0, 0.0], [0.0]) == pytest.approx(2 * np.log(2))
    assert gan.generator_loss([0.0, 0.0, 0.0]) == pytest.approx(np.log(2))
    # D(x) = 0.8 (logit log 4), D(G(z)) = 0.2 (logit -log 4)
    assert gan.discriminator_loss([np.log(4)], [-np.log(4)]) == pytest.approx(-2 * np.log(0.8))
    assert gan.generator_loss([-np.log(4)]) == pytest.approx(-np.log(0.2))
    assert gan.generator_loss([-np.log(4)], saturating=True) == pytest.approx(np.log(0.8))
    assert np.isfinite(gan.discriminator_loss([-1000.0], [1000.0]))


def test_losses_match_keras_bce():
    rng = np.random.default_rng(0)
    r, f = rng.normal(size=(7, 1)), rng.normal(size=(9, 1))
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    want_d = float(bce(np.ones((7, 1)), r) + bce(np.zeros((9, 1)), f))
    want_g = float(bce(np.ones((9, 1)), f))
    assert gan.discriminator_loss(r, f) == pytest.approx(want_d, rel=1e-5)
    assert gan.generator_loss(f) == pytest.approx(want_g, rel=1e-5)
    assert float(gan.d_loss(r.astype("float32"), f.astype("float32"))) == pytest.approx(
        want_d, rel=1e-5
    )
    assert float(gan.g_loss(f.astype("float32"))) == pytest.approx(want_g, rel=1e-5)


def test_generator_grad_matches_finite_differences():
    a, h = np.array([-3.0, 0.0, 2.0]), 1e-5
    d = 1 / (1 + np.exp(-a))
    for sat in (False, True):
        num = np.array(
            [
                (gan.generator_loss([x + h], sat) - gan.generator_loss([x - h], sat)) / (2 * h)
                for x in a
            ]
        )
        np.testing.assert_allclose(gan.generator_grad(d, saturating=sat), num, atol=1e-6)


def test_bad_logits_shape():
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        gan.discriminator_loss(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="fake_logits"):
        gan.generator_loss(np.zeros((2, 2, 1)))


def test_model_shapes():
    g, d = gan.build_generator(8), gan.build_discriminator(width=4)
    assert g(np.zeros((3, 8), "float32")).shape == (3, 28, 28, 1)
    assert d(np.zeros((3, 28, 28, 1), "float32")).shape == (3, 1)
    gc, dc = gan.build_generator(8, 10, width=8), gan.build_discriminator(10, width=4)
    y = np.array([0, 5, 9], "int32")
    out = gc([np.zeros((3, 8), "float32"), y])
    assert out.shape == (3, 28, 28, 1) and float(np.abs(out).max()) <= 1.0
    assert dc([np.zeros((3, 28, 28, 1), "float32"), y]).shape == (3, 1)


def _small_cgan():
    keras.utils.set_random_seed(0)
    m = gan.GAN(gan.build_generator(8, 10, width=8), gan.build_discriminator(10, width=4), 8, 10)
    m.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    return m


def _weights(model):
    return [np.array(w) for w in model.trainable_weights]


def _changed(before, model):
    return [
        not np.array_equal(b, np.array(w))
        for b, w in zip(before, model.trainable_weights, strict=True)
    ]


def test_steps_change_only_their_own_network():
    m = _small_cgan()
    x = np.random.default_rng(1).uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    y = np.arange(6, dtype="int32")
    g0, d0 = _weights(m.generator), _weights(m.discriminator)
    m.d_step(x, y)
    assert not any(_changed(g0, m.generator)) and all(_changed(d0, m.discriminator)[:2])
    g0, d0 = _weights(m.generator), _weights(m.discriminator)
    m.g_step(6, y)
    assert not any(_changed(d0, m.discriminator)) and any(_changed(g0, m.generator))


def test_fit_and_generate():
    m = _small_cgan()
    x = np.random.default_rng(2).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    hist = m.fit(x, np.arange(16, dtype="int32") % 10, batch_size=8, epochs=1, verbose=0)
    assert set(hist.history) == {"d_loss", "g_loss"} and np.isfinite(hist.history["g_loss"]).all()
    assert m.generate(4, [0, 1, 2, 3]).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="labels"):
        m.generate(4, [0, 1, 2, 10])
    with pytest.raises(ValueError, match="labels"):
        m.generate(4, [0, 1])
    with pytest.raises(ValueError, match=r"\(N, 28, 28, 1\)"):
        m.fit(np.zeros((8, 28, 28), "float32"), np.zeros(8, "int32"), epochs=1, verbose=0)


def test_sample_grid_and_entropy():
    imgs = np.arange(6 * 2 * 3).reshape(6, 2, 3)
    grid = gan.sample_grid(imgs, 2)
    assert grid.shape == (4, 9)
    np.testing.assert_array_equal(grid[:2, 3:6], imgs[1])
    np.testing.assert_array_equal(grid[2:, :3], imgs[3])
    with pytest.raises(ValueError, match="multiple of nrows"):
        gan.sample_grid(imgs, 4)
    assert gan.label_entropy(np.arange(10)) == pytest.approx(np.log(10))
    assert gan.label_entropy(np.zeros(5, int)) == 0.0
