"""Checkers of 3_2: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


def _sig(a):
    return 1 / (1 + np.exp(-a))


# ------------------------------------------------------------------ 3_2 lstm_step
def lstm_solution(x_t, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x_t @ Wx + h_prev @ Wh + b
    i, f = _sig(a[:, :H]), _sig(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _lstm_gates(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x_t @ Wx + h_prev @ Wh + b
    return a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]


def lstm_forget_input_swapped(x_t, h_prev, c_prev, Wx, Wh, b):
    a_f, a_i, a_g, a_o = _lstm_gates(x_t, h_prev, Wx, Wh, b)  # f first: wrong order
    c = _sig(a_f) * c_prev + _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * np.tanh(c), c


def lstm_candidate_output_swapped(x_t, h_prev, c_prev, Wx, Wh, b):
    a_i, a_f, a_o, a_g = _lstm_gates(x_t, h_prev, Wx, Wh, b)  # o before c: wrong order
    c = _sig(a_f) * c_prev + _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * np.tanh(c), c


def lstm_tanh_gates(x_t, h_prev, c_prev, Wx, Wh, b):
    a_i, a_f, a_g, a_o = _lstm_gates(x_t, h_prev, Wx, Wh, b)
    c = np.tanh(a_f) * c_prev + np.tanh(a_i) * np.tanh(a_g)
    return np.tanh(a_o) * np.tanh(c), c


def lstm_no_tanh_on_c(x_t, h_prev, c_prev, Wx, Wh, b):
    a_i, a_f, a_g, a_o = _lstm_gates(x_t, h_prev, Wx, Wh, b)
    c = _sig(a_f) * c_prev + _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * c, c


def lstm_no_forget_gate(x_t, h_prev, c_prev, Wx, Wh, b):
    a_i, _, a_g, a_o = _lstm_gates(x_t, h_prev, Wx, Wh, b)
    c = c_prev + _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * np.tanh(c), c


def lstm_returns_h_only(x_t, h_prev, c_prev, Wx, Wh, b):
    return lstm_solution(x_t, h_prev, c_prev, Wx, Wh, b)[0]


def lstm_returns_c_h(x_t, h_prev, c_prev, Wx, Wh, b):
    h, c = lstm_solution(x_t, h_prev, c_prev, Wx, Wh, b)
    return c, h


def lstm_in_place(x_t, h_prev, c_prev, Wx, Wh, b):
    a_i, a_f, a_g, a_o = _lstm_gates(x_t, h_prev, Wx, Wh, b)
    c_prev *= _sig(a_f)  # changes the caller's array
    c_prev += _sig(a_i) * np.tanh(a_g)
    return _sig(a_o) * np.tanh(c_prev), c_prev


# ------------------------------------------------------------------ 3_2 gru_step
def gru_solution(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
    z = _sig(ax[:, :H] + ah[:, :H])
    r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return z * h_prev + (1 - z) * h_tilde


def gru_interpolation_reversed(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
    z = _sig(ax[:, :H] + ah[:, :H])
    r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return (1 - z) * h_prev + z * h_tilde


def gru_reset_before_product(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
    z = _sig(ax[:, :H] + ah[:, :H])
    r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    h_tilde = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[1, 2 * H:])
    return z * h_prev + (1 - z) * h_tilde


def gru_no_reset(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
    z = _sig(ax[:, :H] + ah[:, :H])
    h_tilde = np.tanh(ax[:, 2 * H:] + ah[:, 2 * H:])
    return z * h_prev + (1 - z) * h_tilde


def gru_z_r_swapped(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
    r = _sig(ax[:, :H] + ah[:, :H])
    z = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return z * h_prev + (1 - z) * h_tilde


def gru_one_bias(x_t, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x_t @ Wx + b[0], h_prev @ Wh  # b[1] forgotten
    z = _sig(ax[:, :H] + ah[:, :H])
    r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
    return z * h_prev + (1 - z) * h_tilde


def gru_returns_tuple(x_t, h_prev, Wx, Wh, b):
    h = gru_solution(x_t, h_prev, Wx, Wh, b)
    return h, h


CASES = {
    "3_2/lstm_step": Spec(
        solution=lstm_solution,
        wrong=[lstm_forget_input_swapped, lstm_candidate_output_swapped, lstm_tanh_gates,
               lstm_no_tanh_on_c, lstm_no_forget_gate, lstm_returns_h_only, lstm_returns_c_h,
               lstm_in_place],
        messages=["input and forget gates are swapped", "candidate and the output gate",
                  "a gate is a sigmoid", "h = o * tanh(c)", "no forget gate", "the pair (h, c)",
                  "h and c are swapped", "in place"],
    ),
    "3_2/gru_step": Spec(
        solution=gru_solution,
        wrong=[gru_interpolation_reversed, gru_reset_before_product, gru_no_reset,
               gru_z_r_swapped, gru_one_bias, gru_returns_tuple],
        messages=["wrong way round", "reset_after=False", "reset gate is not used",
                  "z and r are swapped", "recurrent bias", "one array h"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_library_steps_accepted() -> None:
    """The library's functions (with their optional arguments) pass their own checkers."""
    from tests.checkerkit import run
    from utils import checks, nn

    for ex_id, fn in [("3_2/lstm_step", nn.lstm_step), ("3_2/gru_step", nn.gru_step)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
