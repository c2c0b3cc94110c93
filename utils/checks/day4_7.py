"""Checkers of 4_7 detection and segmentation: IoU, non-maximum suppression, average precision.

``iou(boxes_a, boxes_b)`` is the pairwise ``(N, 4) × (M, 4) -> (N, M)`` IoU of corner boxes
``(x1, y1, x2, y2)``; ``nms(boxes, scores, iou_threshold)`` returns the kept indices, highest
score first, removing boxes whose IoU with a kept one is greater than the threshold;
``average_precision(scores, is_tp, n_positives)`` is the PASCAL VOC all-point AP. Each case
compares with the course's functions in :mod:`utils.detection` and names the usual slips:
an unclipped intersection, a union without the intersection subtracted, VOC's old "+1" pixel
convention, a single pass of suppression, an uninterpolated or 11-point AP, recall divided by
the number of detections.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.detection import average_precision as _ap
from utils.detection import iou as _iou
from utils.detection import nms as _nms


def _random_boxes(seed: int, n: int, size: float = 50.0, integer: bool = False) -> np.ndarray:
    rng = _h.rng(seed)
    xy = rng.uniform(0, size, size=(n, 2))
    wh = rng.uniform(2, size / 2, size=(n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    return np.round(boxes) if integer else np.round(boxes, 2)


# ------------------------------------------------------------------ iou
def _areas(b: np.ndarray) -> np.ndarray:
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _iou_hints(a: np.ndarray, b: np.ndarray) -> list[tuple[Any, str]]:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    raw = (rb - lt)[..., 0] * (rb - lt)[..., 1]
    inter = np.clip(rb - lt, 0, None).prod(-1)
    sa, sb = _areas(a)[:, None], _areas(b)[None, :]
    plus1 = np.clip(rb - lt + 1, 0, None).prod(-1)
    union1 = (_areas(a + [0, 0, 1, 1]))[:, None] + (_areas(b + [0, 0, 1, 1]))[None, :] - plus1
    with np.errstate(divide="ignore", invalid="ignore"):
        return [
            (
                raw / (sa + sb - raw),
                "the intersection's width and height must be clipped at 0 "
                "(np.clip(..., 0, None) or np.maximum(..., 0)): for boxes that do not "
                "overlap both are negative and their product is positive",
            ),
            (
                inter / (sa + sb),
                "the union is area_a + area_b - intersection: the overlap is counted twice otherwise",
            ),
            (
                inter / np.broadcast_to(sa, inter.shape),
                "divided by the area of the first box only: IoU divides by the union of both",
            ),
            (
                inter / np.minimum(sa, sb),
                "divided by the smaller box's area: IoU divides by the union",
            ),
            (
                plus1 / union1,
                "the old VOC '+1' convention (x2 - x1 + 1): here a box covers x1 <= x < x2, "
                "its width is x2 - x1",
            ),
        ]


def _check_iou(fn: Any, a: np.ndarray, b: np.ndarray) -> None:
    want = _iou(a, b)
    out = _h.call(fn, a.copy(), b.copy(), hint="boxes_a is (N, 4), boxes_b is (M, 4)")
    if out is None:
        raise AssertionError("iou returned None: did you forget `return`?")
    out = np.asarray(out, dtype=float)
    if out.shape == (len(a),) and len(a) == len(b) and _h.close(out, np.diag(want)):
        raise AssertionError(
            f"iou returned shape {out.shape}, the IoU of box i with box i only: return "
            f"every pair, shape (N, M) = {want.shape} (broadcast boxes_a[:, None] "
            "against boxes_b[None, :])"
        )
    if out.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
        raise AssertionError(
            f"iou returned shape {out.shape}, expected (N, M) = {want.shape}: rows are "
            "boxes_a, columns boxes_b"
        )
    expect_shape(out, want.shape, "the IoU matrix (N, M)")
    if np.any(~np.isfinite(out)):
        raise AssertionError(
            "iou returned NaN or inf: a pair whose union is 0 (two boxes of area 0) "
            "must get IoU 0, do not divide by 0"
        )
    _h.with_hint(
        lambda: assert_close(out, want, name="the IoU matrix", atol=1e-6), out, _iou_hints(a, b)
    )


iou = Checker(
    "4_7",
    "iou",
    reference=_iou,
    doc="iou: (N, 4), (M, 4) corner boxes -> (N, M) intersection / union, the intersection clipped at 0.",
)


@iou.case("A = (0, 0, 4, 4), B = (2, 2, 6, 6): IoU 4 / 28 = 1/7")
def _(fn: Any) -> None:
    a, b = np.array([[0.0, 0, 4, 4]]), np.array([[2.0, 2, 6, 6]])
    out = _h.call(fn, a.copy(), b.copy())
    if out is None:
        raise AssertionError("iou returned None: did you forget `return`?")
    if np.size(out) != 1:
        raise AssertionError(
            f"for one box against one box iou must return shape (1, 1), got {np.shape(out)}"
        )
    _check_iou(fn, a, b)


@iou.case("identical, disjoint (apart in x, in y, diagonally), touching and nested boxes")
def _(fn: Any) -> None:
    a = np.array([[0.0, 0, 10, 10]])
    b = np.array(
        [
            [0.0, 0, 10, 10],
            [20, 0, 30, 10],
            [0, 20, 10, 30],
            [15, 15, 25, 25],
            [10, 0, 20, 10],
            [2, 2, 6, 6],
            [-5, -5, 15, 15],
        ]
    )
    _check_iou(fn, a, b)


@iou.case("all pairs of 5 × 3 random boxes (N != M)")
def _(fn: Any) -> None:
    _check_iou(fn, _random_boxes(471, 5), _random_boxes(472, 3))


@iou.case("boxes of zero area: IoU 0, no division by zero")
def _(fn: Any) -> None:
    a = np.array([[1.0, 1, 1, 1], [0, 0, 4, 2]])
    b = np.array([[1.0, 1, 1, 1], [0, 0, 2, 2], [3, 3, 3, 5]])
    _check_iou(fn, a, b)


# ------------------------------------------------------------------ nms
def _one_pass(boxes: np.ndarray, scores: np.ndarray, thr: float) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    o = _iou(boxes[order[0]], boxes[order])[0]
    return np.concatenate([[order[0]], order[1:][o[1:] <= thr]])


def _variant(boxes: np.ndarray, scores: np.ndarray, thr: float, keep_if: Any) -> np.ndarray:
    """Greedy NMS that keeps a remaining box when ``keep_if(iou, thr)`` (the right rule: iou <= thr)."""
    order, keep = np.argsort(-scores, kind="stable"), []
    while order.size:
        keep.append(int(order[0]))
        order = order[1:][keep_if(_iou(boxes[order[0]], boxes[order[1:]])[0], thr)]
    return np.asarray(keep, dtype=np.int64)


def _nms_hints(boxes: np.ndarray, scores: np.ndarray, thr: float) -> list[tuple[Any, str]]:
    return [
        (
            _nms(boxes, -scores, thr),
            "the boxes were taken lowest score first: sort by decreasing "
            "score (np.argsort(-scores))",
        ),
        (
            np.sort(_nms(boxes, scores, thr)),
            "the right boxes, but in index order: return them highest "
            "score first, in the order they were kept",
        ),
        (
            _one_pass(boxes, scores, thr),
            "only the boxes overlapping the very best one were removed: repeat "
            "with the best of the remaining boxes until none is left",
        ),
        (
            _variant(boxes, scores, thr, np.less),
            "a box whose IoU equals the threshold is kept: remove only "
            "the boxes with IoU > threshold (keep iou <= threshold)",
        ),
        (
            _variant(boxes, scores, thr, np.greater),
            "the comparison is inverted: remove the boxes whose IoU with the "
            "kept one is greater than the threshold, keep the others",
        ),
    ]


def _check_nms(fn: Any, boxes: np.ndarray, scores: np.ndarray, thr: float) -> None:
    want = _nms(boxes, scores, thr)
    out = _h.call(fn, boxes.copy(), scores.copy(), thr, hint="boxes is (N, 4), scores (N,)")
    if out is None:
        raise AssertionError("nms returned None: did you forget `return`?")
    arr = np.asarray(out)
    if arr.ndim == 2 and arr.shape[-1] == 4:
        raise AssertionError(
            f"nms returned an array of shape {arr.shape}, boxes: return the indices of "
            "the kept boxes (ints), highest score first"
        )
    if arr.dtype == bool or (
        arr.shape == scores.shape
        and set(np.unique(arr).tolist()) <= {0, 1}
        and len(want) != len(scores)
    ):
        raise AssertionError(
            "nms returned a mask of kept boxes: return their indices (np.nonzero or a list "
            "of ints), highest score first"
        )
    if arr.ndim != 1:
        raise AssertionError(f"nms returned shape {arr.shape}: return a 1-D array of indices")
    if arr.size and not np.all(
        np.asarray(arr, dtype=float) == np.round(np.asarray(arr, dtype=float))
    ):
        raise AssertionError(
            "nms returned fractional numbers, scores or IoUs?: return the indices of the kept boxes"
        )
    arr = arr.astype(np.int64)
    if len(arr) != len(want) or not np.array_equal(arr, want):
        msg = (
            f"with IoU threshold {thr} the kept indices must be {want.tolist()} (highest score first), "
            f"got {arr.tolist()}"
        )
        for wrong, hint in _nms_hints(boxes, scores, thr):
            if wrong is not None and len(wrong) == len(arr) and np.array_equal(arr, wrong):
                msg += f"\n    Hint: {hint}"
                break
        else:
            if len(arr) == len(scores) and len(want) < len(scores):
                msg += "\n    Hint: nothing was removed: drop every box whose IoU with the kept box is > threshold"
        raise AssertionError(msg)


nms = Checker(
    "4_7",
    "nms",
    reference=_nms,
    doc="nms: keep the best box, remove the others with IoU > threshold, repeat; return the kept indices.",
)


@nms.case("two objects, three and two boxes: the best box of each stays, the better object first")
def _(fn: Any) -> None:
    boxes = np.array(
        [[0.0, 0, 10, 10], [1, 1, 11, 11], [30, 30, 40, 40], [0, 1, 10, 11], [31, 30, 41, 40]]
    )
    _check_nms(fn, boxes, np.array([0.8, 0.9, 0.95, 0.6, 0.7]), 0.5)


@nms.case("a chain: A overlaps B, B overlaps C, A not C — C survives once B is removed")
def _(fn: Any) -> None:
    boxes = np.array([[0.0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]])
    _check_nms(fn, boxes, np.array([0.9, 0.8, 0.7]), 0.5)


@nms.case("an IoU exactly at the threshold is kept (removed only when greater)")
def _(fn: Any) -> None:
    boxes = np.array([[0.0, 0, 4, 4], [2, 0, 6, 4], [0, 0, 2, 4]])  # IoU 1/3 and 1/2 with the first
    _check_nms(fn, boxes, np.array([0.9, 0.5, 0.4]), 0.5)
    _check_nms(fn, boxes, np.array([0.9, 0.5, 0.4]), 1 / 3)


@nms.case("20 random boxes, thresholds 0.3 and 0.7")
def _(fn: Any) -> None:
    boxes = _random_boxes(473, 20, size=40)
    scores = np.round(_h.rng(474).uniform(0, 1, size=20), 3)
    _check_nms(fn, boxes, scores, 0.3)
    _check_nms(fn, boxes, scores, 0.7)


# ------------------------------------------------------------------ average_precision
def _raw_ap(s: np.ndarray, t: np.ndarray, n: int) -> float:
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(t[order])
    p, r = tp / np.arange(1, len(s) + 1), tp / n
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * p))


def _eleven_point(s: np.ndarray, t: np.ndarray, n: int) -> float:
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(t[order])
    p, r = tp / np.arange(1, len(s) + 1), tp / n
    return float(
        np.mean([p[r >= x].max() if np.any(r >= x) else 0.0 for x in np.linspace(0, 1, 11)])
    )


def _left_envelope(s: np.ndarray, t: np.ndarray, n: int) -> float:
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(t[order])
    p, r = tp / np.arange(1, len(s) + 1), tp / n
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * np.maximum.accumulate(p)))


def _ap_hints(s: np.ndarray, t: np.ndarray, n: int) -> list[tuple[Any, str]]:
    return [
        (
            _raw_ap(s, t, n),
            "no interpolation: make the precision non-increasing from the right first, "
            "p_interp = np.maximum.accumulate(precision[::-1])[::-1]",
        ),
        (
            _eleven_point(s, t, n),
            "that is VOC 2007's 11-point AP: here sum (r_k - r_(k-1)) * p_interp(r_k) "
            "over all points",
        ),
        (
            _left_envelope(s, t, n),
            "the running maximum runs from the left (best precision at a lower recall): "
            "take it from the right, max over r' >= r",
        ),
        (
            _ap(s, t, int(np.sum(t))) if np.sum(t) else None,
            "the recall is divided by the number of true positives "
            "found: divide by n_positives, the missed objects count",
        ),
        (
            _ap(-np.arange(len(s), dtype=float), t, n),
            "the detections were not sorted by score: sort by "
            "decreasing score first (np.argsort(-scores))",
        ),
        (
            _ap(-s, t, n),
            "sorted by increasing score: the best detections come first (np.argsort(-scores))",
        ),
    ]


def _check_ap(fn: Any, scores: np.ndarray, is_tp: np.ndarray, n_pos: int) -> None:
    want = _ap(scores, is_tp, n_pos)
    out = _h.call(fn, scores.copy(), is_tp.copy(), n_pos, hint="scores and is_tp are (N,)")
    if out is None:
        raise AssertionError("average_precision returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(
            f"average_precision returned shape {np.shape(out)}: return one number, the "
            "area under the interpolated precision/recall curve"
        )
    value = float(out)
    if not np.isfinite(value):
        raise AssertionError(f"average_precision returned {value}")
    if not np.isclose(value, want, rtol=1e-6, atol=1e-9):
        msg = (
            f"with {len(scores)} detections ({int(np.sum(is_tp))} true positives) and {n_pos} true objects "
            f"the AP is {want:.6f}, got {value:.6f}"
        )
        for wrong, hint in _ap_hints(scores, is_tp, n_pos):
            if (
                wrong is not None
                and not np.isclose(wrong, want)
                and np.isclose(value, wrong, rtol=1e-6, atol=1e-9)
            ):
                msg += f"\n    Hint: {hint}"
                break
        raise AssertionError(msg)


average_precision = Checker(
    "4_7",
    "average_precision",
    reference=_ap,
    doc="average_precision: sort by score, precision TP_k/k, recall TP_k/n_positives, "
    "AP = sum (r_k - r_(k-1)) max_{r' >= r_k} p(r').",
)


@average_precision.case("the lesson's table: 7 detections, 5 objects, AP = 0.6143")
def _(fn: Any) -> None:
    _check_ap(
        fn, np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50]), np.array([1, 0, 1, 1, 0, 0, 1]), 5
    )


@average_precision.case("the same detections shuffled: the order comes from the scores")
def _(fn: Any) -> None:
    perm = np.array([4, 0, 6, 2, 1, 5, 3])
    s = np.array([0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50])[perm]
    t = np.array([1, 0, 1, 1, 0, 0, 1])[perm]
    _check_ap(fn, s, t, 5)


@average_precision.case("perfect detections: AP 1; all of them wrong: AP 0")
def _(fn: Any) -> None:
    _check_ap(fn, np.array([0.9, 0.8, 0.7]), np.array([1, 1, 1]), 3)
    _check_ap(fn, np.array([0.9, 0.8]), np.array([0, 0]), 4)


@average_precision.case("30 random detections for 20 objects, boolean is_tp")
def _(fn: Any) -> None:
    rng = _h.rng(475)
    scores = np.round(rng.uniform(0, 1, size=30), 4)
    is_tp = rng.random(30) < 0.45 + 0.4 * scores
    _check_ap(fn, scores, is_tp, 20)
