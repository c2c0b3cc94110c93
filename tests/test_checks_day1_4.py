"""Checkers of 1_4: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


# ------------------------------------------------------------------ 1_4 numerical_gradient
def _numgrad(h=1e-5, forward=False, restore=True):
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
    h = 1e-5
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
    h = 1e-5
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


# ------------------------------------------------------------------ 1_4 sgd_update
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



# ------------------------------------------------------------------ 1_4 linear_grads
def _linear(scale_W=1.0, scale_b=1.0, sign=1.0, N_div=True):
    """dW = scale_W · xᵀδ, db = scale_b · Σδ with δ = sign · (y - t) [/ N]: scaled mistakes."""

    def linear_grads(x, t, W, b):
        delta = sign * (x @ W + b - t)
        if N_div:
            delta = delta / x.shape[0]
        return scale_W * (x.T @ delta), scale_b * delta.sum(axis=0)

    return linear_grads


def _linear_solution(x, t, W, b):
    N = x.shape[0]
    y = x @ W + b  # (N, M)
    delta = (y - t) / N  # dE/du
    return x.T @ delta, delta.sum(axis=0)


def _linear_not_summed(x, t, W, b):
    delta = (x @ W + b - t) / x.shape[0]
    return x.T @ delta, delta


def _linear_not_transposed(x, t, W, b):
    delta = (x @ W + b - t) / x.shape[0]
    return x @ delta, delta.sum(axis=0)


def _linear_mean_all(x, t, W, b):  # Keras' MSE convention: a mean over all N·M entries
    delta = (x @ W + b - t) / t.size
    return x.T @ delta, delta.sum(axis=0)


def _linear_scalar_db(x, t, W, b):  # db as one number: right only when M = 1
    r = x @ W + b - t
    return x.T @ r / x.shape[0], np.mean(r)


def _linear_in_place(x, t, W, b):  # right values, but reuses t as the buffer of δ
    t -= x @ W + b  # t - y
    t /= -x.shape[0]  # δ = (y - t) / N, in t's memory
    return x.T @ t, t.sum(axis=0)


def _linear_broadcast(x, t, W, b):  # right, without a matrix product
    delta = (x @ W + b - t) / len(x)  # (N, M)
    return (x[:, :, None] * delta[:, None, :]).sum(axis=0), np.sum(delta, axis=0)


def _linear_dW_transposed(x, t, W, b):
    delta = (x @ W + b - t) / x.shape[0]
    return delta.T @ x, delta.sum(axis=0)


CASES = {
    "1_4/numerical_gradient": Spec(
        solution=_numgrad_solution,
        wrong=[
            _numgrad(h=1e-4, forward=True),  # forward difference
            _numgrad(h=1e-50),  # x + h == x
            _numgrad(h=1e-2),  # too coarse
            _numgrad(restore=False),  # x left at x - h
            _numgrad_1d_loop,  # 1-D only
            _numgrad_on_copies,  # right for f(x), but a model's loss never sees the change
        ],
        messages=["forward difference", "so small", "too large", "changed x", "IndexError",
                  "x itself"],
    ),
    "1_4/sgd_update": Spec(
        wrong=[_sgd_plus, _sgd_rebind, _sgd_zip, _sgd_new_dict, _sgd_fixed_lr],
        messages=["uphill", "in place", "ValueError", "in place", "differs"],
    ),
    "1_4/linear_grads": Spec(
        solution=_linear_solution,
        wrong=[
            _linear(N_div=False),  # missing 1/N
            _linear(sign=-1.0),  # t - y
            _linear(scale_W=2.0, scale_b=2.0),  # the ½ forgotten
            _linear_not_summed,  # db one row per sample
            _linear_not_transposed,  # x @ delta
            _linear_mean_all,  # divided by N·M
            _linear_scalar_db,  # db of shape ()
            _linear_dW_transposed,  # (M, D)
            _linear_in_place,  # changes W
        ],
        messages=["1/N", "sign", "½", "sums δ over the batch", "transpose", "not by N·M",
                  "shape ()", "Wᵀ", "changed its argument t"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: another h, sgd returning params, no matmul."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [
        ("1_4/numerical_gradient", _numgrad(h=1e-4)),
        ("1_4/linear_grads", _linear_broadcast),
        ("1_4/sgd_update", _sgd_returns_params),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
