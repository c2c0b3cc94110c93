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


def test_mlp_forward_equals_keras_and_names_bad_shapes() -> None:
    actor, critic = rl.build_actor_critic(4, 2, hidden=16, seed=3)
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    for model in (actor, critic):
        np.testing.assert_allclose(rl.mlp_forward(model.get_weights(), x), model(x).numpy(), atol=1e-5)
    assert critic(x).shape == (7, 1)
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(7, 3\)"):
        rl.mlp_forward(actor.get_weights(), x[:, :3])


def test_sample_actions_log_probs_match_tensorflow_and_frequencies() -> None:
    import tensorflow as tf

    logits = np.tile([[0.0, np.log(3.0)]], (20_000, 1))                 # p = (0.25, 0.75)
    a, logp = rl.sample_actions(logits, np.random.default_rng(0))
    assert abs(a.mean() - 0.75) < 0.01
    want = tf.nn.log_softmax(logits).numpy()[np.arange(len(a)), a]
    np.testing.assert_allclose(logp, want, atol=1e-12)


def test_greedy_policy_single_and_batch() -> None:
    actor, _ = rl.build_actor_critic(4, 2, seed=0)
    act = rl.greedy_policy(actor)
    x = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    batch = act(x)
    np.testing.assert_array_equal(batch, np.argmax(actor(x).numpy(), axis=1))
    assert act(x[0]) == int(batch[0]) and isinstance(act(x[0]), int)


def test_q_learning_uses_the_given_update_and_learns_frozenlake() -> None:
    env = rl.make_env("FrozenLake-v1", 0)
    calls = []

    def update(*args):                                                  # a student's version plugs in
        calls.append(args[1:3])
        return rl.q_update(*args)

    Q, returns = rl.q_learning(env, 1500, seed=0, update=update,
                               epsilon=lambda ep: max(0.05, 1 - ep / 900))
    assert len(calls) > 1500 and returns.shape == (1500,)
    P, R = rl.transition_arrays(env)
    _, V_star, _ = rl.policy_iteration(P, R, 0.99)
    V = rl.policy_evaluation(P, R, Q.argmax(axis=1), 0.99)
    assert V[0] > 0.8 * V_star[0]                                       # close to the optimum
    assert rl.policy_evaluation(P, R, np.full(16, 3), 0.99)[0] < 0.1    # "always up" is not


def test_run_bandit_exploration_beats_greedy() -> None:
    means = np.random.default_rng(7).normal(size=10)
    greedy = rl.run_bandit(means, 0.0, 500, 300, seed=0)
    eps = rl.run_bandit(means, 0.1, 500, 300, seed=0)
    assert eps["regret"][-1] < greedy["regret"][-1]
    assert np.all(np.diff(eps["regret"]) >= 0) and eps["optimal"].shape == (500,)
    uniform = rl.run_bandit(means, 1.0, 200, 300, seed=0)               # random arms: regret = gap mean
    np.testing.assert_allclose(uniform["regret"][-1] / 200, means.max() - means.mean(), rtol=0.05)


def test_train_ppo_short_run_and_its_returns_fn() -> None:
    seen = []

    def returns_fn(deltas, dones, factor):
        seen.append((deltas.shape, factor))
        return rl.discounted_returns(deltas, dones, factor)

    out = rl.train_ppo("CartPole-v1", 2048, num_envs=4, rollout=256, epochs=1, minibatches=4,
                       hidden=16, seed=0, returns_fn=returns_fn)
    assert seen == [((256, 4), pytest.approx(0.99 * 0.95))] * 2         # two updates of 4 x 256 steps
    assert out["steps"] == 2048 and len(out["episode_returns"]) == len(out["episode_ends"]) > 10
    assert np.all(out["episode_returns"] >= 8)                          # CartPole pays 1 a step, ≥ 8 steps
    act = rl.greedy_policy(out["actor"])
    assert act(np.zeros(4, np.float32)) in (0, 1)
