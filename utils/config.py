"""Course-wide settings: the run mode (quick/full), seeds, versions and device line.

Every notebook calls :func:`setup` once, in its setup cell. Taught in 0_1.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
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

_state: dict[str, Any] = {"notebook": None, "started": time.time(), "line": None}

# TensorFlow's C++ start-up lines on a machine without a usable GPU (measured with TF 2.21 on
# Linux): absl writes them to the process's file descriptor 2 before its log level applies, and
# ipykernel forwards fd 2 into the notebook as red stderr. They say nothing the status line does
# not (device=CPU). `_native_stderr_filtered` drops exactly these and re-emits every other line.
_ABSL_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.\-]+:\d+\] ")
_HARMLESS_STDERR = tuple(
    re.compile(p)
    for p in (
        r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
        r"^oneDNN custom operations are on\. ",
        r"^Could not find cuda drivers on your machine, GPU will not be used\.$",
        r"^failed call to cuInit: ",
        r"^Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin "
        r"cu(DNN|FFT|BLAS) when one has already been registered$",
        r"^computation placer already registered\. ",
        r"^This TensorFlow binary is optimized to use available CPU instructions in "
        r"performance-critical operations\.$",
        r"^To enable the following instructions: .*, in other operations, rebuild TensorFlow with "
        r"the appropriate compiler flags\.$",
        r"^TF-TRT Warning: Could not find TensorRT$",
        r"^successful NUMA node read from SysFS had negative value \(-1\)",
    )
)
# A cuInit failure is only harmless where there is no NVIDIA device to initialise.
_CUINIT = re.compile(r"failed call to cuInit: ")


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


def _has_nvidia_device() -> bool:
    return Path("/dev/nvidia0").exists() or Path("/proc/driver/nvidia/version").exists()


def _harmless_stderr_line(line: str) -> bool:
    """True for one of TensorFlow's known start-up lines (see ``_HARMLESS_STDERR``)."""
    body = _ABSL_PREFIX.sub("", line.rstrip("\r\n"))
    if _CUINIT.search(body) and _has_nvidia_device():
        return False
    return any(p.search(body) for p in _HARMLESS_STDERR)


@contextlib.contextmanager
def _native_stderr_filtered() -> Iterator[None]:
    """Send the process's fd 2 to a temporary file for the block, then restore it.

    Afterwards (also when the block raises) every captured line that is not one of
    TensorFlow's known harmless start-up lines is written to ``sys.stderr``, so a real problem
    stays visible. Used around importing TensorFlow/Keras and querying the devices.
    """
    _flush_stderr()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        try:
            os.dup2(tmp.fileno(), 2)
            yield
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured = tmp.read().decode("utf-8", errors="replace")
            kept = [ln for ln in captured.splitlines(keepends=True) if not _harmless_stderr_line(ln)]
            if kept:
                text = "".join(kept)
                sys.stderr.write(text if text.endswith("\n") else text + "\n")
                _flush_stderr()


def _flush_stderr() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()


def status_line() -> str | None:
    """The status line the last :func:`setup` printed (``None`` before the first call)."""
    return _state["line"]


def setup(notebook: str | None = None, *, seed: int = SEED, tensorflow: bool = True) -> None:
    """Prepare a notebook: mode, seeds, plot defaults; print one status line.

    notebook: the notebook's file stem, e.g. ``"1_5_backpropagation"``; checkers and
        :mod:`utils.report` file their records under it.
    tensorflow: import TensorFlow/Keras to report their versions and the device (≈ 3.5 s).
        NumPy-only notebooks may pass ``False`` to start faster.

    Returns nothing (so the set-up cell shows the line once); :func:`status_line` gives it.
    TensorFlow's C++ start-up notices (CUDA/cuInit on a CPU machine, oneDNN, CPU instructions)
    are kept out of the output; any other line TensorFlow writes then is shown on stderr.
    """
    # INFO and WARNING lines of TensorFlow's C++ core; ERROR lines stay visible.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _state["notebook"] = notebook
    _state["started"] = time.time()
    current = mode()
    _plot_defaults()
    parts = [f"mode={current}", f"python={platform.python_version()}", f"numpy={np.__version__}"]
    device = "CPU"
    if tensorflow:
        with _native_stderr_filtered():
            import keras
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
        parts[2:2] = [f"tensorflow={tf.__version__}", f"keras={keras.__version__}"]
        device = f"GPU x{len(gpus)} ({gpus[0].name})" if gpus else "CPU"
        if not gpus and in_colab():
            warnings.warn(
                "Colab is running without a GPU: full mode will be slow. "
                "Runtime > Change runtime type > GPU.",
                stacklevel=2,
            )
    with _native_stderr_filtered():
        set_seeds(seed)
    cores = os.cpu_count() or 1
    line = f"[course] {notebook or 'notebook'} | " + " | ".join(parts) + f" | device={device}, {cores} cores | seed={seed}"
    _state["line"] = line
    print(line)
