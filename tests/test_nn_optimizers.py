"""utils.nn.optimizers against keras.optimizers, hand-computed steps, shapes and errors (2_2)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re
from typing import Any

import numpy as np
import pytest

from utils import nn

STEPS = 50
TOL = 1e-6  # the lesson's target: the NumPy trajectory equals Keras' to 1e-6
SHAPES = {"W": (3, 4), "b": (4,)}



def f32(x: float) -> float:
    """x rounded to float32: TensorFlow casts a Python float through float32, so Keras uses this."""
    return float(np.float32(x))


def problem(seed: int = 0, scale: float = 1.0) -> tuple[dict, list[dict]]:
    r = np.random.default_rng(seed)
    params = {k: r.normal(size=s) for k, s in SHAPES.items()}
    grads = [{k: scale * r.normal(size=s) for k, s in SHAPES.items()} for _ in range(STEPS)]
    return params, grads


def numpy_trajectory(opt: nn.Optimizer, params0: dict, grads: list[dict]) -> np.ndarray:
    params = {k: v.copy() for k, v in params0.items()}
    rows = []
    for g in grads:
        opt.update(params, g)
        rows.append(np.concatenate([params[k].ravel() for k in SHAPES]))
    return np.array(rows)


def keras_trajectory(kopt: Any, keras: Any, params0: dict, grads: list[dict]) -> np.ndarray:
    variables = [keras.Variable(params0[k].copy(), dtype="float64") for k in SHAPES]
    rows = []
    for g in grads:
        kopt.apply_gradients(zip([g[k] for k in SHAPES], variables, strict=True))
        rows.append(np.concatenate([v.numpy().ravel() for v in variables]))
    return np.array(rows)


# Keras' form of every optimizer, with float32-exact hyper-parameters: two settings each,
# Keras' defaults (a larger learning rate) and a large ε, where its placement matters.
KERAS_FORMS = {
    "SGD": lambda e: nn.SGD(lr=f32(0.1)),
    "Momentum": lambda e: nn.Momentum(lr=f32(0.05), momentum=f32(0.9)),
    "Nesterov": lambda e: nn.Nesterov(lr=f32(0.05), momentum=f32(0.8)),
    "AdaGrad": lambda e: nn.AdaGrad(lr=f32(0.1), eps=f32(e), initial_accumulator_value=f32(0.1),
                                    eps_inside_sqrt=True),
    "RMSProp": lambda e: nn.RMSProp(lr=f32(0.01), rho=f32(0.9), eps=f32(e), eps_inside_sqrt=True),
    "Adadelta": lambda e: nn.Adadelta(lr=1.0, rho=f32(0.95), eps=f32(e)),
    "Adam": lambda e: nn.Adam(lr=f32(0.01), beta_1=f32(0.9), beta_2=f32(0.999), eps=f32(e),
                              fold_bias_correction=True),
}


@pytest.mark.parametrize("eps", [1e-7, 1e-2])
@pytest.mark.parametrize("name", sorted(KERAS_FORMS))
def test_trajectory_equals_keras(name: str, eps: float, keras: Any) -> None:
    opt = KERAS_FORMS[name](eps)
    assert opt.keras_formula
    params0, grads = problem(1, scale=0.1 if eps > 1e-3 else 1.0)
    ours = numpy_trajectory(opt, params0, grads)
    theirs = keras_trajectory(opt.as_keras(), keras, params0, grads)
    assert np.max(np.abs(ours - theirs)) < TOL
    assert np.max(np.abs(ours - theirs)) < 1e-12  # in fact equal up to rounding


@pytest.mark.parametrize("name", ["AdaGrad", "RMSProp", "Adam"])
def test_lecture_forms_differ_from_keras_where_eps_matters(name: str, keras: Any) -> None:
    """The default (lecture / paper) form is a different formula: with a large ε it shows."""
    kform = KERAS_FORMS[name](1e-2)
    lecture = {"AdaGrad": lambda: nn.AdaGrad(lr=kform.lr, eps=kform.eps,
                                             initial_accumulator_value=kform.initial_accumulator_value),
               "RMSProp": lambda: nn.RMSProp(lr=kform.lr, rho=kform.rho, eps=kform.eps),
               "Adam": lambda: nn.Adam(lr=kform.lr, beta_1=kform.beta_1, beta_2=kform.beta_2,
                                       eps=kform.eps)}[name]()
    assert not lecture.keras_formula
    params0, grads = problem(2, scale=0.1)
    theirs = keras_trajectory(kform.as_keras(), keras, params0, grads)
    assert np.max(np.abs(numpy_trajectory(lecture, params0, grads) - theirs)) > 1e-4


def test_as_keras_hyper_parameters_and_floatx(keras: Any) -> None:
    floatx = keras.config.floatx()
    k = nn.Adam(lr=0.002, beta_1=0.8, beta_2=0.99, eps=1e-6).as_keras()
    assert isinstance(k, keras.optimizers.Adam) and keras.config.floatx() == floatx
    assert (k.beta_1, k.beta_2, k.epsilon) == (0.8, 0.99, 1e-6)
    assert float(k.learning_rate.numpy()) == 0.002  # a float64 variable: no float32 rounding
    s = nn.Nesterov(lr=0.1, momentum=0.5).as_keras()
    assert isinstance(s, keras.optimizers.SGD) and s.nesterov and s.momentum == 0.5
    a = nn.AdaGrad(initial_accumulator_value=0.1).as_keras()
    assert a.initial_accumulator_value == 0.1
    assert isinstance(nn.RMSProp().as_keras(), keras.optimizers.RMSprop)
    assert isinstance(nn.Adadelta().as_keras(), keras.optimizers.Adadelta)
    with pytest.raises(NotImplementedError):
        nn.Optimizer().as_keras()


def test_one_step_by_hand() -> None:
    """The formulas of the lesson, one or two steps on one number."""
    w = {"w": np.array([1.0])}
    g = {"w": np.array([2.0])}
    opt = nn.Momentum(lr=0.1, momentum=0.9)
    opt.update(w, g)  # V = -0.2
    opt.update(w, {"w": np.array([1.0])})  # V = 0.9 * -0.2 - 0.1 = -0.28
    np.testing.assert_allclose(w["w"], [1.0 - 0.2 - 0.28])

    w = {"w": np.array([1.0])}
    nn.AdaGrad(lr=0.1, eps=0.0).update(w, g)  # h = 4: step 0.1 * 2 / 2
    np.testing.assert_allclose(w["w"], [0.9])

    w = {"w": np.array([1.0])}
    nn.RMSProp(lr=0.01, rho=0.9, eps=0.0).update(w, g)  # h = 0.4: step 0.01 * 2 / sqrt(0.4)
    np.testing.assert_allclose(w["w"], [1.0 - 0.02 / np.sqrt(0.4)])

    for fold in (False, True):  # Adam's first step is lr * sign(g) when ε = 0
        w = {"w": np.array([1.0, 1.0])}
        nn.Adam(lr=0.01, eps=0.0, fold_bias_correction=fold).update(
            w, {"w": np.array([0.5, -300.0])})
        np.testing.assert_allclose(w["w"], [0.99, 1.01])

    w = {"w": np.array([1.0])}
    nn.Adadelta(lr=1.0, rho=0.9, eps=1e-6).update(w, g)  # h = 0.4, s = 0: Δ = -√ε/√(0.4 + ε) g
    np.testing.assert_allclose(w["w"], [1.0 - np.sqrt(1e-6) / np.sqrt(0.4 + 1e-6) * 2.0])


def test_nesterov_is_the_look_ahead_gradient() -> None:
    """Nesterov with the gradient taken at the stored weights equals the original form:
    v <- μv - η ∇f(w + μv), w <- w + v, whose look-ahead point w + μv is what we store."""
    A = np.array([[3.0, 1.0], [1.0, 0.5]])

    def grad(w: np.ndarray) -> np.ndarray:
        return A @ w  # f = ½ wᵀAw

    lr, mu = 0.1, 0.9
    w, v = np.array([1.0, -2.0]), np.zeros(2)
    p = {"w": w.copy()}  # at t = 0, v = 0: the look-ahead point is w
    opt = nn.Nesterov(lr=lr, momentum=mu)
    for _ in range(30):
        v = mu * v - lr * grad(w + mu * v)
        w = w + v
        opt.update(p, {"w": grad(p["w"])})
        np.testing.assert_allclose(p["w"], w + mu * v, rtol=1e-12, atol=1e-12)


def test_adam_forms_agree_without_eps_and_t_counts_calls() -> None:
    params0, grads = problem(3)
    a = numpy_trajectory(nn.Adam(lr=0.01, eps=0.0), params0, grads)
    b = numpy_trajectory(nn.Adam(lr=0.01, eps=0.0, fold_bias_correction=True), params0, grads)
    np.testing.assert_allclose(a, b, rtol=1e-10)
    opt = nn.Adam()
    numpy_trajectory(opt, params0, grads[:7])
    assert opt.t == 7 and set(opt.m) == set(opt.v) == set(SHAPES)


@pytest.mark.parametrize("make", [
    lambda: nn.SGD(0.1), lambda: nn.Momentum(0.1), lambda: nn.Nesterov(0.1),
    lambda: nn.AdaGrad(0.1), lambda: nn.RMSProp(0.01), lambda: nn.Adadelta(), lambda: nn.Adam(0.01),
])
def test_in_place_state_per_key_and_descent(make: Any) -> None:
    """Arrays updated in place, grads untouched, keys independent, and a quadratic goes down."""
    opt = make()
    params = {"a": np.array([3.0, -2.0]), "b": np.array([[1.0], [4.0]])}
    held = dict(params)
    alone = make()
    a_alone = {"a": params["a"].copy()}
    start = sum(float(np.sum(p**2)) for p in params.values())
    for _ in range(20):
        grads = {k: 2 * p for k, p in params.items()}  # f = Σ p²
        g_copy = {k: v.copy() for k, v in grads.items()}
        opt.update(params, grads)
        alone.update(a_alone, {"a": 2 * a_alone["a"]})
        assert all(params[k] is held[k] for k in params)
        assert all(np.array_equal(grads[k], g_copy[k]) for k in grads)
    np.testing.assert_allclose(params["a"], a_alone["a"], rtol=1e-12)  # "b" does not disturb "a"
    assert sum(float(np.sum(p**2)) for p in params.values()) < start


def test_errors_name_keys_and_shapes() -> None:
    for opt in [nn.Momentum(), nn.AdaGrad(), nn.RMSProp(), nn.Adadelta(), nn.Adam()]:
        with pytest.raises(ValueError, match="'W'"):
            opt.update({"W": np.zeros((2, 3))}, {})
        with pytest.raises(ValueError, match=re.escape("(2, 3)") + ".*" + re.escape("(3, 2)")):
            opt.update({"W": np.zeros((2, 3))}, {"W": np.zeros((3, 2))})
        opt.update({"W": np.zeros((2, 3))}, {"W": np.ones((2, 3))})
        with pytest.raises(ValueError, match=re.escape("(4,)") + ".*state.*" + re.escape("(2, 3)")):
            opt.update({"W": np.zeros(4)}, {"W": np.ones(4)})  # another model, same optimizer


def test_repr_and_exports() -> None:
    assert repr(nn.Momentum(lr=0.1, momentum=0.5)) == "Momentum(lr=0.1, momentum=0.5)"
    assert repr(nn.Nesterov()) == "Nesterov(lr=0.01, momentum=0.9)"
    assert "eps_inside_sqrt=False" in repr(nn.AdaGrad()) and "rho=0.9" in repr(nn.RMSProp())
    assert repr(nn.Adadelta()) == "Adadelta(lr=1.0, rho=0.95, eps=1e-07)"
    assert "fold_bias_correction=False" in repr(nn.Adam())
    for name in ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adadelta", "Adam"]:
        assert name in nn.optimizers.__all__ and hasattr(nn, name)
    assert nn.Nesterov().keras_formula and not nn.AdaGrad().keras_formula
