"""Checkers of 4_6: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks
from utils import transformer as tr


# ------------------------------------------------------------------ scaled_dot_product_attention
def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scores(Q, K):
    return Q @ np.swapaxes(K, -1, -2)


def sdpa_solution(Q, K, V, mask=None):
    s = _scores(Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = _softmax(s)
    return w @ V, w


def sdpa_unscaled(Q, K, V, mask=None):
    s = _scores(Q, K)
    if mask is not None:
        s = np.where(mask, s, -1e9)
    w = _softmax(s)
    return w @ V, w


def sdpa_by_d(Q, K, V, mask=None):
    s = _scores(Q, K) / Q.shape[-1]
    if mask is not None:
        s = np.where(mask, s, -1e9)
    w = _softmax(s)
    return w @ V, w


def sdpa_wrong_axis(Q, K, V, mask=None):
    s = _scores(Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -1e9)
    w = _softmax(s, axis=-2)
    return w @ V, w


def sdpa_mask_ignored(Q, K, V, mask=None):
    w = _softmax(_scores(Q, K) / np.sqrt(Q.shape[-1]))
    return w @ V, w


def sdpa_mask_zero(Q, K, V, mask=None):
    s = _scores(Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, 0.0)
    w = _softmax(s)
    return w @ V, w


def sdpa_mask_inverted(Q, K, V, mask=None):
    s = _scores(Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        s = np.where(mask, -1e9, s)
    w = _softmax(s)
    return w @ V, w


def sdpa_dot_t(Q, K, V, mask=None):
    s = Q @ K.T / np.sqrt(Q.shape[-1])  # K.T reverses every axis
    if mask is not None:
        s = np.where(mask, s, -1e9)
    w = _softmax(s)
    return w @ V, w


def sdpa_swapped(Q, K, V, mask=None):
    c, w = sdpa_solution(Q, K, V, mask)
    return w, c


def sdpa_keys(Q, K, V, mask=None):
    _, w = sdpa_solution(Q, K, V, mask)
    return w @ K, w


# ------------------------------------------------------------------ positional_encoding
def pe_solution(length, depth):
    pos = np.arange(length)[:, None]
    angle = pos / 10_000 ** (np.arange(0, depth, 2)[None, :] / depth)
    pe = np.zeros((length, depth))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def pe_swapped(length, depth):
    pe = pe_solution(length, depth)
    return pe[:, [j + 1 if j % 2 == 0 else j - 1 for j in range(depth)]]


def pe_exponent_j(length, depth):
    pos, j = np.arange(length)[:, None], np.arange(depth)[None, :]
    angle = pos / 10_000 ** (j / depth)
    return np.where(j % 2 == 0, np.sin(angle), np.cos(angle))


def pe_concat(length, depth):
    pos = np.arange(length)[:, None]
    angle = pos / 10_000 ** (np.arange(0, depth, 2)[None, :] / depth)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def pe_transposed(length, depth):
    return pe_solution(length, depth).T


def pe_no_return(length, depth):
    pe_solution(length, depth)


# ------------------------------------------------------------------ causal_mask
def cm_solution(T):
    return np.tril(np.ones((T, T), dtype=bool))


def cm_upper(T):
    return np.triu(np.ones((T, T), dtype=bool))


def cm_strict(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)


def cm_inverted(T):
    return ~np.tril(np.ones((T, T), dtype=bool))


def cm_float(T):
    return np.tril(np.ones((T, T)))


def cm_neg_inf(T):
    return np.where(np.tril(np.ones((T, T))) > 0, 0.0, -np.inf)


CASES = {
    "4_6/scaled_dot_product_attention": Spec(
        solution=sdpa_solution,
        wrong=[sdpa_unscaled, sdpa_by_d, sdpa_wrong_axis, sdpa_mask_ignored, sdpa_mask_zero,
               sdpa_mask_inverted, sdpa_dot_t, sdpa_swapped, sdpa_keys],
        messages=["not scaled", "1/d_k", "over the queries", "mask is ignored", "set to 0",
                  "inverted", "np.swapaxes", "swapped", "averages the keys"],
    ),
    "4_6/positional_encoding": Spec(
        solution=pe_solution,
        wrong=[pe_swapped, pe_exponent_j, pe_concat, pe_transposed, pe_no_return],
        messages=["sin and cos are swapped", "share the frequency", "all sines first",
                  "(depth, length)", "return"],
    ),
    "4_6/causal_mask": Spec(
        solution=cm_solution,
        wrong=[cm_upper, cm_strict, cm_inverted, cm_float, cm_neg_inf],
        messages=["upper triangle", "diagonal is False", "inverted", "booleans", "booleans"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [("4_6/scaled_dot_product_attention", tr.scaled_dot_product_attention),
                      ("4_6/positional_encoding", tr.positional_encoding),
                      ("4_6/causal_mask", tr.causal_mask)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
