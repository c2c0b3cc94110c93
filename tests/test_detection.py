"""utils.detection (IoU, NMS, AP, anchors, box coding, segmentation IoU, U-Net) and the shapes generator."""

from __future__ import annotations

import numpy as np
import pytest

from utils import detection as det
from utils.synthetic import SHAPE_CLASSES, shapes_dataset


def _random_boxes(
    rng: np.random.Generator, n: int, size: int = 20, integer: bool = False
) -> np.ndarray:
    xy = rng.uniform(0, size / 2, size=(n, 2))
    wh = rng.uniform(1, size / 2, size=(n, 2))
    b = np.concatenate([xy, xy + wh], axis=1)
    return np.round(b) if integer else b


# ------------------------------------------------------------------ IoU
def test_iou_by_hand() -> None:
    a = np.array([[0, 0, 4, 4]])
    b = np.array([[2, 2, 6, 6], [0, 0, 4, 4], [4, 0, 8, 4], [10, 10, 12, 12], [1, 1, 3, 3]])
    np.testing.assert_allclose(det.iou(a, b), [[1 / 7, 1.0, 0.0, 0.0, 4 / 16]])
    assert det.iou([1, 1, 1, 1], [1, 1, 1, 1])[0, 0] == 0.0  # empty union: 0, no NaN
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(3, 3\)"):
        det.iou(np.zeros((3, 3)), a)


def test_iou_equals_a_count_of_pixels() -> None:
    rng = np.random.default_rng(0)
    a, b = (
        _random_boxes(rng, 30, integer=True).astype(int),
        _random_boxes(rng, 30, integer=True).astype(int),
    )
    got = np.diag(det.iou(a, b))
    for k, (p, q) in enumerate(zip(a, b, strict=True)):
        gp, gq = np.zeros((21, 21), bool), np.zeros((21, 21), bool)
        gp[p[1] : p[3], p[0] : p[2]] = True
        gq[q[1] : q[3], q[0] : q[2]] = True
        union = (gp | gq).sum()
        assert got[k] == pytest.approx((gp & gq).sum() / union if union else 0.0)
    assert np.any(got > 0.1)  # the boxes do overlap


def test_iou_matches_tensorflow_iou_of_nms() -> None:
    """Symmetric, in [0, 1], and the same as a direct loop."""
    rng = np.random.default_rng(1)
    a, b = _random_boxes(rng, 6), _random_boxes(rng, 4)
    m = det.iou(a, b)
    assert m.shape == (6, 4) and np.all((0 <= m) & (m <= 1))
    np.testing.assert_allclose(m, det.iou(b, a).T)
    np.testing.assert_allclose(m[2, 3], det.iou(a[2], b[3])[0, 0])


# ------------------------------------------------------------------ NMS
def test_nms_by_hand() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [30, 30, 40, 40], [0, 1, 10, 11]])
    np.testing.assert_array_equal(det.nms(boxes, [0.8, 0.9, 0.7, 0.6], 0.5), [1, 2])
    chain = np.array([[0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]])  # A~B, B~C, A !~ C
    np.testing.assert_array_equal(det.nms(chain, [0.9, 0.8, 0.7], 0.5), [0, 2])
    np.testing.assert_array_equal(det.nms(chain, [0.9, 0.8, 0.7], 0.5, max_output=1), [0])
    assert det.nms(np.zeros((0, 4)), np.zeros(0)).shape == (0,)
    with pytest.raises(ValueError, match=r"scores.*\(4,\)"):
        det.nms(boxes, [0.1, 0.2])


def test_nms_matches_tensorflow() -> None:
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(2)
    for trial in range(6):
        boxes = _random_boxes(rng, 40, size=30)
        scores = rng.uniform(size=40)
        thr = [0.1, 0.3, 0.5, 0.7, 0.9, 0.5][trial]
        want = tf.image.non_max_suppression(
            boxes[:, [1, 0, 3, 2]].astype(np.float32),
            scores.astype(np.float32),
            max_output_size=40,
            iou_threshold=thr,
        ).numpy()
        np.testing.assert_array_equal(det.nms(boxes, scores, thr), want)


# ------------------------------------------------------------------ precision, recall, AP
def test_precision_recall_and_ap_by_hand() -> None:
    scores = [0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.50]
    tp = [1, 0, 1, 1, 0, 0, 1]
    p, r = det.precision_recall_curve(scores, tp, 5)
    np.testing.assert_allclose(p, [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5, 3 / 6, 4 / 7])
    np.testing.assert_allclose(r, [0.2, 0.2, 0.4, 0.6, 0.6, 0.6, 0.8])
    assert det.average_precision(scores, tp, 5) == pytest.approx(0.2 + 0.2 * 0.75 * 2 + 0.2 * 4 / 7)
    perm = [3, 6, 0, 5, 1, 4, 2]  # order comes from the scores
    assert det.average_precision(np.array(scores)[perm], np.array(tp)[perm], 5) == pytest.approx(
        0.2 + 0.3 + 0.8 / 7
    )
    assert det.average_precision([0.9, 0.8], [1, 1], 2) == 1.0
    assert det.average_precision([0.9, 0.8], [0, 0], 2) == 0.0
    assert det.average_precision([], [], 3) == 0.0
    with pytest.raises(ValueError, match="n_positives"):
        det.average_precision([0.5], [1], 0)


def test_ap_matches_sklearn_when_every_object_is_detected() -> None:
    """With recall reaching 1, VOC all-point AP equals the interpolated area; sklearn's AP is the
    uninterpolated sum, which is never larger."""
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    scores = rng.uniform(size=50)
    tp = (rng.random(50) < scores).astype(int)
    ours = det.average_precision(scores, tp, int(tp.sum()))
    theirs = sk.average_precision_score(tp, scores)
    assert theirs <= ours + 1e-12 and ours - theirs < 0.1


def test_match_detections_and_map() -> None:
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    pred = np.array([[0, 0, 10, 9], [0, 0, 10, 10], [20, 20, 24, 24], [50, 50, 60, 60]])
    tp = det.match_detections(pred, [0.5, 0.9, 0.8, 0.7], gt, 0.5)
    np.testing.assert_array_equal(tp, [False, True, False, False])  # the duplicate is an FP
    dets = [{"boxes": pred, "labels": [1, 1, 1, 2], "scores": [0.5, 0.9, 0.8, 0.7]}]
    truth = [{"boxes": gt, "labels": [1, 1]}]
    m, aps = det.mean_average_precision(dets, truth, num_classes=3)
    assert np.isnan(aps[0]) and np.isnan(aps[2])  # no truth of class 0, 2
    assert aps[1] == pytest.approx(0.5) and m == pytest.approx(0.5)


# ------------------------------------------------------------------ anchors and box coding
def test_anchor_boxes() -> None:
    a = det.anchor_boxes(2, 32, scales=(8,), ratios=(1.0, 4.0))
    assert a.shape == (2 * 2 * 2, 4)
    np.testing.assert_allclose(a[0], [4, 4, 12, 12])  # cell (0, 0), centre (8, 8)
    np.testing.assert_allclose(a[1], [0, 6, 16, 10])  # w/h = 4: 16 x 4
    np.testing.assert_allclose(
        det.corners_to_xywh(a[2:4])[:, :2], [[24, 8], [24, 8]]
    )  # next cell in the row


def test_encode_decode_round_trip() -> None:
    rng = np.random.default_rng(4)
    anchors = det.xywh_to_corners(
        np.column_stack([rng.uniform(10, 50, (20, 2)), rng.uniform(4, 20, (20, 2))])
    )
    boxes = det.xywh_to_corners(
        np.column_stack([rng.uniform(10, 50, (20, 2)), rng.uniform(4, 20, (20, 2))])
    )
    for v in [(1, 1, 1, 1), (0.1, 0.1, 0.2, 0.2)]:
        t = det.encode_boxes(boxes, anchors, v)
        np.testing.assert_allclose(det.decode_boxes(t, anchors, v), boxes)
    t = det.encode_boxes([[2, 2, 6, 10]], [[0, 0, 4, 4]])  # centre (4, 6) vs (2, 2)
    np.testing.assert_allclose(t, [[0.5, 1.0, 0.0, np.log(2)]])
    np.testing.assert_allclose(det.encode_boxes(anchors, anchors), 0, atol=1e-12)
    with pytest.raises(ValueError, match="positive width"):
        det.encode_boxes([[0, 0, 0, 4]], [[0, 0, 4, 4]])
    with pytest.raises(ValueError, match="match"):
        det.encode_boxes(boxes[:3], anchors[:2])


# ------------------------------------------------------------------ segmentation
def test_segmentation_iou() -> None:
    t = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    p = np.array([[0, 1, 1, 1], [0, 2, 0, 0]])
    # class 0: true {00, 01, 10}, pred {00, 10, 12, 13} -> ∩ 2, ∪ 5; class 1: true {02, 03, 13},
    # pred {01, 02, 03} -> 2 / 4; class 2: true {11, 12}, pred {11} -> 1 / 2; class 3: absent -> NaN
    got = det.segmentation_iou(t, p, 4)
    np.testing.assert_allclose(got[:3], [2 / 5, 2 / 4, 1 / 2])
    assert np.isnan(got[3])
    with pytest.raises(ValueError, match="one shape"):
        det.segmentation_iou(t, p[:1], 4)


def test_unet_shapes_and_skips() -> None:
    pytest.importorskip("keras")
    model = det.build_unet((32, 32, 1), num_classes=3, filters=(4, 8, 16))
    assert model.output_shape == (None, 32, 32, 3)
    names = [layer.name for layer in model.layers]
    assert {"up0", "up1", "skip0", "skip1"} <= set(names)
    assert type(model.get_layer("up0")).__name__ == "Conv2DTranspose"
    with pytest.raises(ValueError, match="divisible by 4"):
        det.build_unet((30, 30, 1), filters=(4, 8, 16))


# ------------------------------------------------------------------ the shapes generator
def test_shapes_dataset_is_seeded_and_consistent() -> None:
    x, m, boxes, labels = shapes_dataset(40, seed=3)
    assert x.shape == (40, 64, 64, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert m.shape == (40, 64, 64) and m.dtype == np.uint8 and set(np.unique(m)) <= {0, 1, 2, 3}
    assert len(boxes) == len(labels) == 40 and SHAPE_CLASSES[0] == "background"
    x2, m2, b2, _ = shapes_dataset(40, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(m, m2)
    assert not np.array_equal(m, shapes_dataset(40, seed=4)[1])
    for i in range(40):
        assert 1 <= len(labels[i]) <= 3 and boxes[i].shape == (len(labels[i]), 4)
        np.testing.assert_array_equal(b2[i], boxes[i])
        covered = np.zeros((64, 64), dtype=bool)
        for (x1, y1, x2_, y2), lab in zip(boxes[i].astype(int), labels[i], strict=True):
            inside = m[i, y1:y2, x1:x2_]
            assert (inside == lab).any()  # the box holds its shape
            sel = m[i] == lab  # tight: the shape touches all 4 sides
            assert inside[0].any() or not sel.any()
            covered[y1:y2, x1:x2_] = True
        assert not np.any(m[i][~covered])  # every shape pixel is in a box
        assert det.iou(boxes[i], boxes[i])[~np.eye(len(labels[i]), dtype=bool)].max(initial=0) == 0
    counts = np.bincount(np.concatenate(labels), minlength=4)
    assert counts[0] == 0 and np.all(counts[1:] > 10)


def test_shapes_dataset_bad_input() -> None:
    with pytest.raises(ValueError, match="size"):
        shapes_dataset(3, size=8)
