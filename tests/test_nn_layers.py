"""utils.nn.layers, optimizers and gradcheck against GradientTape and the numerical gradient."""

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

ATOL = 1e-6



def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def shapes_pattern(a: tuple[int, ...], b: tuple[int, ...]) -> str:
    return re.escape(str(a)) + ".*" + re.escape(str(b))


def make_affine(D: int = 4, M: int = 3, seed: int = 0) -> nn.Affine:
    return nn.Affine(rng(seed).normal(size=(D, M)), rng(seed + 1).normal(size=M))


def tiny_net(seed: int = 0) -> nn.Sequential:
    """5 -> 4 -> 3 with a Tanh too, so every layer type appears."""
    r = rng(seed)
    return nn.Sequential(
        [
            nn.Affine(r.normal(0, 0.5, (5, 4)), r.normal(0, 0.1, 4)),
            nn.ReLU(),
            nn.Affine(r.normal(0, 0.5, (4, 4)), r.normal(0, 0.1, 4)),
            nn.Tanh(),
            nn.Affine(r.normal(0, 0.5, (4, 3)), r.normal(0, 0.1, 3)),
            nn.Sigmoid(),
            nn.Affine(r.normal(0, 0.5, (3, 3)), r.normal(0, 0.1, 3)),
        ]
    )


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    x = rng(seed).normal(0, 2, shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


# --------------------------------------------------------------------------- element-wise layers

ELEMENTWISE: dict[str, tuple[Callable[[], nn.Layer], Callable[[Any, Any], Any]]] = {
    "ReLU": (nn.ReLU, lambda tf, x: tf.nn.relu(x)),
    "Sigmoid": (nn.Sigmoid, lambda tf, x: tf.sigmoid(x)),
    "Tanh": (nn.Tanh, lambda tf, x: tf.tanh(x)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_layer_backward_matches_gradient_tape(name: str, tf: Any) -> None:
    make, tf_f = ELEMENTWISE[name]
    layer = make()
    x = away_from_zero((6, 5), seed=1)
    dout = rng(2).normal(size=x.shape)
    out = layer.forward(x)
    dx = layer.backward(dout)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = tf_f(tf, xt)
        total = tf.reduce_sum(yt * dout)
    np.testing.assert_allclose(out, yt.numpy(), atol=ATOL)
    np.testing.assert_allclose(dx, tape.gradient(total, xt).numpy(), atol=ATOL)
    assert layer.params == {} and layer.grads == {}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_layer_backward_matches_numerical_gradient(name: str) -> None:
    layer = ELEMENTWISE[name][0]()
    x = away_from_zero((3, 4), seed=3)
    dout = rng(4).normal(size=x.shape)
    layer.forward(x)
    dx = layer.backward(dout)
    numeric = nn.numerical_gradient(lambda v: float(np.sum(layer.forward(v) * dout)), x.copy())
    assert nn.rel_error(dx, numeric) < 1e-5
    assert max(nn.gradient_check(layer, x).values()) < 1e-5


# --------------------------------------------------------------------------- Affine


@pytest.mark.parametrize("x_shape", [(6, 4), (6, 2, 2), (4,)], ids=["2d", "4d-flattened", "single"])
def test_affine_backward_matches_gradient_tape(x_shape: tuple[int, ...], tf: Any) -> None:
    layer = make_affine(D=4, M=3)
    x = rng(5).normal(size=x_shape)
    out = layer.forward(x)
    out_shape = (3,) if len(x_shape) == 1 else (x_shape[0], 3)
    assert out.shape == out_shape
    dout = rng(6).normal(size=out_shape)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    xt, Wt, bt = (tf.Variable(a) for a in (x, layer.W, layer.b))
    with tf.GradientTape() as tape:
        x2 = tf.reshape(xt, (-1, 4))  # (N, D)
        total = tf.reduce_sum(tf.reshape(x2 @ Wt + bt, out_shape) * dout)
    gx, gW, gb = tape.gradient(total, [xt, Wt, bt])
    np.testing.assert_allclose(dx, gx.numpy(), atol=ATOL)
    np.testing.assert_allclose(layer.grads["W"], gW.numpy(), atol=ATOL)
    np.testing.assert_allclose(layer.grads["b"], gb.numpy(), atol=ATOL)


def test_affine_backward_matches_numerical_gradient() -> None:
    layer = make_affine(D=4, M=3)
    x = rng(7).normal(size=(5, 2, 2))
    dout = rng(8).normal(size=(5, 3))
    layer.forward(x)
    dx = layer.backward(dout)
    analytic = {"x": dx, "W": layer.grads["W"].copy(), "b": layer.grads["b"].copy()}

    def f(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x) * dout))

    assert nn.rel_error(analytic["x"], nn.numerical_gradient(f, x)) < 1e-5
    assert nn.rel_error(analytic["W"], nn.numerical_gradient(f, layer.params["W"])) < 1e-5
    assert nn.rel_error(analytic["b"], nn.numerical_gradient(f, layer.params["b"])) < 1e-5
    assert max(nn.gradient_check(layer, x).values()) < 1e-5


def test_affine_params_grads_and_shape_errors() -> None:
    W, b = rng(0).normal(size=(4, 3)), np.zeros(3)
    layer = nn.Affine(W, b)
    assert layer.params["W"] is W and layer.W is W and layer.b is b  # live arrays, not copies
    assert set(layer.params) == set(layer.grads) == {"W", "b"}
    layer.forward(rng(1).normal(size=(2, 4)))
    layer.backward(np.ones((2, 3)))
    assert all(layer.grads[k].shape == layer.params[k].shape for k in layer.params)
    with pytest.raises(ValueError, match=shapes_pattern((2, 5), (4, 3))):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=shapes_pattern((2, 3, 3), (4, 3))):
        layer.forward(np.zeros((2, 3, 3)))
    layer.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=shapes_pattern((2, 4), (2, 3))):
        layer.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=shapes_pattern((4, 3), (4,))):
        nn.Affine(W, np.zeros(4))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Affine(W, b).backward(np.zeros((2, 3)))


# --------------------------------------------------------------------------- SoftmaxWithLoss


@pytest.mark.parametrize("sparse", [False, True], ids=["one-hot", "labels"])
@pytest.mark.parametrize("dout", [1.0, 2.5])
def test_softmax_with_loss_matches_gradient_tape(sparse: bool, dout: float, tf: Any) -> None:
    N, C = 6, 4
    x = rng(9).normal(0, 2, (N, C))
    labels = rng(10).integers(0, C, N)
    t = labels if sparse else nn.one_hot(labels, C)
    layer = nn.SoftmaxWithLoss()
    loss = layer.forward(x, t)
    dx = layer.backward(dout)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss_t = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=xt)
        )
        total = loss_t * dout
    assert loss == pytest.approx(float(loss_t), rel=1e-12)
    np.testing.assert_allclose(dx, tape.gradient(total, xt).numpy(), atol=ATOL)
    np.testing.assert_allclose(dx, dout * (nn.softmax(x) - nn.one_hot(labels, C)) / N, atol=1e-12)
    assert nn.gradient_check(nn.SoftmaxWithLoss(), x, t)["x"] < 1e-5


def test_softmax_with_loss_finite_for_logits_of_1000() -> None:
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    layer = nn.SoftmaxWithLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            loss = layer.forward(x, np.array([1, 2]))
            dx = layer.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(dx))


def test_softmax_with_loss_shape_error() -> None:
    with pytest.raises(ValueError, match=shapes_pattern((32, 10), (32, 5))):
        nn.SoftmaxWithLoss().forward(np.zeros((32, 10)), np.zeros((32, 5)))
    with pytest.raises(ValueError, match=shapes_pattern((32, 10), (16,))):
        nn.SoftmaxWithLoss().forward(np.zeros((32, 10)), np.zeros(16, dtype=int))


# --------------------------------------------------------------------------- no mutation


LAYER_CASES: dict[str, Callable[[], tuple[nn.Layer, np.ndarray, Any]]] = {
    "Affine": lambda: (make_affine(4, 3), rng(1).normal(size=(5, 4)), rng(2).normal(size=(5, 3))),
    "ReLU": lambda: (nn.ReLU(), away_from_zero((5, 4)), rng(2).normal(size=(5, 4))),
    "Sigmoid": lambda: (nn.Sigmoid(), away_from_zero((5, 4)), rng(2).normal(size=(5, 4))),
    "Tanh": lambda: (nn.Tanh(), away_from_zero((5, 4)), rng(2).normal(size=(5, 4))),
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_backward_does_not_mutate_inputs(name: str) -> None:
    layer, x, dout = LAYER_CASES[name]()
    x_before, dout_before = x.copy(), dout.copy()
    params_before = {k: v.copy() for k, v in layer.params.items()}
    out = layer.forward(x)
    out_before = out.copy()
    dx = layer.backward(dout)
    dx_again = layer.backward(dout)  # a second backward gives the same answer
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)
    np.testing.assert_array_equal(out, out_before)
    np.testing.assert_array_equal(dx, dx_again)
    assert dx is not dout and not np.shares_memory(dx, dout)
    for k, v in layer.params.items():
        np.testing.assert_array_equal(v, params_before[k])


@pytest.mark.parametrize("sparse", [False, True], ids=["one-hot", "labels"])
def test_softmax_with_loss_does_not_mutate_inputs(sparse: bool) -> None:
    x = rng(1).normal(size=(5, 3))
    labels = rng(2).integers(0, 3, 5)
    t = labels if sparse else nn.one_hot(labels, 3)
    x_before, t_before = x.copy(), t.copy()
    layer = nn.SoftmaxWithLoss()
    layer.forward(x, t)
    y_before = layer.y.copy()
    dx1, dx2 = layer.backward(), layer.backward()
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)
    np.testing.assert_array_equal(layer.y, y_before)
    np.testing.assert_array_equal(dx1, dx2)


# --------------------------------------------------------------------------- Sequential


def test_sequential_gradient_matches_numerical_gradient() -> None:
    model = tiny_net()
    x = rng(11).normal(size=(6, 5))
    t = rng(12).integers(0, 3, 6)
    before = {k: v.copy() for k, v in model.params.items()}
    errors = nn.gradient_check(model, x, t)
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b", "6.W", "6.b"}
    assert max(errors.values()) < 1e-5, errors
    for k, v in model.params.items():  # the check perturbs the live weights and restores them
        np.testing.assert_array_equal(v, before[k])
    # the same by hand, for one parameter, with a one-hot target
    t1 = nn.one_hot(t, 3)
    grads = model.gradient(x, t1)
    numeric = nn.numerical_gradient(lambda _: model.loss(x, t1), model.params["2.W"])
    assert nn.rel_error(grads["2.W"], numeric) < 1e-5


@pytest.mark.parametrize("sparse", [False, True], ids=["one-hot", "labels"])
def test_sequential_gradient_matches_tf_gradients(sparse: bool, tf: Any) -> None:
    model = tiny_net(seed=1)
    x = rng(13).normal(size=(7, 5))
    labels = rng(14).integers(0, 3, 7)
    t = labels if sparse else nn.one_hot(labels, 3)
    grads = model.gradient(x, t)
    expected = nn.tf_gradients(model, x, t)
    assert set(grads) == set(expected) == set(model.params)
    for k in grads:
        np.testing.assert_allclose(grads[k], expected[k], atol=ATOL, err_msg=k)


def test_tf_gradients_accepts_subclassed_layers(tf: Any) -> None:
    class MyAffine(nn.Affine):  # as a student's exercise class would be
        pass

    model = tiny_net(seed=2)
    for i, layer in enumerate(model.layers):
        if type(layer) is nn.Affine:
            model.layers[i] = MyAffine(layer.W, layer.b)
    x, t = rng(15).normal(size=(4, 5)), rng(16).integers(0, 3, 4)
    expected = nn.tf_gradients(model, x, t)
    for k, g in model.gradient(x, t).items():
        np.testing.assert_allclose(g, expected[k], atol=ATOL, err_msg=k)


def test_gradient_check_flags_a_broken_backward() -> None:
    class BrokenReLU(nn.ReLU):
        def backward(self, dout: np.ndarray) -> np.ndarray:
            return super().backward(dout) * 0.5

    model = tiny_net()
    model.layers[1] = BrokenReLU()
    x, t = rng(11).normal(size=(6, 5)), rng(12).integers(0, 3, 6)
    errors = nn.gradient_check(model, x, t)
    assert errors["0.W"] > 0.1 and errors["6.W"] < 1e-5


def test_sequential_params_are_live_and_sgd_updates_in_place() -> None:
    model = nn.two_layer_net(5, 4, 3, weight_init_std="he", seed=0)
    assert list(model.params) == ["0.W", "0.b", "2.W", "2.b"]
    assert model.params["0.W"] is model.layers[0].params["W"]
    x, t = rng(1).normal(size=(8, 5)), rng(2).integers(0, 3, 8)
    params = model.params
    W_obj, W_before = params["0.W"], params["0.W"].copy()
    grads = model.gradient(x, t)
    assert all(grads[k].shape == params[k].shape for k in params)
    nn.SGD(lr=0.1).update(params, grads)
    assert model.params["0.W"] is W_obj  # same array, new values
    np.testing.assert_allclose(model.params["0.W"], W_before - 0.1 * grads["0.W"])


def test_sgd_training_reduces_the_loss() -> None:
    r = rng(3)
    centers = r.normal(0, 3, (3, 2))
    t = r.integers(0, 3, 150)
    x = centers[t] + r.normal(0, 0.5, (150, 2))
    model = nn.two_layer_net(2, 16, 3, weight_init_std="he", seed=0)
    opt = nn.SGD(lr=0.3)
    first = model.loss(x, t)
    for _ in range(100):
        opt.update(model.params, model.gradient(x, t))
    assert model.loss(x, t) < 0.5 * first
    assert model.accuracy(x, t) > 0.9
    assert model.accuracy(x, nn.one_hot(t, 3)) == model.accuracy(x, t)


def test_sequential_predict_accuracy_and_errors() -> None:
    model = nn.two_layer_net(5, 4, 3, seed=0)
    x = rng(1).normal(size=(8, 5))
    assert model.predict(x).shape == (8, 3)
    assert model.predict(x.reshape(8, 5, 1)).shape == (8, 3)  # Affine flattens (N, ...)
    assert 0.0 <= model.accuracy(x, np.zeros(8, int)) <= 1.0
    with pytest.raises(ValueError, match=shapes_pattern((8, 3), (7,))):
        model.accuracy(x, np.zeros(7, int))
    with pytest.raises(ValueError, match=shapes_pattern((8, 6), (5, 4))):
        model.predict(np.zeros((8, 6)))
    assert "Affine(5, 4)" in repr(model) and len(model) == 3 and isinstance(model[1], nn.ReLU)


def test_two_layer_net_init() -> None:
    a = nn.two_layer_net(784, 100, 10, weight_init_std="he", seed=1)
    b = nn.two_layer_net(784, 100, 10, weight_init_std="he", seed=1)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert a.params["0.W"].shape == (784, 100) and a.params["2.b"].shape == (10,)
    assert a.params["0.W"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.05)
    assert a.params["2.W"].std() == pytest.approx(np.sqrt(2 / 100), rel=0.1)
    assert not a.params["0.b"].any() and a.params["0.W"].dtype == np.float64
    small = nn.two_layer_net(784, 100, 10, seed=1)
    assert small.params["0.W"].std() == pytest.approx(0.01, rel=0.05)
    with pytest.raises(ValueError, match="'he'"):
        nn.two_layer_net(4, 3, 2, weight_init_std="glorot")


def test_sgd_errors_name_key_and_shapes() -> None:
    params = {"W": np.zeros((2, 3))}
    with pytest.raises(ValueError, match="'W'"):
        nn.SGD().update(params, {})
    with pytest.raises(ValueError, match=shapes_pattern((2, 3), (3, 2))):
        nn.SGD().update(params, {"W": np.zeros((3, 2))})
