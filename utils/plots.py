"""Plotting helpers shared by the notebooks (kept out of the lessons' way)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


def trajectories(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    *,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    levels: int = 15,
    minimum: tuple[float, float] | None = None,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Contours of ``f(X, Y)`` with optimization paths ``{label: (T, 2) points}`` on top.

    ``f`` takes grid arrays X, Y and returns the loss on the grid; ``minimum`` marks the optimum.
    Paths that leave the window (divergence) are clipped by the axis limits. Pass ``ax`` to
    draw into one panel of a larger figure. Taught in 1_4 (learning rates) and 2_2 (optimizers).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.0))
    X, Y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    ax.contour(X, Y, f(X, Y), levels=levels, colors="0.75", linewidths=0.8)
    for label, path in paths.items():
        path = np.asarray(path)  # (T, 2)
        (line,) = ax.plot(path[:, 0], path[:, 1], ".-", lw=1.2, ms=4, label=label)
        ax.plot(*path[0], "o", color=line.get_color(), ms=6)
    if minimum is not None:
        ax.plot(*minimum, "k*", ms=10)
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")
    ax.grid(False)
    if title:
        ax.set_title(title)
    if len(paths) > 1:
        ax.legend(fontsize=8)
    return ax.figure


def confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: Sequence[str] | None = None,
    *,
    normalize: bool = True,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Heatmap of the confusion matrix: rows the true class, columns the predicted one.

    ``y_true``, ``y_pred``: (N,) integer labels. With ``normalize`` each row is divided by its
    count, so the diagonal is the recall of each class. Taught in 2_5.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}")
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    if class_names is not None:
        k = max(k, len(class_names))
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * k + 2.5, 0.6 * k + 1.8))
    im = ax.imshow(shown, cmap="Blues", vmin=0)
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure
