"""Checkers of 1_3 output layer and loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close
from utils.nn import functions as nnf

mean_squared_error = Checker("1_3", "mean_squared_error", reference=nnf.mean_squared_error)


def _mse_diagnose(value: float, y: np.ndarray, t: np.ndarray, name: str) -> None:
    want = nnf.mean_squared_error(y, t)
    N, D = (y.shape[0], y.shape[1]) if y.ndim == 2 else (1, y.shape[0])
    slips = [  # (value / expected, the likely mistake); the first match wins
        (2.0, "twice the expected value: the lecture's E = ½ Σ (y - t)² has a factor ½"),
        (float(N), f"{N}× the expected value: average over the batch of {N} samples (divide by N)"),
        (2.0 * N, f"{2 * N}× the expected value: the ½ is missing and the sum is not averaged over N = {N}"),
    ]
    if y.ndim == 1:
        slips.append((1.0 / D, f"divided by y.shape[0] = {D}: a single sample y: (D,) is a batch of N = 1"))
    slips += [
        (2.0 / D, f"the mean over all N·D entries without ½ (Keras' MSE); sum over the {D} outputs, ½, average over N"),
        (1.0 / D, f"the mean over all N·D entries; sum over the {D} outputs, average over the N samples only"),
    ]
    for ratio, msg in slips:
        if ratio != 1.0 and np.isclose(value, want * ratio, rtol=1e-6):
            raise AssertionError(f"{name} = {value:.6g} is {msg}")
    assert_close(value, want, name=name)


@mean_squared_error.case("a batch y, t: (2, 3)")
def _(fn: Any) -> None:
    y = np.array([[0.1, 0.8, 0.1], [0.5, 0.2, 0.3]])
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    name = "mean_squared_error(y (2, 3), t (2, 3))"
    _mse_diagnose(_h.scalar(fn(y.copy(), t.copy()), name), y, t, name)


@mean_squared_error.case("a single sample y, t: (4,) counts as N = 1")
def _(fn: Any) -> None:
    y, t = np.array([1.0, 2.0, 0.0, -1.0]), np.array([0.0, 2.0, 2.0, 0.0])
    name = "mean_squared_error(y (4,), t (4,))"
    _mse_diagnose(_h.scalar(fn(y.copy(), t.copy()), name), y, t, name)


@mean_squared_error.case("a batch (5, 2): regression outputs")
def _(fn: Any) -> None:
    rng = np.random.default_rng(3)
    y, t = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    name = "mean_squared_error(y (5, 2), t (5, 2))"
    _mse_diagnose(_h.scalar(fn(y.copy(), t.copy()), name), y, t, name)


cross_entropy_error = Checker("1_3", "cross_entropy_error", reference=nnf.cross_entropy_error)
_Y = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])  # (3, 4)
_LABELS = np.array([1, 0, 3])


def _ce_compare(fn: Any, y: np.ndarray, t: np.ndarray, name: str, hint: str = "") -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _h.call(fn, y.copy(), t.copy(), hint=hint)
    value = _h.scalar(out, name)
    want = nnf.cross_entropy_error(y, t)
    if not np.isfinite(value):
        raise AssertionError(
            f"{name} = {value}: log(0) where a probability is 0. Add eps = 1e-7 inside the log "
            "(np.log(y + 1e-7)) or clip y to [1e-7, 1]"
        )
    if np.isclose(value, want * y.shape[0], rtol=1e-4) and y.ndim == 2 and y.shape[0] > 1:
        raise AssertionError(f"{name} = {value:.6g} is the sum over the batch; average it (divide by N)")
    if y.ndim == 1 and np.isclose(value, want / y.shape[0], rtol=1e-4):
        raise AssertionError(
            f"{name} = {value:.6g} is divided by y.shape[0] = {y.shape[0]}: a single sample "
            "y: (C,) is a batch of N = 1 (reshape it to (1, C) first)"
        )
    if np.isclose(value, -want, rtol=1e-4):
        raise AssertionError(f"{name} = {value:.6g} has the wrong sign: E = -Σ t log y")
    try:
        assert_close(value, want, rtol=1e-4, atol=1e-6, name=name)
    except AssertionError as err:
        if (y == 0).any():
            raise AssertionError(f"{err}; use eps = 1e-7, as utils.nn and Keras do") from None
        raise


@cross_entropy_error.case("a batch with one-hot labels t: (3, 4)")
def _(fn: Any) -> None:
    t = nnf.one_hot(_LABELS, 4)
    _ce_compare(fn, _Y, t, "cross_entropy_error(y (3, 4), one-hot t (3, 4))")


@cross_entropy_error.case("the same batch with integer labels t: (3,)")
def _(fn: Any) -> None:
    _ce_compare(
        fn, _Y, _LABELS, "cross_entropy_error(y (3, 4), labels t = [1, 0, 3])",
        hint="t may also be integer labels (N,): pick y[np.arange(N), t]",
    )


@cross_entropy_error.case("a single sample y: (4,) with one-hot t: (4,)")
def _(fn: Any) -> None:
    y, t = np.array([0.05, 0.15, 0.7, 0.1]), np.array([0.0, 0.0, 1.0, 0.0])
    _ce_compare(fn, y, t, "cross_entropy_error(y (4,), t (4,))", hint="treat y: (C,) as a batch of one")


_SOFT_HINT = "t may be soft targets (label smoothing): rows of probabilities, not only one-hot"


@cross_entropy_error.case("soft (label-smoothed) targets t: (2, 3)")
def _(fn: Any) -> None:
    y = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    t = np.array([[0.9, 0.05, 0.05], [0.1, 0.6, 0.3]])  # label smoothing 0.15; a soft row
    name = "cross_entropy_error(y (2, 3), soft t (2, 3))"
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _h.scalar(_h.call(fn, y.copy(), t.copy(), hint=_SOFT_HINT), name)
    if np.isclose(value, nnf.cross_entropy_error(y, t.argmax(axis=1)), rtol=1e-4):
        raise AssertionError(
            f"{name} = {value:.6g} is the loss of t.argmax(axis=1): soft targets (label "
            "smoothing, e.g. [0.9, 0.05, 0.05]) are not one-hot. Keep t and compute "
            "-Σ t log(y + 1e-7) / N"
        )
    _ce_compare(fn, y, t, name, hint=_SOFT_HINT)


@cross_entropy_error.case("probabilities 0 and 1 give a finite loss (eps = 1e-7)")
def _(fn: Any) -> None:
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # the second sample is confidently wrong
    t = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    _ce_compare(fn, y, t, "cross_entropy_error(y with zeros (2, 3), one-hot t (2, 3))")
    _ce_compare(
        fn, y, np.array([1, 1]), "cross_entropy_error(y with zeros (2, 3), labels t = [1, 1])",
        hint="t may also be integer labels (N,): pick y[np.arange(N), t]",
    )
