"""utils.nn.functions against TensorFlow/Keras: activations, derivatives, softmax, losses."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from utils import nn
from utils.nn import functions as F

ATOL = 1e-6




def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def away_from_zero(shape: tuple[int, ...], seed: int = 0, scale: float = 3.0) -> np.ndarray:
    """Random float64 values with |x| > 1e-3, away from the kinks of relu/step/leaky/elu."""
    x = rng(seed).normal(0.0, scale, shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def shapes_pattern(a: tuple[int, ...], b: tuple[int, ...]) -> str:
    """A regex matching a message that names shape a and then shape b."""
    return re.escape(str(a)) + ".*" + re.escape(str(b))


@pytest.fixture
def strict_numerics():
    """Turn NumPy overflow/divide/invalid and every warning into errors (underflow to 0 is fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


# --------------------------------------------------------------------------- activations

# name -> (kwargs for ours, TensorFlow version of the same function)
TF_ACTIVATIONS: dict[str, tuple[dict[str, float], Callable[[Any, Any, Any], Any]]] = {
    "identity": ({}, lambda tf, keras, x: tf.identity(x)),
    "step": ({}, lambda tf, keras, x: tf.cast(x > 0, tf.float64)),
    "sigmoid": ({}, lambda tf, keras, x: tf.sigmoid(x)),
    "tanh": ({}, lambda tf, keras, x: tf.tanh(x)),
    "relu": ({}, lambda tf, keras, x: tf.nn.relu(x)),
    "leaky_relu": ({}, lambda tf, keras, x: tf.nn.leaky_relu(x, alpha=0.01)),
    "leaky_relu_0.2": ({"alpha": 0.2}, lambda tf, keras, x: tf.nn.leaky_relu(x, alpha=0.2)),
    "elu": ({}, lambda tf, keras, x: tf.nn.elu(x)),
    "elu_0.5": ({"alpha": 0.5}, lambda tf, keras, x: keras.activations.elu(x, alpha=0.5)),
}


def test_activations_dict_lists_every_activation() -> None:
    assert set(nn.ACTIVATIONS) == {
        "identity",
        "step",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
    }
    for name, (f, df) in nn.ACTIVATIONS.items():
        assert f is getattr(nn, name) and df is getattr(nn, f"d_{name}")


@pytest.mark.parametrize("case", sorted(TF_ACTIVATIONS))
def test_activation_and_derivative_match_gradient_tape(case: str, tf: Any, keras: Any) -> None:
    kwargs, tf_f = TF_ACTIVATIONS[case]
    f, df = nn.ACTIVATIONS[case.split("_0.")[0]]
    x = away_from_zero((7, 5), seed=len(case))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = tf_f(tf, keras, xt)
        total = tf.reduce_sum(yt)
    grad = tape.gradient(total, xt, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_allclose(f(x, **kwargs), yt.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(df(x, **kwargs), grad.numpy(), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", sorted(nn.ACTIVATIONS))
def test_activation_derivative_matches_numerical_gradient(name: str) -> None:
    f, df = nn.ACTIVATIONS[name]
    x = away_from_zero((4, 3), seed=1)
    assert nn.gradient_check(f, x, grad=df)["x"] < 1e-5


def test_gradient_check_catches_a_wrong_derivative() -> None:
    x = away_from_zero((4, 3))
    assert nn.gradient_check(nn.sigmoid, x, grad=nn.sigmoid)["x"] > 0.1


def test_activations_keep_shape_and_float32() -> None:
    x = away_from_zero((2, 3, 4)).astype(np.float32)
    for f, df in nn.ACTIVATIONS.values():
        assert f(x).shape == x.shape and f(x).dtype == np.float32
        assert df(x).shape == x.shape and df(x).dtype == np.float32
    assert nn.relu([-1, 2]).tolist() == [0.0, 2.0]  # lists and ints work too
    assert nn.step(np.array([-1, 0, 3])).tolist() == [0.0, 0.0, 1.0]


def test_sigmoid_matches_textbook_formula_and_is_finite_at_1000(strict_numerics: None) -> None:
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(nn.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    big = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    s = nn.sigmoid(big)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert np.all(np.isfinite(nn.d_sigmoid(big)))
    assert np.all(np.isfinite(nn.elu(big))) and np.all(np.isfinite(nn.d_elu(big)))


# --------------------------------------------------------------------------- softmax


@pytest.mark.parametrize(
    ("shape", "axis"), [((5,), -1), ((4, 6), -1), ((4, 6), 0), ((2, 3, 4), -1)]
)
def test_softmax_matches_tf(shape: tuple[int, ...], axis: int, tf: Any) -> None:
    x = rng(3).normal(0, 3, shape)
    y = nn.softmax(x, axis=axis)
    np.testing.assert_allclose(y, tf.nn.softmax(tf.constant(x), axis=axis).numpy(), atol=1e-12)
    np.testing.assert_allclose(y.sum(axis=axis), 1.0, atol=1e-12)


def test_softmax_is_shift_invariant_and_finite_at_1000(strict_numerics: None) -> None:
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 1000.0], [-1000.0, -999.0, -1000.0]])
    y = nn.softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(y[1], [1 / 3] * 3)
    np.testing.assert_allclose(y[2], nn.softmax(np.array([0.0, 1.0, 0.0])))


# --------------------------------------------------------------------------- losses


def probs(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return nn.softmax(rng(seed).normal(0, 1, shape))


def tape_grad(tf: Any, fn: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    """d fn(x) / dx with GradientTape, float64."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        value = fn(xt)
    return tape.gradient(value, xt).numpy()


def test_mean_squared_error_is_half_sum_over_batch(tf: Any, keras: Any) -> None:
    N, D = 6, 4
    y, t = rng(1).normal(size=(N, D)), rng(2).normal(size=(N, D))
    value = nn.mean_squared_error(y, t)
    assert value == pytest.approx(0.5 * np.sum((y - t) ** 2) / N, rel=1e-12)
    # Keras averages over all N*D entries without the 1/2: ours = keras * D / 2.
    mse = keras.losses.MeanSquaredError(dtype="float64")
    assert value == pytest.approx(float(mse(t, y)) * D / 2, rel=1e-10)
    assert nn.mean_squared_error(y[0], t[0]) == pytest.approx(0.5 * np.sum((y[0] - t[0]) ** 2))
    expected = tape_grad(tf, lambda yt: mse(tf.constant(t), yt) * D / 2, y)
    np.testing.assert_allclose(
        nn.numerical_gradient(lambda v: nn.mean_squared_error(v, t), y), expected, atol=ATOL
    )
    np.testing.assert_allclose(expected, (y - t) / N, atol=1e-12)  # the lecture's gradient


def test_binary_cross_entropy_matches_keras(tf: Any, keras: Any) -> None:
    p = rng(1).uniform(0.05, 0.95, (8, 3))
    t = (rng(2).uniform(size=(8, 3)) > 0.5).astype(np.float64)
    bce = keras.losses.BinaryCrossentropy(dtype="float64")
    assert nn.binary_cross_entropy(p, t) == pytest.approx(float(bce(t, p)), rel=1e-10)
    expected = tape_grad(tf, lambda pt: bce(tf.constant(t), pt), p)
    got = nn.numerical_gradient(lambda v: nn.binary_cross_entropy(v, t), p)
    np.testing.assert_allclose(got, expected, atol=ATOL)


def test_binary_cross_entropy_with_logits_matches_keras(tf: Any, keras: Any) -> None:
    z = rng(1).normal(0, 3, (8, 2))
    t = (rng(2).uniform(size=(8, 2)) > 0.5).astype(np.float64)
    bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    value = nn.binary_cross_entropy_with_logits(z, t)
    assert value == pytest.approx(float(bce(t, z)), rel=1e-10)
    assert value == pytest.approx(nn.binary_cross_entropy(nn.sigmoid(z), t), rel=1e-6)
    expected = tape_grad(tf, lambda zt: bce(tf.constant(t), zt), z)
    got = nn.numerical_gradient(lambda v: nn.binary_cross_entropy_with_logits(v, t), z)
    np.testing.assert_allclose(got, expected, atol=ATOL)
    np.testing.assert_allclose(expected, (nn.sigmoid(z) - t) / z.size, atol=1e-12)


def test_cross_entropy_error_one_hot_sparse_and_single_sample(tf: Any, keras: Any) -> None:
    N, C = 6, 4
    y = probs((N, C))
    labels = rng(2).integers(0, C, N)
    t = nn.one_hot(labels, C)
    value = nn.cross_entropy_error(y, t)
    assert value == pytest.approx(-np.mean(np.log(y[np.arange(N), labels] + nn.EPS)), rel=1e-12)
    assert nn.cross_entropy_error(y, labels) == pytest.approx(value, rel=1e-12)
    # Keras clips y at 1e-7 instead of adding EPS: equal to ~1e-6 for probabilities ~0.1-0.9.
    cce = keras.losses.CategoricalCrossentropy(dtype="float64")
    scce = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    assert value == pytest.approx(float(cce(t, y)), rel=1e-5)
    assert value == pytest.approx(float(scce(labels, y)), rel=1e-5)
    # single samples (C,) with a one-hot or an int label = a batch of one
    assert nn.cross_entropy_error(y[0], t[0]) == pytest.approx(nn.cross_entropy_error(y[:1], t[:1]))
    assert nn.cross_entropy_error(y[0], labels[0]) == pytest.approx(
        nn.cross_entropy_error(y[:1], t[:1])
    )
    # gradient w.r.t. the probabilities: -t / (y + EPS) / N
    expected = tape_grad(tf, lambda yt: -tf.reduce_sum(t * tf.math.log(yt + nn.EPS)) / N, y)
    for target in (t, labels):
        got = nn.numerical_gradient(lambda v, target=target: nn.cross_entropy_error(v, target), y)
        np.testing.assert_allclose(got, expected, atol=ATOL)


def test_softmax_cross_entropy_matches_keras(tf: Any, keras: Any) -> None:
    N, C = 5, 3
    z = rng(1).normal(0, 2, (N, C))
    labels = rng(2).integers(0, C, N)
    t = nn.one_hot(labels, C)
    cce = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    value = nn.softmax_cross_entropy(z, t)
    assert value == pytest.approx(float(cce(t, z)), rel=1e-10)
    assert nn.softmax_cross_entropy(z, labels) == pytest.approx(float(scce(labels, z)), rel=1e-10)
    assert value == pytest.approx(nn.cross_entropy_error(nn.softmax(z), t), rel=1e-5)
    assert nn.softmax_cross_entropy(z[0], labels[0]) == pytest.approx(
        nn.softmax_cross_entropy(z[:1], t[:1])
    )
    expected = tape_grad(tf, lambda zt: cce(tf.constant(t), zt), z)
    for target in (t, labels):
        got = nn.numerical_gradient(lambda v, target=target: nn.softmax_cross_entropy(v, target), z)
        np.testing.assert_allclose(got, expected, atol=ATOL)
    np.testing.assert_allclose(expected, (nn.softmax(z) - t) / N, atol=1e-12)


def test_losses_finite_for_inputs_of_1000(strict_numerics: None) -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, -1000.0]])
    labels = np.array([1, 0])  # the wrong classes: the largest possible losses
    t = nn.one_hot(labels, 3)
    for value in (
        nn.softmax_cross_entropy(z, t),
        nn.softmax_cross_entropy(z, labels),
        nn.cross_entropy_error(nn.softmax(z), t),
        nn.cross_entropy_error(nn.softmax(z), labels),
        nn.binary_cross_entropy(nn.sigmoid(z), (z < 0).astype(float)),
        nn.binary_cross_entropy_with_logits(z, (z < 0).astype(float)),
    ):
        assert np.isfinite(value) and value > 0
    assert nn.softmax_cross_entropy(z, labels) == pytest.approx(2000.0)
    # five entries wrong by 1000 and one z = 0 (log 2), averaged over the six entries
    expected = (5 * 1000 + np.log(2)) / 6
    assert nn.binary_cross_entropy_with_logits(z, (z < 0).astype(float)) == pytest.approx(expected)


def test_one_hot() -> None:
    np.testing.assert_array_equal(nn.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert nn.one_hot(np.zeros((2, 5), int), 4).shape == (2, 5, 4)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="integer"):
        nn.one_hot([0.5], 3)


# --------------------------------------------------------------------------- shape checks


@pytest.mark.parametrize(
    "loss",
    [nn.mean_squared_error, nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits],
)
def test_same_shape_losses_name_both_shapes(loss: Callable[..., float]) -> None:
    with pytest.raises(ValueError, match=shapes_pattern((32, 10), (32, 5))):
        loss(np.full((32, 10), 0.5), np.zeros((32, 5)))
    with pytest.raises(ValueError, match=shapes_pattern((8,), (8, 1))):
        loss(np.full(8, 0.5), np.zeros((8, 1)))  # no silent broadcasting


@pytest.mark.parametrize("loss", [nn.cross_entropy_error, nn.softmax_cross_entropy])
def test_classification_losses_name_both_shapes(loss: Callable[..., float]) -> None:
    y = probs((32, 10))
    with pytest.raises(ValueError, match=shapes_pattern((32, 10), (32, 5))):
        loss(y, np.zeros((32, 5)))
    with pytest.raises(ValueError, match=shapes_pattern((32, 10), (31,))):
        loss(y, np.zeros(31, dtype=int))  # sparse labels must match the batch size
    with pytest.raises(ValueError, match=r"must be in \[0, 10\)"):
        loss(y, np.full(32, 10))
    with pytest.raises(ValueError, match="integer"):
        loss(y, np.full(32, 0.5))


# --------------------------------------------------------------------------- numerical gradient


def test_numerical_gradient_of_a_quadratic_on_nd_array() -> None:
    x = rng(0).normal(size=(2, 3, 4))
    before = x.copy()
    grad = nn.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    np.testing.assert_allclose(grad, 2 * x, atol=1e-8)
    np.testing.assert_array_equal(x, before)  # x left unchanged, bit for bit


def test_numerical_gradient_restores_x_when_f_raises() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    calls = []

    def f(v: np.ndarray) -> float:
        calls.append(1)
        if len(calls) == 4:  # fail in the middle of the second element
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        nn.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_closure_over_weights_and_rejects_ints() -> None:
    W = rng(0).normal(size=(3, 2))
    x = rng(1).normal(size=(4, 3))
    grad = nn.numerical_gradient(lambda _: float(np.sum(x @ W)), W)  # f ignores its argument
    np.testing.assert_allclose(grad, np.repeat(x.sum(axis=0)[:, None], 2, axis=1), atol=1e-8)
    with pytest.raises(TypeError, match="float ndarray"):
        nn.numerical_gradient(lambda v: 0.0, np.arange(3))


def test_rel_error() -> None:
    a = np.array([1.0, -2.0, 0.0])
    assert nn.rel_error(a, a) == 0.0
    assert nn.rel_error([1.0], [1.0 + 1e-6]) == pytest.approx(5e-7, rel=1e-3)
    assert nn.rel_error([1.0], [-1.0]) == 1.0
    with pytest.raises(ValueError, match=shapes_pattern((3,), (2,))):
        nn.rel_error(a, a[:2])


def test_functions_are_typed_and_documented() -> None:
    for name in F.__all__:
        obj = getattr(F, name)
        if callable(obj):
            assert obj.__doc__ and "Taught in 1_" in obj.__doc__, name
            assert "return" in obj.__annotations__, name
