"""Checkers of 3_1: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 3_1 rnn_step
def step_solution(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return activation(np.dot(x_t, Wx) + np.dot(h_prev, Wh) + b)


def step_no_activation(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return x_t @ Wx + h_prev @ Wh + b


def step_no_bias(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return activation(x_t @ Wx + h_prev @ Wh)


def step_no_recurrence(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return activation(x_t @ Wx + b)


def step_transposed_wh(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return activation(x_t @ Wx + h_prev @ Wh.T + b)


def step_ignores_activation(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return np.tanh(x_t @ Wx + h_prev @ Wh + b)


def step_column_form(x_t, h_prev, Wx, Wh, b, activation=np.tanh):
    return activation((Wx @ x_t.T).T + h_prev @ Wh + b)  # the lecture's W_in x written on rows


# ------------------------------------------------------------------ 3_1 rnn_backward
def bptt_solution(dhs, xs, hs, h0, Wx, Wh):
    N, T, H = hs.shape
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dx, dh_next = np.zeros_like(xs), np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        delta = (dhs[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dWx += xs[:, t].T @ delta
        dWh += h_prev.T @ delta
        db += delta.sum(axis=0)
        dx[:, t] = delta @ Wx.T
        dh_next = delta @ Wh.T
    return {"Wx": dWx, "Wh": dWh, "b": db, "x": dx, "h0": dh_next}


def _variant(**flags):
    from utils.checks.day3_1 import _bptt

    def fn(dhs, xs, hs, h0, Wx, Wh):
        return _bptt(dhs, xs, hs, h0, Wx, Wh, **flags)

    return fn


def bptt_no_carry(dhs, xs, hs, h0, Wx, Wh):
    N, T, H = hs.shape
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dx = np.zeros_like(xs)
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        delta = dhs[:, t] * (1 - hs[:, t] ** 2)
        dWx += xs[:, t].T @ delta
        dWh += h_prev.T @ delta
        db += delta.sum(axis=0)
        dx[:, t] = delta @ Wx.T
    return {"Wx": dWx, "Wh": dWh, "b": db, "x": dx, "h0": delta @ Wh.T}


def bptt_d_tanh_of_h(dhs, xs, hs, h0, Wx, Wh):
    return _variant(deriv="tanh(h)")(dhs, xs, hs, h0, Wx, Wh)


def bptt_not_summed(dhs, xs, hs, h0, Wx, Wh):
    return _variant(accumulate=False)(dhs, xs, hs, h0, Wx, Wh)


def bptt_wh_not_transposed(dhs, xs, hs, h0, Wx, Wh):
    return _variant(wh_t=False)(dhs, xs, hs, h0, Wx, Wh)


def bptt_h_prev_off_by_one(dhs, xs, hs, h0, Wx, Wh):
    return _variant(prev=False)(dhs, xs, hs, h0, Wx, Wh)


def bptt_sigmoid_derivative(dhs, xs, hs, h0, Wx, Wh):
    return _variant(deriv="sigmoid")(dhs, xs, hs, h0, Wx, Wh)


def bptt_wx_not_transposed(dhs, xs, hs, h0, Wx, Wh):
    return _variant(wx_t=False)(dhs, xs, hs, h0, Wx, Wh)


def bptt_returns_tuple(dhs, xs, hs, h0, Wx, Wh):
    g = bptt_solution(dhs, xs, hs, h0, Wx, Wh)
    return g["Wx"], g["Wh"], g["b"]


def bptt_bias_per_sample(dhs, xs, hs, h0, Wx, Wh):
    g = bptt_solution(dhs, xs, hs, h0, Wx, Wh)
    N, T, H = hs.shape
    return {**g, "b": np.tile(g["b"] / N, (N, 1))}


def bptt_in_place(dhs, xs, hs, h0, Wx, Wh):
    g = bptt_solution(dhs, xs, hs, h0, Wx, Wh)
    dhs[:] = 0.0
    return g


# ------------------------------------------------------------------ 3_1 clip_grad_norm
def _norm(grads):
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


def clip_solution(grads, max_norm):
    norm = _norm(grads)
    rate = max_norm / norm
    if rate < 1:
        for g in grads.values():
            g *= rate
    return norm


def clip_per_array(grads, max_norm):
    norm = _norm(grads)
    for g in grads.values():
        n = np.linalg.norm(g)
        if n > max_norm:
            g *= max_norm / n
    return norm


def clip_always(grads, max_norm):
    norm = _norm(grads)
    for g in grads.values():
        g *= max_norm / norm
    return norm


def clip_returns_after(grads, max_norm):
    clip_solution(grads, max_norm)
    return _norm(grads)


def clip_rebinds(grads, max_norm):
    norm = _norm(grads)
    if norm > max_norm:
        for k in grads:
            grads[k] = grads[k] * max_norm / norm
    return norm


def clip_inverted_rate(grads, max_norm):
    norm = _norm(grads)
    if norm > max_norm:
        for g in grads.values():
            g *= norm / max_norm
    return norm


def clip_sum_of_norms(grads, max_norm):
    norm = sum(float(np.linalg.norm(g)) for g in grads.values())
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return _norm({k: v * norm / max_norm for k, v in grads.items()}) if norm > max_norm else norm


def clip_no_return(grads, max_norm):
    clip_solution(grads, max_norm)


CASES = {
    "3_1/rnn_step": Spec(
        solution=step_solution,
        wrong=[step_no_activation, step_no_bias, step_no_recurrence, step_transposed_wh,
               step_ignores_activation, step_column_form],
        messages=["apply the activation", "bias b is missing", "recurrent term is missing",
                  "without the transpose", "passed as `activation`", "raised ValueError"],
    ),
    "3_1/rnn_backward": Spec(
        solution=bptt_solution,
        wrong=[bptt_no_carry, bptt_d_tanh_of_h, bptt_not_summed, bptt_wh_not_transposed,
               bptt_h_prev_off_by_one, bptt_sigmoid_derivative, bptt_wx_not_transposed,
               bptt_returns_tuple, bptt_bias_per_sample, bptt_in_place],
        messages=["recurrent term is missing", "d_tanh(h) instead of d_tanh(u)", "summed over time",
                  "delta @ Wh.T", "previous state", "sigmoid's derivative", "raised ValueError",
                  "return a dict", "sum delta over the batch", "in place"],
    ),
    "3_1/clip_grad_norm": Spec(
        solution=clip_solution,
        wrong=[clip_per_array, clip_always, clip_returns_after, clip_rebinds, clip_inverted_rate,
               clip_sum_of_norms, clip_no_return],
        messages=["its own norm", "clip only when", "norm after clipping", "new array",
                  "inverted", "not the sum of the", "returned None"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_reference_matches_the_layer() -> None:
    """The checker's BPTT reference equals RNN.backward of the library."""
    from utils.checks.day3_1 import _bptt_data, rnn_backward_reference

    dhs, xs, hs, h0, Wx, Wh = _bptt_data(0, 2, 5, 3, 4, last_only=False)
    layer = nn.RNN(Wx, Wh, np.zeros(4))
    b = np.random.default_rng(0).normal(0, 0.3, 4)  # the bias _bptt_data drew is unknown here:
    layer.params["b"][:] = 0.0                      # recompute hs with our own bias instead
    layer.params["b"] += b
    hs = layer.forward(xs, h0)
    dx = layer.backward(dhs)
    want = rnn_backward_reference(dhs, xs, hs, h0, Wx, Wh)
    for k in ("Wx", "Wh", "b"):
        np.testing.assert_allclose(want[k], layer.grads[k], atol=1e-12)
    np.testing.assert_allclose(want["x"], dx, atol=1e-12)
    np.testing.assert_allclose(want["h0"], layer.dh0, atol=1e-12)
