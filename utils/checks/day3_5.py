"""Checkers of 3_5 word2vec: ``skipgram_pairs`` and ``cosine_similarity``.

Both are plain functions: a case calls the student's function on fixed inputs and compares what
comes back with the course's :mod:`utils.nn.word2vec`. Skip-gram pairs are compared as a
multiset (any order of the rows is right); known mistakes (the center paired with itself, a
window one too small or too large, pairs across documents, ...) are recognised and named.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close
from utils.nn.word2vec import cosine_similarity as _cosine
from utils.nn.word2vec import skipgram_pairs as _pairs


# ------------------------------------------------------------------ skipgram_pairs
def _canon(pairs: Any) -> np.ndarray:
    """Rows sorted lexicographically: two answers with the same pairs in any order compare equal."""
    a = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return a[np.lexsort((a[:, 1], a[:, 0]))] if len(a) else a


def _naive(docs: list[list[int]], window: int, *, self_pairs: bool = False, right_only: bool = False,
           skip_same_id: bool = False, wrap: bool = False) -> np.ndarray:
    """Pairs with one known slip switched on (for hints)."""
    out = []
    for doc in docs:
        for i, c in enumerate(doc):
            lo = i if right_only else i - window
            for j in range(lo if wrap else max(lo, 0), min(i + window + 1, len(doc))):
                if (j == i and not self_pairs) or j < -len(doc) or (
                        skip_same_id and doc[j] == c and j != i):
                    continue
                out.append((c, doc[j]))
    return _canon(np.array(out, dtype=np.int64).reshape(-1, 2))


def _pair_hints(docs: list[list[int]], window: int) -> list[tuple[np.ndarray, str]]:
    flat = [sum(docs, [])]
    hints = [
        (_naive(docs, window, self_pairs=True),
         "the center word is paired with itself: skip the offset 0 (j == i)"),
        (_canon(_pairs(docs, window - 1)) if window > 1 else None,
         f"these are the pairs of window {window - 1}: the window reaches {window} words on "
         f"each side, offsets -{window} … -1 and 1 … {window} (range(i - window, i + window + 1))"),
        (_canon(_pairs(docs, window + 1)),
         f"these are the pairs of window {window + 1}: the window reaches only {window} words "
         "on each side"),
        (_naive(docs, window, right_only=True),
         "only the contexts to the right of the center: the window goes both ways"),
        (_naive(docs, window, skip_same_id=True),
         "you skipped context words equal to the center word; skip only the center's own "
         "position (j == i): the same word elsewhere in the window is a real pair"),
        (_naive(docs, window, wrap=True),
         "the first words got contexts from the end of the document: a negative index such as "
         "doc[-1] is the last word in Python; start the window at max(0, i - window)"),
    ]
    if len(docs) > 1:
        hints.append((_canon(_pairs(flat, window)),
                      "some pairs cross a document boundary: make the pairs of each document "
                      "separately (the last word of one review is no context of the next one)"))
    return [(w, h) for w, h in hints if w is not None]


def _check_pairs(fn: Any, docs: list[list[int]], window: int) -> None:
    got = _h.call(fn, [list(d) for d in docs], window)
    if got is None:
        raise AssertionError("skipgram_pairs returned None: did you forget `return`?")
    arr = np.asarray(got)
    if arr.size and (arr.ndim != 2 or arr.shape[1] != 2):
        raise AssertionError(
            f"skipgram_pairs returned shape {arr.shape}, expected (P, 2): one row "
            "(center, context) per pair"
        )
    want = _canon(_pairs(docs, window))
    mine = _canon(arr) if arr.size else np.zeros((0, 2), dtype=np.int64)
    label = f"the pairs of {docs} with window {window}"

    def check() -> None:
        if mine.shape != want.shape:
            raise AssertionError(f"{label}: got {len(mine)} pairs, expected {len(want)}")
        if not np.array_equal(mine, want):
            missing = [tuple(int(v) for v in r) for r in want if not (mine == r).all(axis=1).any()]
            extra = [tuple(int(v) for v in r) for r in mine if not (want == r).all(axis=1).any()]
            raise AssertionError(
                f"{label}: the pairs differ (e.g. missing {missing[:3]}, unexpected {extra[:3]})"
            )

    _h.with_hint(check, mine, _pair_hints(docs, window))


skipgram_pairs = Checker(
    "3_5",
    "skipgram_pairs",
    reference=_pairs,
    compare=lambda actual, expected: assert_close(_canon(actual), _canon(expected), name="pairs"),
    doc="(center, context) pairs (P, 2) within `window` words, per document, never (w_i, w_i).",
)


@skipgram_pairs.case("one sentence, window 1")
def _(fn: Any) -> None:
    _check_pairs(fn, [[4, 7, 1, 9, 3]], 1)


@skipgram_pairs.case("one sentence, window 2")
def _(fn: Any) -> None:
    _check_pairs(fn, [[10, 11, 12, 13, 14, 15]], 2)


@skipgram_pairs.case("two documents: no pair crosses the boundary")
def _(fn: Any) -> None:
    _check_pairs(fn, [[5, 6, 7, 8], [20, 21, 22]], 2)


@skipgram_pairs.case("a repeated word is a real context")
def _(fn: Any) -> None:
    _check_pairs(fn, [[2, 2, 3, 2]], 1)


@skipgram_pairs.case("documents shorter than the window, and an empty one")
def _(fn: Any) -> None:
    _check_pairs(fn, [[3], [4, 5], [], [6, 7, 8]], 3)


# ------------------------------------------------------------------ cosine_similarity
def _cos_hints(a: np.ndarray, b: np.ndarray) -> list[tuple[Any, str]]:
    na = np.linalg.norm(a, axis=-1, keepdims=True)
    nb = np.linalg.norm(b, axis=-1, keepdims=True)
    hints: list[tuple[Any, str]] = [
        (a @ b.T, "this is the dot product a·b: divide by both norms, ‖a‖ ‖b‖"),
        ((a / na) @ b.T, "only a is normalized: divide b by its norm too"),
        (a @ (b / nb).T, "only b is normalized: divide a by its norm too"),
        (1.0 - (a / na) @ (b / nb).T, "this is 1 − cos, the cosine *distance*; return the similarity"),
    ]
    if a.ndim == 2 and b.ndim == 2:
        a0 = a / np.linalg.norm(a, axis=0, keepdims=True)
        b0 = b / np.linalg.norm(b, axis=0, keepdims=True)
        hints.append((a0 @ b0.T, "the norms were taken over axis 0 (down each column); a word "
                      "vector is a row, so use np.linalg.norm(x, axis=-1, keepdims=True)"))
    return [(w, h) for w, h in hints if w is not None]


def _check_cos(fn: Any, a: np.ndarray, b: np.ndarray, name: str) -> Any:
    got = _h.call(fn, a.copy(), b.copy(), hint="a: (d,) or (n, d), b: (d,) or (m, d)")
    if got is None:
        raise AssertionError("cosine_similarity returned None: did you forget `return`?")
    want = _cosine(a, b)
    if np.shape(got) != np.shape(want):
        if np.shape(got) == np.shape(want)[::-1] and np.ndim(want) == 2:
            raise AssertionError(
                f"{name}: shape {np.shape(got)}, expected {np.shape(want)} = (n, m): entry "
                "[i, j] compares row i of a with row j of b (a_n @ b_n.T)"
            )
        raise AssertionError(f"{name}: shape {np.shape(got)}, expected {np.shape(want)}")
    _h.with_hint(lambda: assert_close(got, want, name=name), got, _cos_hints(a, b))
    return got


cosine_similarity = Checker(
    "3_5",
    "cosine_similarity",
    reference=_cosine,
    doc="cos = a·b / (‖a‖ ‖b‖) along the last axis, for vectors and matrices; 0 for a zero vector.",
)


@cosine_similarity.case("two vectors give one number")
def _(fn: Any) -> None:
    rng = _h.rng(351)
    a, b = rng.normal(size=6), rng.normal(size=6) * 3.0
    _check_cos(fn, a, b, "cos(a, b)")
    got = _check_cos(fn, a, 2.5 * a, "cos(a, 2.5 a)")
    if not _h.close(got, 1.0):
        raise AssertionError(f"cos(a, 2.5 a) = {float(got):.6g}, expected 1: cosine ignores length")


@cosine_similarity.case("matrices (n, d) and (m, d) give (n, m)")
def _(fn: Any) -> None:
    rng = _h.rng(352)
    a = rng.normal(size=(3, 4)) * np.array([[1.0], [4.0], [0.5]])
    b = rng.normal(size=(5, 4)) * 2.0
    _check_cos(fn, a, b, "cos(A, B)")


@cosine_similarity.case("one vector against the rows of a matrix gives (m,)")
def _(fn: Any) -> None:
    rng = _h.rng(353)
    _check_cos(fn, rng.normal(size=4) * 2.0, rng.normal(size=(6, 4)), "cos(a, B)")


@cosine_similarity.case("a zero vector has cosine 0, not NaN")
def _(fn: Any) -> None:
    rng = _h.rng(354)
    b = rng.normal(size=(3, 5))
    b[1] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = _h.call(fn, np.zeros(5), b.copy())
        a2 = rng.normal(size=(2, 5))
        got2 = _h.call(fn, a2.copy(), b.copy())
    for out, name in ((got, "cos(0, B)"), (got2, "cos(A, B) with a zero row in B")):
        if out is None:
            raise AssertionError("cosine_similarity returned None: did you forget `return`?")
        if np.isnan(np.asarray(out, dtype=float)).any():
            raise AssertionError(
                f"{name} contains NaN: a zero vector has norm 0 and 0/0 is NaN. The course "
                "defines its cosine as 0: divide by np.maximum(norm, 1e-12)"
            )
    assert_close(got, np.zeros(3), name="cos(0, B)")
    assert_close(got2, _cosine(a2, b), name="cos(A, B) with a zero row in B")
