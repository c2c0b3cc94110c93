"""Checkers of 4_3: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, games


# ------------------------------------------------------------------ puct_score
def ps_solution(q, prior, n_parent, n_child, c_puct=1.5):
    return np.asarray(q) + c_puct * np.asarray(prior) * np.sqrt(n_parent) / (1 + np.asarray(n_child))


def ps_no_one(q, prior, n_parent, n_child, c_puct=1.5):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(q) + c_puct * np.asarray(prior) * np.sqrt(n_parent) / np.asarray(n_child, dtype=float)


def ps_no_sqrt(q, prior, n_parent, n_child, c_puct=1.5):
    return np.asarray(q) + c_puct * np.asarray(prior) * n_parent / (1 + np.asarray(n_child))


def ps_child_on_top(q, prior, n_parent, n_child, c_puct=1.5):
    n_child = np.asarray(n_child)
    return np.asarray(q) + c_puct * np.asarray(prior) * np.sqrt(n_parent) * n_child / (1 + n_child)


def ps_no_prior(q, prior, n_parent, n_child, c_puct=1.5):
    return np.asarray(q) + c_puct * np.sqrt(n_parent) / (1 + np.asarray(n_child))


def ps_no_q(q, prior, n_parent, n_child, c_puct=1.5):
    return c_puct * np.asarray(prior) * np.sqrt(n_parent) / (1 + np.asarray(n_child))


def ps_sqrt_of_ratio(q, prior, n_parent, n_child, c_puct=1.5):
    return np.asarray(q) + c_puct * np.asarray(prior) * np.sqrt(n_parent / (1 + np.asarray(n_child)))


# ------------------------------------------------------------------ mcts_select
def sel_solution(q, prior, n, legal, c_puct=1.5):
    score = games.puct_score(q, prior, n.sum(), n, c_puct)
    return int(np.argmax(np.where(legal, score, -np.inf)))


def sel_by_visits(q, prior, n, legal, c_puct=1.5):
    return int(np.argmax(np.where(legal, n, -np.inf)))


def sel_by_prior(q, prior, n, legal, c_puct=1.5):
    return int(np.argmax(np.where(legal, prior, -np.inf)))


def sel_illegal(q, prior, n, legal, c_puct=1.5):
    return int(np.argmax(games.puct_score(q, prior, n.sum(), n, c_puct)))


def sel_last_tie(q, prior, n, legal, c_puct=1.5):
    score = np.where(legal, games.puct_score(q, prior, n.sum(), n, c_puct), -np.inf)
    best = None
    for m in range(9):
        if legal[m] and (best is None or score[m] >= score[best]):
            best = m
    return best


def sel_all_scores(q, prior, n, legal, c_puct=1.5):
    return np.where(legal, games.puct_score(q, prior, n.sum(), n, c_puct), -np.inf)


def sel_no_return(q, prior, n, legal, c_puct=1.5):
    np.argmax(games.puct_score(q, prior, n.sum(), n, c_puct))


CASES = {
    "4_3/puct_score": Spec(
        solution=ps_solution,
        wrong=[ps_no_one, ps_no_sqrt, ps_child_on_top, ps_no_prior, ps_no_q, ps_sqrt_of_ratio],
        messages=["1 + N_child", "square root is missing", "denominator", "prior is left out",
                  "Q is missing", "covers only N_parent"],
    ),
    "4_3/mcts_select": Spec(
        solution=sel_solution,
        wrong=[sel_by_visits, sel_by_prior, sel_illegal, sel_last_tie, sel_all_scores, sel_no_return],
        messages=["most visited", "largest prior", "illegal", "lowest index", "shape (9,)", "return"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [("4_3/puct_score", games.puct_score), ("4_3/mcts_select", games.puct_select)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
