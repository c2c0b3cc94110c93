"""utils.nn.regularization (penalties, Dropout) and utils.regularize (Keras pieces) against
TensorFlow/Keras and the numerical gradient."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re
from typing import Any

import numpy as np
import pytest

from utils import nn

TOL = nn.GRADCHECK_TOL




@pytest.fixture(scope="module")
def reg() -> Any:
    import utils.regularize as reg

    return reg


def params(seed: int = 0) -> dict[str, np.ndarray]:
    r = np.random.default_rng(seed)
    return {"0.W": r.normal(size=(5, 4)), "0.b": r.normal(size=4),
            "2.W": r.normal(size=(4, 3)), "2.b": r.normal(size=3)}


def small_net(dropout: nn.Dropout, seed: int = 0) -> nn.Sequential:
    r = np.random.default_rng(seed)
    return nn.Sequential([
        nn.Affine(r.normal(0, 0.5, (6, 8)), r.normal(0, 0.1, 8)), nn.ReLU(), dropout,
        nn.Affine(r.normal(0, 0.5, (8, 3)), r.normal(0, 0.1, 3)),
    ])


# ------------------------------------------------------------------ penalties
def test_weight_keys_are_the_weight_matrices() -> None:
    assert nn.weight_keys(params()) == ["0.W", "2.W"]
    assert nn.weight_keys({"W1": 0, "b1": 0, "W2": 0, "b2": 0, "3.gamma": 0}) == ["W1", "W2"]


def test_l2_penalty_equals_gradient_tape(tf: Any) -> None:
    p, lam = params(1), 0.07
    value, grads = nn.l2_penalty(p, lam)
    assert set(grads) == {"0.W", "2.W"}
    variables = {k: tf.Variable(v) for k, v in p.items()}
    with tf.GradientTape() as tape:
        penalty = 0.5 * lam * tf.add_n([tf.reduce_sum(variables[k] ** 2) for k in ("0.W", "2.W")])
    tape_grads = tape.gradient(penalty, variables)
    assert value == pytest.approx(float(penalty), rel=1e-12)
    for k in grads:
        np.testing.assert_allclose(grads[k], tape_grads[k].numpy(), rtol=1e-12)
    for k in ("0.b", "2.b"):
        assert tape_grads[k] is None  # the biases are not in the penalty


def test_l2_penalty_is_keras_l2_of_half_lambda(keras: Any) -> None:
    p, lam = params(2), 0.02
    keras_value = sum(float(keras.regularizers.L2(lam / 2)(p[k])) for k in ("0.W", "2.W"))
    assert nn.l2_penalty(p, lam)[0] == pytest.approx(keras_value, rel=1e-5)


def test_l1_penalty_equals_keras_and_gradient_tape(tf: Any, keras: Any) -> None:
    p, lam = params(3), 0.03
    value, grads = nn.l1_penalty(p, lam)
    keras_value = sum(float(keras.regularizers.L1(lam)(p[k])) for k in ("0.W", "2.W"))
    assert value == pytest.approx(keras_value, rel=1e-5)
    variables = {k: tf.Variable(p[k]) for k in ("0.W", "2.W")}
    with tf.GradientTape() as tape:
        penalty = lam * tf.add_n([tf.reduce_sum(tf.abs(v)) for v in variables.values()])
    tape_grads = tape.gradient(penalty, variables)
    for k in grads:
        np.testing.assert_allclose(grads[k], tape_grads[k].numpy(), rtol=1e-12)


def test_penalty_gradients_pass_the_numerical_check() -> None:
    p = params(4)
    for fn in (nn.l2_penalty, nn.l1_penalty):
        _, grads = fn(p, 0.1)
        for k in grads:
            numeric = nn.numerical_gradient(lambda _, f=fn: f(p, 0.1)[0], p[k])
            assert nn.rel_error(grads[k], numeric) < TOL


def test_penalties_reject_negative_lambda() -> None:
    with pytest.raises(ValueError, match="lam"):
        nn.l2_penalty(params(), -0.1)
    with pytest.raises(ValueError, match="lam"):
        nn.l1_penalty(params(), float("nan"))


# ------------------------------------------------------------------ Dropout
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_keeps_one_minus_rate(rate: float) -> None:
    layer = nn.Dropout(rate, seed=0)
    x = np.ones((200, 100))
    out = layer.forward(x, train=True)
    kept = out != 0
    assert abs(kept.mean() - (1 - rate)) < 0.02
    np.testing.assert_array_equal(kept, layer.mask)
    np.testing.assert_allclose(out[kept], 1 / (1 - rate))


def test_inverted_dropout_expectation_is_the_input() -> None:
    x = np.random.default_rng(1).normal(size=(4, 5))
    layer = nn.Dropout(0.4, seed=2)
    mean = np.mean([layer.forward(x, train=True) for _ in range(20_000)], axis=0)
    np.testing.assert_allclose(mean, x, atol=0.05)
    np.testing.assert_array_equal(layer.forward(x, train=False), x)  # inference: the identity


def test_lecture_dropout_expectation_is_the_test_output() -> None:
    x = np.random.default_rng(3).normal(size=(4, 5))
    layer = nn.Dropout(0.3, mode="lecture", seed=4)
    mean = np.mean([layer.forward(x, train=True) for _ in range(20_000)], axis=0)
    test = layer.forward(x, train=False)
    np.testing.assert_allclose(test, 0.7 * x)
    np.testing.assert_allclose(mean, test, atol=0.05)
    out = layer.forward(x, train=True)
    np.testing.assert_array_equal(out[layer.mask], x[layer.mask])  # no rescaling in training


@pytest.mark.parametrize("mode", ["inverted", "lecture"])
def test_dropout_backward_uses_the_mask(mode: str) -> None:
    layer = nn.Dropout(0.5, mode=mode, seed=5)
    x = np.random.default_rng(6).normal(size=(3, 7))
    layer.forward(x, train=True)
    dout = np.random.default_rng(7).normal(size=(3, 7))
    scale = 2.0 if mode == "inverted" else 1.0
    np.testing.assert_allclose(layer.backward(dout), dout * layer.mask * scale)
    layer.forward(x, train=False)
    np.testing.assert_allclose(layer.backward(dout), dout * (1.0 if mode == "inverted" else 0.5))


@pytest.mark.parametrize("mode", ["inverted", "lecture"])
def test_dropout_gradient_check_with_a_fixed_mask(mode: str) -> None:
    x = np.random.default_rng(8).normal(size=(4, 6))
    layer = nn.Dropout(0.5, mode=mode, seed=9).fix_mask()
    errors = nn.gradient_check(layer, x)
    assert max(errors.values()) < TOL, errors
    model = small_net(nn.Dropout(0.5, mode=mode, seed=10).fix_mask())
    errors = nn.gradient_check(model, x, np.array([0, 2, 1, 1]))
    assert max(errors.values()) < TOL, errors


def test_dropout_masks_reproducible_and_fresh() -> None:
    x = np.ones((10, 10))
    a, b = nn.Dropout(0.5, seed=11), nn.Dropout(0.5, seed=11)
    m1, m2 = a.forward(x) != 0, a.forward(x) != 0
    assert not np.array_equal(m1, m2)  # a new mask every pass
    np.testing.assert_array_equal(m1, b.forward(x) != 0)  # same seed, same masks
    np.testing.assert_array_equal(m2, b.forward(x) != 0)
    a.fix_mask()
    f1, f2 = a.forward(x) != 0, a.forward(x) != 0
    np.testing.assert_array_equal(f1, f2)
    a.fix_mask(False)
    assert not np.array_equal(a.forward(x) != 0, a.forward(x) != 0)


def test_dropout_bad_input() -> None:
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.0)
    with pytest.raises(ValueError, match="mode"):
        nn.Dropout(0.5, mode="paper")
    layer = nn.Dropout(0.5)
    with pytest.raises(RuntimeError):
        layer.backward(np.ones(3))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=re.escape("(3, 2)") + ".*" + re.escape("(2, 3)")):
        layer.backward(np.ones((3, 2)))


def test_sequential_passes_train_to_dropout() -> None:
    model = small_net(nn.Dropout(0.5, seed=12))
    x = np.random.default_rng(13).normal(size=(5, 6))
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # inference: no dropping
    assert not np.allclose(model.predict(x, train=True), model.predict(x))


# ------------------------------------------------------------------ Keras
def test_keras_dropout_is_inverted(keras: Any) -> None:
    x = np.ones((200, 100), dtype=np.float32)
    layer = keras.layers.Dropout(0.25, seed=0)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)  # inference: identity
    out = np.asarray(layer(x, training=True))
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)  # like nn.Dropout(mode="inverted")
    ours = nn.Dropout(0.25, seed=0).forward(x.astype(np.float64))
    np.testing.assert_allclose(np.unique(ours), np.unique(out), rtol=1e-6)


def test_lecture_dropout_layer(keras: Any, reg: Any) -> None:
    x = np.random.default_rng(14).uniform(0.5, 1.5, size=(200, 100)).astype(np.float32)
    layer = reg.LectureDropout(0.3, seed=1)
    out = np.asarray(layer(x, training=True))
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(out[kept], x[kept])  # dropped, not rescaled
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), 0.7 * x, rtol=1e-6)
    model = keras.Sequential([keras.Input((100,)), reg.LectureDropout(0.3, seed=1)])
    np.testing.assert_allclose(model.predict(x, verbose=0), 0.7 * x, rtol=1e-6)  # predict = inference
    again = reg.LectureDropout.from_config(layer.get_config())
    assert again.rate == 0.3 and again.seed == 1
    with pytest.raises(ValueError, match="rate"):
        reg.LectureDropout(1.5)


def test_mixup_batch(reg: Any) -> None:
    N, K = 64, 10
    labels = np.arange(N) % K
    t = np.eye(K)[labels]
    x = t[:, :, None] * np.ones((1, 1, 3))  # x encodes its label: (N, K, 3)
    xm, tm = reg.mixup_batch(x, t, 0.4, np.random.default_rng(0))
    assert xm.shape == x.shape and tm.shape == t.shape and xm.dtype == np.float32
    np.testing.assert_allclose(tm.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(xm[:, :, 0], tm, rtol=1e-5, atol=1e-6)  # x and t mixed alike
    assert (tm.max(axis=1) < 0.999).mean() > 0.5  # most samples really are mixtures
    xm2, tm2 = reg.mixup_batch(x, t, 0.4, np.random.default_rng(0))
    np.testing.assert_array_equal(xm, xm2)
    with pytest.raises(ValueError, match=re.escape("(64, 10, 3)") + ".*" + re.escape("(64,)")):
        reg.mixup_batch(x, labels, 0.4, np.random.default_rng(0))


def test_mixup_data_fits(keras: Any, reg: Any) -> None:
    rng = np.random.default_rng(15)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=50)]
    data = reg.MixUpData(x, t, batch_size=16, alpha=0.2, seed=1)
    assert len(data) == 4
    xb, tb = data[3]
    assert xb.shape == (2, 4) and tb.shape == (2, 3)
    np.testing.assert_array_equal(data[0][0], reg.MixUpData(x, t, 16, 0.2, seed=1)[0][0])
    first = data.order.copy()
    data.on_epoch_end()
    assert not np.array_equal(first, data.order)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_digit_augmenter(reg: Any) -> None:
    x = np.zeros((8, 28, 28, 1), dtype=np.float32)
    x[:, 10:18, 12:16] = 1.0
    aug = reg.digit_augmenter(shift=0.1, degrees=10, seed=0)
    np.testing.assert_array_equal(np.asarray(aug(x, training=False)), x)
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape
    assert np.abs(out - x).sum(axis=(1, 2, 3)).min() > 0  # every image moved
