"""Exercise checkers: ``utils.checks.<exercise>(student_fn)`` after every exercise cell.

The framework lives in :mod:`utils.checks.core`; the checkers of each lesson in
``utils/checks/dayN_M.py``; exam-style questions (``utils.checks.answer``) in
:mod:`utils.checks.questions`, their keys in ``utils/checks/keys/<lesson>.json``. Every checker is reachable here by its exercise name.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from utils.checks.core import (
    FAIL,
    NOT_IMPLEMENTED,
    PASS,
    RECORDS,
    REGISTRY,
    Case,
    Checker,
    Record,
    assert_close,
    expect_shape,
    latest,
    record,
    summary,
    summary_rows,
    use,
)
from utils.checks.questions import answer

__all__ = [
    "FAIL", "NOT_IMPLEMENTED", "PASS", "RECORDS", "REGISTRY", "Case", "Checker", "Record",
    "answer", "assert_close", "by_name", "expect_shape", "latest", "record", "summary",
    "summary_rows", "use",
]  # fmt: skip

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name.startswith("day"):
        importlib.import_module(f"{__name__}.{_mod.name}")


def by_name(name: str) -> Checker:
    """The checker whose exercise name is ``name`` (names are unique across the course)."""
    found = [c for c in REGISTRY.values() if c.name == name]
    if not found:
        raise AttributeError(f"utils.checks has no checker named {name!r}")
    return found[0]


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    return by_name(name)
