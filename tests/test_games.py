"""utils.games: tic-tac-toe rules, minimax, MCTS (UCT and PUCT), the NumPy net equals Keras, self-play."""

from __future__ import annotations

import numpy as np
import pytest

from utils import games


# ------------------------------------------------------------------ rules
def test_new_board_and_legal_moves() -> None:
    board = games.new_board()
    assert board.shape == (9,) and board.dtype == np.int8 and not board.any()
    np.testing.assert_array_equal(games.legal_moves(board), np.arange(9))
    assert games.to_play(board) == games.X
    b = games.board_from([4, 0])
    np.testing.assert_array_equal(games.legal_moves(b), [1, 2, 3, 5, 6, 7, 8])
    np.testing.assert_array_equal(games.legal_mask(b), [False, True, True, True, False, True, True, True, True])
    assert games.to_play(b) == games.X
    assert games.to_play(games.board_from([4])) == games.O
    # no legal move once someone has won, even with empty squares left
    assert len(games.legal_moves(games.parse("xxx oo. ..."))) == 0


def test_apply_move_does_not_change_its_input() -> None:
    board = games.board_from([4])
    out = games.apply_move(board, 0)
    assert board[0] == 0 and out[0] == games.O and out[4] == games.X
    np.testing.assert_array_equal(games.parse("o.. .x. ..."), out)


@pytest.mark.parametrize(("text", "who"), [
    ("xxx oo. ...", 1), ("xx. ooo x.x", -1), ("o.o x.. xxx", 1),   # rows
    ("xo. xo. x..", 1), ("x.o xxo ..o", -1),                        # columns
    ("xo. ox. ..x", 1), ("x.o xo. o.x", -1),                        # diagonals
    ("xx. oo. ...", 0), ("xo. .x. ..o", 0),                         # no line yet
    ("xox xoo oxx", 0),                                             # a full board, drawn
])
def test_winner_rows_columns_diagonals(text: str, who: int) -> None:
    b = np.array([{"x": 1, "o": -1, ".": 0}[c] for c in text if c in "xo."], dtype=np.int8)
    assert games.winner(b) == who


def test_winner_on_every_line() -> None:
    for line in games.LINES:
        for player in (games.X, games.O):
            b = np.zeros(9, dtype=np.int8)
            b[line] = player
            assert games.winner(b) == player
            assert games.is_terminal(b)


def test_is_terminal() -> None:
    assert not games.is_terminal(games.new_board())
    assert games.is_terminal(games.parse("xxx oo. ..."))          # a row
    assert games.is_terminal(games.parse("xo. xo. x.."))          # a column
    assert games.is_terminal(games.parse("..x .xo xoo"))          # a diagonal
    draw = games.parse("xox xoo oxx")
    assert games.is_terminal(draw) and games.winner(draw) == 0    # full board, no line
    assert games.minimax_value(draw) == 0
    assert not games.is_terminal(games.parse("xox xoo ox."))


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"shape \(9,\)"):
        games.check_board(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        games.minimax_value(np.zeros((3, 3), dtype=np.int8))
    with pytest.raises(ValueError, match="only 1"):
        games.check_board(np.array([2, 0, 0, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="X moves first"):
        games.parse("oo. ... ...")
    with pytest.raises(ValueError, match="taken"):
        games.apply_move(games.board_from([4]), 4)
    with pytest.raises(ValueError, match="0..8"):
        games.apply_move(games.new_board(), 9)
    with pytest.raises(ValueError, match="game is over"):
        games.apply_move(games.parse("xxx oo. ..."), 8)
    with pytest.raises(ValueError, match="nine characters"):
        games.parse("xx")
    with pytest.raises(ValueError, match=r"\(N, 9\)"):
        games.encode(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="augment takes"):
        games.augment(np.zeros((2, 9)), np.zeros((2, 9)), np.zeros(3))
    with pytest.raises(ValueError, match="n_simulations"):
        games.MCTS(None, 0)
    with pytest.raises(ValueError, match="select"):
        games.MCTS(None, 10, select="ucb")
    with pytest.raises(ValueError, match="nothing to search"):
        games.MCTS(None, 10).search(games.parse("xxx oo. ..."))
    with pytest.raises(ValueError, match="not a legal move"):
        games.MCTS(None, 10, select=lambda q, p, n, legal, c: 4).search(games.board_from([4]))
    with pytest.raises(ValueError, match="side"):
        games.best_odds_vs_random(0)


def test_encode_is_from_the_movers_point_of_view() -> None:
    b = games.board_from([4])                                      # O to move
    x = games.encode(b)
    assert x.shape == (18,) and x.dtype == np.float32
    assert x[4 + 9] == 1 and x[:9].sum() == 0                      # X's stone is the opponent's
    xs = games.encode(np.stack([games.new_board(), b, games.board_from([4, 0])]))
    assert xs.shape == (3, 18)
    np.testing.assert_array_equal(xs[2, :9], games.board_from([4, 0]) == 1)   # X to move again


def test_augment_moves_stones_and_policy_alike() -> None:
    assert len({tuple(s) for s in games.SYMMETRIES}) == 8
    b = games.board_from([0, 4, 1, 3])                             # X to move, 2 wins
    pi = np.eye(9)[2]
    boards, pis, z = games.augment(b[None], pi[None], np.array([0.5]))
    assert boards.shape == (8, 9) and pis.shape == (8, 9) and z.shape == (8,)
    np.testing.assert_array_equal(z, 0.5)
    assert len({bb.tobytes() for bb in boards}) == 8               # eight different boards
    for bb, p in zip(boards, pis, strict=True):
        # the policy's move still completes X's line on the transformed board
        assert games.winner(games.apply_move(bb, int(np.argmax(p)))) == games.X


# ------------------------------------------------------------------ minimax
@pytest.mark.parametrize(("text", "value"), [
    ("... ... ...", 0),              # perfect play draws
    ("xx. o.. o..", 1),              # X to move wins at once (square 2)
    ("xx. oo. x..", 1),              # O to move completes the middle row
    ("xo. ... ...", 1),              # O answered X's corner on the next edge: X wins
    ("x.. ... ...", 0),              # O to move after X's corner: a draw (O takes the centre)
    ("x.. .o. ..x", 0),              # O to move: an edge draws
    ("xx. .o. ...", 0),              # O to move: the block at 2 holds the draw
    ("xx. o.. ...", -1),             # O to move: blocking at 2 is too late, X forks
])
def test_minimax_values_of_known_positions(text: str, value: int) -> None:
    assert games.minimax_value(games.parse(text)) == value


def test_minimax_move_values() -> None:
    vals = games.minimax_move_values(games.parse("xx. .o. ..."))  # O to move, X threatens 2
    assert vals[2] == 0 and np.nanmax(np.delete(vals, 2)) == -1    # only the block holds the draw
    vals = games.minimax_move_values(games.parse("x.. .o. ..x"))
    np.testing.assert_array_equal(vals[[2, 6]], -1)                  # a corner loses to a fork
    np.testing.assert_array_equal(vals[[1, 3, 5, 7]], 0)             # an edge draws
    vals = games.minimax_move_values(games.board_from([4])).reshape(3, 3)
    assert np.isnan(vals[1, 1])
    np.testing.assert_array_equal(vals[[0, 0, 2, 2], [0, 2, 0, 2]], 0)      # corners draw
    np.testing.assert_array_equal(vals[[0, 1, 1, 2], [1, 0, 2, 1]], -1)     # edges lose


def test_minimax_player_never_loses_and_odds_vs_random() -> None:
    res = games.play_match(games.MinimaxPlayer(0), games.MinimaxPlayer(1), 6)
    assert res.draws == 6
    res = games.play_match(games.MinimaxPlayer(0), games.RandomPlayer(0), 20)
    assert res.losses == 0 and res.n == 20 and sum(res.by_side["X"]) == 10
    w, d, loss = games.best_odds_vs_random(games.X)
    assert loss == 0 and w + d == pytest.approx(1.0) and w == pytest.approx(0.99479, abs=1e-4)
    w, d, loss = games.best_odds_vs_random(games.O)
    assert loss == 0 and 0.91 < w < 0.92


# ------------------------------------------------------------------ selection and tree search
def test_puct_and_uct_selection() -> None:
    q = np.array([0.0, 0.5, 0.0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.1, 0.1, 0.8, 0, 0, 0, 0, 0, 0])
    n = np.array([3, 5, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    legal = np.array([True, True, True] + [False] * 6)
    s = games.puct_score(q, p, n.sum(), n, 2.0)
    np.testing.assert_allclose(s, q + 2.0 * p * np.sqrt(8) / (1 + n))
    assert games.puct_select(q, p, n, legal, 2.0) == 2
    assert games.puct_select(q, p, n, legal, 0.1) == 1
    assert games.puct_select(np.zeros(9), np.full(9, 1 / 9), np.zeros(9), ~np.eye(9, dtype=bool)[0]) == 1
    assert games.uct_select(q, p, n, legal) == 2                    # the unvisited move first
    assert games.uct_select(q, p, np.array([3, 5, 1, 0, 0, 0, 0, 0, 0.0]), legal, 0.0) == 1
    assert games.puct_score(0.2, 0.5, 16, 3, 2.0) == pytest.approx(1.2)


WIN = "xx. oo. ..."     # X to move: 2 wins
BLOCK = "xx. .o. ..."   # O to move: 2 is the only move that does not lose


@pytest.mark.parametrize("kind", ["uct", "puct", "puct-function"])
@pytest.mark.parametrize(("text", "move"), [(WIN, 2), (BLOCK, 2), ("o.. .xx ...", 3)])
def test_mcts_finds_the_win_and_the_block(kind: str, text: str, move: int) -> None:
    if kind == "uct":     # pure MCTS: random roll-outs
        mcts = games.MCTS(None, 300, select="uct", c=1.4, rollout_weight=1.0, seed=0)
    elif kind == "puct":  # a uniform prior and a value of 0: only the ends of games count
        mcts = games.MCTS(None, 300, select="puct", c=1.5, seed=0)
    else:                 # the same through the (9,)-array selection function
        mcts = games.MCTS(None, 300, select=games.puct_select, c=1.5, seed=0)
    b = games.parse(text)
    assert mcts(b) == move
    root = mcts.search(b)
    assert sum(root.N) == 300 and int(np.argmax(root.N)) == move


def test_mcts_fast_and_array_selection_agree() -> None:
    b = games.board_from([4, 0])
    n1 = games.MCTS(None, 120, select="puct", c=1.5, seed=3).search(b).N
    n2 = games.MCTS(None, 120, select=games.puct_select, c=1.5, seed=3).search(b).N
    assert n1 == n2


def test_visit_policy() -> None:
    np.testing.assert_allclose(games.visit_policy([1, 3, 0, 0, 0, 0, 0, 0, 4], 1.0),
                               np.array([1, 3, 0, 0, 0, 0, 0, 0, 4]) / 8)
    np.testing.assert_array_equal(games.visit_policy([1, 3, 0, 0, 0, 0, 0, 0, 4], 0.0),
                                  [0, 0, 0, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="no visits"):
        games.visit_policy(np.zeros(9))


# ------------------------------------------------------------------ network and self-play
@pytest.fixture(scope="module")
def model(keras):
    return games.build_policy_value_net(hidden=16, n_blocks=2, seed=3)


def test_numpy_forward_equals_keras(model) -> None:
    boards = np.stack([games.new_board(), games.board_from([4]), games.parse("xo. .x. ..o")])
    x = games.encode(boards)
    logits_k, value_k = model(x, training=False)
    logits_np, value_np = games.numpy_forward(games.net_weights(model), x)
    np.testing.assert_allclose(logits_np, np.asarray(logits_k), atol=1e-5)
    np.testing.assert_allclose(value_np, np.asarray(value_k)[:, 0], atol=1e-5)
    with pytest.raises(ValueError, match=r"expected \(N, 18\)"):
        games.numpy_forward(games.net_weights(model), np.zeros((2, 9)))


def test_policy_value_net_prior_is_legal_only(model) -> None:
    net = games.PolicyValueNet(model)
    b = games.board_from([4, 0])
    prior, value = net(b)
    assert prior.shape == (9,) and -1 <= value <= 1
    assert prior[[0, 4]].sum() == 0 and prior.sum() == pytest.approx(1.0)
    assert net(b)[0] is prior                                      # cached
    assert games.greedy_policy_player(net)(b) in games.legal_moves(b)


def test_self_play_sample_shapes_and_value_targets(model) -> None:
    net = games.PolicyValueNet(model)
    for seed in range(4):
        s = games.self_play_game(games.MCTS(net, 20, dirichlet_alpha=0.5, seed=seed), temperature_moves=3)
        t = len(s["z"])
        assert 5 <= t <= 9
        assert s["boards"].shape == (t, 9) and s["x"].shape == (t, 18) and s["pi"].shape == (t, 9)
        np.testing.assert_allclose(s["pi"].sum(axis=1), 1.0)
        assert np.all(s["pi"][s["boards"] != 0] == 0)               # no mass on taken squares
        z, movers = s["z"], np.where(s["boards"].sum(axis=1) == 0, 1, -1)
        np.testing.assert_array_equal(movers[::2], 1)               # X moves first
        np.testing.assert_array_equal(z, s["result"] * movers)      # +1 where the winner was to move
        np.testing.assert_array_equal(z[1:], -z[:-1])               # one result, seen by each mover
        if t < 9:                    # the game ended early: the last mover made a line and won
            assert z[-1] == 1.0
