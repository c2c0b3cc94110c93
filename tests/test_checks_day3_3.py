"""Checkers of 3_3: stub, wrong answers, solution (bidirectional_forward, build_bilstm)."""

from __future__ import annotations

import keras
import numpy as np

from tests.checkerkit import Spec, make_tests

L = keras.layers


# ------------------------------------------------------------------ 3_3 bidirectional_forward
def bi_solution(x, rnn_f, rnn_b):
    h_f = rnn_f(x)
    h_b = rnn_b(x[:, ::-1])
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2)


def bi_seed_form_per_sample(x, rnn_f, rnn_b):
    """Another right answer: the lecture's lines, one sequence at a time."""
    hs_f, hs_b = rnn_f(x), rnn_b(np.stack([s[::-1] for s in x]))
    return np.stack([np.concatenate([h_f, h_b[::-1]], axis=1) for h_f, h_b in zip(hs_f, hs_b, strict=True)])


def bi_not_realigned(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x), rnn_b(x[:, ::-1])], axis=2)


def bi_input_not_reversed(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x), rnn_b(x)[:, ::-1]], axis=2)


def bi_batch_axis_reversed(x, rnn_f, rnn_b):
    h_b = rnn_b(x[:, ::-1])
    return np.concatenate([rnn_f(x), h_b[::-1]], axis=2)  # the lecture's h_b[::-1] on a batch


def bi_seed_form_on_batch(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x), rnn_b(x[::-1])[::-1]], axis=2)


def bi_swapped(x, rnn_f, rnn_b):
    return np.concatenate([rnn_b(x[:, ::-1])[:, ::-1], rnn_f(x)], axis=2)


def bi_time_axis(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x), rnn_b(x[:, ::-1])[:, ::-1]], axis=1)


def bi_same_rnn(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x), rnn_f(x[:, ::-1])[:, ::-1]], axis=2)


def bi_last_states(x, rnn_f, rnn_b):
    return np.concatenate([rnn_f(x)[:, -1], rnn_b(x[:, ::-1])[:, -1]], axis=1)


def bi_in_place(x, rnn_f, rnn_b):
    h_f = rnn_f(x)
    x[:] = x[:, ::-1]
    return np.concatenate([h_f, rnn_b(x)[:, ::-1]], axis=2)


def bi_no_return(x, rnn_f, rnn_b):
    np.concatenate([rnn_f(x), rnn_b(x[:, ::-1])[:, ::-1]], axis=2)


# ------------------------------------------------------------------ 3_3 build_bilstm
def _bilstm(vocab_size, maxlen, embed_dim, units, *, rnn=None, bidirectional=True, pool="max",
            out_units=1, activation="sigmoid", loss="binary_crossentropy", compile_=True,
            extra_dense=False):
    rnn = rnn or L.LSTM
    layer = rnn(units, return_sequences=pool is not None)
    layers = [keras.Input((maxlen,)), L.Embedding(vocab_size, embed_dim),
              L.Bidirectional(layer) if bidirectional else layer]
    if pool == "max":
        layers.append(L.GlobalMaxPooling1D())
    elif pool == "avg":
        layers.append(L.GlobalAveragePooling1D())
    if extra_dense:
        layers.append(L.Dense(16, activation="relu"))
    layers.append(L.Dense(out_units, activation=activation))
    model = keras.Sequential(layers)
    if compile_:
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def bilstm_functional(vocab_size, maxlen, embed_dim=128, units=64):
    """Another right answer: the functional API, dropout and a BinaryCrossentropy object."""
    inputs = keras.Input((maxlen,), dtype="int32")
    x = L.Embedding(vocab_size, embed_dim)(inputs)
    x = L.Bidirectional(L.LSTM(units, return_sequences=True))(x)
    x = L.Dropout(0.2)(L.GlobalMaxPooling1D()(x))
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(),
                  metrics=["accuracy"])
    return model


def bilstm_unidirectional(v, m, e, u):
    return _bilstm(v, m, e, u, bidirectional=False)


def bilstm_gru(v, m, e, u):
    return _bilstm(v, m, e, u, rnn=L.GRU)


def bilstm_last_state(v, m, e, u):
    return _bilstm(v, m, e, u, pool=None)


def bilstm_average_pool(v, m, e, u):
    return _bilstm(v, m, e, u, pool="avg")


def bilstm_no_sigmoid(v, m, e, u):
    return _bilstm(v, m, e, u, activation=None)


def bilstm_two_softmax(v, m, e, u):
    return _bilstm(v, m, e, u, out_units=2, activation="softmax", loss="sparse_categorical_crossentropy")


def bilstm_hard_coded(v, m, e, u):
    return _bilstm(v, m, 16, 8)


def bilstm_extra_dense(v, m, e, u):
    return _bilstm(v, m, e, u, extra_dense=True)


def bilstm_not_compiled(v, m, e, u):
    return _bilstm(v, m, e, u, compile_=False)


def bilstm_mse(v, m, e, u):
    return _bilstm(v, m, e, u, loss="mse")


def bilstm_no_return(v, m, e, u):
    _bilstm(v, m, e, u)


CASES = {
    "3_3/bidirectional_forward": Spec(
        solution=bi_solution,
        wrong=[bi_not_realigned, bi_input_not_reversed, bi_batch_axis_reversed, bi_seed_form_on_batch,
               bi_swapped, bi_time_axis, bi_same_rnn, bi_last_states, bi_in_place, bi_no_return],
        messages=["still in reversed time", "read x forwards: give it", "reverses the first axis",
                  "reversing twice undoes it", "halves are swapped", "along the time axis",
                  "own weights, rnn_b", "one vector per sequence", "in place", "returned None"],
    ),
    "3_3/build_bilstm": Spec(
        wrong=[bilstm_unidirectional, bilstm_gru, bilstm_last_state, bilstm_average_pool,
               bilstm_no_sigmoid, bilstm_two_softmax, bilstm_hard_coded, bilstm_extra_dense,
               bilstm_not_compiled, bilstm_mse, bilstm_no_return],
        messages=["unidirectional", "wraps a GRU", "return_sequences=False", "GlobalAveragePooling1D instead",
                  "activation 'linear'", "(None, 2)", "use the arguments", "more parameters",
                  "not compiled", "binary_crossentropy", "return model"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """The lecture's per-sequence lines, the functional API with dropout and a loss object."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [("3_3/bidirectional_forward", bi_seed_form_per_sample),
                      ("3_3/build_bilstm", bilstm_functional)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
