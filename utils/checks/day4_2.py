"""Checkers of 4_2 reinforcement learning: ε-greedy, the Q-learning update, discounted returns.

``epsilon_greedy(q_values, epsilon, rng)`` returns one action (an int). Its randomness is
checked statistically but deterministically: each case hands the student a
``np.random.default_rng(seed)`` with a fixed seed and counts the actions of a few thousand
calls; the expected frequencies (greedy ``1 - ε + ε/A``, every other action ``ε/A``) get a
tolerance of more than four standard deviations, while the usual slips (exploring with
probability ``1 - ε``, a random action that excludes the greedy one, the argmin) miss by far
more. ``q_update(Q, s, a, r, s_next, done, alpha, gamma)`` changes ``Q[s, a]`` in place and
returns the TD error; ``discounted_returns(rewards, dones, gamma)`` is the backward recursion
``G_t = r_t + γ (1 - done_t) G_{t+1}`` on ``(T,)`` or ``(T, N)`` arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_shape
from utils.rl import discounted_returns as _returns
from utils.rl import epsilon_greedy as _eps_greedy
from utils.rl import q_update as _q_update


# ------------------------------------------------------------------ epsilon_greedy
def _action(out: Any, n_actions: int, q: np.ndarray) -> int:
    """The student's answer as an action index, or an AssertionError saying what is wrong."""
    if out is None:
        raise AssertionError("epsilon_greedy returned None: did you forget `return`?")
    if np.ndim(out) != 0:
        raise AssertionError(f"epsilon_greedy returned an array of shape {np.shape(out)}: return one "
                             "action, an int between 0 and A - 1")
    try:
        value = float(out)
    except (TypeError, ValueError):
        raise AssertionError(f"epsilon_greedy returned {type(out).__name__}, expected an int "
                             "(the index of an action)") from None
    if value != int(value) or not 0 <= value < n_actions:
        hint = (" It is one of the Q-values: return the index of the action (np.argmax), not its value."
                if np.any(np.isclose(value, q)) else "")
        raise AssertionError(f"epsilon_greedy returned {value:g}, expected an action index 0 … "
                             f"{n_actions - 1}.{hint}")
    return int(value)


def _frequencies(fn: Any, q: np.ndarray, epsilon: float, seed: int, n: int) -> np.ndarray:
    """The fraction of ``n`` calls that chose each action, all calls sharing one seeded rng."""
    rng = _h.rng(seed)
    counts = np.zeros(len(q))
    for _ in range(n):
        counts[_action(fn(q.copy(), epsilon, rng), len(q), q)] += 1
    return counts / n


def _check_frequencies(fn: Any, q: np.ndarray, epsilon: float, seed: int, n: int) -> None:
    A, best = len(q), int(np.argmax(q))
    freq = _frequencies(fn, q, epsilon, seed, n)
    want = np.full(A, epsilon / A)
    want[best] += 1 - epsilon
    tol = max(4.5 * np.sqrt(want.max() * (1 - want.max()) / n), 0.01)
    if np.all(np.abs(freq - want) <= tol):
        return
    got = ", ".join(f"{f:.3f}" for f in freq)
    exp = ", ".join(f"{w:.3f}" for w in want)
    msg = (f"with epsilon = {epsilon} and {A} actions (greedy action {best}) the {n} choices had the "
           f"frequencies [{got}], expected about [{exp}] (± {tol:.3f})")
    other = np.delete(freq, best)
    if 0 < epsilon < 0.5 and abs(freq[best] - (epsilon + (1 - epsilon) / A)) <= tol:
        msg += ("\n    Hint: the greedy action is chosen too rarely: explore with probability "
                "epsilon (rng.random() < epsilon), not 1 - epsilon")
    elif epsilon > 0 and abs(freq[best] - (1 - epsilon)) <= tol and np.all(np.abs(other - epsilon / (A - 1)) <= tol):
        msg += ("\n    Hint: the random action never repeats the greedy one: explore uniformly over "
                "all A actions (rng.integers(A)), the greedy one included")
    elif epsilon >= 1 and freq[best] > 1 - tol:
        msg += ("\n    Hint: with epsilon = 1 every choice must be random: explore when "
                "rng.random() < epsilon")
    elif freq[int(np.argmin(q))] > 0.5:
        msg += "\n    Hint: the greedy action is the one with the largest Q-value (np.argmax)"
    raise AssertionError(msg)


epsilon_greedy = Checker(
    "4_2",
    "epsilon_greedy",
    reference=_eps_greedy,
    doc="epsilon_greedy: with probability epsilon a uniformly random action (any of the A), "
        "otherwise argmax q_values.",
)


@epsilon_greedy.case("epsilon = 0: always the action with the largest Q-value")
def _(fn: Any) -> None:
    q = np.array([0.2, -0.1, 0.9, 0.4])
    rng = _h.rng(421)
    for _ in range(50):
        a = _action(fn(q.copy(), 0.0, rng), len(q), q)
        if a != 2:
            hint = (" That is the smallest Q-value: the greedy action is np.argmax(q_values)"
                    if a == int(np.argmin(q)) else "")
            raise AssertionError(f"with epsilon = 0 and q_values {q.tolist()} the action must be 2 "
                                 f"(the largest value), got {a}.{hint}")


@epsilon_greedy.case("epsilon = 1: every action equally often, the greedy one included")
def _(fn: Any) -> None:
    _check_frequencies(fn, np.array([1.0, 3.0, -2.0, 0.5]), 1.0, 422, 800)


@epsilon_greedy.case("epsilon = 0.3, three actions: greedy 1 - ε + ε/A = 0.8, the others ε/A each")
def _(fn: Any) -> None:
    _check_frequencies(fn, np.array([0.3, 1.2, -0.4]), 0.3, 423, 1000)


@epsilon_greedy.case("epsilon = 0.1, two actions, the greedy one is the last")
def _(fn: Any) -> None:
    _check_frequencies(fn, np.array([-1.0, 2.0]), 0.1, 424, 500)


# ------------------------------------------------------------------ q_update
def _table(seed: int, S: int = 5, A: int = 3) -> np.ndarray:
    return np.round(_h.rng(seed).normal(size=(S, A)), 2)


def _q_hints(Q: np.ndarray, s: int, a: int, r: float, s2: int, done: bool, alpha: float,
             gamma: float) -> list[tuple[Any, str]]:
    nd = 1.0 - float(done)

    def after(target: float, sign: float = 1.0, step: float = alpha) -> np.ndarray:
        out = Q.copy()
        out[s, a] += sign * step * (target - Q[s, a])
        return out

    return [
        (after(r + gamma * nd * Q[s].max()), "the target uses the max over the current state Q[s]: "
                                             "it is the max over the next state, Q[s_next].max()"),
        (after(r + gamma * Q[s2].max()), "a terminal step (done) must not bootstrap: multiply "
                                         "gamma * max Q[s_next] by (1 - done)"),
        (after(r + gamma * nd * Q[s2].max(), sign=-1.0), "the sign is flipped: Q[s, a] moves towards the "
                                                          "target, Q[s, a] += alpha * (target - Q[s, a])"),
        (after(r + gamma * nd * Q[s2, a]), "Q[s_next, a] is SARSA-like: Q-learning takes the max over the "
                                           "next state's actions, Q[s_next].max()"),
        (after(r + gamma * nd * Q[s2].max(), step=1.0), "alpha is missing: the table moves only a "
                                                         "fraction alpha of the way to the target"),
        (after(r + nd * Q[s2].max()), "gamma is missing: the next state's value is discounted by gamma"),
        (after(r + gamma * nd * Q[s2].mean()), "the mean over the next actions is expected SARSA: "
                                               "Q-learning takes the max"),
    ]


def _check_q(fn: Any, Q: np.ndarray, s: int, a: int, r: float, s2: int, done: bool, alpha: float,
             gamma: float) -> None:
    want_Q = Q.copy()
    want_delta = _q_update(want_Q, s, a, r, s2, done, alpha, gamma)
    table = Q.copy()
    out = _h.call(fn, table, s, a, r, s2, done, alpha, gamma)
    if np.ndim(out) != 0:
        raise AssertionError(f"q_update returned an array of shape {np.shape(out)}: change Q in place "
                             "(Q[s, a] += …) and return the TD error δ, one number")
    if np.array_equal(table, Q) and not np.isclose(want_delta, 0):
        if out is not None and _h.close(out, want_Q[s, a]):
            raise AssertionError("Q was not changed: the new value was returned instead. Write it into "
                                 "the table, Q[s, a] += alpha * delta, and return delta")
        raise AssertionError(f"Q was not changed: update Q[{s}, {a}] in place (Q[s, a] += alpha * delta)")
    changed = np.argwhere(~np.isclose(table, Q))
    if len(changed) and any(tuple(int(i) for i in c) != (s, a) for c in changed):
        where = ", ".join(str(tuple(int(i) for i in c)) for c in changed[:4])
        raise AssertionError(f"entries other than Q[{s}, {a}] changed (at {where}): one step updates "
                             "only the pair (s, a) that was tried")
    _h.with_hint(lambda: assert_close(table, want_Q, name="Q after the update"), table,
                 _q_hints(Q, s, a, r, s2, done, alpha, gamma))
    if out is None:
        raise AssertionError("Q is right, but q_update returned None: return the TD error "
                             "delta = target - Q[s, a] (before the update)")
    if _h.close(out, want_Q[s, a]):
        raise AssertionError("q_update returned the new Q[s, a]: return the TD error delta = "
                             "target - Q[s, a], computed before the update")
    if _h.close(out, alpha * want_delta):
        raise AssertionError("q_update returned alpha * delta: return delta itself")
    assert_close(out, want_delta, name="the TD error δ")


q_update = Checker(
    "4_2",
    "q_update",
    reference=_q_update,
    doc="q_update: delta = r + gamma (1 - done) max Q[s_next] - Q[s, a]; Q[s, a] += alpha delta; return delta.",
)


@q_update.case("a step into a non-terminal state: target r + γ max_a' Q[s_next, a']")
def _(fn: Any) -> None:
    _check_q(fn, _table(431), 1, 2, 0.5, 3, False, 0.1, 0.9)


@q_update.case("a terminal step (done): the target is the reward alone")
def _(fn: Any) -> None:
    _check_q(fn, _table(432), 0, 1, 1.0, 4, True, 0.5, 0.99)


@q_update.case("the next state is the same state; a negative reward")
def _(fn: Any) -> None:
    Q = _table(433, S=4, A=4)
    Q[2] = [0.3, -0.2, 0.8, 0.1]
    _check_q(fn, Q, 2, 0, -1.0, 2, False, 0.25, 0.95)


# ------------------------------------------------------------------ discounted_returns
def _forward(r: np.ndarray, d: np.ndarray, gamma: float) -> np.ndarray:
    out, g = np.zeros_like(r), np.zeros_like(r[0])
    for t in range(len(r)):
        g = r[t] + gamma * g
        out[t] = g
        g = g * (1 - d[t])
    return out


def _no_reset(r: np.ndarray, d: np.ndarray, gamma: float) -> np.ndarray:
    return _returns(r, np.zeros_like(d), gamma)


def _shift(d: np.ndarray) -> np.ndarray:
    """dones[t - 1] at step t (0 at t = 0)."""
    out = np.zeros_like(d, dtype=np.float64)
    out[1:] = d[:-1]
    return out


def _ret_hints(r: np.ndarray, d: np.ndarray, gamma: float) -> list[tuple[Any, str]]:
    return [
        (_returns(r, d, 1.0), "gamma is missing: every later reward is discounted, "
                              "G_t = r_t + gamma * (1 - done_t) * G_{t+1}"),
        (_no_reset(r, d, gamma), "the sum runs on across an episode end: multiply G_{t+1} by "
                                 "(1 - done_t), so a new episode starts from 0"),
        (_forward(r, d, gamma), "the sum runs forwards (past rewards): G_t adds the rewards from t "
                                "on; loop backwards, t = T-1 … 0"),
        (_forward(r, np.zeros_like(d), gamma), "the sum runs forwards and across episode ends: "
                                               "loop backwards over t and reset at done"),
        (_returns(r, _shift(d), gamma), "the reset is one step off: done_t ends the episode after "
                                        "reward r_t, so it cuts G_{t+1} out of G_t (use dones[t], "
                                        "not dones[t - 1])"),
        (_returns(r, d, gamma) - r, "G_t includes the reward r_t of step t itself"),
    ]


def _check_returns(fn: Any, rewards: np.ndarray, dones: np.ndarray, gamma: float) -> None:
    want = _returns(rewards, dones, gamma)
    r_in, d_in = rewards.copy(), dones.copy()
    out = _h.call(fn, r_in, d_in, gamma)
    if out is None:
        raise AssertionError("discounted_returns returned None: did you forget `return`?")
    if not (np.array_equal(r_in, rewards) and np.array_equal(d_in, dones)):
        raise AssertionError("discounted_returns changed its input arrays: write the returns into a "
                             "new array (np.zeros_like(rewards, dtype=float))")
    out = np.asarray(out)
    if out.ndim == want.ndim - 1 and want.ndim and _h.close(out, want[0]):
        raise AssertionError(f"returned shape {out.shape}, the return of the first step only: return "
                             f"G_t for every step, shape {want.shape}")
    expect_shape(out, want.shape, "the returns (same shape as rewards)")
    _h.with_hint(lambda: assert_close(out, want, name="the returns G"), out, _ret_hints(rewards, dones, gamma))


discounted_returns = Checker(
    "4_2",
    "discounted_returns",
    reference=_returns,
    doc="discounted_returns: G_t = r_t + gamma (1 - done_t) G_{t+1}, backwards, G_T = 0.",
)


@discounted_returns.case("one episode of three rewards 1 (γ = 0.9): G = [2.71, 1.9, 1]")
def _(fn: Any) -> None:
    _check_returns(fn, np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0]), 0.9)


@discounted_returns.case("two episodes (γ = 0.5): the sum starts afresh after done")
def _(fn: Any) -> None:
    _check_returns(fn, np.array([1.0, 0.0, 2.0, 1.0, 3.0]), np.array([0.0, 1.0, 0.0, 0.0, 1.0]), 0.5)


@discounted_returns.case("the data ends in the middle of an episode; boolean dones")
def _(fn: Any) -> None:
    rng = _h.rng(441)
    rewards = np.round(rng.normal(size=9), 2)
    dones = np.array([0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    _check_returns(fn, rewards, dones, 0.8)


@discounted_returns.case("(T, N): four environments side by side, each with its own episode ends")
def _(fn: Any) -> None:
    rng = _h.rng(442)
    rewards = np.round(rng.uniform(-1, 2, size=(12, 4)), 2)
    dones = (rng.random((12, 4)) < 0.25).astype(np.float64)
    _check_returns(fn, rewards, dones, 0.9)
