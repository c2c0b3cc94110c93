"""Checkers of 3_6: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, nn


# ------------------------------------------------------------------ dot_product_attention
def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def att_solution(query, key, value, mask=None):
    scores = query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)
    weights = _softmax(scores)
    return weights @ value, weights


def att_unscaled(query, key, value, mask=None):
    scores = query @ key.transpose(0, 2, 1)
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -1e9)
    weights = _softmax(scores)
    return weights @ value, weights


def att_wrong_axis(query, key, value, mask=None):
    scores = query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -1e9)
    weights = _softmax(scores, axis=1)
    return weights @ value, weights


def att_mask_ignored(query, key, value, mask=None):
    weights = _softmax(query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1]))
    return weights @ value, weights


def att_mask_after_softmax(query, key, value, mask=None):
    weights = _softmax(query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1]))
    if mask is not None:
        weights = weights * mask[:, None, :]
    return weights @ value, weights


def att_mask_zero_scores(query, key, value, mask=None):
    scores = query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, 0.0)
    weights = _softmax(scores)
    return weights @ value, weights


def att_scale_by_d(query, key, value, mask=None):
    scores = query @ key.transpose(0, 2, 1) / query.shape[-1]
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -1e9)
    weights = _softmax(scores)
    return weights @ value, weights


def att_unstable(query, key, value, mask=None):
    with np.errstate(over="ignore", invalid="ignore"):
        scores = query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1])
        e = np.exp(scores)
        if mask is not None:
            e = e * mask[:, None, :]
        weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ value, weights


def att_swapped(query, key, value, mask=None):
    context, weights = att_solution(query, key, value, mask)
    return weights, context


def att_transposed(query, key, value, mask=None):
    _, weights = att_solution(query, key, value, mask)
    return weights @ value, weights.transpose(0, 2, 1)


def att_context_from_keys(query, key, value, mask=None):
    _, weights = att_solution(query, key, value, mask)
    return weights @ key, weights


def att_weights_only(query, key, value, mask=None):
    return att_solution(query, key, value, mask)[1]


# ------------------------------------------------------------------ recursive_combine
def rc_solution(left, right, W):
    return np.tanh(W.dot(np.concatenate([left, right])))


def rc_no_tanh(left, right, W):
    return W.dot(np.concatenate([left, right]))


def rc_swapped(left, right, W):
    return np.tanh(W.dot(np.concatenate([right, left])))


def rc_sum(left, right, W):
    return np.tanh(W.dot(left + right))  # W is (d, 2d): a shape error


def rc_sum_half(left, right, W):
    return np.tanh(W[:, :len(left)].dot(left + right))


def rc_product(left, right, W):
    return np.tanh(W[:, :len(left)].dot(left * right))


def rc_no_w(left, right, W):
    return np.tanh(np.concatenate([left, right]))


def rc_stack(left, right, W):
    return np.tanh(W.dot(np.stack([left, right])))  # (d, 2d) @ (2, d): a shape error


def rc_no_return(left, right, W):
    np.tanh(W.dot(np.concatenate([left, right])))


CASES = {
    "3_6/dot_product_attention": Spec(
        solution=att_solution,
        wrong=[att_unscaled, att_wrong_axis, att_mask_ignored, att_mask_after_softmax,
               att_mask_zero_scores, att_scale_by_d, att_unstable, att_swapped, att_transposed,
               att_context_from_keys, att_weights_only],
        messages=["not scaled", "over the queries", "mask is ignored", "normalizing again",
                  "set to 0", "1/d", "NaN or inf", "swapped", "(N, Tk, Tq)", "averages the keys",
                  "two arrays"],
    ),
    "3_6/recursive_combine": Spec(
        solution=rc_solution,
        wrong=[rc_no_tanh, rc_swapped, rc_sum, rc_sum_half, rc_product, rc_no_w, rc_stack,
               rc_no_return],
        messages=["activation is missing", "children are swapped", "raised ValueError",
                  "left + right", "element-wise product", "2d", "raised ValueError", "return"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [("3_6/dot_product_attention", lambda q, k, v, mask=None: nn.dot_product_attention(q, k, v, mask)),
                      ("3_6/recursive_combine", nn.recursive_combine)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
