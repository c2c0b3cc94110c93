"""Checkers of 4_4: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, compress


# ------------------------------------------------------------------ quantize_int8
def qi_solution(x):
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = (hi - lo) / 255 if hi > lo else 1.0
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8), scale, zp


def qi_256(x):
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = (hi - lo) / 256
    zp = int(np.round(-128 - lo / scale))
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8), scale, zp


def qi_no_zero_in_range(x):
    lo, hi = float(x.min()), float(x.max())
    scale = (hi - lo) / 255 if hi > lo else 1.0
    zp = int(np.round(-128 - lo / scale))
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8), scale, zp


def qi_zp_from_zero(x):  # codes 0..255 thinking: zero point round(-lo / s)
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = (hi - lo) / 255
    zp = int(np.round(-lo / scale))
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8), scale, zp


def qi_float_codes(x):
    q, scale, zp = qi_solution(x)
    return q.astype(np.float32), scale, zp


def qi_symmetric(x):
    scale = float(np.abs(x).max()) / 127 or 1.0
    return np.clip(np.round(x / scale), -127, 127).astype(np.int8), scale, 0


def qi_divides_by_zero(x):
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = (hi - lo) / 255
    with np.errstate(all="ignore"):
        zp = np.round(-128 - lo / scale)
        q = np.clip(np.round(x / scale) + zp, -128, 127)
    return np.nan_to_num(q).astype(np.int8), scale, 0 if not np.isfinite(zp) else int(zp)


def qi_only_q(x):
    return qi_solution(x)[0]


# ------------------------------------------------------------------ dequantize
def dq_solution(q, scale, zero_point):
    return (q.astype(np.float32) - zero_point) * scale


def dq_scale_first(q, scale, zero_point):
    return q.astype(np.float32) * scale - zero_point


def dq_plus(q, scale, zero_point):
    return (q.astype(np.float32) + zero_point) * scale


def dq_int8_overflow(q, scale, zero_point):
    return (q - np.int8(zero_point)).astype(np.float32) * scale


def dq_divide(q, scale, zero_point):
    return q.astype(np.float32) / scale - zero_point


def dq_int_result(q, scale, zero_point):
    return np.round((q.astype(np.int32) - zero_point) * scale).astype(np.int32)


# ------------------------------------------------------------------ distillation_loss
def _log_softmax(u):
    u = u - u.max(axis=1, keepdims=True)
    return u - np.log(np.exp(u).sum(axis=1, keepdims=True))


def dl_solution(
    s, t, y, T, a, *, t2=True, reverse=False, hard_T=1.0, teach_T=None, red=np.mean, naive=False
):
    n = len(y)
    if naive:
        ls = np.log(np.exp(s) / np.exp(s).sum(1, keepdims=True))
        hard = -ls[np.arange(n), y].mean()
        pt = np.exp(t / T) / np.exp(t / T).sum(1, keepdims=True)
        ps = np.exp(s / T) / np.exp(s / T).sum(1, keepdims=True)
        return float(a * hard + (1 - a) * T**2 * (pt * np.log(pt / ps)).sum(1).mean())
    hard = -red(_log_softmax(s / hard_T)[np.arange(n), y])
    log_pt, log_ps = _log_softmax(t / (teach_T or T)), _log_softmax(s / T)
    kl = (
        (np.exp(log_ps) * (log_ps - log_pt)).sum(1)
        if reverse
        else (np.exp(log_pt) * (log_pt - log_ps)).sum(1)
    )
    return float(a * hard + (1 - a) * (T**2 if t2 else 1.0) * red(kl))


def _by_value(w, s):
    k = int(round(s * w.size))
    mask = np.ones(w.size)
    mask[np.argsort(w.ravel())[:k]] = 0
    return mask.reshape(w.shape)


def _floor(w, s):
    k = int(s * w.size)
    mask = np.ones(w.size)
    mask[np.argsort(np.abs(w).ravel())[:k]] = 0
    return mask.reshape(w.shape)


def _in_place(w, s):
    mask = compress.magnitude_prune(w, s)
    w *= mask
    return mask


CASES = {
    "4_4/quantize_int8": Spec(
        solution=qi_solution,
        wrong=[
            qi_256,
            qi_no_zero_in_range,
            qi_zp_from_zero,
            qi_float_codes,
            qi_symmetric,
            qi_divides_by_zero,
            qi_only_q,
        ],
        messages=[
            "255 steps",
            "must contain 0",
            "codes start at -128",
            "dtype float32",
            "symmetric",
            "division by zero",
            "three things",
        ],
    ),
    "4_4/dequantize": Spec(
        solution=dq_solution,
        wrong=[dq_scale_first, dq_plus, dq_int8_overflow, dq_divide, dq_int_result],
        messages=[
            "before scaling",
            "is subtracted",
            "overflowed",
            "multiply by the scale",
            "return floats",
        ],
    ),
    "4_4/distillation_loss": Spec(
        solution=dl_solution,
        wrong=[
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, t2=False),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, 1 - a),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, reverse=True),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, teach_T=1.0),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, hard_T=T),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, red=np.sum),
            lambda s, t, y, T, a: dl_solution(s, t, y, T, a, naive=True),
            lambda s, t, y, T, a: np.full(len(y), dl_solution(s, t, y, T, a)),
        ],
        messages=[
            "T ** 2",
            "alpha weighs",
            "reversed",
            "teacher's logits",
            "plain softmax",
            "np.mean",
            "row maximum",
            "one number",
        ],
    ),
    "4_4/magnitude_prune": Spec(
        solution=lambda w, s: compress.magnitude_prune(w, s),
        wrong=[
            lambda w, s: 1 - compress.magnitude_prune(w, s),
            lambda w, s: w * compress.magnitude_prune(w, s),
            lambda w, s: _by_value(w, s),
            lambda w, s: 1 - compress.magnitude_prune(w, 1 - s),
            lambda w, s: _floor(w, s),
            _in_place,
        ],
        messages=[
            "swapped",
            "pruned weights",
            "most negative",
            "largest weights",
            "round the count",
            "changed the weights",
        ],
    ),
}


test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [
        ("4_4/quantize_int8", compress.quantize_int8),
        ("4_4/dequantize", compress.dequantize),
        ("4_4/distillation_loss", compress.distillation_loss_value),
        ("4_4/magnitude_prune", compress.magnitude_prune),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
