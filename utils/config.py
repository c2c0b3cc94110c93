"""Course-wide settings: the run mode (quick/full), seeds, versions and device line.

Every notebook calls :func:`setup` once, in its setup cell. Taught in 0_1.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

MODES = ("quick", "full")
REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 42
# The one place the course's GitHub repository is named: `make exercises` stamps it into every
# notebook's Colab badge and Colab set-up cell. A fork changes it here and runs `make exercises`.
REPO_SLUG = "jdla-course/deep-learning-course"
REPO_URL = f"https://github.com/{REPO_SLUG}"

_state: dict[str, Any] = {"notebook": None, "started": time.time()}


def mode() -> str:
    """The run mode from ``COURSE_MODE``: ``"full"`` (default) or ``"quick"``."""
    value = os.environ.get("COURSE_MODE", "full").strip().lower() or "full"
    if value not in MODES:
        raise ValueError(f"COURSE_MODE={value!r} is not a mode; use one of {MODES}.")
    return value


def is_quick() -> bool:
    """True in quick mode (CI smoke runs)."""
    return mode() == "quick"


def pick(*, quick: T, full: T) -> T:
    """Return ``quick`` or ``full`` according to the mode; the only way a notebook depends on it.

    >>> n_train = pick(quick=2_000, full=60_000)
    """
    return quick if is_quick() else full


def notebook() -> str | None:
    """The notebook name given to :func:`setup` (e.g. ``"0_1_getting_started"``), if any."""
    return _state["notebook"] or os.environ.get("COURSE_NOTEBOOK") or None


def started_at() -> float:
    """When :func:`setup` last ran (or when ``utils`` was imported)."""
    return float(_state["started"])


def set_seeds(seed: int = SEED) -> None:
    """Seed Python, NumPy and (when imported) TensorFlow/Keras, for one experiment."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def _plot_defaults() -> None:
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "viridis",
            "font.size": 10,
        }
    )


def setup(notebook: str | None = None, *, seed: int = SEED, tensorflow: bool = True) -> str:
    """Prepare a notebook: mode, seeds, plot defaults; print one status line and return it.

    notebook: the notebook's file stem, e.g. ``"1_5_backpropagation"``; checkers and
        :mod:`utils.report` file their records under it.
    tensorflow: import TensorFlow/Keras to report their versions and the device (≈ 3.5 s).
        NumPy-only notebooks may pass ``False`` to start faster.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _state["notebook"] = notebook
    _state["started"] = time.time()
    current = mode()
    _plot_defaults()
    parts = [f"mode={current}", f"python={platform.python_version()}", f"numpy={np.__version__}"]
    device = "CPU"
    if tensorflow:
        import keras
        import tensorflow as tf

        parts[2:2] = [f"tensorflow={tf.__version__}", f"keras={keras.__version__}"]
        gpus = tf.config.list_physical_devices("GPU")
        device = f"GPU x{len(gpus)} ({gpus[0].name})" if gpus else "CPU"
        if not gpus and in_colab():
            warnings.warn(
                "Colab is running without a GPU: full mode will be slow. "
                "Runtime > Change runtime type > GPU.",
                stacklevel=2,
            )
    set_seeds(seed)
    cores = os.cpu_count() or 1
    line = f"[course] {notebook or 'notebook'} | " + " | ".join(parts) + f" | device={device}, {cores} cores | seed={seed}"
    print(line)
    return line
