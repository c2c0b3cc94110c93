"""Checkers of 1_4 and 1_5: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 1_4 numerical_gradient
def _numgrad(h=1e-4, forward=False, restore=True):
    """A numerical gradient with a chosen h, difference and restoring, for wrong answers."""

    def numerical_gradient(f, x):
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + h
            f_plus = f(x)
            x[idx] = old if forward else old - h
            f_minus = f(x)
            if restore:
                x[idx] = old
            grad[idx] = (f_plus - f_minus) / (h if forward else 2 * h)
        return grad

    return numerical_gradient


def _numgrad_1d_loop(f, x):
    """Right for 1-D arrays only: x[i] of a matrix is a whole row (and a view)."""
    h = 1e-4
    grad = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def _numgrad_solution(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def _numgrad_on_copies(f, x):
    """Perturbs copies, never x itself: f = lambda _: model.loss(...) sees no change."""
    h = 1e-5
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        grad[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


# ------------------------------------------------------------------ 1_4 sgd_step
def _sgd_plus(params, grads, lr):
    for k in params:
        params[k] += lr * grads[k]


def _sgd_rebind(params, grads, lr):
    for k in params:
        params[k] = params[k] - lr * grads[k]


def _sgd_zip(params, grads, lr):
    for p, g in zip(params.values(), grads.values(), strict=True):
        p -= lr * g


def _sgd_new_dict(params, grads, lr):
    return {k: p - lr * grads[k] for k, p in params.items()}


def _sgd_fixed_lr(params, grads, lr):
    for k in params:
        params[k] -= 0.1 * grads[k]


def _sgd_returns_params(params, grads, lr):  # tolerated: in place, returns the same dict
    for k in params:
        params[k] -= lr * grads[k]
    return params


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
    "1_4/numerical_gradient": Spec(
        solution=_numgrad_solution,
        wrong=[
            _numgrad(forward=True),  # forward difference
            _numgrad(h=1e-50),  # x + h == x
            _numgrad(h=1e-2),  # too coarse
            _numgrad(restore=False),  # x left at x - h
            _numgrad_1d_loop,  # 1-D only
            _numgrad_on_copies,  # right for f(x), but a model's loss never sees the change
        ],
        messages=["forward difference", "so small", "too large", "changed x", "IndexError",
                  "x itself"],
    ),
    "1_4/sgd_step": Spec(
        wrong=[_sgd_plus, _sgd_rebind, _sgd_zip, _sgd_new_dict, _sgd_fixed_lr],
        messages=["uphill", "in place", "ValueError", "in place", "differs"],
    ),
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
    """Right answers other than the reference: another h, sgd returning params, the library."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [
        ("1_4/numerical_gradient", _numgrad(h=1e-5)),
        ("1_4/sgd_step", _sgd_returns_params),
        ("1_5/check_gradients", nn.gradient_check),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
