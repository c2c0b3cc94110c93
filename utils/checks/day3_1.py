"""Checkers of 3_1 RNN and BPTT: ``rnn_step``, ``rnn_backward`` (BPTT) and ``clip_grad_norm``.

Each case builds its inputs from a fixed seed, calls the student's function with copies and
compares the result with the course's version; when the result matches a known mistake
(computed here by small wrong versions), the message names it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.nn import RNN, relu
from utils.nn.recurrent import clip_grad_norm as _clip_reference
from utils.nn.recurrent import rnn_step as _rnn_step_reference

# ------------------------------------------------------------------ rnn_step

rnn_step = Checker(
    "3_1",
    "rnn_step",
    reference=_rnn_step_reference,
    doc="rnn_step(x_t, h_prev, Wx, Wh, b, activation=np.tanh) = activation(x_t Wx + h_prev Wh + b).",
)


def _step_data(seed: int, N: int, D: int, H: int) -> tuple[np.ndarray, ...]:
    rng = _h.rng(seed)
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(0, 0.7, (D, H)),
            rng.normal(0, 0.7, (H, H)), rng.normal(0, 0.5, H))


def _step_hints(x: np.ndarray, h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray,
                f: Any) -> list[tuple[Any, str]]:
    u = x @ Wx + h @ Wh + b
    out = [
        (u, "this is u_t = x_t Wx + h_prev Wh + b itself: apply the activation, h_t = activation(u_t)"),
        (f(x @ Wx + h @ Wh), "the bias b is missing: u_t = x_t Wx + h_prev Wh + b"),
        (f(x @ Wx + b), "the recurrent term is missing: u_t needs h_prev @ Wh, the previous state "
                        "through the recurrent weight (the RNN's third weight)"),
        (f(x @ Wx + h @ Wh.T + b), "h_prev @ Wh.T: with a batch of rows the recurrent term is "
                                   "h_prev @ Wh (Keras' recurrent_kernel (H, H)), without the transpose"),
        (f(h @ Wh + b), "the input term x_t @ Wx is missing"),
    ]
    if f is not np.tanh:
        out.insert(0, (np.tanh(u), "you used tanh; use the function passed as `activation`"))
    return out


def _check_step(fn: Any, seed: int, N: int, D: int, H: int, activation: Any = None) -> None:
    x, h, Wx, Wh, b = _step_data(seed, N, D, H)
    args = (x.copy(), h.copy(), Wx.copy(), Wh.copy(), b.copy())
    hint = "x_t (N, D) @ Wx (D, H) and h_prev (N, H) @ Wh (H, H) both give (N, H)"
    if activation is None:
        got, f = _h.call(fn, *args, hint=hint), np.tanh
    else:
        got, f = _h.call(lambda *a: fn(*a, activation=activation), *args, hint=hint), activation
    want = _rnn_step_reference(x, h, Wx, Wh, b, activation=f)
    expect_shape(got, (N, H), "h_t")
    _h.with_hint(lambda: assert_close(got, want, name="h_t"), got, _step_hints(x, h, Wx, Wh, b, f))


@rnn_step.case("a batch with tanh (N=3, D=2, H=4)")
def _(fn: Any) -> None:
    _check_step(fn, 301, 3, 2, 4)


@rnn_step.case("the activation argument is used (relu)")
def _(fn: Any) -> None:
    _check_step(fn, 302, 4, 3, 3, activation=relu)


@rnn_step.case("one sample, D > H (N=1, D=5, H=2)")
def _(fn: Any) -> None:
    _check_step(fn, 303, 1, 5, 2)


# ------------------------------------------------------------------ rnn_backward (BPTT)
_KEYS = ("b", "Wx", "Wh", "x", "h0")


def rnn_backward_reference(dhs: Any, xs: Any, hs: Any, h0: Any, Wx: Any, Wh: Any
                           ) -> dict[str, np.ndarray]:
    """BPTT of a tanh RNN from its cached states. Taught in 3_1.

    dhs: (N, T, H) ∂L/∂h_t (direct terms), xs: (N, T, D), hs: (N, T, H), h0: (N, H),
    Wx: (D, H), Wh: (H, H). Returns {"Wx", "Wh", "b", "x": dx (N, T, D), "h0": dh0 (N, H)}.
    """
    return _bptt(dhs, xs, hs, h0, Wx, Wh)


def _bptt(dhs: Any, xs: Any, hs: Any, h0: Any, Wx: Any, Wh: Any, *, carry: bool = True,
          deriv: str = "h", accumulate: bool = True, wh_t: bool = True, prev: bool = True,
          wx_t: bool = True) -> dict[str, np.ndarray]:
    """The course's BPTT loop; the keyword flags switch on one classic mistake each."""
    dhs, xs, hs, h0, Wx, Wh = (np.asarray(a, dtype=float) for a in (dhs, xs, hs, h0, Wx, Wh))
    N, T, H = hs.shape
    g = {"Wx": np.zeros_like(Wx), "Wh": np.zeros_like(Wh), "b": np.zeros(H)}
    dx, dh_next = np.zeros_like(xs), np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = (hs[:, t - 1] if t > 0 else h0) if prev else hs[:, t]
        dh = dhs[:, t] + dh_next if carry else dhs[:, t]
        d = {"h": 1 - hs[:, t] ** 2, "tanh(h)": 1 - np.tanh(hs[:, t]) ** 2,
             "sigmoid": hs[:, t] * (1 - hs[:, t])}[deriv]
        delta = dh * d  # (N, H)
        parts = {"Wx": xs[:, t].T @ delta, "Wh": h_prev.T @ delta, "b": delta.sum(axis=0)}
        for k, v in parts.items():
            g[k] = g[k] + v if accumulate else v
        dx[:, t] = delta @ (Wx.T if wx_t else Wx)
        dh_next = delta @ (Wh.T if wh_t else Wh)
    return {**g, "x": dx, "h0": dh_next}


_WRONG = [
    (dict(carry=False),
     "the recurrent term is missing: at step t, ∂L/∂h_t = dhs[:, t] + dh_next, where "
     "dh_next = delta_(t+1) @ Wh.T comes back from step t+1; carry it through the loop"),
    (dict(deriv="tanh(h)"),
     "hs already holds h_t = tanh(u_t), so tanh′(u_t) = 1 - hs[:, t]**2; you applied tanh "
     "again (d_tanh(h) instead of d_tanh(u))"),
    (dict(deriv="sigmoid"),
     "h * (1 - h) is the sigmoid's derivative; for tanh it is 1 - h**2"),
    (dict(accumulate=False),
     "the gradients are not summed over time: the same Wx, Wh, b are used at every step, so "
     "use `dWx += ...`, not `dWx = ...` (only the first step's term survived)"),
    (dict(wh_t=False),
     "dh_next = delta @ Wh.T: going back through h_t = f(h_(t-1) Wh + …) multiplies by the "
     "transpose (the lecture's column form writes Wᵀ δ); you used delta @ Wh"),
    (dict(prev=False),
     "dWh pairs delta_t with the previous state h_(t-1) (hs[:, t-1], or h0 at t = 0), not "
     "with h_t"),
    (dict(wx_t=False),
     "dx[:, t] = delta @ Wx.T, (N, H) @ (H, D); you used delta @ Wx"),
]


def _compare_bptt(actual: Any, expected: Any) -> None:
    """Extra cases: the same dict of gradients."""
    if not isinstance(actual, dict):
        raise AssertionError(f"expected a dict with keys {list(_KEYS)}, got {type(actual).__name__}")
    for key in _KEYS:
        assert_close(actual.get(key), expected[key], name=f'grads["{key}"]')


rnn_backward = Checker(
    "3_1",
    "rnn_backward",
    reference=rnn_backward_reference,
    compare=_compare_bptt,
    doc="rnn_backward(dhs, xs, hs, h0, Wx, Wh) -> {Wx, Wh, b, x, h0}: BPTT of a tanh RNN.",
)


def _bptt_data(seed: int, N: int, T: int, D: int, H: int, last_only: bool) -> tuple[np.ndarray, ...]:
    rng = _h.rng(seed)
    Wx, Wh, b = rng.normal(0, 0.8, (D, H)), rng.normal(0, 0.8, (H, H)), rng.normal(0, 0.3, H)
    xs, h0 = rng.normal(size=(N, T, D)), rng.normal(0, 0.5, (N, H))
    hs = RNN(Wx, Wh, b).forward(xs, h0)
    dhs = rng.normal(size=(N, T, H))
    if last_only:
        dhs[:, :-1] = 0.0  # a loss at the last step only (many-to-one)
    return dhs, xs, hs, h0, Wx, Wh


def _check_bptt(fn: Any, seed: int, N: int, T: int, D: int, H: int, last_only: bool = False) -> None:
    data = _bptt_data(seed, N, T, D, H, last_only)
    copies = tuple(a.copy() for a in data)
    try:
        out = fn(*copies)
    except ValueError as err:
        raise AssertionError(
            f"your code raised ValueError: {err}.\n    Hint: the shapes per step: delta (N, H); "
            "dWx += xs[:, t].T @ delta (D, H); dWh += h_prev.T @ delta (H, H); "
            "dx[:, t] = delta @ Wx.T (N, D); dh_next = delta @ Wh.T (N, H)"
        ) from None
    for name, a, c in zip(("dhs", "xs", "hs", "h0", "Wx", "Wh"), data, copies, strict=True):
        if not np.array_equal(a, c):
            raise AssertionError(f"your function changed its input {name} in place; compute new arrays")
    if not isinstance(out, dict):
        raise AssertionError(
            f"rnn_backward returned {type(out).__name__}; return a dict "
            '{"Wx": dWx, "Wh": dWh, "b": db, "x": dx, "h0": dh0}'
        )
    missing = [k for k in _KEYS if k not in out]
    if missing:
        raise AssertionError(f"the returned dict lacks the keys {missing}; it needs {list(_KEYS)}")
    want = rnn_backward_reference(*data)
    wrong = []
    for flags, hint in _WRONG:
        try:
            wrong.append((_bptt(*data, **flags), hint))
        except ValueError:  # a variant whose shapes do not fit this case
            continue
    shapes = {"b": (H,), "Wx": (D, H), "Wh": (H, H), "x": (N, T, D), "h0": (N, H)}
    for key in _KEYS:
        got = out[key]
        if key == "b" and np.shape(got) in ((N, H), (T, H), (N, T, H)):
            raise AssertionError(
                f'grads["b"] has shape {np.shape(got)}, expected ({H},): sum delta over the '
                "batch (axis=0) and over time (+= at every step)"
            )
        expect_shape(got, shapes[key], f'grads["{key}"]')
        _h.with_hint(lambda g=got, k=key: assert_close(g, want[k], name=f'grads["{k}"]'), got,
                     [(w[key], hint) for w, hint in wrong])


@rnn_backward.case("a loss at every step (N=3, T=5, D=2, H=4)")
def _(fn: Any) -> None:
    _check_bptt(fn, 311, 3, 5, 2, 4)


@rnn_backward.case("a loss at the last step only: the gradient must flow back through time")
def _(fn: Any) -> None:
    _check_bptt(fn, 312, 2, 6, 3, 4, last_only=True)


@rnn_backward.case("D = H and one sample (N=1, T=4, D=H=3)")
def _(fn: Any) -> None:
    _check_bptt(fn, 313, 1, 4, 3, 3)


# ------------------------------------------------------------------ clip_grad_norm

def _compare_clip(actual: Any, expected: Any) -> None:
    """Extra cases: the same returned norm (the dicts are the caller's)."""
    assert_close(actual, expected, name="the returned norm")


clip_grad_norm = Checker(
    "3_1",
    "clip_grad_norm",
    reference=_clip_reference,
    compare=_compare_clip,
    doc="clip_grad_norm(grads, max_norm): total norm over all arrays; scale in place by "
        "max_norm / norm when norm > max_norm; return the norm before clipping.",
)


def _total(grads: dict[str, np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))


def _clip_hints(before: dict[str, np.ndarray], max_norm: float) -> dict[str, list[tuple[Any, str]]]:
    """Per key: what the classic mistakes leave in grads[key]."""
    total = _total(before)
    out: dict[str, list[tuple[Any, str]]] = {k: [] for k in before}
    for k, g in before.items():
        own = float(np.linalg.norm(g))
        if own > max_norm:
            out[k].append((g * max_norm / own,
                           "each array was clipped by its own norm; the rule uses one total norm "
                           "over all arrays, √(Σ_k Σ g_k²), and one rate for all of them"))
        if total <= max_norm:
            out[k].append((g * max_norm / total,
                           "clip only when the norm exceeds max_norm (rate < 1); below it the "
                           "gradients stay as they are"))
        else:
            out[k].append((g, "the gradients were not changed: when the norm exceeds max_norm, "
                              "multiply every array in place by max_norm / norm"))
        out[k].append((g * total / max_norm,
                       "the rate is inverted: multiply by max_norm / norm (threshold / norm)"))
        out[k].append((g / total, "g / norm gives a norm of 1; multiply by max_norm / norm"))
        sum_norms = sum(float(np.linalg.norm(v)) for v in before.values())
        if sum_norms > max_norm:
            out[k].append((g * max_norm / sum_norms,
                           "the total norm is √(Σ of all squared entries), not the sum of the "
                           "arrays' norms"))
    return out


def _check_clip(fn: Any, seed: int, shapes: dict[str, tuple[int, ...]], scales: dict[str, float],
                max_norm: float) -> None:
    rng = _h.rng(seed)
    before = {k: rng.normal(size=s) * scales[k] for k, s in shapes.items()}
    grads = {k: v.copy() for k, v in before.items()}
    held = dict(grads)
    ret = fn(grads, max_norm)
    total = _total(before)
    if ret is None:
        raise AssertionError("clip_grad_norm returned None: return the total norm before clipping")
    if np.ndim(ret) != 0:
        raise AssertionError(f"clip_grad_norm returned shape {np.shape(ret)}; return one number, "
                             "the total norm")
    if total > max_norm and _h.close(float(ret), max_norm) and not _h.close(total, max_norm):
        raise AssertionError(
            f"you returned {float(ret):.6g} = max_norm, the norm after clipping; return the norm "
            f"before clipping ({total:.6g}), so that training can log how large it was"
        )
    assert_close(float(ret), total, name="the returned norm (before clipping)")
    for k in before:
        if grads.get(k) is not held[k]:
            raise AssertionError(
                f"grads[{k!r}] is a new array: `grads[k] = ...` rebinds the dict entry and a "
                "model holding the old array never sees the clipped values. Scale in place, "
                "e.g. `g *= rate` for each g in grads.values()"
            )
    rate = min(1.0, max_norm / total)
    hints = _clip_hints(before, max_norm)
    for k in before:
        got, want = grads[k], before[k] * rate
        _h.with_hint(lambda g=got, w=want, key=k: assert_close(g, w, name=f"grads[{key!r}]"),
                     got, hints[k])


@clip_grad_norm.case("a large gradient is scaled to max_norm (one rate for all arrays)")
def _(fn: Any) -> None:
    _check_clip(fn, 321, {"W": (3, 4), "b": (4,)}, {"W": 3.0, "b": 0.5}, 1.0)


@clip_grad_norm.case("a small gradient is left alone")
def _(fn: Any) -> None:
    _check_clip(fn, 322, {"Wx": (2, 3), "Wh": (3, 3), "b": (3,)}, {"Wx": 0.1, "Wh": 0.1, "b": 0.1}, 5.0)


@clip_grad_norm.case("every array below max_norm, the total above it: clipped")
def _(fn: Any) -> None:
    _check_clip(fn, 323, {"Wx": (2, 2), "Wh": (2, 2)}, {"Wx": 0.3, "Wh": 0.3}, 1.0)
