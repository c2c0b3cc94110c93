"""Small helpers the checkers share: calling a student's function, comparing, adding hints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def shape_of(a: Any) -> str:
    return str(np.shape(a))


def call(fn: Callable[..., Any], *args: Any, hint: str = "") -> Any:
    """``fn(*args)``, turning a NumPy shape error into a message that names the input shapes."""
    try:
        return fn(*args)
    except ValueError as err:
        shapes = ", ".join(shape_of(a) for a in args)
        raise AssertionError(
            f"{getattr(fn, '__name__', 'your function')} raised ValueError on inputs of shapes "
            f"{shapes}: {err}" + (f". {hint}" if hint else "")
        ) from err


def is_close(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return False
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def number_dtype(out: Any, name: str, hint: str) -> None:
    """``out`` must be an array of numbers (int or float), not booleans."""
    dtype = getattr(out, "dtype", None)
    if dtype is None:
        raise AssertionError(f"{name} returned {type(out).__name__}, expected a NumPy array")
    if dtype.kind not in "iuf":
        raise AssertionError(f"{name} returned dtype {dtype}, expected numbers (float). {hint}")


def scalar(out: Any, name: str) -> float:
    """``out`` as a float; it must be one number, not an array per sample."""
    if out is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(
            f"{name} returned an array of shape {np.shape(out)}, expected one number "
            "(the loss averaged over the batch)"
        )
    return float(out)




def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """True when a and b have one shape and equal values (no exception)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def with_hint(check: Callable[[], None], actual: Any, hints: list[tuple[Any, str]]) -> None:
    """Run ``check()``; on failure add the hint of the first known wrong answer ``actual`` matches."""
    try:
        check()
    except AssertionError as err:
        for wrong, hint in hints:
            if close(actual, wrong):
                raise AssertionError(f"{err}\n    Hint: {hint}") from None
        raise
