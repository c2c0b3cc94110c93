"""Checkers of 3_5 word2vec: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


# ------------------------------------------------------------------ 3_5 skipgram_pairs
def pairs_solution(docs, window):
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(max(0, i - window), min(len(doc), i + window + 1)):
                if j != i:
                    out.append((center, doc[j]))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def pairs_list_of_tuples(docs, window):
    """Also right: a list of tuples, contexts before centers in the loop order."""
    out = []
    for doc in docs:
        for offset in [*range(-window, 0), *range(1, window + 1)]:
            for i in range(len(doc)):
                if 0 <= i + offset < len(doc):
                    out.append((doc[i], doc[i + offset]))
    return out


def pairs_with_self(docs, window):
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(max(0, i - window), min(len(doc), i + window + 1)):
                out.append((center, doc[j]))
    return np.array(out).reshape(-1, 2)


def pairs_window_too_small(docs, window):
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(max(0, i - window + 1), min(len(doc), i + window)):  # one short each side
                if j != i:
                    out.append((center, doc[j]))
    return np.array(out).reshape(-1, 2)


def pairs_window_too_large(docs, window):
    return pairs_solution(docs, window + 1)


def pairs_across_documents(docs, window):
    return pairs_solution([[w for d in docs for w in d]], window)


def pairs_right_only(docs, window):
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(i + 1, min(len(doc), i + window + 1)):
                out.append((center, doc[j]))
    return np.array(out).reshape(-1, 2)


def pairs_skip_same_word(docs, window):
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(max(0, i - window), min(len(doc), i + window + 1)):
                if doc[j] != center:
                    out.append((center, doc[j]))
    return np.array(out).reshape(-1, 2)


def pairs_negative_index_wraps(docs, window):
    """Forgets the left edge: doc[i - 1] at i = 0 is the last word (Python's negative index)."""
    out = []
    for doc in docs:
        for i, center in enumerate(doc):
            for j in range(i - window, min(len(doc), i + window + 1)):
                if j != i and j >= -len(doc):
                    out.append((center, doc[j]))
    return np.array(out).reshape(-1, 2)


def pairs_flat(docs, window):
    return pairs_solution(docs, window).reshape(-1)


# ------------------------------------------------------------------ 3_5 cosine_similarity
def cos_solution(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    return a @ b.T


def cos_b_not_normalized(a, b):
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    return a @ np.asarray(b).T


def cos_wrong_axis(a, b):
    a = a / np.maximum(np.linalg.norm(a, axis=0, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=0, keepdims=True), 1e-12)
    return a @ b.T


def cos_nan_on_zero(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        a = a / np.linalg.norm(a, axis=-1, keepdims=True)
        b = b / np.linalg.norm(b, axis=-1, keepdims=True)
        return a @ b.T


def cos_dot_only(a, b):
    return np.asarray(a) @ np.asarray(b).T


def cos_distance(a, b):
    return 1.0 - cos_solution(a, b)


def cos_transposed(a, b):
    return cos_solution(b, a)


CASES = {
    "3_5/skipgram_pairs": Spec(
        solution=pairs_solution,
        wrong=[pairs_with_self, pairs_window_too_small, pairs_window_too_large,
               pairs_across_documents, pairs_right_only, pairs_skip_same_word,
               pairs_negative_index_wraps, pairs_flat],
        messages=["paired with itself", "pairs of window 1:", "pairs of window 2:", "cross a document boundary",
                  "to the right", "same word elsewhere", "negative index", "(P, 2)"],
    ),
    "3_5/cosine_similarity": Spec(
        solution=cos_solution,
        wrong=[cos_b_not_normalized, cos_wrong_axis, cos_nan_on_zero, cos_dot_only, cos_distance,
               cos_transposed],
        messages=["only a is normalized", "axis 0", "NaN", "dot product", "distance",
                  "row i of a"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: the library's functions, other loop orders."""
    from tests.checkerkit import run
    from utils import checks, nn

    for ex_id, fn in [
        ("3_5/skipgram_pairs", nn.skipgram_pairs),
        ("3_5/skipgram_pairs", pairs_list_of_tuples),
        ("3_5/cosine_similarity", nn.cosine_similarity),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
