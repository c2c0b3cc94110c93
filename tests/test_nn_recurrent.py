"""utils.nn.recurrent against Keras, tf.GradientTape, the numerical gradient and brute force (3_1)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re

import numpy as np
import pytest

from utils import nn

KERAS_ATOL = 1e-5  # Keras computes in float32
TAPE_ATOL = 1e-8  # float64 against float64


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def weights(D: int, H: int, seed: int = 0, scale: float = 0.5) -> tuple[np.ndarray, ...]:
    r = rng(seed)
    return r.normal(0, scale, (D, H)), r.normal(0, scale, (H, H)), r.normal(0, 0.1, H)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def keras(tf):
    import keras

    return keras


# ------------------------------------------------------------------ rnn_step and forward
def test_rnn_step_is_one_step_of_the_layer() -> None:
    Wx, Wh, b = weights(3, 4)
    r = rng(1)
    x, h0 = r.normal(size=(2, 5, 3)), r.normal(size=(2, 4))
    hs = nn.RNN(Wx, Wh, b).forward(x, h0)
    np.testing.assert_allclose(nn.rnn_step(x[:, 0], h0, Wx, Wh, b), hs[:, 0])
    np.testing.assert_allclose(nn.rnn_step(x[:, 3], hs[:, 2], Wx, Wh, b), hs[:, 3])
    np.testing.assert_allclose(nn.rnn_step(x[:, 0], h0, Wx, Wh, b, activation=nn.relu),
                               np.maximum(x[:, 0] @ Wx + h0 @ Wh + b, 0))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_forward_equals_keras_simple_rnn(keras, activation: str) -> None:
    N, T, D, H = 3, 7, 4, 5
    x = rng(2).normal(size=(N, T, D)).astype(np.float32)
    layer = keras.layers.SimpleRNN(H, activation=activation, return_sequences=True,
                                   bias_initializer="random_normal")
    want = np.asarray(layer(x))
    ours = nn.RNN.from_keras(layer)
    assert ours.activation == activation
    np.testing.assert_allclose(ours.forward(x), want, atol=KERAS_ATOL)
    np.testing.assert_allclose(ours.h, want[:, -1], atol=KERAS_ATOL)
    # and the other way round: our weights copied into Keras
    Wx, Wh, b = weights(D, H, seed=3)
    layer.set_weights(nn.RNN(Wx, Wh, b).get_weights())
    np.testing.assert_allclose(nn.RNN(Wx, Wh, b, activation=activation).forward(x),
                               np.asarray(layer(x)), atol=KERAS_ATOL)


def test_forward_with_initial_state_equals_keras(keras) -> None:
    x = rng(4).normal(size=(2, 6, 3)).astype(np.float32)
    h0 = rng(5).normal(size=(2, 4)).astype(np.float32)
    layer = keras.layers.SimpleRNN(4, return_sequences=True)
    want = np.asarray(layer(x, initial_state=[h0]))
    np.testing.assert_allclose(nn.RNN.from_keras(layer).forward(x, h0), want, atol=KERAS_ATOL)


# ------------------------------------------------------------------ BPTT against GradientTape
def tape_grads(tf, x, h0, Wx, Wh, b, dhs, activation="tanh"):
    f = {"tanh": tf.tanh, "relu": tf.nn.relu, "sigmoid": tf.sigmoid}[activation]
    v = {k: tf.Variable(a) for k, a in dict(Wx=Wx, Wh=Wh, b=b, x=x, h0=h0).items()}
    with tf.GradientTape() as tape:
        h, hs = v["h0"], []
        for t in range(x.shape[1]):
            h = f(v["x"][:, t] @ v["Wx"] + h @ v["Wh"] + v["b"])
            hs.append(h)
        loss = tf.reduce_sum(tf.stack(hs, axis=1) * dhs)
    return {k: np.asarray(g) for k, g in tape.gradient(loss, v).items()}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_bptt_equals_gradient_tape(tf, activation: str) -> None:
    N, T, D, H = 3, 6, 2, 4
    Wx, Wh, b = weights(D, H, seed=6, scale=0.8)
    r = rng(7)
    x, h0, dhs = r.normal(size=(N, T, D)), r.normal(size=(N, H)), r.normal(size=(N, T, H))
    layer = nn.RNN(Wx, Wh, b, activation=activation)
    layer.forward(x, h0)
    dx = layer.backward(dhs)
    want = tape_grads(tf, x, h0, Wx, Wh, b, dhs, activation)
    for k in ("Wx", "Wh", "b"):
        np.testing.assert_allclose(layer.grads[k], want[k], atol=TAPE_ATOL, err_msg=k)
    np.testing.assert_allclose(dx, want["x"], atol=TAPE_ATOL)
    np.testing.assert_allclose(layer.dh0, want["h0"], atol=TAPE_ATOL)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_gradient_check_rnn_layer(activation: str) -> None:
    Wx, Wh, b = weights(3, 4, seed=8, scale=0.7)
    x = rng(9).normal(size=(2, 5, 3))
    errors = nn.gradient_check(nn.RNN(Wx, Wh, b, activation=activation), x)
    assert set(errors) == {"x", "Wx", "Wh", "b"}
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_dh0_equals_numerical_gradient() -> None:
    Wx, Wh, b = weights(2, 3, seed=10)
    r = rng(11)
    x, h0, dhs = r.normal(size=(2, 4, 2)), r.normal(size=(2, 3)), r.normal(size=(2, 4, 3))
    layer = nn.RNN(Wx, Wh, b)
    layer.forward(x, h0)
    layer.backward(dhs)
    num = nn.numerical_gradient(lambda h: float(np.sum(layer.forward(x, h) * dhs)), h0.copy())
    assert nn.rel_error(layer.dh0, num) < nn.GRADCHECK_TOL


def test_gradient_check_many_to_many_model() -> None:
    """RNN -> TimeAffine -> per-step sigmoid + BCE, the binary-addition model."""
    r = rng(12)
    Wx, Wh, b = weights(2, 5, seed=13)
    model = nn.Sequential([nn.RNN(Wx, Wh, b), nn.TimeAffine(r.normal(size=(5, 1)), r.normal(size=1))],
                          loss=nn.TimeSigmoidWithLoss())
    x = r.integers(0, 2, size=(3, 6, 2)).astype(float)
    t = r.integers(0, 2, size=(3, 6, 1)).astype(float)
    errors = nn.gradient_check(model, x, t)
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


def test_time_layers_equal_keras(keras) -> None:
    r = rng(14)
    x, W, b = r.normal(size=(2, 3, 4)), r.normal(size=(4, 2)), r.normal(size=2)
    dense = keras.layers.Dense(2)
    dense.build((None, 3, 4))
    dense.set_weights([W, b])
    np.testing.assert_allclose(nn.TimeAffine(W, b).forward(x), np.asarray(dense(x)), atol=KERAS_ATOL)
    errors = nn.gradient_check(nn.TimeAffine(W, b), x)
    assert max(errors.values()) < nn.GRADCHECK_TOL
    t = r.integers(0, 2, size=(2, 3, 2)).astype(float)
    want = float(keras.losses.BinaryCrossentropy(from_logits=True)(t, x[..., :2]))
    assert nn.TimeSigmoidWithLoss().forward(x[..., :2], t) == pytest.approx(want, rel=1e-5)
    errors = nn.gradient_check(nn.TimeSigmoidWithLoss(), x[..., :2], t)
    assert errors["x"] < nn.GRADCHECK_TOL


# ------------------------------------------------------------------ truncated BPTT
def truncated_reference(Wx, Wh, b, x, h0, dhs, k, activation="tanh"):
    """Brute force: for every loss step s, full BPTT on the window s-k+1 … s alone,
    started from the (constant) state before the window, with the loss of step s only."""
    full = nn.RNN(Wx, Wh, b, activation=activation)
    hs = full.forward(x, h0)
    N, T, H = hs.shape
    grads = {key: np.zeros_like(v) for key, v in full.params.items()}
    dx, dh0 = np.zeros_like(x), np.zeros_like(h0)
    for s in range(T):
        start = max(0, s - k + 1)
        h_before = h0 if start == 0 else hs[:, start - 1]
        window = nn.RNN(Wx, Wh, b, activation=activation)
        window.forward(x[:, start:s + 1], h_before)
        d = np.zeros((N, s + 1 - start, H))
        d[:, -1] = dhs[:, s]
        dx[:, start:s + 1] += window.backward(d)
        for key in grads:
            grads[key] += window.grads[key]
        if start == 0:
            dh0 += window.dh0
    return grads, dx, dh0


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_truncated_bptt_equals_brute_force(k: int, activation: str) -> None:
    N, T, D, H = 2, 6, 3, 4
    Wx, Wh, b = weights(D, H, seed=15, scale=0.8)
    r = rng(16)
    x, h0, dhs = r.normal(size=(N, T, D)), r.normal(size=(N, H)), r.normal(size=(N, T, H))
    layer = nn.RNN(Wx, Wh, b, activation=activation, truncate=k)
    layer.forward(x, h0)
    dx = layer.backward(dhs)
    grads, dx_ref, dh0_ref = truncated_reference(Wx, Wh, b, x, h0, dhs, k, activation)
    for key in grads:
        np.testing.assert_allclose(layer.grads[key], grads[key], atol=1e-12, err_msg=key)
    np.testing.assert_allclose(dx, dx_ref, atol=1e-12)
    np.testing.assert_allclose(layer.dh0, dh0_ref, atol=1e-12)


def test_truncation_k_ge_T_is_full_bptt_and_k1_is_local(tf) -> None:
    N, T, D, H = 2, 5, 2, 3
    Wx, Wh, b = weights(D, H, seed=17)
    r = rng(18)
    x, dhs = r.normal(size=(N, T, D)), r.normal(size=(N, T, H))
    full, long = nn.RNN(Wx, Wh, b), nn.RNN(Wx, Wh, b, truncate=T)
    full.forward(x)
    long.forward(x)
    np.testing.assert_allclose(long.backward(dhs), full.backward(dhs), atol=1e-12)
    for key in full.grads:
        np.testing.assert_allclose(long.grads[key], full.grads[key], atol=1e-12)
    # k = 1: the same as a tape on which every previous state is a constant (stop_gradient)
    one = nn.RNN(Wx, Wh, b, truncate=1)
    one.forward(x)
    dx = one.backward(dhs)
    v = {k: tf.Variable(a) for k, a in dict(Wx=Wx, Wh=Wh, b=b, x=x).items()}
    with tf.GradientTape() as tape:
        h, hs = tf.zeros((N, H), dtype=tf.float64), []
        for t in range(T):
            h = tf.tanh(v["x"][:, t] @ v["Wx"] + tf.stop_gradient(h) @ v["Wh"] + v["b"])
            hs.append(h)
        loss = tf.reduce_sum(tf.stack(hs, axis=1) * dhs)
    want = tape.gradient(loss, v)
    for key in ("Wx", "Wh", "b"):
        np.testing.assert_allclose(one.grads[key], np.asarray(want[key]), atol=TAPE_ATOL)
    np.testing.assert_allclose(dx, np.asarray(want["x"]), atol=TAPE_ATOL)


# ------------------------------------------------------------------ Bidirectional
def test_bidirectional_equals_keras(keras) -> None:
    N, T, D, H = 2, 6, 3, 4
    x = rng(19).normal(size=(N, T, D)).astype(np.float32)
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(H, return_sequences=True))
    want = np.asarray(layer(x))
    ours = nn.Bidirectional.from_keras(layer)
    got = ours.forward(x)
    assert got.shape == (N, T, 2 * H)
    np.testing.assert_allclose(got, want, atol=KERAS_ATOL)
    # the seed's per-sample form: np.concatenate([h_f, h_b[::-1]], axis=1)
    h_f = ours.forward_layer.forward(x[:1])[0]
    h_b = ours.backward_layer.forward(x[:1, ::-1])[0]
    np.testing.assert_allclose(np.concatenate([h_f, h_b[::-1]], axis=1), got[0])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_bidirectional_of_gated_layers_equals_keras(keras, kind: str) -> None:
    if not hasattr(nn, kind):
        pytest.skip(f"utils.nn.{kind} (3_2) is not there yet")
    x = rng(24).normal(size=(2, 5, 3)).astype(np.float32)
    layer = keras.layers.Bidirectional(getattr(keras.layers, kind)(4, return_sequences=True))
    want = np.asarray(layer(x))
    np.testing.assert_allclose(nn.Bidirectional.from_keras(layer).forward(x), want, atol=KERAS_ATOL)


def test_bidirectional_gradients(tf) -> None:
    N, T, D, H = 2, 5, 3, 2
    f = nn.RNN(*weights(D, H, seed=20))
    bw = nn.RNN(*weights(D, H + 1, seed=21), activation="relu")
    bi = nn.Bidirectional(f, bw)
    x = rng(22).normal(size=(N, T, D))
    errors = nn.gradient_check(bi, x)
    assert set(errors) == {"x", "forward.Wx", "forward.Wh", "forward.b", "backward.Wx",
                           "backward.Wh", "backward.b"}
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


# ------------------------------------------------------------------ clip_grad_norm
def test_clip_grad_norm_caps_the_norm_and_keeps_direction(tf) -> None:
    r = rng(23)
    grads = {"W": r.normal(size=(3, 4)) * 5, "b": r.normal(size=4) * 5}
    before = {k: v.copy() for k, v in grads.items()}
    held = dict(grads)
    norm = nn.clip_grad_norm(grads, 2.0)
    total = np.sqrt(sum(np.sum(v**2) for v in before.values()))
    assert norm == pytest.approx(total)
    assert np.sqrt(sum(np.sum(v**2) for v in grads.values())) == pytest.approx(2.0)
    for k in grads:
        assert grads[k] is held[k]  # in place
        np.testing.assert_allclose(grads[k], before[k] * 2.0 / total)
    clipped, global_norm = tf.clip_by_global_norm([before["W"], before["b"]], 2.0)
    assert float(global_norm) == pytest.approx(norm)
    np.testing.assert_allclose(grads["W"], np.asarray(clipped[0]), atol=1e-12)
    np.testing.assert_allclose(grads["b"], np.asarray(clipped[1]), atol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone() -> None:
    grads = {"W": np.full((2, 2), 0.1), "b": np.array([0.2])}
    before = {k: v.copy() for k, v in grads.items()}
    assert nn.clip_grad_norm(grads, 1.0) == pytest.approx(np.sqrt(4 * 0.01 + 0.04))
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])
    with pytest.raises(ValueError, match="max_norm"):
        nn.clip_grad_norm(grads, 0.0)


# ------------------------------------------------------------------ shape errors
def test_shape_errors_name_the_shapes() -> None:
    Wx, Wh, b = weights(3, 4)
    layer = nn.RNN(Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("x (2, 5, 2)")):
        layer.forward(np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=re.escape("h0 (2, 3)")):
        layer.forward(np.zeros((2, 5, 3)), np.zeros((2, 3)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=re.escape("dhs (2, 4, 4)")):
        layer.backward(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match=re.escape("Wh (3, 3)")):
        nn.RNN(Wx, np.zeros((3, 3)), b)
    with pytest.raises(ValueError, match=re.escape("h_prev (2, 3)")):
        nn.rnn_step(np.zeros((2, 3)), np.zeros((2, 3)), Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("x (2, 4)")):
        nn.TimeAffine(np.zeros((4, 1)), np.zeros(1)).forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=re.escape("t (2, 3)")):
        nn.TimeSigmoidWithLoss().forward(np.zeros((2, 3, 1)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="activation"):
        nn.RNN(Wx, Wh, b, activation="softmax")
    with pytest.raises(ValueError, match="truncate"):
        nn.RNN(Wx, Wh, b, truncate=0)
