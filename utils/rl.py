"""Reinforcement learning of 4_2: returns, ε-greedy, Q-learning, policy iteration and PPO.

The tabular pieces are plain NumPy on small arrays: :func:`discounted_returns` (the backward
recursion ``G_t = r_t + γ (1 - done_t) G_{t+1}``, also used for GAE advantages),
:func:`epsilon_greedy`, :func:`q_update` and :func:`q_learning`, :func:`transition_arrays` +
:func:`policy_iteration` on a gymnasium toy-text MDP (FrozenLake), :func:`run_bandit` for the
multi-armed bandit. For CartPole, :func:`train_ppo` trains a Keras actor and critic with the
clipped PPO objective; the agent acts through :func:`mlp_forward`, a NumPy forward pass of the
Keras weights (one environment step is a few microseconds of NumPy instead of a TensorFlow call).
:func:`make_env` and :func:`evaluate` give seeded environments and the greedy evaluation loop.
Taught in 4_2.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


# ------------------------------------------------------------------ returns
def discounted_returns(rewards: Any, dones: Any, gamma: float, bootstrap: Any = None) -> np.ndarray:
    """Discounted returns ``G_t = r_t + gamma * (1 - done_t) * G_{t+1}``, computed backwards.

    rewards, dones: ``(T,)`` or ``(T, N)`` (time first; N parallel environments); ``done_t``
    is 1 when the episode ended at step t, so the sum starts afresh before it.
    bootstrap: the value after the last step (``(N,)`` or a number; default 0), used when the
    data stops in the middle of an episode. Returns float64 of the shape of ``rewards``.
    """
    r = np.asarray(rewards, dtype=np.float64)
    d = np.asarray(dones, dtype=np.float64)
    if r.shape != d.shape:
        raise ValueError(f"rewards {r.shape} and dones {d.shape} must have one shape (T,) or (T, N)")
    if r.ndim not in (1, 2):
        raise ValueError(f"rewards must be (T,) or (T, N), got shape {r.shape}")
    out = np.empty_like(r)
    g = np.zeros(r.shape[1:]) if bootstrap is None else np.broadcast_to(
        np.asarray(bootstrap, dtype=np.float64), r.shape[1:]).copy()
    for t in range(len(r) - 1, -1, -1):
        g = r[t] + gamma * (1.0 - d[t]) * g
        out[t] = g
    return out


# ------------------------------------------------------------------ ε-greedy and the bandit
def epsilon_greedy(q_values: Any, epsilon: float, rng: np.random.Generator) -> Any:
    """An action: with probability ``epsilon`` uniform over all actions, else the greedy one.

    q_values: ``(A,)`` -> an ``int``; ``(N, A)`` -> ``(N,)`` int64, one choice per row. Ties for
    the maximum are broken at random, so a table of zeros does not always pick action 0.
    """
    q = np.asarray(q_values, dtype=np.float64)
    if q.ndim not in (1, 2) or q.shape[-1] == 0:
        raise ValueError(f"q_values must be (A,) or (N, A) with A >= 1, got shape {q.shape}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
    if q.ndim == 1:                                                 # one state: the fast path
        if rng.random() < epsilon:
            return int(rng.integers(q.shape[0]))
        best = np.flatnonzero(q == q.max())
        return int(best[0]) if len(best) == 1 else int(rng.choice(best))
    q2 = q                                                          # (N, A)
    n, a = q2.shape
    ties = q2 == q2.max(axis=1, keepdims=True)                      # (N, A) the greedy actions
    greedy = np.argmax(ties * rng.random((n, a)), axis=1)           # a random one among ties
    explore = rng.random(n) < epsilon
    actions = np.where(explore, rng.integers(0, a, size=n), greedy)
    return actions


def run_bandit(means: Sequence[float], epsilon: float, steps: int, runs: int, seed: int = 0,
               sigma: float = 1.0) -> dict[str, np.ndarray]:
    """ε-greedy with sample-average estimates on a Gaussian K-armed bandit, ``runs`` copies at once.

    means: the arms' true mean rewards ``(K,)``; every pull of arm k pays ``N(means[k], sigma²)``.
    Returns ``reward`` ``(steps,)`` (mean over runs), ``regret`` ``(steps,)`` (cumulative expected
    regret ``Σ (max μ - μ_{a_t})``, mean over runs) and ``optimal`` ``(steps,)`` (fraction of runs
    that pulled the best arm).
    """
    mu = np.asarray(means, dtype=np.float64)
    rng = np.random.default_rng(seed)
    k = len(mu)
    q = np.zeros((runs, k))
    counts = np.zeros((runs, k))
    reward, inst_regret, optimal = np.zeros(steps), np.zeros(steps), np.zeros(steps)
    rows = np.arange(runs)
    for t in range(steps):
        a = epsilon_greedy(q, epsilon, rng)                         # (runs,)
        r = mu[a] + sigma * rng.normal(size=runs)
        counts[rows, a] += 1
        q[rows, a] += (r - q[rows, a]) / counts[rows, a]            # incremental sample average
        reward[t], inst_regret[t] = r.mean(), (mu.max() - mu[a]).mean()
        optimal[t] = (a == mu.argmax()).mean()
    return {"reward": reward, "regret": np.cumsum(inst_regret), "optimal": optimal}


# ------------------------------------------------------------------ Q-learning
def q_update(Q: np.ndarray, s: int, a: int, r: float, s_next: int, done: bool, alpha: float,
             gamma: float) -> float:
    """One Q-learning step on the table ``Q`` ``(S, A)``, in place; returns the TD error.

    ``δ = r + γ (1 - done) max_a' Q[s_next, a'] - Q[s, a]`` and ``Q[s, a] += alpha · δ``.
    """
    target = r + gamma * (1.0 - float(done)) * np.max(Q[s_next])
    delta = float(target - Q[s, a])
    Q[s, a] += alpha * delta
    return delta


def make_env(name: str, seed: int, **kwargs: Any) -> Any:
    """``gymnasium.make(name, **kwargs)`` with its first reset and its action space seeded.

    Later ``env.reset()`` calls (without a seed) continue the seeded generator, so the whole
    sequence of episodes is the same in every run.
    """
    import gymnasium as gym

    env = gym.make(name, **kwargs)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    return env


def q_learning(env: Any, episodes: int, *, alpha: float = 0.1, gamma: float = 0.99,
               epsilon: float | Callable[[int], float] = 0.1, seed: int = 0,
               update: Callable[..., Any] = q_update,
               select: Callable[..., Any] = epsilon_greedy) -> tuple[np.ndarray, np.ndarray]:
    """Tabular Q-learning on a discrete gymnasium environment: ``(Q (S, A), returns (episodes,))``.

    epsilon: a number, or a function of the episode index (a decaying schedule). ``update`` and
    ``select`` default to :func:`q_update` and :func:`epsilon_greedy` (a student's versions plug in).
    """
    n_s, n_a = env.observation_space.n, env.action_space.n
    Q = np.zeros((n_s, n_a))
    rng = np.random.default_rng(seed)
    returns = np.zeros(episodes)
    s, _ = env.reset(seed=seed)
    for ep in range(episodes):
        if ep:
            s, _ = env.reset()
        eps = epsilon(ep) if callable(epsilon) else epsilon
        done, total = False, 0.0
        while not done:
            a = int(select(Q[s], eps, rng))
            s_next, r, terminated, truncated, _ = env.step(a)
            update(Q, s, a, float(r), s_next, terminated, alpha, gamma)  # bootstrap unless terminal
            s, total, done = s_next, total + float(r), terminated or truncated
        returns[ep] = total
    return Q, returns


# ------------------------------------------------------------------ policy iteration (a known MDP)
def transition_arrays(env: Any) -> tuple[np.ndarray, np.ndarray]:
    """The model of a toy-text environment: ``P (S, A, S)`` probabilities, ``R (S, A)`` expected rewards.

    Reads ``env.unwrapped.P[s][a] = [(prob, s_next, reward, terminated), …]``; a terminal state
    keeps the agent there with reward 0 (it absorbs).
    """
    table = env.unwrapped.P
    n_s, n_a = len(table), len(table[0])
    P, R = np.zeros((n_s, n_a, n_s)), np.zeros((n_s, n_a))
    for s in range(n_s):
        for a in range(n_a):
            for prob, s2, rew, _term in table[s][a]:
                if _is_terminal(table, s):
                    continue
                P[s, a, s2] += prob
                R[s, a] += prob * rew
            if _is_terminal(table, s):
                P[s, a, s] = 1.0
    return P, R


def _is_terminal(table: Any, s: int) -> bool:
    """A state every action of which stays put with probability 1 and is marked terminal."""
    return all(len(t) == 1 and t[0][1] == s and t[0][3] for t in table[s].values())


def policy_evaluation(P: np.ndarray, R: np.ndarray, policy: np.ndarray, gamma: float) -> np.ndarray:
    """``V^π`` ``(S,)`` of a deterministic policy ``(S,)`` (ints), solving ``V = R_π + γ P_π V`` exactly."""
    n_s = len(P)
    idx = np.arange(n_s)
    P_pi, R_pi = P[idx, policy], R[idx, policy]                     # (S, S), (S,)
    return np.linalg.solve(np.eye(n_s) - gamma * P_pi, R_pi)


def q_from_v(P: np.ndarray, R: np.ndarray, V: np.ndarray, gamma: float) -> np.ndarray:
    """``Q(s, a) = R(s, a) + γ Σ_s' P(s' | s, a) V(s')`` ``(S, A)``."""
    return R + gamma * P @ V


def policy_iteration(P: np.ndarray, R: np.ndarray, gamma: float, max_iter: int = 100
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """Policy iteration: evaluate, improve greedily, until the policy is stable.

    Returns ``(policy (S,), V (S,), iterations)``. Improvement keeps the current action when it
    is among the best (up to 1e-10), so the loop ends.
    """
    if gamma >= 1.0:
        raise ValueError(f"gamma must be < 1 for the exact evaluation, got {gamma}")
    policy = np.zeros(len(P), dtype=np.int64)
    for it in range(1, max_iter + 1):
        V = policy_evaluation(P, R, policy, gamma)
        Q = q_from_v(P, R, V, gamma)
        best = Q.max(axis=1)
        keep = Q[np.arange(len(P)), policy] >= best - 1e-10
        new = np.where(keep, policy, Q.argmax(axis=1))
        if np.array_equal(new, policy):
            return policy, V, it
        policy = new
    raise RuntimeError(f"policy iteration did not settle in {max_iter} iterations")


# ------------------------------------------------------------------ evaluation
def evaluate(env: Any, policy: Callable[[np.ndarray], Any], episodes: int, seed: int = 0,
             max_steps: int | None = None) -> np.ndarray:
    """The return of each of ``episodes`` episodes ``(episodes,)`` under ``policy(obs) -> action``.

    Episode i starts from ``env.reset(seed=seed + i)``, so one policy always gets the same
    numbers. ``max_steps`` cuts an episode short (the environment's own time limit applies anyway).
    """
    returns = np.zeros(episodes)
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done, total, steps = False, 0.0, 0
        while not done:
            obs, r, terminated, truncated, _ = env.step(policy(obs))
            total, steps = total + float(r), steps + 1
            done = terminated or truncated or (max_steps is not None and steps >= max_steps)
        returns[i] = total
    return returns


def evaluate_batch(env_id: str, policy: Callable[[np.ndarray], np.ndarray], episodes: int,
                   seed: int = 0, **kwargs: Any) -> np.ndarray:
    """:func:`evaluate` for ``episodes`` copies of ``env_id`` run side by side (one vector env).

    policy: ``obs (N, D) -> actions (N,)``. Copy i starts from ``reset(seed=seed + i)``, as
    episode i of :func:`evaluate` does, so both give the same returns (tested); this one makes
    one policy call per time step for all episodes. Returns ``(episodes,)``.
    """
    import gymnasium as gym

    envs = gym.make_vec(env_id, num_envs=episodes, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}, **kwargs)
    obs, _ = envs.reset(seed=seed)
    returns, alive = np.zeros(episodes), np.ones(episodes, dtype=bool)
    while alive.any():
        obs, r, terminated, truncated, _ = envs.step(np.asarray(policy(obs)))
        returns += r * alive
        alive &= ~(terminated | truncated)                          # a copy counts its first episode only
    envs.close()
    return returns


# ------------------------------------------------------------------ networks
def mlp_forward(weights: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """A Dense-tanh-…-Dense network in NumPy: ``weights = model.get_weights()`` = [W1, b1, W2, b2, …].

    x: ``(N, D)``; tanh after every layer but the last (linear). Equals the Keras model of
    :func:`build_actor_critic` on the same weights (tested).
    """
    h = np.asarray(x, dtype=np.float32)
    if h.ndim != 2 or h.shape[1] != np.shape(weights[0])[0]:
        raise ValueError(f"x must be (N, {np.shape(weights[0])[0]}), got shape {h.shape}")
    n_layers = len(weights) // 2
    for i in range(n_layers):
        h = h @ weights[2 * i] + weights[2 * i + 1]
        if i < n_layers - 1:
            h = np.tanh(h)
    return h


def build_actor_critic(obs_dim: int, n_actions: int, hidden: int = 64, seed: int = 0) -> tuple[Any, Any]:
    """Two Keras MLPs (two tanh layers of ``hidden`` units): the actor's logits ``(N, n_actions)``
    and the critic's value ``(N, 1)``. Orthogonal initialization, the actor's last layer small
    (gain 0.01) so that the first policy is close to uniform."""
    import keras

    def mlp(out: int, gain: float, offset: int) -> Any:
        init = [keras.initializers.Orthogonal(np.sqrt(2), seed=seed + offset + i) for i in range(2)]
        return keras.Sequential([
            keras.Input((obs_dim,)),
            keras.layers.Dense(hidden, activation="tanh", kernel_initializer=init[0]),
            keras.layers.Dense(hidden, activation="tanh", kernel_initializer=init[1]),
            keras.layers.Dense(out, kernel_initializer=keras.initializers.Orthogonal(gain, seed=seed + offset + 2)),
        ])

    return mlp(int(n_actions), 0.01, 0), mlp(1, 1.0, 10)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def sample_actions(logits: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One action per row from ``softmax(logits)`` ``(N, A)``: ``(actions (N,), log π(a|s) (N,))``."""
    logp = _log_softmax(np.asarray(logits, dtype=np.float64))
    cum = np.cumsum(np.exp(logp), axis=1)
    u = rng.random((len(logp), 1))
    a = np.minimum((u > cum).sum(axis=1), logp.shape[1] - 1)
    return a, logp[np.arange(len(a)), a]


def greedy_policy(actor: Any) -> Callable[[np.ndarray], Any]:
    """``obs -> argmax_a logits`` of a Keras actor, through :func:`mlp_forward`: one state
    ``(D,)`` gives an ``int``, a batch ``(N, D)`` an ``(N,)`` array."""
    weights = actor.get_weights()

    def act(obs: np.ndarray) -> Any:
        x = np.asarray(obs)
        a = np.argmax(mlp_forward(weights, x.reshape(-1, x.shape[-1])), axis=1)
        return int(a[0]) if x.ndim == 1 else a

    return act


# ------------------------------------------------------------------ PPO
def train_ppo(env_id: str = "CartPole-v1", total_steps: int = 200_000, *, num_envs: int = 8,
              rollout: int = 128, epochs: int = 4, minibatches: int = 8, lr: float = 2.5e-4,
              gamma: float = 0.99, lam: float = 0.95, clip: float = 0.2, vf_coef: float = 0.5,
              ent_coef: float = 0.01, max_grad_norm: float = 0.5, hidden: int = 64, seed: int = 0,
              returns_fn: Callable[..., Any] = discounted_returns, log_every: int = 0) -> dict[str, Any]:
    """Train an actor and a critic with PPO (clipped surrogate, GAE advantages) on ``num_envs``
    copies of ``env_id``.

    Every update collects ``rollout`` steps of each environment with the current policy
    (NumPy forward of the actor), computes GAE advantages ``A_t = δ_t + γλ (1 - done_t) A_{t+1}``
    with ``returns_fn`` (the discounted-return recursion with factor γλ on the TD errors δ),
    then runs ``epochs`` passes of ``minibatches`` Adam steps of the loss
    ``-min(ρA, clip(ρ, 1 ± clip) A) + vf_coef (G - V)² - ent_coef H(π)``, ``ρ = π/π_old``.
    The learning rate falls linearly to 0. An episode cut by the time limit is bootstrapped with
    the critic's value of its last state. Returns the models, the return and the final step of
    every finished training episode, and the wall time.
    """
    import gymnasium as gym
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    obs_dim, n_actions = int(envs.single_observation_space.shape[0]), int(envs.single_action_space.n)
    actor, critic = build_actor_critic(obs_dim, n_actions, hidden, seed)
    params = actor.trainable_variables + critic.trainable_variables
    opt = keras.optimizers.Adam(learning_rate=lr, epsilon=1e-5, global_clipnorm=max_grad_norm)
    opt.build(params)

    @tf.function(reduce_retracing=True)
    def train_step(obs, act, logp_old, adv, ret):  # (B, D), (B,), (B,), (B,), (B,)
        adv = (adv - tf.reduce_mean(adv)) / (tf.math.reduce_std(adv) + 1e-8)
        with tf.GradientTape() as tape:
            logp_all = tf.nn.log_softmax(actor(obs, training=True))           # (B, A)
            logp = tf.gather(logp_all, act, batch_dims=1)                       # (B,)
            ratio = tf.exp(logp - logp_old)
            pg_loss = -tf.reduce_mean(tf.minimum(ratio * adv,
                                                 tf.clip_by_value(ratio, 1 - clip, 1 + clip) * adv))
            v_loss = tf.reduce_mean(tf.square(ret - tf.squeeze(critic(obs, training=True), 1)))
            entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(logp_all) * logp_all, axis=1))
            loss = pg_loss + vf_coef * v_loss - ent_coef * entropy
        opt.apply(tape.gradient(loss, params), params)
        return pg_loss, v_loss, entropy

    n_updates = max(1, total_steps // (num_envs * rollout))
    batch = num_envs * rollout
    mb = batch // minibatches
    obs, _ = envs.reset(seed=seed)
    ep_ret, ep_returns, ep_ends = np.zeros(num_envs), [], []
    buf_obs = np.zeros((rollout, num_envs, obs_dim), np.float32)
    buf_act = np.zeros((rollout, num_envs), np.int64)
    buf_logp, buf_rew, buf_done, buf_val = (np.zeros((rollout, num_envs)) for _ in range(4))
    buf_next_val = np.zeros((rollout, num_envs))
    start, step = time.perf_counter(), 0
    for update in range(n_updates):
        opt.learning_rate = lr * (1.0 - update / n_updates)
        wa, wc = actor.get_weights(), critic.get_weights()
        for t in range(rollout):
            a, logp = sample_actions(mlp_forward(wa, obs), rng)
            val = mlp_forward(wc, obs)[:, 0]
            nxt, r, term, trunc, info = envs.step(a)
            done = term | trunc
            step += num_envs
            r = r.astype(np.float64)
            ep_ret += r
            next_val = mlp_forward(wc, nxt)[:, 0].astype(np.float64)
            if done.any():
                final = np.stack([info["final_obs"][i] for i in np.flatnonzero(done)])
                fv = mlp_forward(wc, final)[:, 0]
                # cut by the time limit, not failed: the value of the last state bootstraps
                r[done] += gamma * fv * (trunc[done] & ~term[done])
                for i in np.flatnonzero(done):
                    ep_returns.append(ep_ret[i])
                    ep_ends.append(step)
                    ep_ret[i] = 0.0
            buf_obs[t], buf_act[t], buf_logp[t], buf_rew[t] = obs, a, logp, r
            buf_done[t], buf_val[t], buf_next_val[t] = done, val, next_val
            obs = nxt
        deltas = buf_rew + gamma * (1 - buf_done) * buf_next_val - buf_val          # (T, N)
        adv = returns_fn(deltas, buf_done, gamma * lam)                              # (T, N)
        ret = adv + buf_val
        flat = [x.reshape(batch, *x.shape[2:]) for x in (buf_obs, buf_act, buf_logp, adv, ret)]
        flat[2:] = [x.astype(np.float32) for x in flat[2:]]
        for _ in range(epochs):
            perm = rng.permutation(batch)
            for k in range(minibatches):
                idx = perm[k * mb:(k + 1) * mb]
                train_step(*(tf.constant(x[idx]) for x in flat))
        if log_every and (update + 1) % log_every == 0 and ep_returns:
            print(f"step {step:>7}: mean return of the last 20 episodes {np.mean(ep_returns[-20:]):6.1f}, "
                  f"{time.perf_counter() - start:5.1f} s")
    envs.close()
    return {"actor": actor, "critic": critic, "episode_returns": np.array(ep_returns),
            "episode_ends": np.array(ep_ends), "seconds": time.perf_counter() - start, "steps": step}
