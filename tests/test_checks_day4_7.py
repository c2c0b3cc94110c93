"""Checkers of 4_7: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, detection


# ------------------------------------------------------------------ iou
def _parts(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    sa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    sb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return lt, rb, sa[:, None], sb[None, :]


def iou_solution(a, b):
    lt, rb, sa, sb = _parts(a, b)
    inter = np.clip(rb - lt, 0, None).prod(-1)
    union = sa + sb - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def iou_no_clip(a, b):
    lt, rb, sa, sb = _parts(a, b)
    inter = (rb - lt).prod(-1)
    union = sa + sb - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def iou_union_no_subtract(a, b):
    lt, rb, sa, sb = _parts(a, b)
    inter = np.clip(rb - lt, 0, None).prod(-1)
    union = sa + sb
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def iou_plus_one(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt + 1, 0, None).prod(-1)
    sa = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    sb = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (sa[:, None] + sb[None, :] - inter)


def iou_diagonal(a, b):
    return np.diag(iou_solution(a, b)) if len(a) == len(b) else iou_solution(a, b)[:, 0]


def iou_nan_on_empty(a, b):
    lt, rb, sa, sb = _parts(a, b)
    inter = np.clip(rb - lt, 0, None).prod(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / (sa + sb - inter)


def iou_transposed(a, b):
    return iou_solution(b, a)


def iou_first_area(a, b):
    lt, rb, sa, sb = _parts(a, b)
    inter = np.clip(rb - lt, 0, None).prod(-1)
    return np.where(sa > 0, inter / np.where(sa > 0, sa, 1), 0.0)


# ------------------------------------------------------------------ nms
def nms_solution(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while len(order):
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        order = rest[
            iou_solution(np.asarray(boxes)[best][None], np.asarray(boxes)[rest])[0] <= iou_threshold
        ]
    return np.array(keep, dtype=int)


def nms_ascending(boxes, scores, iou_threshold=0.5):
    return nms_solution(boxes, -np.asarray(scores), iou_threshold)


def nms_index_order(boxes, scores, iou_threshold=0.5):
    return np.sort(nms_solution(boxes, scores, iou_threshold))


def nms_one_pass(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores), kind="stable")
    o = iou_solution(np.asarray(boxes)[order[0]][None], np.asarray(boxes)[order])[0]
    return np.concatenate([[order[0]], order[1:][o[1:] <= iou_threshold]]).astype(int)


def nms_inverted(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while len(order):
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        order = rest[
            iou_solution(np.asarray(boxes)[best][None], np.asarray(boxes)[rest])[0] > iou_threshold
        ]
    return np.array(keep, dtype=int)


def nms_returns_boxes(boxes, scores, iou_threshold=0.5):
    return np.asarray(boxes)[nms_solution(boxes, scores, iou_threshold)]


def nms_strict(boxes, scores, iou_threshold=0.5):  # removes IoU == threshold too
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while len(order):
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        order = rest[
            iou_solution(np.asarray(boxes)[best][None], np.asarray(boxes)[rest])[0] < iou_threshold
        ]
    return np.array(keep, dtype=int)


def nms_mask(boxes, scores, iou_threshold=0.5):
    mask = np.zeros(len(scores), dtype=bool)
    mask[nms_solution(boxes, scores, iou_threshold)] = True
    return mask


# ------------------------------------------------------------------ average_precision
def _curve(scores, is_tp, n):
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    tp = np.cumsum(np.asarray(is_tp, float)[order])
    return tp / np.arange(1, len(tp) + 1), tp / n


def ap_solution(scores, is_tp, n_positives):
    p, r = _curve(scores, is_tp, n_positives)
    p = np.maximum.accumulate(p[::-1])[::-1]
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * p))


def ap_raw(scores, is_tp, n_positives):
    p, r = _curve(scores, is_tp, n_positives)
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * p))


def ap_eleven(scores, is_tp, n_positives):
    p, r = _curve(scores, is_tp, n_positives)
    return float(
        np.mean([p[r >= x].max() if np.any(r >= x) else 0.0 for x in np.linspace(0, 1, 11)])
    )


def ap_recall_over_found(scores, is_tp, n_positives):
    return ap_solution(scores, is_tp, max(int(np.sum(is_tp)), 1))


def ap_unsorted(scores, is_tp, n_positives):
    tp = np.cumsum(np.asarray(is_tp, float))
    p, r = tp / np.arange(1, len(tp) + 1), tp / n_positives
    p = np.maximum.accumulate(p[::-1])[::-1]
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * p))


def ap_left_envelope(scores, is_tp, n_positives):
    p, r = _curve(scores, is_tp, n_positives)
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * np.maximum.accumulate(p)))


def ap_curve_returned(scores, is_tp, n_positives):
    return _curve(scores, is_tp, n_positives)[0]


CASES = {
    "4_7/iou": Spec(
        solution=iou_solution,
        wrong=[
            iou_no_clip,
            iou_union_no_subtract,
            iou_plus_one,
            iou_diagonal,
            iou_nan_on_empty,
            iou_transposed,
            iou_first_area,
        ],
        messages=[
            "clipped at 0",
            "overlap is counted twice",
            "+1",
            "every pair",
            "NaN",
            "rows are boxes_a",
            "first box only",
        ],
    ),
    "4_7/nms": Spec(
        solution=nms_solution,
        wrong=[
            nms_ascending,
            nms_index_order,
            nms_one_pass,
            nms_inverted,
            nms_returns_boxes,
            nms_strict,
            nms_mask,
        ],
        messages=[
            "lowest score first",
            "index order",
            "repeat",
            "greater than",
            "indices of the kept",
            "equals the threshold",
            "mask",
        ],
    ),
    "4_7/average_precision": Spec(
        solution=ap_solution,
        wrong=[
            ap_raw,
            ap_eleven,
            ap_recall_over_found,
            ap_unsorted,
            ap_left_envelope,
            ap_curve_returned,
        ],
        messages=[
            "no interpolation",
            "11-point",
            "n_positives",
            "not sorted",
            "from the left",
            "one number",
        ],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [
        ("4_7/iou", detection.iou),
        ("4_7/nms", detection.nms),
        ("4_7/average_precision", detection.average_precision),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message


def test_nms_list_of_ints_accepted() -> None:
    """A plain list of Python ints is a fine answer."""
    rec = run("4_7/nms", lambda b, s, t=0.5: [int(i) for i in nms_solution(b, s, t)])
    assert rec.status == checks.PASS, rec.message
