"""Checkers of 1_4: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


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
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: another h, sgd returning params."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [
        ("1_4/numerical_gradient", _numgrad(h=1e-5)),
        ("1_4/sgd_step", _sgd_returns_params),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
