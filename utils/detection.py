"""Object detection and semantic segmentation of 4_7: boxes, IoU, NMS, AP, anchors, U-Net.

Boxes are NumPy arrays of corners ``(x1, y1, x2, y2)`` with ``x1 <= x2``, ``y1 <= y2``, in
pixels of a continuous image plane: a box ``(0, 0, 2, 3)`` covers the 2 × 3 pixels whose
indices are ``x in {0, 1}``, ``y in {0, 1, 2}``, so its area is ``(x2 - x1) * (y2 - y1)``.
The centre format is ``(cx, cy, w, h)``.

- :func:`iou` (pairwise, ``(N, 4) × (M, 4) -> (N, M)``), :func:`nms` (greedy
  non-maximum suppression, the same rule as ``tf.image.non_max_suppression``),
  :func:`match_detections`, :func:`precision_recall_curve`, :func:`average_precision`
  (PASCAL VOC 2010+ all-point interpolation) and :func:`mean_average_precision`;
- :func:`anchor_boxes` (SSD / Faster R-CNN default boxes on a feature-map grid),
  :func:`encode_boxes` / :func:`decode_boxes` (offsets relative to anchors);
- :func:`segmentation_iou` (per-class IoU of label maps) and :func:`build_unet` (Keras).

Taught in 4_7. Keras is imported only when a U-Net is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "anchor_boxes",
    "average_precision",
    "build_unet",
    "corners_to_xywh",
    "decode_boxes",
    "encode_boxes",
    "iou",
    "match_detections",
    "mean_average_precision",
    "nms",
    "precision_recall_curve",
    "segmentation_iou",
    "xywh_to_corners",
]


def _boxes(b: Any, name: str) -> np.ndarray:
    """``b`` as a float64 ``(N, 4)`` array; one box ``(4,)`` becomes ``(1, 4)``."""
    arr = np.asarray(b, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(
            f"{name} must be boxes of shape (N, 4) (x1, y1, x2, y2), got shape {arr.shape}"
        )
    return arr


# ------------------------------------------------------------------ box formats
def corners_to_xywh(boxes: Any) -> np.ndarray:
    """``(x1, y1, x2, y2)`` -> ``(cx, cy, w, h)``; ``(N, 4) -> (N, 4)``."""
    b = _boxes(boxes, "boxes")
    wh = b[:, 2:] - b[:, :2]
    return np.concatenate([b[:, :2] + wh / 2, wh], axis=1)


def xywh_to_corners(boxes: Any) -> np.ndarray:
    """``(cx, cy, w, h)`` -> ``(x1, y1, x2, y2)``; ``(N, 4) -> (N, 4)``."""
    b = _boxes(boxes, "boxes")
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


# ------------------------------------------------------------------ IoU and NMS
def iou(boxes_a: Any, boxes_b: Any) -> np.ndarray:
    """Intersection over union of every pair: ``(N, 4), (M, 4) -> (N, M)``.

    ``IoU = |A ∩ B| / |A ∪ B|``; a pair whose union is empty (two boxes of zero area) gets 0.
    """
    a, b = _boxes(boxes_a, "boxes_a"), _boxes(boxes_b, "boxes_b")
    lt = np.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2) top-left of ∩
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2) bottom-right
    wh = np.clip(rb - lt, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(
    boxes: Any, scores: Any, iou_threshold: float = 0.5, max_output: int | None = None
) -> np.ndarray:
    """Greedy non-maximum suppression: the indices of the kept boxes, highest score first.

    Take the best remaining box, drop every remaining box whose IoU with it is greater than
    ``iou_threshold``, repeat. boxes ``(N, 4)``, scores ``(N,)`` -> int64 ``(K,)``, K ≤ max_output.
    Ties in score keep the lower index first (a stable sort).
    """
    b = _boxes(boxes, "boxes") if np.size(boxes) else np.zeros((0, 4))
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(b),):
        raise ValueError(
            f"scores must have shape ({len(b)},) for boxes of shape {b.shape}, got {s.shape}"
        )
    order = np.argsort(-s, kind="stable")
    limit = len(b) if max_output is None else int(max_output)
    keep: list[int] = []
    while order.size and len(keep) < limit:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        order = rest[iou(b[best], b[rest])[0] <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


# ------------------------------------------------------------------ precision, recall, AP
def match_detections(
    pred_boxes: Any, pred_scores: Any, gt_boxes: Any, iou_threshold: float = 0.5
) -> np.ndarray:
    """Which detections of one image and one class are true positives (VOC rule).

    In order of decreasing score, a detection is a true positive when its best-overlapping
    ground-truth box has IoU ≥ ``iou_threshold`` and is not yet taken by a higher-scoring one;
    otherwise (a miss, or a duplicate) it is a false positive. Returns bool ``(N,)`` in the
    input order.
    """
    p = _boxes(pred_boxes, "pred_boxes") if np.size(pred_boxes) else np.zeros((0, 4))
    g = _boxes(gt_boxes, "gt_boxes") if np.size(gt_boxes) else np.zeros((0, 4))
    s = np.asarray(pred_scores, dtype=np.float64)
    if s.shape != (len(p),):
        raise ValueError(
            f"pred_scores must have shape ({len(p)},) for boxes {p.shape}, got {s.shape}"
        )
    tp = np.zeros(len(p), dtype=bool)
    if not len(p) or not len(g):
        return tp
    overlaps = iou(p, g)
    taken = np.zeros(len(g), dtype=bool)
    for i in np.argsort(-s, kind="stable"):
        j = int(np.argmax(overlaps[i]))
        if overlaps[i, j] >= iou_threshold and not taken[j]:
            taken[j] = True
            tp[i] = True
    return tp


def precision_recall_curve(
    scores: Any, is_tp: Any, n_positives: int
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall after each detection, taken in order of decreasing score.

    scores ``(N,)``, is_tp ``(N,)`` (1 = true positive), n_positives: the number of ground-truth
    objects (misses included). Returns ``(precision, recall)``, each ``(N,)``:
    ``precision_k = TP_k / k``, ``recall_k = TP_k / n_positives``.
    """
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(is_tp, dtype=np.float64)
    if s.ndim != 1 or s.shape != t.shape:
        raise ValueError(f"scores and is_tp must have one shape (N,), got {s.shape} and {t.shape}")
    if n_positives <= 0:
        raise ValueError(
            f"n_positives must be positive (the number of ground-truth boxes), got {n_positives}"
        )
    order = np.argsort(-s, kind="stable")
    tp = np.cumsum(t[order])
    k = np.arange(1, len(s) + 1)
    return tp / k, tp / n_positives


def average_precision(scores: Any, is_tp: Any, n_positives: int) -> float:
    """Area under the interpolated precision/recall curve (PASCAL VOC, all points).

    The interpolated precision at recall r is the best precision at any recall ≥ r,
    ``p_interp(r) = max_{r' ≥ r} p(r')``; AP sums it over the steps of the recall,
    ``AP = Σ_k (r_k - r_{k-1}) p_interp(r_k)`` with ``r_0 = 0``. Ground-truth objects that no
    detection finds keep the recall below 1 and so lower the AP.
    """
    if len(np.atleast_1d(scores)) == 0:
        return 0.0
    precision, recall = precision_recall_curve(scores, is_tp, n_positives)
    p = np.concatenate([[0.0], precision, [0.0]])
    r = np.concatenate([[0.0], recall, [recall[-1]]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # the envelope from the right
    return float(np.sum((r[1:] - r[:-1]) * p[1:]))


def mean_average_precision(
    detections: Sequence[dict[str, Any]],
    ground_truth: Sequence[dict[str, Any]],
    num_classes: int,
    iou_threshold: float = 0.5,
) -> tuple[float, np.ndarray]:
    """mAP over classes ``0 … num_classes - 1`` of a set of images.

    detections[i] / ground_truth[i]: dicts for image i with ``"boxes"`` ``(K, 4)``,
    ``"labels"`` ``(K,)`` and (detections only) ``"scores"`` ``(K,)``. Returns
    ``(mAP, AP per class)``; a class without ground truth gets NaN and is left out of the mean.
    """
    if len(detections) != len(ground_truth):
        raise ValueError(f"{len(detections)} detection entries for {len(ground_truth)} images")
    aps = np.full(num_classes, np.nan)
    for c in range(num_classes):
        scores, tps, n_pos = [], [], 0
        for det, gt in zip(detections, ground_truth, strict=True):
            g = np.asarray(gt["boxes"], dtype=np.float64).reshape(-1, 4)[
                np.asarray(gt["labels"]) == c
            ]
            sel = np.asarray(det["labels"]) == c
            p = np.asarray(det["boxes"], dtype=np.float64).reshape(-1, 4)[sel]
            s = np.asarray(det["scores"], dtype=np.float64)[sel]
            n_pos += len(g)
            scores.append(s)
            tps.append(match_detections(p, s, g, iou_threshold))
        if n_pos:
            aps[c] = average_precision(np.concatenate(scores), np.concatenate(tps), n_pos)
    return float(np.nanmean(aps)), aps


# ------------------------------------------------------------------ anchors and box encoding
def anchor_boxes(
    feature_size: int | tuple[int, int],
    image_size: int | tuple[int, int],
    scales: Sequence[float],
    ratios: Sequence[float] = (1.0,),
) -> np.ndarray:
    """Default (anchor) boxes centred on every cell of a feature map, in image pixels.

    feature_size: ``(H_f, W_f)`` cells; image_size: ``(H, W)`` pixels. Each cell gets one box
    per (scale, ratio) with ``w = s √r``, ``h = s / √r`` (ratio r = w / h, area s²). Returns
    ``(H_f · W_f · len(scales) · len(ratios), 4)`` corners, cell by cell in row-major order.
    """
    hf, wf = (feature_size, feature_size) if np.isscalar(feature_size) else feature_size
    hi, wi = (image_size, image_size) if np.isscalar(image_size) else image_size
    sizes = np.array(
        [(s * np.sqrt(r), s / np.sqrt(r)) for s in scales for r in ratios]
    )  # (A, 2) w, h
    cy, cx = np.meshgrid(
        (np.arange(hf) + 0.5) * hi / hf, (np.arange(wf) + 0.5) * wi / wf, indexing="ij"
    )
    centres = np.stack([cx.ravel(), cy.ravel()], axis=1)  # (H_f W_f, 2)
    c = np.repeat(centres, len(sizes), axis=0)
    wh = np.tile(sizes, (len(centres), 1))
    return np.concatenate([c - wh / 2, c + wh / 2], axis=1)


def encode_boxes(
    boxes: Any, anchors: Any, variances: Sequence[float] = (1.0, 1.0, 1.0, 1.0)
) -> np.ndarray:
    """Offsets of boxes relative to their anchors (Faster R-CNN; SSD with variances 0.1, 0.2).

    ``t_x = (x - x_a) / w_a / v_0``, ``t_y = (y - y_a) / h_a / v_1``, ``t_w = log(w / w_a) / v_2``,
    ``t_h = log(h / h_a) / v_3`` on centres and sizes; boxes and anchors ``(N, 4)`` corners,
    one box per anchor -> ``(N, 4)``.
    """
    b, a = corners_to_xywh(boxes), corners_to_xywh(anchors)
    if b.shape != a.shape:
        raise ValueError(f"one box per anchor: boxes {b.shape} and anchors {a.shape} must match")
    if np.any(b[:, 2:] <= 0) or np.any(a[:, 2:] <= 0):
        raise ValueError(
            "boxes and anchors must have positive width and height (the offsets take log(w / w_a))"
        )
    v = np.asarray(variances, dtype=np.float64)
    t = np.concatenate([(b[:, :2] - a[:, :2]) / a[:, 2:], np.log(b[:, 2:] / a[:, 2:])], axis=1)
    return t / v


def decode_boxes(
    offsets: Any, anchors: Any, variances: Sequence[float] = (1.0, 1.0, 1.0, 1.0)
) -> np.ndarray:
    """The inverse of :func:`encode_boxes`: offsets ``(N, 4)`` + anchors ``(N, 4)`` -> boxes (corners)."""
    t = np.asarray(offsets, dtype=np.float64) * np.asarray(variances, dtype=np.float64)
    a = corners_to_xywh(anchors)
    if t.shape != a.shape:
        raise ValueError(
            f"one offset per anchor: offsets {t.shape} and anchors {a.shape} must match"
        )
    centre = a[:, :2] + t[:, :2] * a[:, 2:]
    size = a[:, 2:] * np.exp(t[:, 2:])
    return xywh_to_corners(np.concatenate([centre, size], axis=1))


# ------------------------------------------------------------------ segmentation
def segmentation_iou(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """Per-class IoU of label maps: ``|pred = c ∧ true = c| / |pred = c ∨ true = c|``.

    y_true, y_pred: integer label maps of one shape (e.g. ``(N, H, W)``), summed over all
    pixels of all images. Returns ``(num_classes,)``; a class absent from both gets NaN.
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} must have one shape")
    conf = np.bincount(
        t.ravel().astype(np.int64) * num_classes + p.ravel().astype(np.int64),
        minlength=num_classes**2,
    ).reshape(num_classes, num_classes)
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    return np.divide(inter, union, out=np.full(num_classes, np.nan), where=union > 0)


def build_unet(
    input_shape: tuple[int, int, int] = (64, 64, 1),
    num_classes: int = 4,
    filters: Sequence[int] = (16, 32, 64),
    name: str = "unet",
) -> Any:
    """A small U-Net: an encoder of conv blocks and max pooling, a decoder of Conv2DTranspose
    upsampling, each step concatenated with the encoder's map of the same size (skip connection).

    ``filters[k]`` channels at level k; the last entry is the bottleneck. The output is
    ``(H, W, num_classes)`` logits (no softmax: train with ``from_logits=True``). H and W must be
    divisible by ``2 ** (len(filters) - 1)``.
    """
    import keras
    from keras import layers

    h, w = input_shape[:2]
    step = 2 ** (len(filters) - 1)
    if h % step or w % step:
        raise ValueError(
            f"input {input_shape[:2]} must be divisible by {step} for {len(filters)} levels"
        )

    def block(x: Any, f: int, tag: str) -> Any:
        for i in (1, 2):
            x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{tag}_conv{i}")(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"{tag}_bn{i}")(x)
            x = layers.ReLU(name=f"{tag}_relu{i}")(x)
        return x

    inputs = keras.Input(input_shape, name="image")
    x, skips = inputs, []
    for k, f in enumerate(filters[:-1]):
        x = block(x, f, f"enc{k}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{k}")(x)
    x = block(x, filters[-1], "bottleneck")
    for k in reversed(range(len(filters) - 1)):
        x = layers.Conv2DTranspose(filters[k], 2, strides=2, name=f"up{k}")(x)
        x = layers.Concatenate(name=f"skip{k}")([x, skips[k]])
        x = block(x, filters[k], f"dec{k}")
    outputs = layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
