"""Checkers of 4_4 lightweight models: int8 quantize/dequantize, the distillation loss, pruning masks.

``quantize_int8(x) -> (q, scale, zero_point)`` is affine per-tensor int8 on the range
``[min(x.min(), 0), max(x.max(), 0)]``: ``scale = (hi - lo) / 255``,
``zero_point = round(-128 - lo / scale)``, ``q = clip(round(x / scale) + zero_point, -128, 127)``
as int8; a tensor of zeros may use any positive scale, but must round-trip to zeros.
``dequantize(q, scale, zero_point)`` is ``(q - zero_point) * scale`` as float.
``distillation_loss(student_logits, teacher_logits, labels, temperature, alpha)`` is
``α CE + (1 - α) T² KL(p_teacher^T ‖ p_student^T)``, averaged over the batch, in NumPy.
``magnitude_prune(w, sparsity)`` returns the 0/1 mask zeroing the ``round(sparsity * w.size)``
entries of smallest ``|w|``. Inputs come from fixed seeds; magnitudes are distinct, so the
mask is unique.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils import compress as _c
from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape


# ------------------------------------------------------------------ quantize_int8
def _unpack(out: Any) -> tuple[np.ndarray, float, int]:
    if out is None:
        raise AssertionError(
            "quantize_int8 returned None: did you forget `return q, scale, zero_point`?"
        )
    if not isinstance(out, tuple | list) or len(out) != 3:
        raise AssertionError(
            f"quantize_int8 must return three things (q, scale, zero_point), got "
            f"{type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, tuple | list) else "")
        )
    q, scale, zp = out
    q = np.asarray(q)
    if np.ndim(scale) != 0 or np.ndim(zp) != 0:
        raise AssertionError(
            f"scale and zero_point are single numbers for the whole tensor, got shapes "
            f"{np.shape(scale)} and {np.shape(zp)}"
        )
    return q, float(scale), float(zp)


def _check_quantize(fn: Any, x: np.ndarray) -> None:
    want_q, want_s, want_z = _c.quantize_int8(x)
    x_in = x.copy()
    q, scale, zp = _unpack(_h.call(fn, x_in))
    if not np.array_equal(x_in, x):
        raise AssertionError("quantize_int8 changed its input array: compute q in a new array")
    expect_shape(q, x.shape, "q (one int8 code per value)")
    if q.dtype != np.int8:
        hint = ""
        if q.dtype.kind == "f":
            hint = (
                " It holds floats: round, clip to [-128, 127], then .astype(np.int8)."
                if not _h.close(q, want_q)
                else " Convert it with .astype(np.int8)."
            )
        raise AssertionError(f"q has dtype {q.dtype}, expected int8.{hint}")
    lo, hi = x.min(), x.max()
    if not np.isclose(scale, want_s, rtol=1e-6):
        msg = f"scale = {scale:.6g}, expected {want_s:.6g} for values in [{lo:.4g}, {hi:.4g}]"
        if np.isclose(scale, (max(hi, 0) - min(lo, 0)) / 256, rtol=1e-6):
            msg += "\n    Hint: 256 levels have 255 steps between them: scale = (hi - lo) / 255"
        elif lo > 0 and np.isclose(scale, (hi - lo) / 255, rtol=1e-6):
            msg += (
                "\n    Hint: the range must contain 0 (so that 0 is exactly representable): "
                "lo = min(x.min(), 0), hi = max(x.max(), 0)"
            )
        elif np.isclose(scale, max(abs(lo), abs(hi)) / 127, rtol=1e-6):
            msg += (
                "\n    Hint: that is the symmetric scale max|x| / 127; here the quantization is "
                "affine (asymmetric): scale = (hi - lo) / 255 with a zero point"
            )
        raise AssertionError(msg)
    if zp != want_z:
        msg = f"zero_point = {zp:g}, expected {want_z} (the code of the real value 0)"
        if zp == -want_z:
            msg += "\n    Hint: the sign is flipped: zero_point = round(-128 - lo / scale)"
        elif zp == round(-lo / want_s):
            msg += (
                "\n    Hint: the codes start at -128, not 0: zero_point = round(-128 - lo / scale), "
                "so that lo maps to -128"
            )
        raise AssertionError(msg)
    if not np.array_equal(q.astype(np.int64), want_q.astype(np.int64)):
        bad = int(np.argmax(q.astype(np.int64).ravel() != want_q.astype(np.int64).ravel()))
        msg = (
            f"q differs at {np.count_nonzero(q != want_q)} of {q.size} positions, e.g. flat index "
            f"{bad}: x = {x.ravel()[bad]:.5g} -> q = {q.ravel()[bad]}, expected {want_q.ravel()[bad]}"
        )
        raw = np.round(x / want_s) + want_z
        if np.array_equal(q, raw.astype(np.int8)) and np.any((raw > 127) | (raw < -128)):
            msg += (
                "\n    Hint: clip to [-128, 127] before .astype(np.int8), or the codes wrap around"
            )
        elif np.array_equal(q, np.floor(x / want_s + want_z).clip(-128, 127).astype(np.int8)):
            msg += "\n    Hint: round to the nearest code (np.round), do not truncate"
        elif np.array_equal(q, np.round(x / want_s - want_z).clip(-128, 127).astype(np.int8)):
            msg += "\n    Hint: add the zero point: q = round(x / scale) + zero_point"
        raise AssertionError(msg)


quantize_int8 = Checker(
    "4_4",
    "quantize_int8",
    reference=_c.quantize_int8,
    doc="quantize_int8: (q int8, scale, zero_point) with scale = (hi - lo)/255 on a range containing 0.",
)


@quantize_int8.case("a (64, 32) weight matrix, values of both signs")
def _(fn: Any) -> None:
    _check_quantize(fn, _h.rng(4401).normal(0, 0.05, size=(64, 32)).astype(np.float32))


@quantize_int8.case("only positive values (after a ReLU): the range is widened to include 0")
def _(fn: Any) -> None:
    _check_quantize(fn, _h.rng(4402).uniform(0.5, 3.0, size=(50,)))


@quantize_int8.case("a skewed range [-0.3, 1.7]: the zero point is not in the middle")
def _(fn: Any) -> None:
    x = _h.rng(4403).uniform(-0.3, 1.7, size=(6, 7))
    x.flat[0], x.flat[1] = -0.3, 1.7
    _check_quantize(fn, x)


@quantize_int8.case("a tensor of zeros: no division by zero, it round-trips to zeros")
def _(fn: Any) -> None:
    x = np.zeros((3, 4))
    q, scale, zp = _unpack(_h.call(fn, x.copy()))
    expect_shape(q, x.shape, "q")
    if not np.isfinite(scale) or scale <= 0:
        raise AssertionError(
            f"for a tensor of zeros the scale is {scale}: hi - lo = 0, so use a positive "
            "default (e.g. scale = 1) instead of dividing by zero"
        )
    if q.dtype != np.int8:
        raise AssertionError(f"q has dtype {q.dtype}, expected int8")
    back = (q.astype(np.float64) - zp) * scale
    if not np.allclose(back, 0.0):
        raise AssertionError(
            f"(q - zero_point) * scale = {back.ravel()[:3]} …, expected zeros: the code of 0 "
            "must be the zero point"
        )


# ------------------------------------------------------------------ dequantize
def _check_dequantize(fn: Any, q: np.ndarray, scale: float, zp: int) -> None:
    want = _c.dequantize(q, scale, zp)
    q_in = q.copy()
    out = _h.call(fn, q_in, scale, zp)
    if out is None:
        raise AssertionError("dequantize returned None: did you forget `return`?")
    out = np.asarray(out)
    expect_shape(out, q.shape, "the dequantized tensor")
    if out.dtype.kind != "f":
        raise AssertionError(
            f"dequantize returned dtype {out.dtype}: return floats, "
            "(q.astype(np.float32) - zero_point) * scale"
        )
    wrapped = ((q - np.int8(zp)).astype(np.float64) * scale) if -128 <= zp <= 127 else None
    _h.with_hint(
        lambda: assert_close(out, want, rtol=1e-5, atol=1e-7, name="the dequantized tensor"),
        out,
        [
            (
                q.astype(np.float64) * scale - zp,
                "subtract the zero point before scaling: (q - zero_point) * scale",
            ),
            (
                (q.astype(np.float64) + zp) * scale,
                "the zero point is subtracted: (q - zero_point) * scale",
            ),
            (
                q.astype(np.float64) / scale - zp,
                "multiply by the scale, x = (q - zero_point) * scale",
            ),
            (
                wrapped,
                "q - zero_point overflowed in int8 (it wraps around past ±128): convert q to float "
                "(or int32) first, q.astype(np.float32) - zero_point",
            ),
        ],
    )


dequantize = Checker(
    "4_4",
    "dequantize",
    reference=_c.dequantize,
    doc="dequantize: (q - zero_point) * scale, computed in float.",
)


@dequantize.case("a few codes by hand: scale 0.1, zero point -28")
def _(fn: Any) -> None:
    _check_dequantize(fn, np.array([-128, -28, 0, 72, 127], dtype=np.int8), 0.1, -28)


@dequantize.case("a (20, 10) code matrix whose zero point makes q - z leave the int8 range")
def _(fn: Any) -> None:
    q = _h.rng(4411).integers(-128, 128, size=(20, 10)).astype(np.int8)
    q.flat[0], q.flat[1] = 127, -128
    _check_dequantize(fn, q, 0.0123, 60)


@dequantize.case("round trip: dequantize(quantize_int8(w)) is within scale / 2 of w")
def _(fn: Any) -> None:
    w = _h.rng(4412).normal(0, 0.1, size=(30, 30))
    q, scale, zp = _c.quantize_int8(w)
    _check_dequantize(fn, q, scale, zp)


# ------------------------------------------------------------------ distillation_loss
def _np_softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _np_loss(
    s: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    T: float,
    a: float,
    *,
    t2: bool = True,
    reverse: bool = False,
    hard_T: float = 1.0,
    teach_T: float | None = None,
    stud_T: float | None = None,
    sum_batch: bool = False,
) -> float:
    n = len(y)
    p_hard = _np_softmax(s / hard_T)
    hard = -np.log(p_hard[np.arange(n), y])
    pt = _np_softmax(t / (teach_T or T))
    ps = _np_softmax(s / (stud_T or T))
    kl = (ps * np.log(ps / pt)).sum(1) if reverse else (pt * np.log(pt / ps)).sum(1)
    red = np.sum if sum_batch else np.mean
    return float(a * red(hard) + (1 - a) * (T**2 if t2 else 1.0) * red(kl))


def _check_distill(fn: Any, seed: int, n: int, k: int, T: float, a: float) -> None:
    rng = _h.rng(seed)
    s = rng.normal(0, 2, size=(n, k))
    t = rng.normal(0, 3, size=(n, k))
    y = rng.integers(0, k, size=n)
    want = _c.distillation_loss_value(s, t, y, T, a)
    out = _h.scalar(_h.call(fn, s.copy(), t.copy(), y.copy(), T, a), "distillation_loss")
    if np.isclose(out, want, rtol=1e-5):
        return
    msg = f"distillation_loss = {out:.6g}, expected {want:.6g} (N = {n}, K = {k}, T = {T}, alpha = {a})"
    wrongs = [
        (
            _np_loss(s, t, y, T, a, t2=False),
            "the soft term is multiplied by T ** 2: its gradients shrink "
            "like 1 / T², and T² restores their size",
        ),
        (
            _np_loss(s, t, y, T, 1 - a),
            "alpha weighs the hard-label cross-entropy and 1 - alpha the soft "
            "term: alpha * CE + (1 - alpha) * T² * KL",
        ),
        (
            _np_loss(s, t, y, T, a, reverse=True),
            "the KL divergence is reversed: KL(p_teacher ‖ p_student) "
            "= Σ p_teacher log(p_teacher / p_student)",
        ),
        (
            _np_loss(s, t, y, T, a, teach_T=1.0),
            "the teacher's logits are divided by T too: p_teacher = softmax(teacher_logits / T)",
        ),
        (
            _np_loss(s, t, y, T, a, stud_T=1.0),
            "the student's soft prediction uses the same temperature: softmax(student_logits / T)",
        ),
        (
            _np_loss(s, t, y, T, a, hard_T=T),
            "the hard-label cross-entropy uses the plain softmax "
            "(temperature 1), not softmax(student_logits / T)",
        ),
        (_np_loss(s, t, y, T, a, sum_batch=True), "average over the batch (np.mean), do not sum"),
    ]
    for value, hint in wrongs:
        if np.isclose(out, value, rtol=1e-5):
            msg += f"\n    Hint: {hint}"
            break
    raise AssertionError(msg)


distillation_loss = Checker(
    "4_4",
    "distillation_loss",
    reference=_c.distillation_loss_value,
    doc="distillation_loss: alpha * CE(labels, softmax(s)) + (1 - alpha) * T² * KL(softmax(t/T) || "
    "softmax(s/T)), batch mean.",
)


@distillation_loss.case("8 samples, 10 classes, T = 4, alpha = 0.1 (the lesson's setting)")
def _(fn: Any) -> None:
    _check_distill(fn, 4421, 8, 10, 4.0, 0.1)


@distillation_loss.case("T = 2, alpha = 0.5, 5 classes")
def _(fn: Any) -> None:
    _check_distill(fn, 4422, 6, 5, 2.0, 0.5)


@distillation_loss.case("alpha = 1: the plain cross-entropy with the labels")
def _(fn: Any) -> None:
    _check_distill(fn, 4423, 4, 3, 3.0, 1.0)


@distillation_loss.case("large logits (about ±1000): computed stably, no overflow")
def _(fn: Any) -> None:
    rng = _h.rng(4424)
    s = rng.normal(0, 500, size=(5, 4))
    t = rng.normal(0, 500, size=(5, 4))
    y = rng.integers(0, 4, size=5)
    want = _c.distillation_loss_value(s, t, y, 1.5, 0.3)
    with np.errstate(all="ignore"):
        out = _h.call(fn, s.copy(), t.copy(), y.copy(), 1.5, 0.3)
    val = _h.scalar(out, "distillation_loss")
    if not np.isfinite(val):
        raise AssertionError(
            f"with logits of size ±1000 the loss is {val}: subtract the row maximum "
            "before np.exp (a stable softmax / log-softmax)"
        )
    if not np.isclose(val, want, rtol=1e-4):
        raise AssertionError(
            f"with large logits distillation_loss = {val:.6g}, expected {want:.6g}: "
            "compute log-softmax as u - max - log Σ exp(u - max)"
        )


# ------------------------------------------------------------------ magnitude_prune
def _check_prune(fn: Any, w: np.ndarray, sparsity: float) -> None:
    want = _c.magnitude_prune(w, sparsity)
    w_in = w.copy()
    out = _h.call(fn, w_in, sparsity)
    if out is None:
        raise AssertionError("magnitude_prune returned None: did you forget `return mask`?")
    if not np.array_equal(w_in, w):
        raise AssertionError(
            "magnitude_prune changed the weights: return a new 0/1 mask and leave w as it is"
        )
    mask = np.asarray(out)
    expect_shape(mask, w.shape, "the mask (one 0/1 entry per weight)")
    values = np.unique(mask.astype(np.float64))
    if not np.all(np.isin(values, [0.0, 1.0])):
        hint = (
            " They look like the pruned weights w * mask: return the mask itself."
            if _h.close(mask, w * want)
            else ""
        )
        raise AssertionError(
            f"the mask must hold only 0 and 1, got values like {values[:4]}.{hint}"
        )
    k = int(round(sparsity * w.size))
    zeros = int((mask == 0).sum())
    if zeros != k:
        msg = f"the mask has {zeros} zeros, expected round({sparsity} * {w.size}) = {k}"
        if zeros == w.size - k:
            msg += (
                "\n    Hint: 0 and 1 are swapped: the mask is 0 for the pruned (smallest) weights "
                "and 1 for those kept"
            )
        elif zeros == int(np.floor(sparsity * w.size)):
            msg += (
                "\n    Hint: round the count, k = int(round(sparsity * w.size)), do not truncate it"
            )
        raise AssertionError(msg)
    if not np.array_equal(mask, want):
        msg = (
            "the mask zeroes the wrong weights: it must zero the k smallest |w| of the whole tensor"
        )
        neg = np.ones(w.size)
        neg[np.argsort(w.ravel(), kind="stable")[:k]] = 0
        if np.array_equal(mask.ravel(), neg):
            msg += (
                "\n    Hint: that pruned the most negative weights: sort by magnitude, np.abs(w), "
                "since -0.9 matters as much as 0.9"
            )
        else:
            big = np.ones(w.size)
            big[np.argsort(-np.abs(w).ravel(), kind="stable")[:k]] = 0
            if np.array_equal(mask.ravel(), big):
                msg += "\n    Hint: that pruned the largest weights: prune the smallest |w| (np.argsort ascending)"
        raise AssertionError(msg)


magnitude_prune = Checker(
    "4_4",
    "magnitude_prune",
    reference=_c.magnitude_prune,
    doc="magnitude_prune: 0/1 mask of w's shape, zero at the round(sparsity * size) smallest |w|.",
)


@magnitude_prune.case("a (20, 10) kernel at 80 % sparsity: exactly 160 zeros")
def _(fn: Any) -> None:
    _check_prune(fn, _h.rng(4431).normal(size=(20, 10)), 0.8)


@magnitude_prune.case("a (30,) vector at 29 %: round(8.7) = 9 zeros")
def _(fn: Any) -> None:
    _check_prune(fn, _h.rng(4432).normal(size=30), 0.29)


@magnitude_prune.case("sparsity 0 keeps everything; sparsity 1 prunes everything")
def _(fn: Any) -> None:
    w = _h.rng(4433).normal(size=(4, 5))
    _check_prune(fn, w, 0.0)
    _check_prune(fn, w, 1.0)
