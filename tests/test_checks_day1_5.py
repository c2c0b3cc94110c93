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
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: the library's gradient_check."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [
        ("1_5/check_gradients", nn.gradient_check),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
