"""Checkers of Day 0 (0_1 getting started)."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks.core import Checker, assert_close, expect_shape


def _normalize_images(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / 255.0


def _one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    out = np.zeros((len(labels), num_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


normalize_images = Checker("0_1", "normalize_images", reference=_normalize_images)


@normalize_images.case("values are pixel / 255")
def _(fn: Any) -> None:
    x = np.array([[[0, 51], [102, 255]], [[10, 20], [30, 40]]], dtype=np.uint8)
    out = fn(x.copy())
    expect_shape(out, x.shape, "normalize_images(x)")
    assert_close(out, x / 255.0, rtol=1e-6, name="normalize_images(x)")


@normalize_images.case("a batch without black or white pixels keeps its scale")
def _(fn: Any) -> None:
    x = np.full((1, 3, 3), 100, dtype=np.uint8)
    x[0, 1, 1] = 200
    assert_close(fn(x.copy()), x / 255.0, rtol=1e-6, name="normalize_images(x)")


@normalize_images.case("float32, input left unchanged")
def _(fn: Any) -> None:
    x = np.arange(12, dtype=np.uint8).reshape(1, 3, 4) * 20
    before = x.copy()
    out = fn(x)
    assert getattr(out, "dtype", None) == np.float32, (
        f"dtype is {getattr(out, 'dtype', type(out).__name__)}, expected float32 "
        "(Keras works in float32; try .astype(np.float32))"
    )
    assert np.array_equal(x, before), "normalize_images changed its input array in place"


one_hot = Checker("0_1", "one_hot", reference=_one_hot)


@one_hot.case("rows are one-hot vectors")
def _(fn: Any) -> None:
    labels = np.array([2, 0, 1, 2])
    out = fn(labels, 3)
    expect_shape(out, (4, 3), "one_hot(labels, 3)")
    assert_close(out, _one_hot(labels, 3), name="one_hot(labels, 3)")


@one_hot.case("num_classes sets the width, even for labels that do not occur")
def _(fn: Any) -> None:
    labels = np.array([0, 1, 1])
    out = fn(labels, 10)
    expect_shape(out, (3, 10), "one_hot([0, 1, 1], 10)")
    assert_close(out, _one_hot(labels, 10), name="one_hot([0, 1, 1], 10)")


@one_hot.case("float32 output")
def _(fn: Any) -> None:
    out = fn(np.array([1, 0]), 2)
    assert getattr(out, "dtype", None) == np.float32, (
        f"dtype is {getattr(out, 'dtype', type(out).__name__)}, expected float32"
    )
