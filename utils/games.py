"""Tic-tac-toe, a perfect minimax player, Monte Carlo tree search and a policy/value net. Taught in 4_3.

The board is a NumPy ``(9,)`` int8 array, squares numbered row by row::

    0 | 1 | 2
    3 | 4 | 5
    6 | 7 | 8

``+1`` is X (moves first), ``-1`` is O, ``0`` an empty square; whose turn it is follows from the
counts (:func:`to_play`). Values are always from the point of view of the player to move: ``+1``
a win, ``0`` a draw, ``-1`` a loss.

* rules: :func:`legal_moves`, :func:`apply_move`, :func:`winner`, :func:`is_terminal`,
  the eight symmetries of the square (:data:`SYMMETRIES`, :func:`augment`);
* :func:`minimax_value` (memoized, exact) and :class:`MinimaxPlayer`;
* :class:`MCTS`: UCT with random roll-outs (pure MCTS) or PUCT guided by an ``evaluate(board) ->
  (prior, value)`` function (AlphaGo Zero), optionally mixing in a roll-out (AlphaGo Lee's
  ``(1 - λ) v + λ z``);
* :func:`build_policy_value_net` (Keras: a residual trunk, a policy head and a value head) and
  :class:`PolicyValueNet`, the same network evaluated in NumPy from its weights, with a cache;
* :func:`self_play_game` (training data ``(x, π, z)``) and :func:`play_match` (a match runner).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

X, O, EMPTY = 1, -1, 0  # noqa: E741 (O is the player, as on the board)
LINES = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8],   # rows
                  [0, 3, 6], [1, 4, 7], [2, 5, 8],   # columns
                  [0, 4, 8], [2, 4, 6]])             # diagonals

_GRID = np.arange(9).reshape(3, 3)
# SYMMETRIES[k] is a permutation of the squares: board[SYMMETRIES[k]] is the board turned by
# k % 4 quarter turns, mirrored left-right first when k >= 4 (the dihedral group of the square).
SYMMETRIES = np.array([np.rot90(np.fliplr(_GRID) if k >= 4 else _GRID, k % 4).ravel() for k in range(8)])

Evaluate = Callable[[np.ndarray], tuple[np.ndarray, float]]
Player = Callable[[np.ndarray], int]


# ------------------------------------------------------------------ rules
def new_board() -> np.ndarray:
    """The empty board, ``(9,)`` int8."""
    return np.zeros(9, dtype=np.int8)


def check_board(board: Any) -> np.ndarray:
    """``board`` as a ``(9,)`` int8 array, or a ValueError saying what is wrong with it."""
    b = np.asarray(board)
    if b.shape != (9,):
        raise ValueError(f"a board has shape (9,) (squares 0..8 row by row), got shape {b.shape}")
    if not np.isin(b, (X, O, EMPTY)).all():
        raise ValueError(f"a board holds only 1 (X), -1 (O) and 0 (empty), got {b.tolist()}")
    n_x, n_o = int((b == X).sum()), int((b == O).sum())
    if n_x - n_o not in (0, 1):
        raise ValueError(f"X moves first, so X has as many stones as O or one more; got {n_x} X "
                         f"and {n_o} O in {b.tolist()}")
    return b.astype(np.int8)


def to_play(board: np.ndarray) -> int:
    """Whose turn it is: ``1`` (X) when both have as many stones, else ``-1`` (O)."""
    return X if int(np.sum(board)) == 0 else O


_LINES_PY = [tuple(int(i) for i in line) for line in LINES]


def _winner_of(b: Sequence[int]) -> int:
    for i, j, k in _LINES_PY:
        if b[i] != 0 and b[i] == b[j] == b[k]:
            return int(b[i])
    return 0


def winner(board: np.ndarray) -> int:
    """``1`` when X has three in a line (row, column or diagonal), ``-1`` for O, else ``0``."""
    return _winner_of(np.asarray(board).tolist())


def is_terminal(board: np.ndarray) -> bool:
    """The game is over: someone has a line, or the board is full (a draw)."""
    return winner(board) != 0 or not (np.asarray(board) == EMPTY).any()


def legal_moves(board: np.ndarray) -> np.ndarray:
    """The empty squares, ascending (int64); none once the game is over."""
    if winner(board) != 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.asarray(board) == EMPTY)


def legal_mask(board: np.ndarray) -> np.ndarray:
    """``(9,)`` bool: True at the legal moves."""
    mask = np.zeros(9, dtype=bool)
    mask[legal_moves(board)] = True
    return mask


def apply_move(board: np.ndarray, move: int) -> np.ndarray:
    """A new board with the player to move's stone on ``move`` (the input is not changed)."""
    move = int(move)
    if not 0 <= move < 9:
        raise ValueError(f"a move is a square 0..8, got {move}")
    if is_terminal(board):
        raise ValueError(f"the game is over, no move is legal:\n{render(board)}")
    if board[move] != EMPTY:
        raise ValueError(f"square {move} is taken:\n{render(board)}")
    out = np.array(board, dtype=np.int8)
    out[move] = to_play(board)
    return out


def board_from(moves: Sequence[int]) -> np.ndarray:
    """The board after playing ``moves`` (squares, X first) from the empty board."""
    board = new_board()
    for m in moves:
        board = apply_move(board, m)
    return board


def parse(text: str) -> np.ndarray:
    """A board from nine characters ``x``, ``o``, ``.`` (row by row; spaces and ``|`` ignored)."""
    chars = [c for c in text.lower() if c in "xo."]
    if len(chars) != 9:
        raise ValueError(f"a board is nine characters of x, o and '.', got {len(chars)} in {text!r}")
    return check_board(np.array([{"x": X, "o": O, ".": EMPTY}[c] for c in chars], dtype=np.int8))


def render(board: np.ndarray) -> str:
    """The board as three lines of ``X``, ``O`` and ``.``."""
    sym = {X: "X", O: "O", EMPTY: "."}
    return "\n".join(" ".join(sym[int(v)] for v in board[r * 3:(r + 1) * 3]) for r in range(3))


def encode(boards: np.ndarray) -> np.ndarray:
    """Network input from the player to move's point of view: ``(9,)`` -> ``(18,)``,
    ``(N, 9)`` -> ``(N, 18)`` float32: 9 squares with the mover's stones, then 9 with the
    opponent's (the board is "canonical": whoever moves sees their own stones first)."""
    b = np.asarray(boards)
    if b.shape[-1:] != (9,) or b.ndim > 2:
        raise ValueError(f"encode takes a board (9,) or boards (N, 9), got shape {b.shape}")
    b2 = b.reshape(-1, 9)
    player = np.where(b2.sum(axis=1, keepdims=True) == 0, X, O)            # (N, 1)
    x = np.concatenate([b2 == player, b2 == -player], axis=1).astype(np.float32)  # (N, 18)
    return x[0] if b.ndim == 1 else x


def augment(boards: np.ndarray, policies: np.ndarray, values: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight copies of every sample, one per symmetry of the square: boards ``(N, 9)``,
    policies ``(N, 9)``, values ``(N,)`` -> ``(8N, 9)``, ``(8N, 9)``, ``(8N,)``. A symmetry
    moves the stones and the move probabilities alike and leaves the value unchanged."""
    boards, policies, values = np.asarray(boards), np.asarray(policies), np.asarray(values)
    if boards.ndim != 2 or boards.shape[1] != 9 or policies.shape != boards.shape \
            or values.shape != boards.shape[:1]:
        raise ValueError(f"augment takes boards (N, 9), policies (N, 9) and values (N,); got "
                         f"{boards.shape}, {policies.shape} and {values.shape}")
    return (np.concatenate([boards[:, s] for s in SYMMETRIES]),
            np.concatenate([policies[:, s] for s in SYMMETRIES]),
            np.tile(values, len(SYMMETRIES)))


# ------------------------------------------------------------------ minimax
@cache
def _minimax(key: bytes) -> int:
    board = np.frombuffer(key, dtype=np.int8)
    w = winner(board)
    if w != 0:
        return -1                      # the previous player just made a line: the mover lost
    moves = legal_moves(board)
    if len(moves) == 0:
        return 0
    return max(-_minimax(apply_move(board, m).tobytes()) for m in moves)


def minimax_value(board: np.ndarray) -> int:
    """The game-theoretic value for the player to move: 1 win, 0 draw, -1 loss (memoized:
    tic-tac-toe has 5 478 reachable positions)."""
    return _minimax(check_board(board).tobytes())


def minimax_move_values(board: np.ndarray) -> np.ndarray:
    """``(9,)`` float: the value of each legal move for the player to move, NaN elsewhere."""
    board = check_board(board)
    out = np.full(9, np.nan)
    for m in legal_moves(board):
        out[m] = -_minimax(apply_move(board, m).tobytes())
    return out


class MinimaxPlayer:
    """A perfect player: one of the moves of best minimax value, chosen at random (seeded)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, board: np.ndarray) -> int:
        values = minimax_move_values(board)
        best = np.flatnonzero(values == np.nanmax(values))
        return int(self.rng.choice(best))


class RandomPlayer:
    """A uniformly random legal move (seeded)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, board: np.ndarray) -> int:
        return int(self.rng.choice(legal_moves(board)))


@cache
def _vs_random(key: bytes, side: int) -> tuple[float, float, float]:
    board = np.frombuffer(key, dtype=np.int8)
    w = winner(board)
    if w != 0:
        return (1.0, 0.0, 0.0) if w == side else (0.0, 0.0, 1.0)
    moves = legal_moves(board)
    if len(moves) == 0:
        return (0.0, 1.0, 0.0)
    children = [apply_move(board, m) for m in moves]
    if to_play(board) == side:   # among the moves that keep the minimax value, the likeliest win
        best = max(-_minimax(c.tobytes()) for c in children)
        return max((_vs_random(c.tobytes(), side) for c in children if -_minimax(c.tobytes()) == best),
                   key=lambda r: r[0])
    outcomes = np.array([_vs_random(c.tobytes(), side) for c in children])
    return tuple(float(v) for v in outcomes.mean(axis=0))


def best_odds_vs_random(side: int) -> tuple[float, float, float]:
    """(win, draw, loss) probabilities of the best never-losing play against a uniformly random
    opponent, for ``side`` = 1 (moving first) or -1 (second): exact, by expectimax."""
    if side not in (X, O):
        raise ValueError(f"side is 1 (X, first) or -1 (O, second), got {side}")
    return _vs_random(new_board().tobytes(), side)


# ------------------------------------------------------------------ matches
def play_game(x_player: Player, o_player: Player, board: np.ndarray | None = None
              ) -> tuple[int, list[int]]:
    """Play one game (X first): ``(winner, moves)`` with winner 1, -1 or 0 (draw)."""
    board = new_board() if board is None else check_board(board)
    moves = []
    while not is_terminal(board):
        player = x_player if to_play(board) == X else o_player
        move = player(board)
        board = apply_move(board, move)
        moves.append(int(move))
    return winner(board), moves


@dataclass
class MatchResult:
    """Outcomes of ``agent`` in a match, overall and by the side it played."""

    wins: int = 0
    draws: int = 0
    losses: int = 0
    by_side: dict[str, list[int]] = field(default_factory=lambda: {"X": [0, 0, 0], "O": [0, 0, 0]})
    games: list[list[int]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def win_rate(self) -> float:
        return self.wins / max(self.n, 1)

    def side_rate(self, side: str, k: int = 0) -> float:
        """The fraction of the games played as ``side`` ("X" or "O") won (k=0), drawn (1), lost (2)."""
        counts = self.by_side[side]
        return counts[k] / max(sum(counts), 1)

    def __str__(self) -> str:
        sx, so = self.by_side["X"], self.by_side["O"]
        return (f"{self.n} games: {self.wins} won, {self.draws} drawn, {self.losses} lost "
                f"(as X {sx[0]}/{sx[1]}/{sx[2]}, as O {so[0]}/{so[1]}/{so[2]})")


def play_match(agent: Player, opponent: Player, n_games: int, *, alternate: bool = True) -> MatchResult:
    """``n_games`` games of ``agent`` against ``opponent``; the agent plays X in the even games
    and O in the odd ones when ``alternate`` (else always X). Counts from the agent's side."""
    res = MatchResult()
    for g in range(n_games):
        agent_side = O if (alternate and g % 2 == 1) else X
        x, o = (agent, opponent) if agent_side == X else (opponent, agent)
        w, moves = play_game(x, o)
        k = 0 if w == agent_side else (1 if w == 0 else 2)
        res.wins += k == 0
        res.draws += k == 1
        res.losses += k == 2
        res.by_side["X" if agent_side == X else "O"][k] += 1
        res.games.append(moves)
    return res


# ------------------------------------------------------------------ tree search
def puct_score(q: Any, prior: Any, n_parent: Any, n_child: Any, c_puct: float = 1.5) -> np.ndarray:
    """AlphaGo Zero's selection score ``Q + c_puct · P · sqrt(N_parent) / (1 + N_child)``,
    elementwise (NumPy broadcasting)."""
    return np.asarray(q) + c_puct * np.asarray(prior) * np.sqrt(n_parent) / (1 + np.asarray(n_child))


def puct_select(q: np.ndarray, prior: np.ndarray, n: np.ndarray, legal: np.ndarray,
                c_puct: float = 1.5) -> int:
    """The legal child of largest PUCT score (``N_parent = n.sum()``); ties: the lowest index.
    q, prior, n: ``(9,)`` per move; legal: ``(9,)`` bool."""
    score = puct_score(q, prior, np.sum(n), n, c_puct)
    return int(np.argmax(np.where(legal, score, -np.inf)))


def uct_select(q: np.ndarray, prior: np.ndarray, n: np.ndarray, legal: np.ndarray,
               c: float = 1.4) -> int:
    """UCT (UCB1 on trees): an unvisited legal child first, else the largest
    ``Q + c · sqrt(ln N_parent / N_child)``; the prior is not used."""
    unvisited = legal & (n == 0)
    if unvisited.any():
        return int(np.argmax(unvisited))
    score = q + c * np.sqrt(np.log(np.sum(n)) / np.maximum(n, 1))
    return int(np.argmax(np.where(legal, score, -np.inf)))


def random_rollout(board: np.ndarray, rng: np.random.Generator) -> float:
    """Play uniformly random moves to the end: +1/0/-1 for the player to move at ``board``."""
    me = to_play(board)
    b = np.asarray(board).tolist()
    empty = [i for i in range(9) if b[i] == EMPTY]
    order = rng.permutation(len(empty)).tolist()   # a random game is a random order of the squares
    player, w = me, _winner_of(b)
    for k in order:
        if w != 0:
            break
        b[empty[k]] = player
        player = -player
        w = _winner_of(b)
    return float(w * me)


def uniform_evaluate(board: np.ndarray) -> tuple[np.ndarray, float]:
    """A prior that knows nothing (uniform over the legal moves) and a value of 0."""
    mask = legal_mask(board)
    return mask / max(mask.sum(), 1), 0.0


class Node:
    """One position of the search tree, with per-move statistics: prior P, visits N, total value
    W (for the player to move here), each a list of 9 numbers; Q = W / N (0 while N = 0)."""

    __slots__ = ("board", "moves", "legal", "terminal_value", "P", "N", "W", "n_total",
                 "children", "expanded")

    def __init__(self, board: np.ndarray) -> None:
        self.board = board
        b = board.tolist()
        w = _winner_of(b)
        self.moves = [] if w != 0 else [i for i in range(9) if b[i] == EMPTY]
        self.legal = np.zeros(9, dtype=bool)
        self.legal[self.moves] = True
        # a finished game: the previous mover made the line, so the player to move has lost
        self.terminal_value = -1.0 if w != 0 else (0.0 if not self.moves else None)
        self.P = [0.0] * 9
        self.N = [0] * 9
        self.W = [0.0] * 9
        self.n_total = 0                  # N_parent = the sum of the children's visits
        self.children: dict[int, Node] = {}
        self.expanded = False

    @property
    def Q(self) -> np.ndarray:
        """``(9,)`` mean values of the moves (0 for unvisited ones)."""
        n, w = np.array(self.N, dtype=float), np.array(self.W)
        return np.divide(w, n, out=np.zeros(9), where=n > 0)

    def stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(Q, P, N, legal)`` as ``(9,)`` arrays, the arguments of a selection function."""
        return self.Q, np.array(self.P), np.array(self.N, dtype=float), self.legal.copy()


def _puct_fast(node: Node, c: float) -> int:
    """:func:`puct_select` on a node's lists (the same numbers, without NumPy's overhead)."""
    sq = math.sqrt(node.n_total)
    best, best_m = -math.inf, -1
    for m in node.moves:
        n = node.N[m]
        s = (node.W[m] / n if n else 0.0) + c * node.P[m] * sq / (1 + n)
        if s > best:
            best, best_m = s, m
    return best_m


def _uct_fast(node: Node, c: float) -> int:
    """:func:`uct_select` on a node's lists."""
    for m in node.moves:
        if node.N[m] == 0:
            return m
    log_n = math.log(node.n_total)
    best, best_m = -math.inf, -1
    for m in node.moves:
        n = node.N[m]
        s = node.W[m] / n + c * math.sqrt(log_n / n)
        if s > best:
            best, best_m = s, m
    return best_m


class MCTS:
    """Monte Carlo tree search for tic-tac-toe.

    evaluate: ``board -> (prior (9,), value)`` for the player to move (a network), or ``None``
        for a uniform prior and a value of 0; rollout_weight λ: the leaf value is
        ``(1 - λ) v + λ z`` with ``z`` a random roll-out (λ = 1: pure MCTS, 0: AlphaGo Zero,
        0.5: AlphaGo Lee).
    select: ``"puct"`` (:func:`puct_select`), ``"uct"`` (:func:`uct_select`) or a function
        ``(q, prior, n, legal, c) -> move`` of ``(9,)`` arrays (e.g. your ``mcts_select``).
    dirichlet_alpha: when set, the root's prior is mixed with Dirichlet noise,
        ``(1 - noise_frac) P + noise_frac · Dir(alpha)`` (exploration in self-play).
    """

    def __init__(self, evaluate: Evaluate | None = None, n_simulations: int = 50, *,
                 select: str | Callable[..., int] = "puct", c: float = 1.5,
                 rollout_weight: float = 0.0, dirichlet_alpha: float | None = None,
                 noise_frac: float = 0.25, seed: int = 0) -> None:
        if n_simulations < 1:
            raise ValueError(f"n_simulations must be at least 1, got {n_simulations}")
        if not 0.0 <= rollout_weight <= 1.0:
            raise ValueError(f"rollout_weight λ is in [0, 1], got {rollout_weight}")
        if not (select in ("puct", "uct") or callable(select)):
            raise ValueError(f"select is 'puct', 'uct' or a function, got {select!r}")
        self.evaluate = evaluate or uniform_evaluate
        self.n_simulations = n_simulations
        self.select = select
        self.c = c
        self.rollout_weight = rollout_weight
        self.dirichlet_alpha = dirichlet_alpha
        self.noise_frac = noise_frac
        self.rng = np.random.default_rng(seed)

    def _choose(self, node: Node) -> int:
        if self.select == "puct":
            return _puct_fast(node, self.c)
        if self.select == "uct":
            return _uct_fast(node, self.c)
        move = int(self.select(*node.stats(), self.c))
        if move not in node.moves:
            raise ValueError(f"the selection function chose {move}, not a legal move of\n"
                             f"{render(node.board)}\n(legal: {node.moves})")
        return move

    def _expand(self, node: Node) -> float:
        """Give ``node`` its prior and return its value for the player to move."""
        prior, value = self.evaluate(node.board)
        prior = np.where(node.legal, prior, 0.0)
        total = prior.sum()
        node.P = (prior / total if total > 0 else node.legal / node.legal.sum()).tolist()
        node.expanded = True
        if self.rollout_weight > 0:
            z = random_rollout(node.board, self.rng)
            value = (1 - self.rollout_weight) * value + self.rollout_weight * z
        return float(value)

    def simulate(self, root: Node) -> None:
        """One simulation: select down the tree, expand and evaluate a leaf, back up the value."""
        node, path = root, []
        while True:
            if node.terminal_value is not None:
                value = node.terminal_value
                break
            if not node.expanded:
                value = self._expand(node)
                break
            move = self._choose(node)
            path.append((node, move))
            child = node.children.get(move)
            if child is None:
                child = node.children[move] = Node(apply_move(node.board, move))
            node = child
        for parent, move in reversed(path):   # the value changes sign at every level
            value = -value
            parent.N[move] += 1
            parent.W[move] += value
            parent.n_total += 1

    def search(self, board: np.ndarray) -> Node:
        """Run ``n_simulations`` simulations from ``board``; the root holds the statistics."""
        root = Node(check_board(board))
        if root.terminal_value is not None:
            raise ValueError(f"the game is over, nothing to search:\n{render(board)}")
        self._expand(root)
        if self.dirichlet_alpha is not None:
            noise = np.zeros(9)
            noise[root.moves] = self.rng.dirichlet([self.dirichlet_alpha] * len(root.moves))
            root.P = ((1 - self.noise_frac) * np.array(root.P) + self.noise_frac * noise).tolist()
        for _ in range(self.n_simulations):
            self.simulate(root)
        return root

    def policy(self, board: np.ndarray, temperature: float = 0.0) -> np.ndarray:
        """The search's move probabilities π ∝ N^(1/τ) ``(9,)``; τ = 0: all on the most visited
        move (ties: the larger prior, then the lower index)."""
        root = self.search(board)
        return visit_policy(root.N, temperature, tie_break=root.P)

    def __call__(self, board: np.ndarray) -> int:
        """Play: the most visited move."""
        return int(np.argmax(self.policy(board, 0.0)))


def visit_policy(n: np.ndarray, temperature: float = 1.0, tie_break: np.ndarray | None = None) -> np.ndarray:
    """Move probabilities from visit counts ``(9,)``: π ∝ N^(1/τ); τ = 0 gives a one-hot on the
    most visited move (ties broken by ``tie_break``, then the lowest index)."""
    n = np.asarray(n, dtype=float)
    if n.sum() <= 0:
        raise ValueError("no visits: run the search first")
    if temperature == 0:
        key = n + (0 if tie_break is None else 1e-6 * np.asarray(tie_break) / (1 + np.max(tie_break)))
        out = np.zeros(9)
        out[int(np.argmax(key))] = 1.0
        return out
    p = n ** (1.0 / temperature)
    return p / p.sum()


# ------------------------------------------------------------------ the policy/value network
def build_policy_value_net(hidden: int = 64, n_blocks: int = 1, *, l2: float = 1e-4, seed: int = 0) -> Any:
    """A small AlphaGo Zero network for tic-tac-toe (Keras): ``x (N, 18)`` -> ``policy logits
    (N, 9)`` and ``value (N, 1)`` in [-1, 1] (tanh). A shared trunk (Dense + ReLU, then
    ``n_blocks`` residual blocks ``relu(h + Dense(relu(Dense(h))))``) feeds both heads."""
    import keras
    from keras import layers

    reg = keras.regularizers.L2(l2)
    init = keras.initializers.GlorotUniform
    dense = [0]

    def d(units: int, activation: str | None = None, name: str | None = None) -> Any:
        dense[0] += 1
        return layers.Dense(units, activation=activation, kernel_regularizer=reg,
                            kernel_initializer=init(seed=seed + dense[0]), name=name)

    x = keras.Input((18,), name="board")
    h = d(hidden, "relu", "trunk")(x)
    for k in range(n_blocks):
        r = d(hidden, "relu", f"res{k}_a")(h)
        r = d(hidden, None, f"res{k}_b")(r)
        h = layers.Activation("relu", name=f"res{k}_relu")(layers.Add(name=f"res{k}_add")([h, r]))
    policy = d(9, None, "policy")(h)
    v = d(hidden // 2, "relu", "value_hidden")(h)
    value = d(1, "tanh", "value")(v)
    return keras.Model(x, [policy, value], name="policy_value_net")


def net_weights(model: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The kernels and biases of :func:`build_policy_value_net`'s Dense layers, by layer name."""
    return {layer.name: tuple(np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            for layer in model.layers if layer.get_weights()}


def numpy_forward(weights: dict[str, tuple[np.ndarray, np.ndarray]], x: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`build_policy_value_net`'s forward pass in NumPy, from :func:`net_weights`:
    ``x (N, 18)`` -> ``(policy logits (N, 9), value (N,))``."""
    missing = {"trunk", "policy", "value_hidden", "value"} - set(weights)
    if missing:
        raise ValueError(f"the weights lack the layers {sorted(missing)}: pass net_weights(model) "
                         "of a build_policy_value_net model")
    x = np.asarray(x, dtype=np.float64)
    n_in = weights["trunk"][0].shape[0]
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"x has shape {x.shape}, expected (N, {n_in})")

    def dense(name: str, h: np.ndarray) -> np.ndarray:
        kernel, bias = weights[name]
        return h @ kernel + bias

    h = np.maximum(dense("trunk", x), 0)                   # (N, hidden)
    k = 0
    while f"res{k}_a" in weights:                          # residual blocks: relu(h + F(h))
        r = dense(f"res{k}_b", np.maximum(dense(f"res{k}_a", h), 0))
        h = np.maximum(h + r, 0)
        k += 1
    logits = dense("policy", h)                            # (N, 9)
    value = np.tanh(dense("value", np.maximum(dense("value_hidden", h), 0)))[:, 0]  # (N,)
    return logits, value


def masked_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Softmax over the True entries of ``mask`` (0 elsewhere), rows of ``(N, 9)`` or one ``(9,)``."""
    z = np.where(mask, logits, -np.inf)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class PolicyValueNet:
    """The network as an ``evaluate(board) -> (prior (9,), value)`` function for :class:`MCTS`,
    computed in NumPy from the Keras model's weights, with a cache keyed by the position (reset
    by :meth:`update`). The prior is the softmax over the legal moves only."""

    def __init__(self, model: Any) -> None:
        self.update(model)

    def update(self, model: Any) -> None:
        """Take the model's current weights (after training) and empty the cache."""
        self.weights = net_weights(model)
        self.cache: dict[bytes, tuple[np.ndarray, float]] = {}

    def predict(self, boards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boards ``(N, 9)`` -> priors ``(N, 9)`` (legal moves only) and values ``(N,)``."""
        boards = np.asarray(boards).reshape(-1, 9)
        logits, values = numpy_forward(self.weights, encode(boards))
        masks = np.array([legal_mask(b) for b in boards])
        masks[~masks.any(axis=1)] = True                   # a finished game: any prior will do
        return masked_softmax(logits, masks), values

    def __call__(self, board: np.ndarray) -> tuple[np.ndarray, float]:
        key = np.asarray(board, dtype=np.int8).tobytes()
        hit = self.cache.get(key)
        if hit is None:
            priors, values = self.predict(board[None])
            hit = self.cache[key] = (priors[0], float(values[0]))
        return hit


def greedy_policy_player(net: PolicyValueNet) -> Player:
    """Play the network's most probable legal move, with no search."""
    def play(board: np.ndarray) -> int:
        return int(np.argmax(np.where(legal_mask(board), net(board)[0], -1.0)))
    return play


# ------------------------------------------------------------------ self-play
def self_play_game(mcts: MCTS, *, temperature_moves: int = 2) -> dict[str, np.ndarray]:
    """One game of ``mcts`` against itself: the training data of AlphaGo Zero.

    For the first ``temperature_moves`` moves the move is drawn from π ∝ N (τ = 1), afterwards
    it is the most visited move. Returns ``boards (T, 9)``, ``x (T, 18)`` (:func:`encode`),
    ``pi (T, 9)`` (the search's visit distribution, the policy target), ``z (T,)``: the final
    result from the point of view of the player to move in each position (+1 that player won),
    and ``result`` (the winner: 1, -1, or 0 for a draw).
    """
    board = new_board()
    boards, pis = [], []
    while not is_terminal(board):
        root = mcts.search(board)
        pi = visit_policy(root.N, 1.0)
        boards.append(board)
        pis.append(pi)
        if len(boards) <= temperature_moves:
            move = int(mcts.rng.choice(9, p=pi))
        else:
            move = int(np.argmax(visit_policy(root.N, 0.0, tie_break=root.P)))
        board = apply_move(board, move)
    result = winner(board)                                  # +1, -1 or 0
    b = np.array(boards, dtype=np.int8)
    movers = np.where(b.sum(axis=1) == 0, X, O)
    return {"boards": b, "x": encode(b), "pi": np.array(pis), "z": (result * movers).astype(np.float32),
            "result": np.array(result)}
