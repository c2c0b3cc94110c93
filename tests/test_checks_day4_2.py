"""Checkers of 4_2: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, rl


# ------------------------------------------------------------------ epsilon_greedy
def eg_solution(q_values, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


def eg_solution_choice(q_values, epsilon, rng):  # other generator calls, the same distribution
    explore = rng.uniform() <= epsilon
    return int(rng.choice(len(q_values))) if explore else int(q_values.argmax())


def eg_inverted(q_values, epsilon, rng):
    if rng.random() < 1 - epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


def eg_excludes_greedy(q_values, epsilon, rng):
    best = int(np.argmax(q_values))
    if rng.random() < epsilon:
        others = [a for a in range(len(q_values)) if a != best]
        return int(rng.choice(others))
    return best


def eg_argmin(q_values, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmin(q_values))


def eg_returns_value(q_values, epsilon, rng):
    if rng.random() < epsilon:
        return float(q_values[rng.integers(len(q_values))])
    return float(np.max(q_values))


def eg_ignores_epsilon(q_values, epsilon, rng):
    return int(np.argmax(q_values))


def eg_off_by_one(q_values, epsilon, rng):  # rng.integers(A - 1) never picks the last action
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values) - 1))
    return int(np.argmax(q_values))


# ------------------------------------------------------------------ q_update
def qu_solution(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * (1 - done) * Q[s_next].max() - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


def qu_current_state_max(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * (1 - done) * Q[s].max() - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


def qu_no_done(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * Q[s_next].max() - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


def qu_sign(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * (1 - done) * Q[s_next].max() - Q[s, a]
    Q[s, a] -= alpha * delta
    return delta


def qu_sarsa_like(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * (1 - done) * Q[s_next, a] - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


def qu_not_in_place(Q, s, a, r, s_next, done, alpha, gamma):
    new = Q.copy()
    new[s, a] += alpha * (r + gamma * (1 - done) * Q[s_next].max() - Q[s, a])
    return new


def qu_returns_new_value(Q, s, a, r, s_next, done, alpha, gamma):
    Q[s, a] += alpha * (r + gamma * (1 - done) * Q[s_next].max() - Q[s, a])
    return Q[s, a]


def qu_no_return(Q, s, a, r, s_next, done, alpha, gamma):
    Q[s, a] += alpha * (r + gamma * (1 - done) * Q[s_next].max() - Q[s, a])


def qu_whole_row(Q, s, a, r, s_next, done, alpha, gamma):
    delta = r + gamma * (1 - done) * Q[s_next].max() - Q[s, a]
    Q[s] += alpha * delta
    return delta


# ------------------------------------------------------------------ discounted_returns
def dr_solution(rewards, dones, gamma):
    out = np.zeros_like(rewards, dtype=float)
    g = np.zeros_like(rewards[0], dtype=float)
    for t in reversed(range(len(rewards))):
        g = rewards[t] + gamma * (1 - dones[t]) * g
        out[t] = g
    return out


def dr_no_gamma(rewards, dones, gamma):
    return dr_solution(rewards, dones, 1.0)


def dr_no_reset(rewards, dones, gamma):
    return dr_solution(rewards, np.zeros_like(rewards), gamma)


def dr_forward(rewards, dones, gamma):
    out = np.zeros_like(rewards, dtype=float)
    g = np.zeros_like(rewards[0], dtype=float)
    for t in range(len(rewards)):
        g = rewards[t] + gamma * g
        out[t] = g
        g = g * (1 - dones[t])
    return out


def dr_reset_late(rewards, dones, gamma):
    out = np.zeros_like(rewards, dtype=float)
    g = np.zeros_like(rewards[0], dtype=float)
    for t in reversed(range(len(rewards))):
        prev_done = dones[t - 1] if t > 0 else 0
        g = rewards[t] + gamma * (1 - prev_done) * g
        out[t] = g
    return out


def dr_first_only(rewards, dones, gamma):
    return dr_solution(rewards, dones, gamma)[0]


def dr_in_place(rewards, dones, gamma):
    for t in reversed(range(len(rewards) - 1)):
        rewards[t] = rewards[t] + gamma * (1 - dones[t]) * rewards[t + 1]
    return rewards


CASES = {
    "4_2/epsilon_greedy": Spec(
        solution=eg_solution,
        wrong=[eg_inverted, eg_excludes_greedy, eg_argmin, eg_returns_value, eg_ignores_epsilon,
               eg_off_by_one],
        messages=["not 1 - epsilon", "greedy one included", "np.argmax", "not its value",
                  "every choice must be random", "frequencies"],
    ),
    "4_2/q_update": Spec(
        solution=qu_solution,
        wrong=[qu_current_state_max, qu_no_done, qu_sign, qu_sarsa_like, qu_not_in_place,
               qu_returns_new_value, qu_no_return, qu_whole_row],
        messages=["current state", "(1 - done)", "sign is flipped", "SARSA", "in place",
                  "returned the new Q[s, a]", "returned None", "other than"],
    ),
    "4_2/discounted_returns": Spec(
        solution=dr_solution,
        wrong=[dr_no_gamma, dr_no_reset, dr_forward, dr_reset_late, dr_first_only, dr_in_place],
        messages=["gamma is missing", "across an episode end", "runs forwards", "one step off",
                  "first step only", "changed its input"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [("4_2/epsilon_greedy", rl.epsilon_greedy), ("4_2/q_update", rl.q_update),
                      ("4_2/discounted_returns", rl.discounted_returns),
                      ("4_2/epsilon_greedy", eg_solution_choice)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message


def test_epsilon_greedy_accepts_other_seeds() -> None:
    """The tolerance is wide enough: a right answer with another generator passes its cases."""
    for seed in range(2):
        own = np.random.default_rng(seed)
        rec = run("4_2/epsilon_greedy", lambda q, e, rng, own=own: eg_solution(q, e, own))
        assert rec.status == checks.PASS, rec.message
