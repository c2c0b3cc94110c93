"""Checkers of 4_3 AlphaGo ideas: the PUCT score and the selection step of MCTS.

``puct_score(q, prior, n_parent, n_child, c_puct)`` is ``Q + c_puct · P · sqrt(N_parent) /
(1 + N_child)``, elementwise. ``mcts_select(q, prior, n, legal, c_puct)`` returns the index of
the legal move of largest PUCT score, with ``N_parent = n.sum()`` and ties going to the lowest
index (``np.argmax``). The hints recognize the usual slips: the missing ``1 +``, the missing
square root, ``N_child`` in the numerator, the prior left out; choosing by visit count, by the
prior only, ignoring the illegal moves, breaking ties towards the last index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.games import puct_score as _puct
from utils.games import puct_select as _select


# ------------------------------------------------------------------ puct_score
def _score_inputs(seed: int, n: int = 6) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, float]:
    rng = _h.rng(seed)
    q = rng.uniform(-1, 1, size=n)
    prior = rng.dirichlet(np.ones(n))
    n_child = rng.integers(0, 8, size=n).astype(float)
    n_child[0] = 0.0                                   # an unvisited child
    return q, prior, float(n_child.sum() + 1), n_child, float(rng.choice([1.0, 1.5, 2.5]))


def _score_hints(q: Any, p: Any, n_parent: float, n_child: Any, c: float) -> list[tuple[Any, str]]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return [
            (q + c * p * np.sqrt(n_parent) / n_child, "the 1 + is missing: divide by (1 + N_child), "
                                                      "so an unvisited child (N_child = 0) gets a finite bonus"),
            (q + c * p * n_parent / (1 + n_child), "the square root is missing: the bonus grows with "
                                                   "sqrt(N_parent), np.sqrt(n_parent)"),
            (q + c * p * np.sqrt(n_parent) * n_child / (1 + n_child) if np.ndim(n_child) else q,
             "N_child belongs in the denominator: the bonus shrinks as a child is visited more"),
            (q + c * np.sqrt(n_parent) * n_child / (1 + n_child) if np.ndim(n_child) else q,
             "N_child belongs in the denominator, and the prior P multiplies the bonus"),
            (q + c * np.sqrt(n_parent) / (1 + n_child), "the prior is left out: the bonus is "
                                                        "c_puct · P · sqrt(N_parent) / (1 + N_child)"),
            (c * p * np.sqrt(n_parent) / (1 + n_child), "Q is missing: the score is Q plus the bonus"),
            (q + p * np.sqrt(n_parent) / (1 + n_child), "c_puct is missing: multiply the bonus by c_puct"),
            (q + c * p * np.sqrt(n_parent / (1 + n_child)), "the square root covers only N_parent: "
                                                              "sqrt(N_parent) / (1 + N_child)"),
        ]


def _check_score(fn: Any, q: Any, p: Any, n_parent: float, n_child: Any, c: float) -> None:
    want = _puct(q, p, n_parent, n_child, c)
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in (q, p, n_parent, n_child, c))
    out = _h.call(fn, *args)
    if out is None:
        raise AssertionError("puct_score returned None: did you forget `return`?")
    out = np.asarray(out, dtype=float)
    expect_shape(out, np.shape(want), "the scores")
    if not np.all(np.isfinite(out)):
        raise AssertionError("the scores hold inf or NaN (an unvisited child has N_child = 0): "
                             "divide by (1 + N_child)")
    _h.with_hint(lambda: assert_close(out, want, name="the scores"), out,
                 _score_hints(q, p, n_parent, n_child, c))


puct_score = Checker(
    "4_3",
    "puct_score",
    reference=_puct,
    doc="puct_score: Q + c_puct · P · sqrt(N_parent) / (1 + N_child), elementwise.",
)


@puct_score.case("six children (arrays), one of them unvisited")
def _(fn: Any) -> None:
    _check_score(fn, *_score_inputs(81))


@puct_score.case("one child (plain numbers): Q 0.2, P 0.5, N_parent 16, N_child 3, c_puct 2")
def _(fn: Any) -> None:
    _check_score(fn, 0.2, 0.5, 16.0, 3.0, 2.0)


@puct_score.case("nine children, many visits")
def _(fn: Any) -> None:
    q, p, _, n, c = _score_inputs(82, n=9)
    _check_score(fn, q, p, float(n.sum() * 5 + 3), n * 5, c)


# ------------------------------------------------------------------ mcts_select
def _select_hints(q: np.ndarray, p: np.ndarray, n: np.ndarray, legal: np.ndarray, c: float
                  ) -> list[tuple[int, str]]:
    score = _puct(q, p, n.sum(), n, c)
    masked = np.where(legal, score, -np.inf)
    return [
        (int(np.argmax(np.where(legal, n, -np.inf))), "that is the most visited move: select by the "
         "PUCT score Q + c_puct · P · sqrt(N_parent) / (1 + N_child) (visit counts choose the move "
         "to play after the search, not the child to explore)"),
        (int(np.argmax(np.where(legal, p, -np.inf))), "that is the move of largest prior: the score "
         "adds Q and divides the bonus by (1 + N_child)"),
        (int(np.argmax(np.where(legal, q, -np.inf))), "that is the move of largest Q: add the "
         "exploration bonus c_puct · P · sqrt(N_parent) / (1 + N_child)"),
        (int(np.argmax(score)), "that move is illegal (legal[move] is False): take the maximum over "
         "the legal moves only, e.g. np.where(legal, score, -np.inf)"),
        (int(len(masked) - 1 - np.argmax(masked[::-1])), "ties go to the lowest index (as np.argmax "
         "does); this is the last of the tied moves"),
    ]


def _check_select(fn: Any, q: np.ndarray, p: np.ndarray, n: np.ndarray, legal: np.ndarray, c: float) -> None:
    want = _select(q, p, n, legal, c)
    out = _h.call(fn, q.copy(), p.copy(), n.copy(), legal.copy(), c)
    if out is None:
        raise AssertionError("mcts_select returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(f"mcts_select returned an array of shape {np.shape(out)}: return one "
                             "move, the index of the best child (np.argmax)")
    move = int(out)
    if move == want:
        return
    for wrong, hint in _select_hints(q, p, n, legal, c):
        if move == wrong:
            raise AssertionError(f"mcts_select chose move {move}, expected {want}.\n    Hint: {hint}")
    raise AssertionError(f"mcts_select chose move {move}, expected {want} (the legal move of "
                         "largest PUCT score, N_parent = n.sum())")


mcts_select = Checker(
    "4_3",
    "mcts_select",
    reference=_select,
    compare=lambda a, e: assert_close(int(a), int(e), name="the move"),
    doc="mcts_select: the legal move of largest PUCT score (N_parent = n.sum()); ties: lowest index.",
)


@mcts_select.case("exploration wins: an unvisited move with a good prior beats the most visited one")
def _(fn: Any) -> None:
    q = np.array([0.0, 0.3, 0.1, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0])
    p = np.array([0.0, 0.1, 0.1, 0.0, 0.45, 0.25, 0.0, 0.1, 0.0])
    n = np.array([0, 9, 3, 0, 0, 2, 0, 1, 0], dtype=float)
    legal = np.array([False, True, True, False, True, True, False, True, True])
    _check_select(fn, q, p, n, legal, 1.5)


@mcts_select.case("the best-scored square is taken (illegal): choose among the legal moves")
def _(fn: Any) -> None:
    q = np.array([0.0, 0.5, -0.2, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0])
    p = np.array([0.6, 0.05, 0.1, 0.15, 0.0, 0.0, 0.05, 0.05, 0.0])
    n = np.array([0, 6, 2, 4, 0, 0, 1, 1, 0], dtype=float)
    legal = np.array([False, True, True, True, False, False, True, True, True])
    _check_select(fn, q, p, n, legal, 1.0)


@mcts_select.case("a tie between two legal moves goes to the lower index")
def _(fn: Any) -> None:
    q = np.array([0.9, 0.0, 0.0, 0.2, 0.0, 0.2, 0.0, 0.0, 0.0])
    p = np.array([0.3, 0.0, 0.0, 0.2, 0.1, 0.2, 0.0, 0.1, 0.1])
    n = np.array([0, 0, 0, 2, 1, 2, 0, 1, 1], dtype=float)
    legal = np.array([False, False, True, True, True, True, True, True, True])
    _check_select(fn, q, p, n, legal, 1.5)


@mcts_select.case("random statistics, c_puct 2.5")
def _(fn: Any) -> None:
    rng = _h.rng(83)
    legal = rng.random(9) < 0.6
    legal[4] = True
    n = np.where(legal, rng.integers(0, 12, size=9), 0).astype(float)
    q = np.where(n > 0, rng.uniform(-1, 1, size=9), 0.0)
    p = np.where(legal, rng.dirichlet(np.ones(9)), 0.0)
    _check_select(fn, q, p / p.sum(), n, legal, 2.5)
