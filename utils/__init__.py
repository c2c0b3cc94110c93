"""The course's shared library: every notebook does ``import utils; utils.setup("<notebook>")``.

Submodules (``utils.data``, ``utils.checks``, ``utils.report``, ``utils.plots``, ``utils.nn``)
are imported on first use, so ``import utils`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from utils.config import pick, setup

__all__ = ["checks", "config", "data", "nn", "pick", "plots", "report", "setup"]
__version__ = "0.1.0"

_SUBMODULES = {"blocks", "checks", "cnn", "compress", "config", "data", "detection", "distribute", "gan", "games", "grade", "nn", "notebooks", "plots", "regularize", "report", "rl", "transformer",
               "synthetic", "text", "tfbasics", "transfer"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"utils.{name}")
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
