"""Checkers of 1_5: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 1_5 Affine.backward
class AffineSolution(nn.Affine):
    def backward(self, dout):
        N = self.x2.shape[0]
        dout2 = dout.reshape(N, -1)
        self.grads["W"] = self.x2.T @ dout2
        self.grads["b"] = dout2.sum(axis=0)
        return (dout2 @ self.params["W"].T).reshape(self.x_shape)


class AffineStub(nn.Affine):
    def backward(self, dout):
        raise NotImplementedError


class AffineTransposedW(nn.Affine):
    def backward(self, dout):
        self.grads["W"] = dout.T @ self.x2  # (M, D)
        self.grads["b"] = dout.sum(axis=0)
        return (dout @ self.params["W"].T).reshape(self.x_shape)


class AffineMeanBias(nn.Affine):
    def backward(self, dout):
        self.grads["W"] = self.x2.T @ dout
        self.grads["b"] = dout.mean(axis=0)
        return (dout @ self.params["W"].T).reshape(self.x_shape)


class AffineNoBiasSum(nn.Affine):
    def backward(self, dout):
        self.grads["W"] = self.x2.T @ dout
        self.grads["b"] = dout
        return (dout @ self.params["W"].T).reshape(self.x_shape)


class AffineFlatDx(nn.Affine):
    def backward(self, dout):
        self.grads["W"] = self.x2.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T  # (N, D), not x's shape


class AffineNoReturn(nn.Affine):
    def backward(self, dout):
        self.grads["W"] = self.x2.T @ dout
        self.grads["b"] = dout.sum(axis=0)


# ------------------------------------------------------------------ 1_5 SoftmaxWithLoss.backward
def _targets(layer):
    """One-hot targets of the layer, whatever form forward stored."""
    if layer.sparse:
        return np.eye(layer.y.shape[1])[layer.t]
    return layer.t


class SoftmaxSolution(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        N = self.y.shape[0]
        return dout * (self.y - _targets(self)) / N


class SoftmaxStub(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        raise NotImplementedError


class SoftmaxNoMean(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        return dout * (self.y - _targets(self))


class SoftmaxReturnsY(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        return dout * self.y / self.y.shape[0]


class SoftmaxOneHotOnly(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        return dout * (self.y - self.t) / self.y.shape[0]


class SoftmaxInPlace(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        N = self.y.shape[0]
        dx = self.y  # no copy: the -1 below changes self.y
        if self.sparse:
            dx[np.arange(N), self.t] -= 1
        else:
            dx -= self.t
        return dout * dx / N


class SoftmaxIgnoresDout(nn.SoftmaxWithLoss):
    def backward(self, dout=1.0):
        return (self.y - _targets(self)) / self.y.shape[0]


# ------------------------------------------------------------------ 1_5 check_gradients
def _check_solution(model, x, t):
    analytic = model.gradient(x, t)
    return {
        key: nn.rel_error(analytic[key], nn.numerical_gradient(lambda _: model.loss(x, t), p))
        for key, p in model.params.items()
    }


def _check_on_copy(model, x, t):
    analytic = model.gradient(x, t)
    return {
        key: nn.rel_error(
            analytic[key], nn.numerical_gradient(lambda _: model.loss(x, t), p.copy())
        )
        for key, p in model.params.items()
    }


def _check_absolute(model, x, t):
    analytic = model.gradient(x, t)
    return {
        key: float(np.max(np.abs(
            analytic[key] - nn.numerical_gradient(lambda _: model.loss(x, t), p)
        )))
        for key, p in model.params.items()
    }


def _check_single_number(model, x, t):
    return max(_check_solution(model, x, t).values())


def _check_own_loop_unrestored(model, x, t):
    """Perturbs the weights by hand and forgets to put them back."""
    analytic, h, errors = model.gradient(x, t), 1e-5, {}
    for key, p in model.params.items():
        num = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            f_plus = model.loss(x, t)
            p[idx] = old - h
            num[idx] = (f_plus - model.loss(x, t)) / (2 * h)
        errors[key] = nn.rel_error(analytic[key], num)
    return errors


# ------------------------------------------------------------------ 1_5 two_layer_backward
def _forward(x, params):
    u1 = x @ params["W1"] + params["b1"]  # (N, H)
    z1 = np.maximum(u1, 0.0)
    y = nn.softmax(z1 @ params["W2"] + params["b2"])  # (N, K)
    return u1, z1, y


def _grads(x, z1, delta1, delta2):
    return {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.sum(axis=0)}


def backward_solution(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    delta1 = (delta2 @ params["W2"].T) * (u1 > 0)
    return _grads(x, z1, delta1, delta2)


def backward_no_mean(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = y - t
    return _grads(x, z1, (delta2 @ params["W2"].T) * (u1 > 0), delta2)


def backward_transposed_W2(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    return _grads(x, z1, (delta2 @ params["W2"]) * (u1 > 0), delta2)


def backward_no_relu_derivative(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    return _grads(x, z1, delta2 @ params["W2"].T, delta2)


def backward_sigmoid_derivative(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    return _grads(x, z1, (delta2 @ params["W2"].T) * nn.d_sigmoid(u1), delta2)


def backward_bias_not_summed(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    delta1 = (delta2 @ params["W2"].T) * (u1 > 0)
    return {"W1": x.T @ delta1, "b1": delta1, "W2": z1.T @ delta2, "b2": delta2}


def backward_bias_mean(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    delta1 = (delta2 @ params["W2"].T) * (u1 > 0)
    return {"W1": x.T @ delta1, "b1": delta1.mean(axis=0),
            "W2": z1.T @ delta2, "b2": delta2.mean(axis=0)}


def backward_u1_for_dW2(x, t, params):
    u1, z1, y = _forward(x, params)
    delta2 = (y - t) / x.shape[0]
    return _grads(x, u1, (delta2 @ params["W2"].T) * (u1 > 0), delta2)


def backward_dW_transposed(x, t, params):
    g = backward_solution(x, t, params)
    return {**g, "W2": g["W2"].T}


def backward_returns_tuple(x, t, params):
    g = backward_solution(x, t, params)
    return g["W1"], g["b1"], g["W2"], g["b2"]


def backward_in_place(x, t, params):
    g = backward_solution(x, t, params)
    params["W1"] -= 0.1 * g["W1"]  # an update sneaked in
    return g


CASES = {
    "1_5/affine_backward": Spec(
        solution=AffineSolution,
        stub=AffineStub,
        wrong=[AffineTransposedW, AffineMeanBias, AffineNoBiasSum, AffineFlatDx, AffineNoReturn],
        messages=["x.T @ dout", "sum", "dout.sum(axis=0)", "reshape", "return dx"],
    ),
    "1_5/softmax_with_loss_backward": Spec(
        solution=SoftmaxSolution,
        stub=SoftmaxStub,
        wrong=[SoftmaxNoMean, SoftmaxReturnsY, SoftmaxOneHotOnly, SoftmaxInPlace,
               SoftmaxIgnoresDout],
        messages=["batch size N", "subtract the target", "integer labels", "second call",
                  "dout is ignored"],
    ),
    "1_5/check_gradients": Spec(
        solution=_check_solution,
        wrong=[_check_on_copy, _check_absolute, _check_single_number, _check_own_loop_unrestored],
        messages=["not a copy", "relative error", "return a dict", "restore"],
    ),
    "1_5/two_layer_backward": Spec(
        solution=backward_solution,
        wrong=[backward_no_mean, backward_transposed_W2, backward_no_relu_derivative,
               backward_sigmoid_derivative, backward_bias_not_summed, backward_bias_mean,
               backward_u1_for_dW2, backward_dW_transposed, backward_returns_tuple,
               backward_in_place],
        messages=["N times too large", "W2.T", "ReLU derivative", "sigmoid", "sum",
                  "a second time", "not u1", "z1.T @ delta", "return a dict",
                  "in place"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: the library's gradient_check."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [
        ("1_5/check_gradients", nn.gradient_check),
        ("1_5/two_layer_backward", checks.day1_5.two_layer_backward_reference),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message


def test_two_layer_net_takes_layer_classes() -> None:
    """two_layer_net(..., affine=, loss=) builds from the given classes, with the same weights."""

    class MyAffine(nn.Affine):
        pass

    class MyLoss(nn.SoftmaxWithLoss):
        pass

    ref = nn.two_layer_net(6, 4, 3, weight_init_std="he", seed=3)
    mine = nn.two_layer_net(6, 4, 3, weight_init_std="he", seed=3, affine=MyAffine, loss=MyLoss)
    assert type(mine[0]) is MyAffine and type(mine[2]) is MyAffine
    assert type(mine.loss_layer) is MyLoss and type(ref.loss_layer) is nn.SoftmaxWithLoss
    for key in ref.params:
        np.testing.assert_array_equal(ref.params[key], mine.params[key])
