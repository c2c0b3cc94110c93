"""utils.rl: discounted returns by hand, ε-greedy frequencies, evaluation, seeding, policy iteration."""

from __future__ import annotations

import numpy as np
import pytest

from utils import rl


def test_discounted_returns_by_hand() -> None:
    g = rl.discounted_returns([1.0, 1.0, 1.0], [0, 0, 1], 0.9)
    np.testing.assert_allclose(g, [2.71, 1.9, 1.0])
    g = rl.discounted_returns([1.0, 0.0, 2.0, 1.0, 3.0], [0, 1, 0, 0, 1], 0.5)  # two episodes
    np.testing.assert_allclose(g, [1.0, 0.0, 3.25, 2.5, 3.0])
    g = rl.discounted_returns([1.0, 2.0], [0, 0], 0.5, bootstrap=4.0)             # cut mid-episode
    np.testing.assert_allclose(g, [1.0 + 0.5 * 4.0, 4.0])


def test_discounted_returns_columns_and_errors() -> None:
    r = np.array([[1.0, 2.0], [3.0, 4.0]])
    d = np.array([[1, 0], [0, 0]])
    np.testing.assert_allclose(rl.discounted_returns(r, d, 0.5), [[1.0, 4.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        rl.discounted_returns([1, 2, 3], [0, 1], 0.9)


def test_epsilon_greedy_frequencies() -> None:
    rng = np.random.default_rng(0)
    q = np.array([0.0, 2.0, 1.0, -1.0])
    a = rl.epsilon_greedy(np.tile(q, (20_000, 1)), 0.2, rng)                      # (N,)
    freq = np.bincount(a, minlength=4) / len(a)
    np.testing.assert_allclose(freq, [0.05, 0.85, 0.05, 0.05], atol=0.01)
    single = [rl.epsilon_greedy(q, 0.0, rng) for _ in range(20)]
    assert single == [1] * 20
    ties = [rl.epsilon_greedy(np.zeros(3), 0.0, rng) for _ in range(300)]        # random tie-breaking
    assert set(ties) == {0, 1, 2}
    with pytest.raises(ValueError, match="epsilon"):
        rl.epsilon_greedy(q, 1.5, rng)


def test_q_update() -> None:
    Q = np.zeros((3, 2))
    Q[2] = [1.0, 3.0]
    delta = rl.q_update(Q, 0, 1, 1.0, 2, False, 0.5, 0.9)
    assert delta == pytest.approx(1.0 + 0.9 * 3.0)
    assert Q[0, 1] == pytest.approx(0.5 * 3.7)
    assert rl.q_update(Q, 1, 0, 2.0, 2, True, 1.0, 0.9) == pytest.approx(2.0)  # terminal: no bootstrap


def test_evaluate_fixed_policy_and_seeding() -> None:
    env = rl.make_env("CartPole-v1", 0)
    left = rl.evaluate(env, lambda obs: 0, 5, seed=3)
    assert np.all((left >= 8) & (left <= 12))                                     # always pushing left falls fast
    np.testing.assert_array_equal(left, rl.evaluate(env, lambda obs: 0, 5, seed=3))
    np.testing.assert_array_equal(left, rl.evaluate_batch("CartPole-v1", lambda obs: np.zeros(len(obs), int), 5, seed=3))


def test_policy_iteration_frozenlake() -> None:
    env = rl.make_env("FrozenLake-v1", 0)
    P, R = rl.transition_arrays(env)
    np.testing.assert_allclose(P.sum(axis=2), 1.0)
    policy, V, _ = rl.policy_iteration(P, R, 0.99)
    Q = rl.q_from_v(P, R, V, 0.99)
    np.testing.assert_allclose(Q.max(axis=1), V, atol=1e-8)                      # Bellman optimality
    assert 0.5 < V[0] < 0.6
