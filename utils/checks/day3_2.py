"""Checkers of 3_2 LSTM and GRU: one time step of each, with the weights in Keras' layout.

The student writes ``lstm_step(x_t, h_prev, c_prev, Wx, Wh, b) -> (h, c)`` (gates i, f, c, o)
and ``gru_step(x_t, h_prev, Wx, Wh, b) -> h`` (gates z, r, h; Keras' default
``reset_after=True``, b of shape (2, 3H)). Each case calls the function on fixed random inputs
and compares with the course's :mod:`utils.nn.gated`; an answer equal to one of the classic
mistakes simulated below gets that mistake's hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn.functions import sigmoid
from utils.nn.gated import gru_step as _gru_ref
from utils.nn.gated import lstm_step as _lstm_ref


# ------------------------------------------------------------------ inputs
def _lstm_inputs(seed: int, N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    r = _h.rng(seed)
    x_t, h_prev, c_prev = r.normal(size=(N, D)), r.normal(size=(N, H)), 2 * r.normal(size=(N, H))
    Wx, Wh, b = r.normal(size=(D, 4 * H)), r.normal(size=(H, 4 * H)), r.normal(size=4 * H)
    return x_t, h_prev, c_prev, Wx, Wh, b


def _gru_inputs(seed: int, N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    r = _h.rng(seed)
    x_t, h_prev = r.normal(size=(N, D)), r.normal(size=(N, H))
    Wx, Wh, b = r.normal(size=(D, 3 * H)), r.normal(size=(H, 3 * H)), r.normal(size=(2, 3 * H))
    return x_t, h_prev, Wx, Wh, b


def _call(fn: Any, args: tuple[np.ndarray, ...], name: str) -> Any:
    """``fn(*copies)``; the inputs must come back unchanged."""
    copies = tuple(a.copy() for a in args)
    out = _h.call(fn, *copies)
    for a, c in zip(args, copies, strict=True):
        if not np.array_equal(a, c):
            raise AssertionError(f"{name} changed one of its inputs in place; compute new arrays instead")
    return out


# ------------------------------------------------------------------ LSTM mistakes
def _lstm_parts(x_t, h_prev, Wx, Wh, b, order="ifco"):  # noqa: ANN001, ANN202
    a = x_t @ Wx + h_prev @ Wh + b
    parts = dict(zip(order, np.split(a, 4, axis=1), strict=True))
    return parts["i"], parts["f"], parts["c"], parts["o"]


def _lstm_variant(kind: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    def step(x_t, h_prev, c_prev, Wx, Wh, b):  # noqa: ANN001, ANN202
        order = {"swap_if": "fico", "swap_co": "ifoc", "keras1": "icfo"}.get(kind, "ifco")
        a_i, a_f, a_g, a_o = _lstm_parts(x_t, h_prev, Wx, Wh, b, order)
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        if kind == "tanh_gates":
            i, f, o = np.tanh(a_i), np.tanh(a_f), np.tanh(a_o)
        if kind == "sigmoid_candidate":
            g = sigmoid(a_g)
        c = f * c_prev + i * g
        if kind == "no_forget":
            c = c_prev + i * g
        if kind == "f_on_new":
            c = i * c_prev + f * g
        h = o * np.tanh(c)
        if kind == "no_tanh_c":
            h = o * c
        if kind == "h_before_update":
            h = o * np.tanh(c_prev)
        return h, c

    return step


_LSTM_HINTS = [
    ("swap_if", "the input and forget gates are swapped: Keras' order is i, f, c, o, so "
                "a[:, :H] is the input gate and a[:, H:2H] the forget gate"),
    ("swap_co", "the candidate and the output gate are swapped: Keras' order is i, f, c, o, so "
                "a[:, 2H:3H] is the candidate (tanh) and a[:, 3H:] the output gate"),
    ("keras1", "gate order i, c, f, o is not Keras': the blocks are i, f, c, o"),
    ("tanh_gates", "the gates i, f, o use tanh; a gate is a sigmoid (values in 0..1), only the "
                   "candidate uses tanh"),
    ("sigmoid_candidate", "the candidate uses a sigmoid; it is tanh (values in -1..1), the gates "
                          "are sigmoids"),
    ("no_forget", "c = c_prev + i * g has no forget gate: c = f * c_prev + i * g"),
    ("f_on_new", "the forget gate multiplies the candidate and the input gate the old cell: "
                 "c = f * c_prev + i * g"),
    ("no_tanh_c", "h = o * c: the cell goes through tanh before the output gate, h = o * tanh(c)"),
    ("h_before_update", "h uses c_prev: compute the new c first, then h = o * tanh(c)"),
]


def _lstm_result(out: Any, N: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    if out is None:
        raise AssertionError("lstm_step returned None: did you forget `return h, c`?")
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise AssertionError(
            f"lstm_step returned {type(out).__name__} of shape {np.shape(out)}; expected the pair "
            "(h, c), each (N, H): `return h, c`"
        )
    h, c = out
    expect_shape(h, (N, H), "h")
    expect_shape(c, (N, H), "c")
    return np.asarray(h, dtype=float), np.asarray(c, dtype=float)


def _judge_lstm(fn: Any, seed: int, N: int, D: int, H: int) -> None:
    args = _lstm_inputs(seed, N, D, H)
    h, c = _lstm_result(_call(fn, args, "lstm_step"), N, H)
    h_ref, c_ref = _lstm_ref(*args)
    if _h.close(h, h_ref) and _h.close(c, c_ref):
        return
    if _h.close(h, c_ref) and _h.close(c, h_ref):
        raise AssertionError("h and c are swapped: return h, c (h = o * tanh(c))")
    for kind, hint in _LSTM_HINTS:
        h_w, c_w = _lstm_variant(kind)(*args)
        if _h.close(h, h_w) and _h.close(c, c_w):
            name = "c" if not _h.close(c, c_ref) else "h"
            got, want = (c, c_ref) if name == "c" else (h, h_ref)
            try:
                assert_close(got, want, name=name)
            except AssertionError as err:
                raise AssertionError(f"{err}\n    Hint: {hint}") from None
    assert_close(c, c_ref, name="c")
    assert_close(h, h_ref, name="h")


def _compare_pair(actual: Any, expected: Any) -> None:
    """Extra cases: the pair (h, c) against the reference's."""
    h, c = _lstm_result(actual, *np.shape(expected[0]))
    assert_close(h, expected[0], name="h")
    assert_close(c, expected[1], name="c")


lstm_step = Checker(
    "3_2",
    "lstm_step",
    reference=_lstm_ref,
    compare=_compare_pair,
    doc="lstm_step: one LSTM step with Keras' weights (gates i, f, c, o) -> (h, c).",
)


@lstm_step.case("h and c of a batch (N=3, D=4, H=5)")
def _(fn: Any) -> None:
    _judge_lstm(fn, 321, 3, 4, 5)


@lstm_step.case("another batch (N=2, D=1, H=3)")
def _(fn: Any) -> None:
    _judge_lstm(fn, 322, 2, 1, 3)


@lstm_step.case("a saturated forget gate keeps the cell: f = 1, i = 0 gives c = c_prev")
def _(fn: Any) -> None:
    x_t, h_prev, c_prev, Wx, Wh, b = _lstm_inputs(323, 2, 3, 4)
    Wx, Wh, b = 0 * Wx, 0 * Wh, b.copy()
    b[:4], b[4:8] = -40.0, 40.0  # i = 0, f = 1
    out = _call(fn, (x_t, h_prev, c_prev, Wx, Wh, b), "lstm_step")
    h, c = _lstm_result(out, 2, 4)
    if not _h.close(c, c_prev, atol=1e-9):
        raise AssertionError(
            "with b[:H] = -40 (input gate 0) and b[H:2H] = +40 (forget gate 1) the cell must be "
            "kept, c = c_prev; yours changed it. Hint: Keras' order is i, f, c, o, and "
            "c = f * c_prev + i * g"
        )
    assert_close(h, _lstm_ref(x_t, h_prev, c_prev, Wx, Wh, b)[0], name="h")


# ------------------------------------------------------------------ GRU mistakes
def _gru_variant(kind: str) -> Callable[..., np.ndarray]:
    def step(x_t, h_prev, Wx, Wh, b):  # noqa: ANN001, ANN202
        H = h_prev.shape[1]
        ax, ah = x_t @ Wx + b[0], h_prev @ Wh + b[1]
        iz, ir = (slice(H, 2 * H), slice(0, H)) if kind == "swap_zr" else (slice(0, H), slice(H, 2 * H))
        z = sigmoid(ax[:, iz] + ah[:, iz])
        r = sigmoid(ax[:, ir] + ah[:, ir])
        if kind == "tanh_gates":
            z, r = np.tanh(ax[:, iz] + ah[:, iz]), np.tanh(ax[:, ir] + ah[:, ir])
        h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        if kind == "reset_before":
            h_tilde = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[1, 2 * H:])
        if kind == "reset_before_no_bias":
            h_tilde = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
        if kind == "no_reset":
            h_tilde = np.tanh(ax[:, 2 * H:] + ah[:, 2 * H:])
        if kind == "no_recurrent_bias":
            ah = h_prev @ Wh
            z, r = sigmoid(ax[:, :H] + ah[:, :H]), sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
            h_tilde = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])
        if kind == "reversed":
            return (1 - z) * h_prev + z * h_tilde
        return z * h_prev + (1 - z) * h_tilde

    return step


_GRU_HINTS = [
    ("reversed", "the interpolation is the wrong way round for Keras: Keras keeps the old state "
                 "with z, h = z * h_prev + (1 - z) * h_tilde (some texts swap z and 1 - z)"),
    ("reset_before", "the reset gate multiplies h_prev before the product, (r * h_prev) @ Wh_h "
                     "(reset_after=False); Keras' default multiplies after it: "
                     "r * (h_prev @ Wh_h + b[1]_h)"),
    ("reset_before_no_bias", "the reset gate multiplies h_prev before the product "
                             "(reset_after=False); Keras' default multiplies after it: "
                             "r * (h_prev @ Wh_h + b[1]_h)"),
    ("no_reset", "the reset gate is not used: h_tilde = tanh(x_h + r * (h_prev @ Wh_h + b[1]_h))"),
    ("swap_zr", "z and r are swapped: Keras' order is z, r, h, so a[:, :H] is the update gate z"),
    ("tanh_gates", "the gates z and r use tanh; a gate is a sigmoid, only h_tilde uses tanh"),
    ("no_recurrent_bias", "b[1], the recurrent bias, is missing: with reset_after=True, b is "
                          "(2, 3H): b[0] is added to x_t @ Wx and b[1] to h_prev @ Wh"),
]


def _judge_gru(fn: Any, seed: int, N: int, D: int, H: int) -> None:
    args = _gru_inputs(seed, N, D, H)
    out = _call(fn, args, "gru_step")
    if out is None:
        raise AssertionError("gru_step returned None: did you forget `return h`?")
    if isinstance(out, tuple | list):
        raise AssertionError(f"gru_step returned a {type(out).__name__}; expected one array h (N, H)")
    expect_shape(out, (N, H), "h")
    want = _gru_ref(*args)
    hints = [(_gru_variant(kind)(*args), hint) for kind, hint in _GRU_HINTS]
    _h.with_hint(lambda: assert_close(out, want, name="h"), out, hints)


gru_step = Checker(
    "3_2",
    "gru_step",
    reference=_gru_ref,
    doc="gru_step: one GRU step with Keras' weights (gates z, r, h; reset_after=True) -> h.",
)


@gru_step.case("h of a batch (N=3, D=4, H=5)")
def _(fn: Any) -> None:
    _judge_gru(fn, 331, 3, 4, 5)


@gru_step.case("another batch (N=2, D=2, H=1)")
def _(fn: Any) -> None:
    _judge_gru(fn, 332, 2, 2, 1)


@gru_step.case("z = 1 keeps the old state: h = h_prev")
def _(fn: Any) -> None:
    x_t, h_prev, Wx, Wh, b = _gru_inputs(333, 2, 3, 4)
    Wx, Wh, b = 0 * Wx, 0 * Wh, b.copy()
    b[0, :4] = 40.0  # z = sigmoid(40) = 1
    h = _call(fn, (x_t, h_prev, Wx, Wh, b), "gru_step")
    expect_shape(h, (2, 4), "h")
    if not _h.close(h, h_prev, atol=1e-9):
        raise AssertionError(
            "with b[0, :H] = +40 the update gate is z = 1, and Keras then keeps the old state, "
            "h = h_prev; yours did not. Hint: Keras' order is z, r, h, and "
            "h = z * h_prev + (1 - z) * h_tilde"
        )
