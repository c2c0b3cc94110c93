"""Plotting helpers shared by the notebooks (kept out of the lessons' way)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def image_grid(
    images: np.ndarray,
    labels: Sequence[Any] | None = None,
    class_names: Sequence[str] | None = None,
    *,
    ncols: int = 10,
    size: float = 1.2,
    cmap: str = "gray_r",
    title: str | None = None,
) -> plt.Figure:
    """Show ``images: (N, H, W)`` in a grid with optional labels (ints or strings)."""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k], cmap=cmap)
        if labels is not None:
            lab = labels[k]
            text = class_names[int(lab)] if class_names is not None else str(lab)
            ax.set_title(text, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_curves(
    history: Mapping[str, Sequence[float]] | Any,
    metrics: Sequence[str] = ("loss", "accuracy"),
    *,
    xlabel: str = "epoch",
) -> plt.Figure:
    """Train/validation curves of a Keras ``History`` (or a dict of lists), one panel a metric."""
    hist = getattr(history, "history", history)
    metrics = [m for m in metrics if m in hist]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, m in zip(axes.flat, metrics, strict=True):
        x = np.arange(1, len(hist[m]) + 1)
        ax.plot(x, hist[m], "o-", label=f"train {m}")
        if f"val_{m}" in hist:
            ax.plot(x, hist[f"val_{m}"], "s--", label=f"validation {m}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(m)
        ax.legend()
    fig.tight_layout()
    return fig
