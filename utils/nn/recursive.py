"""The recursive neural network (再帰型ニューラルネットワーク) over a parse tree, in NumPy.

A tree is a word (a leaf, looked up in ``vectors``) or a pair ``(left, right)`` of trees.
Every inner node gets the vector ``tanh(W · [left; right] + b)`` of its two children, with
one shared ``W`` (d, 2d): the vector of the root represents the whole phrase, whatever its
length. Taught in 3_6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["encode_tree", "recursive_combine", "tree_text"]


def recursive_combine(left: ArrayLike, right: ArrayLike, W: ArrayLike, b: ArrayLike | None = None) -> np.ndarray:
    """tanh(W · concat([left, right]) + b): left, right (d,) or (N, d); W (d, 2d); b (d,) -> (d,) or (N, d). Taught in 3_6.

    The order matters: ``left`` fills the first d inputs of ``W``, ``right`` the last d.
    """
    left, right, W = (np.asarray(a, dtype=np.float64) for a in (left, right, W))
    if left.shape != right.shape or left.ndim not in (1, 2):
        raise ValueError(f"left {left.shape} and right {right.shape} must be two vectors (d,) "
                         "or two batches (N, d) of one shape")
    d = left.shape[-1]
    if W.ndim != 2 or W.shape[1] != 2 * d:
        raise ValueError(f"W has shape {W.shape}; it must be (d_out, 2d) = (d_out, {2 * d}) for "
                         f"children of size d = {d}")
    x = np.concatenate([left, right], axis=-1)           # (2d,) or (N, 2d)
    u = x @ W.T                                          # = W.dot(x) for one vector: (d_out,) or (N, d_out)
    if b is not None:
        u = u + np.asarray(b, dtype=np.float64)
    return np.tanh(u)


def tree_text(tree: Any) -> str:
    """The bracketed text of a tree: ("very", "good") -> "(very good)"."""
    if isinstance(tree, str):
        return tree
    left, right = _children(tree)
    return f"({tree_text(left)} {tree_text(right)})"


def _children(tree: Any) -> tuple[Any, Any]:
    if isinstance(tree, Mapping):
        return tree["left"], tree["right"]
    if isinstance(tree, tuple | list) and len(tree) == 2:
        return tree[0], tree[1]
    raise ValueError(f"a tree is a word (str), a pair (left, right) or a dict with 'left' and "
                     f"'right'; got {tree!r}")


def encode_tree(tree: Any, vectors: Mapping[str, ArrayLike], W: ArrayLike, b: ArrayLike | None = None,
                combine: Any = recursive_combine) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """The vector of a tree's root, and every node's (text, vector) in post-order. Taught in 3_6.

    Leaves are ``vectors[word]`` (d,); an inner node is ``combine(left, right, W, b)``.
    """
    nodes: list[tuple[str, np.ndarray]] = []

    def visit(node: Any) -> np.ndarray:
        if isinstance(node, str):
            if node not in vectors:
                raise KeyError(f"no vector for the word {node!r}")
            vec = np.asarray(vectors[node], dtype=np.float64)
        else:
            left, right = _children(node)
            vec = np.asarray(combine(visit(left), visit(right), W, b), dtype=np.float64)
        nodes.append((tree_text(node), vec))
        return vec

    return visit(tree), nodes
