"""utils.nn.gated (taught in 3_2) against Keras LSTM/GRU, tf.GradientTape and the numerical gradient."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from typing import Any

import numpy as np
import pytest

from utils import nn
from utils.nn import gated

KERAS_ATOL = 1e-5  # Keras computes in float32
TAPE_ATOL = 1e-8  # float64 BPTT against float64 GradientTape


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def keras_layer(kind: str, D: int, H: int, seed: int, dtype: str = "float32", **kw: Any) -> Any:
    """A built Keras LSTM/GRU (return_sequences=True) with random, non-trivial weights."""
    import keras

    cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind]
    layer = cls(H, return_sequences=True, dtype=dtype, **kw)
    layer.build((None, None, D))
    r = rng(seed)
    layer.set_weights([0.5 * r.standard_normal(w.shape) for w in layer.get_weights()])
    return layer


def numpy_layer(kind: str, D: int, H: int, seed: int, reset_after: bool = True) -> Any:
    r = rng(seed)
    k = 4 if kind == "lstm" else 3
    Wx, Wh = 0.5 * r.standard_normal((D, k * H)), 0.5 * r.standard_normal((H, k * H))
    if kind == "lstm":
        return nn.LSTM(Wx, Wh, 0.5 * r.standard_normal(4 * H))
    b_shape = (2, 3 * H) if reset_after else (3 * H,)
    return nn.GRU(Wx, Wh, 0.5 * r.standard_normal(b_shape))


VARIANTS = [("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]
IDS = ["lstm", "gru_reset_after", "gru_reset_before"]


# ------------------------------------------------------------------ forward equals Keras
@pytest.mark.parametrize(("kind", "kw"), VARIANTS, ids=IDS)
@pytest.mark.parametrize(("N", "T", "D", "H"), [(3, 5, 4, 6), (1, 9, 2, 3), (4, 1, 3, 2)])
def test_forward_equals_keras(kind: str, kw: dict, N: int, T: int, D: int, H: int) -> None:
    layer = keras_layer(kind, D, H, seed=D * H + T, **kw)
    x = rng(1).standard_normal((N, T, D)).astype(np.float32)
    want = np.asarray(layer(x))
    ours = (nn.LSTM if kind == "lstm" else nn.GRU).from_keras(layer)
    np.testing.assert_allclose(ours.forward(x.astype(np.float64)), want, atol=KERAS_ATOL)
    np.testing.assert_allclose(ours.h, want[:, -1], atol=KERAS_ATOL)


@pytest.mark.parametrize(("kind", "kw"), VARIANTS, ids=IDS)
def test_initial_state_equals_keras(kind: str, kw: dict) -> None:
    N, T, D, H = 2, 4, 3, 5
    layer = keras_layer(kind, D, H, seed=7, **kw)
    r = rng(2)
    x = r.standard_normal((N, T, D)).astype(np.float32)
    states = [r.standard_normal((N, H)).astype(np.float32) for _ in range(2 if kind == "lstm" else 1)]
    want = np.asarray(layer(x, initial_state=states))
    ours = (nn.LSTM if kind == "lstm" else nn.GRU).from_keras(layer)
    np.testing.assert_allclose(ours.forward(x, *states), want, atol=KERAS_ATOL)


@pytest.mark.parametrize(("kind", "kw"), VARIANTS, ids=IDS)
def test_steps_equal_layer(kind: str, kw: dict) -> None:
    """lstm_step / gru_step looped over time give the layer's hidden states."""
    N, T, D, H = 3, 4, 2, 5
    layer = numpy_layer(kind, D, H, seed=3, **kw)
    x = rng(4).standard_normal((N, T, D))
    hs = layer.forward(x)
    h = c = np.zeros((N, H))
    P = layer.params
    for t in range(T):
        if kind == "lstm":
            h, c = nn.lstm_step(x[:, t], h, c, P["Wx"], P["Wh"], P["b"])
            np.testing.assert_allclose(c, layer.gates["c"][:, t], atol=1e-12)
        else:
            h = nn.gru_step(x[:, t], h, P["Wx"], P["Wh"], P["b"])
        np.testing.assert_allclose(h, hs[:, t], atol=1e-12)


def test_gru_step_update_direction() -> None:
    """z = 1 keeps h_prev (Keras' h = z * h_prev + (1 - z) * h_tilde)."""
    H = 3
    Wx, Wh = np.zeros((2, 3 * H)), np.zeros((H, 3 * H))
    b = np.zeros((2, 3 * H))
    b[0, :H] = 50.0  # z = sigmoid(50) ~ 1
    h_prev = np.array([[0.3, -0.2, 0.9]])
    np.testing.assert_allclose(nn.gru_step(np.ones((1, 2)), h_prev, Wx, Wh, b), h_prev, atol=1e-12)


# ------------------------------------------------------------------ BPTT
def tf_forward(tf: Any, kind: str, x: Any, P: dict, h0: Any, c0: Any, reset_after: bool) -> Any:
    """The same recurrence written in TensorFlow ops (float64): hs (N, T, H)."""
    H = P["Wh"].shape[0]
    h, c, hs = h0, c0, []
    for t in range(x.shape[1]):
        xt = x[:, t]
        if kind == "lstm":
            a = xt @ P["Wx"] + h @ P["Wh"] + P["b"]
            a_i, a_f, a_g, a_o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            if "p" in P:
                a_i, a_f = a_i + P["p"][0] * c, a_f + P["p"][1] * c
            c = tf.sigmoid(a_f) * c + tf.sigmoid(a_i) * tf.tanh(a_g)
            if "p" in P:
                a_o = a_o + P["p"][2] * c
            h = tf.sigmoid(a_o) * tf.tanh(c)
        elif reset_after:
            ax = xt @ P["Wx"] + P["b"][0]
            ah = h @ P["Wh"] + P["b"][1]
            z = tf.sigmoid(ax[:, :H] + ah[:, :H])
            r = tf.sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
            h = z * h + (1 - z) * tf.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        else:
            ax = xt @ P["Wx"] + P["b"]
            z = tf.sigmoid(ax[:, :H] + h @ P["Wh"][:, :H])
            r = tf.sigmoid(ax[:, H:2 * H] + h @ P["Wh"][:, H:2 * H])
            h = z * h + (1 - z) * tf.tanh(ax[:, 2 * H:] + (r * h) @ P["Wh"][:, 2 * H:])
        hs.append(h)
    return tf.stack(hs, axis=1)


def _tape_check(layer: Any, kind: str, reset_after: bool = True, seed: int = 5) -> None:
    import tensorflow as tf

    N, T, D = 3, 6, layer.params["Wx"].shape[0]
    H = layer.H
    r = rng(seed)
    x, h0, c0 = r.standard_normal((N, T, D)), r.standard_normal((N, H)), r.standard_normal((N, H))
    dhs = r.standard_normal((N, T, H))
    dhs[:, 1] = 0.0  # a step without loss
    hs = layer.forward(x, h0, c0) if kind == "lstm" else layer.forward(x, h0)
    dx = layer.backward(dhs)
    P = {k: tf.Variable(v) for k, v in layer.params.items()}
    xv, h0v, c0v = tf.Variable(x), tf.Variable(h0), tf.Variable(c0)
    with tf.GradientTape() as tape:
        hs_tf = tf_forward(tf, kind, xv, P, h0v, c0v, reset_after)
        loss = tf.reduce_sum(hs_tf * dhs)
    keys = list(P)
    got = tape.gradient(loss, [xv, h0v, c0v] + [P[k] for k in keys])
    np.testing.assert_allclose(hs, hs_tf.numpy(), atol=TAPE_ATOL)
    np.testing.assert_allclose(dx, got[0].numpy(), atol=TAPE_ATOL)
    np.testing.assert_allclose(layer.dh0, got[1].numpy(), atol=TAPE_ATOL)
    if kind == "lstm":
        np.testing.assert_allclose(layer.dc0, got[2].numpy(), atol=TAPE_ATOL)
    for k, g in zip(keys, got[3:], strict=True):
        np.testing.assert_allclose(layer.grads[k], g.numpy(), atol=TAPE_ATOL, err_msg=k)


@pytest.mark.parametrize(("kind", "kw"), VARIANTS, ids=IDS)
def test_bptt_equals_gradient_tape(kind: str, kw: dict) -> None:
    _tape_check(numpy_layer(kind, 4, 5, seed=11, **kw), kind, **kw)


def test_peephole_bptt_equals_gradient_tape() -> None:
    layer = numpy_layer("lstm", 3, 4, seed=12)
    layer = nn.LSTM(layer.params["Wx"], layer.params["Wh"], layer.params["b"], peephole=True)
    np.testing.assert_array_equal(layer.params["p"], np.zeros((3, 4)))  # zero-initialized
    layer.params["p"][...] = 0.7 * rng(13).standard_normal((3, 4))
    _tape_check(layer, "lstm")


@pytest.mark.parametrize(("kind", "kw"), VARIANTS + [("lstm", {"peephole": True})],
                         ids=IDS + ["lstm_peephole"])
def test_gradient_check(kind: str, kw: dict) -> None:
    layer = numpy_layer(kind, 3, 4, seed=21, reset_after=kw.get("reset_after", True))
    if kw.get("peephole"):
        layer = nn.LSTM(layer.params["Wx"], layer.params["Wh"], layer.params["b"], peephole=True)
        layer.params["p"][...] = 0.5 * rng(22).standard_normal((3, 4))
    x = rng(23).standard_normal((2, 5, 3))
    errors = nn.gradient_check(layer, x)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < nn.GRADCHECK_TOL, errors


@pytest.mark.parametrize(("kind", "kw"), VARIANTS, ids=IDS)
def test_dh0_numerical(kind: str, kw: dict) -> None:
    layer = numpy_layer(kind, 2, 3, seed=31, **kw)
    r = rng(32)
    x, h0, dhs = r.standard_normal((2, 4, 2)), r.standard_normal((2, 3)), r.standard_normal((2, 4, 3))
    layer.forward(x, h0)
    layer.backward(dhs)
    num = nn.numerical_gradient(lambda h: float(np.sum(layer.forward(x, h) * dhs)), h0.copy())
    assert nn.rel_error(layer.dh0, num) < nn.GRADCHECK_TOL


def test_create_trains_shapes() -> None:
    lstm, gru = nn.LSTM.create(3, 4, seed=0, peephole=True), nn.GRU.create(3, 4, reset_after=False)
    assert lstm.params["b"][4:8].tolist() == [1.0] * 4  # unit forget bias, as Keras
    np.testing.assert_allclose(lstm.params["Wh"] @ lstm.params["Wh"].T, np.eye(4), atol=1e-12)  # orthonormal rows
    x = rng(0).standard_normal((2, 3, 3))
    assert lstm.forward(x).shape == gru.forward(x).shape == (2, 3, 4)
    assert lstm.backward(np.ones((2, 3, 4))).shape == gru.backward(np.ones((2, 3, 4))).shape == (2, 3, 3)
    assert "peephole" in repr(lstm) and "reset_after=False" in repr(gru)


# ------------------------------------------------------------------ parameter counts
@pytest.mark.parametrize(("D", "H"), [(1, 8), (16, 32), (100, 64)])
def test_param_count_equals_keras(D: int, H: int) -> None:
    import keras

    layers = {
        ("simple_rnn", True): keras.layers.SimpleRNN(H),
        ("lstm", True): keras.layers.LSTM(H),
        ("gru", True): keras.layers.GRU(H),
        ("gru", False): keras.layers.GRU(H, reset_after=False),
    }
    for (kind, reset_after), layer in layers.items():
        layer.build((None, None, D))
        assert gated.param_count(kind, D, H, reset_after=reset_after) == layer.count_params(), kind
    assert gated.param_count("lstm", D, H, peephole=True) == 4 * (D * H + H * H + H) + 3 * H
    assert gated.param_count("lstm", D, H, peephole=True) == sum(
        v.size for v in nn.LSTM.create(D, H, peephole=True).params.values())
    with pytest.raises(ValueError, match="expected 'simple_rnn'"):
        gated.param_count("transformer", D, H)


# ------------------------------------------------------------------ bad input
def test_shape_errors() -> None:
    lstm, gru = numpy_layer("lstm", 3, 4, 0), numpy_layer("gru", 3, 4, 0)
    with pytest.raises(ValueError, match=r"x has shape \(2, 5, 2\)"):
        lstm.forward(np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=r"x has shape \(5, 3\)"):
        gru.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 3\)"):
        gru.forward(np.zeros((2, 5, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"c0 has shape \(1, 4\)"):
        lstm.forward(np.zeros((2, 5, 3)), None, np.zeros((1, 4)))
    lstm.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"dhs has shape \(2, 4, 4\)"):
        lstm.backward(np.zeros((2, 4, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        numpy_layer("gru", 3, 4, 0).backward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"Wh \(4, 12\)"):
        nn.LSTM(np.zeros((3, 16)), np.zeros((4, 12)), np.zeros(16))
    with pytest.raises(ValueError, match=r"b \(4, 12\)"):
        nn.GRU(np.zeros((3, 12)), np.zeros((4, 12)), np.zeros((4, 12)))
    with pytest.raises(ValueError, match=r"x_t has shape \(2, 3\), h_prev \(2, 5\)"):
        nn.lstm_step(np.zeros((2, 3)), np.zeros((2, 5)), np.zeros((2, 5)),
                     np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16))
    with pytest.raises(ValueError, match=r"b has shape \(8,\)"):
        nn.gru_step(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((3, 12)), np.zeros((4, 12)),
                    np.zeros(8))


def test_from_keras_rejects_other_settings() -> None:
    import keras

    layer = keras.layers.LSTM(3, activation="relu")
    layer.build((None, None, 2))
    with pytest.raises(ValueError, match="activation='relu'"):
        nn.LSTM.from_keras(layer)
    with pytest.raises(ValueError, match="not built"):
        nn.GRU.from_keras(keras.layers.GRU(3))
