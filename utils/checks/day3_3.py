"""Checkers of 3_3 RNNs on IMDB: ``bidirectional_forward`` (NumPy) and ``build_bilstm()`` (Keras).

``bidirectional_forward(x, rnn_f, rnn_b)`` gets a batch ``x`` (N, T, D) and two functions, each
mapping a batch of sequences to its hidden states (N, T, H) (the seed's ``_rnn``); the cases pass
course RNNs (:class:`utils.nn.RNN`) of different widths, so that every classic mistake (no
reversal, the batch axis reversed, the halves swapped ...) gives a different array, recognized
and named. ``build_bilstm(vocab_size, maxlen, embed_dim, units)`` returns a compiled Keras model;
the cases read its ``get_config()``, ``get_compile_config()`` and ``count_params()`` (plain
data) and run it once on token ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils import text
from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_same_output
from utils.nn.recurrent import RNN


# ------------------------------------------------------------------ bidirectional_forward
def bidirectional_reference(x: np.ndarray, rnn_f: Any, rnn_b: Any) -> np.ndarray:
    """x (N, T, D) -> (N, T, H_f + H_b): rnn_f(x) beside rnn_b(x reversed in time), re-aligned."""
    h_f = rnn_f(x)                    # (N, T, H_f), step t has read x_0 ... x_t
    h_b = rnn_b(x[:, ::-1])           # (N, T, H_b), step s has read x_(T-1) ... x_(T-1-s)
    return np.concatenate([h_f, h_b[:, ::-1]], axis=2)


def _rnns(seed: int, D: int, Hf: int, Hb: int) -> tuple[Any, Any]:
    r = _h.rng(seed)
    f = RNN(r.normal(0, 0.8, (D, Hf)), r.normal(0, 0.5, (Hf, Hf)), r.normal(0, 0.3, Hf))
    b = RNN(r.normal(0, 0.8, (D, Hb)), r.normal(0, 0.5, (Hb, Hb)), r.normal(0, 0.3, Hb))
    return f, b


def _wrong_bidirectional(x: np.ndarray, rnn_f: Any, rnn_b: Any) -> list[tuple[np.ndarray, str]]:
    h_f, rev = rnn_f(x), x[:, ::-1]
    h_b = rnn_b(rev)
    cat = np.concatenate
    return [
        (cat([h_f, h_b], axis=2),
         "the backward states are still in reversed time: rnn_b(x[:, ::-1])[:, s] belongs to time "
         "step T-1-s. Reverse them back before concatenating, h_b[:, ::-1], so that step t holds "
         "both states at x_t"),
        (cat([h_f, rnn_b(x)[:, ::-1]], axis=2),
         "the backward RNN read x forwards: give it the sequence reversed in time, rnn_b(x[:, ::-1])"),
        (cat([h_f, rnn_b(x)], axis=2),
         "the backward RNN read x forwards (x[::-1] on a batch reverses the samples, not the time "
         "steps, and reversing twice undoes it): use rnn_b(x[:, ::-1]) and h_b[:, ::-1]"),
        (cat([h_f, h_b[::-1]], axis=2),
         "h_b[::-1] reverses the first axis, which for a batch (N, T, H) is the samples. Reverse the "
         "time axis, h_b[:, ::-1] (the lecture's h_b[::-1] is written for one sequence (T, H))"),
        (cat([h_b[:, ::-1], h_f], axis=2),
         "the halves are swapped: the forward states come first, np.concatenate([h_f, h_b], ...)"),
        (cat([h_f, rnn_f(rev)[:, ::-1]], axis=2),
         "rnn_f was used for both directions: the backward direction has its own weights, rnn_b"),
    ]


def _judge_bidirectional(fn: Any, seed: int, N: int, T: int, D: int, Hf: int, Hb: int) -> None:
    rnn_f, rnn_b = _rnns(seed, D, Hf, Hb)
    x = _h.rng(seed + 1).normal(size=(N, T, D))
    copy = x.copy()
    out = _h.call(fn, copy, rnn_f.forward, rnn_b.forward,
                  hint="x is (N, T, D); each RNN function returns (N, T, H)")
    if not np.array_equal(copy, x):
        raise AssertionError("bidirectional_forward changed x in place; compute new arrays instead")
    if out is None:
        raise AssertionError("bidirectional_forward returned None: did you forget `return`?")
    want = bidirectional_reference(x, rnn_f.forward, rnn_b.forward)
    shape = np.shape(out)
    if shape != want.shape:
        if shape == (N, 2 * T, Hf) or shape == (N, T + T, Hb):
            why = ("you concatenated along the time axis; the two states of one step go side by "
                   "side on the feature axis, axis=2 (or -1)")
        elif shape == (2 * N, T, Hf):
            why = "you concatenated along the batch axis; use the feature axis, axis=2 (or -1)"
        elif shape == (N, Hf + Hb):
            why = ("you returned one vector per sequence; return the states of every time step, "
                   f"({N}, {T}, {Hf + Hb})")
        else:
            why = (f"np.concatenate([h_f, h_b], axis=2) of h_f ({N}, {T}, {Hf}) and h_b "
                   f"({N}, {T}, {Hb}) is ({N}, {T}, {Hf + Hb})")
        raise AssertionError(f"the result has shape {shape}, expected {want.shape}: {why}")
    hints = _wrong_bidirectional(x, rnn_f.forward, rnn_b.forward)
    _h.with_hint(lambda: assert_close(out, want, name="bidirectional_forward(x, rnn_f, rnn_b)"),
                 out, hints)


def _compare_states(actual: Any, expected: Any) -> None:
    assert_close(actual, expected, name="bidirectional_forward(x, rnn_f, rnn_b)")


bidirectional_forward = Checker(
    "3_3",
    "bidirectional_forward",
    reference=bidirectional_reference,
    compare=_compare_states,
    doc="bidirectional_forward(x, rnn_f, rnn_b): x (N, T, D) -> (N, T, H_f + H_b), the forward "
        "states beside the backward ones re-aligned in time.",
)


@bidirectional_forward.case("a batch: N=3, T=5, D=2, forward H=4, backward H=3")
def _(fn: Any) -> None:
    _judge_bidirectional(fn, 3301, 3, 5, 2, 4, 3)


@bidirectional_forward.case("another batch: N=2, T=7, D=3, both H=2")
def _(fn: Any) -> None:
    _judge_bidirectional(fn, 3302, 2, 7, 3, 2, 2)


@bidirectional_forward.case("one sequence of one step: N=1, T=1 (both directions read x_0)")
def _(fn: Any) -> None:
    _judge_bidirectional(fn, 3303, 1, 1, 2, 3, 2)


# ------------------------------------------------------------------ build_bilstm
_ARGS = [(1000, 50, 16, 8), (500, 20, 4, 3)]  # vocab_size, maxlen, embed_dim, units


def _compare_models(actual: Any, expected: Any) -> None:
    """Extra cases: the same output shape and parameter count as the reference for those args."""
    expect_same_output(actual, expected)
    if int(actual.count_params()) != int(expected.count_params()):
        raise AssertionError(f"{actual.count_params()} parameters, expected {expected.count_params()}")


build_bilstm = Checker(
    "3_3",
    "build_bilstm",
    reference=text.build_bilstm,
    compare=_compare_models,
    doc="build_bilstm(vocab_size, maxlen, embed_dim, units): Embedding -> Bidirectional(LSTM, "
        "return_sequences=True) -> GlobalMaxPooling1D -> Dense(1, sigmoid), compiled.",
)


def _model_of(fn: Any, args: tuple[int, int, int, int]) -> Any:
    model = fn(*args)
    if model is None:
        raise AssertionError("build_bilstm returned None: did you forget `return model`?")
    if not hasattr(model, "count_params") or not hasattr(model, "get_config"):
        raise AssertionError(f"build_bilstm returned {type(model).__name__}; return the keras.Model "
                             "(keras.Sequential([...]) or keras.Model(inputs, outputs))")
    return model


def _layers(model: Any) -> list[tuple[str, dict]]:
    """(class name, config) of every layer, from the model's config (plain data)."""
    cfg = model.get_config()
    layers = cfg.get("layers", []) if isinstance(cfg, dict) else []
    return [(str(layer.get("class_name")), dict(layer.get("config") or {})) for layer in layers]


def _inner(config: dict) -> tuple[str, dict]:
    """The wrapped layer of a Bidirectional's config."""
    layer = config.get("layer") or {}
    return str(layer.get("class_name")), dict(layer.get("config") or {})


_ARCH = ("Embedding(vocab_size, embed_dim) -> Bidirectional(LSTM(units, return_sequences=True)) "
         "-> GlobalMaxPooling1D() -> Dense(1, activation=\"sigmoid\")")


@build_bilstm.case("a Keras model from (None, 50) token ids to one output (None, 1)")
def _(fn: Any) -> None:
    args = _ARGS[0]
    model = _model_of(fn, args)
    shape_in = tuple(model.input_shape)
    if shape_in != (None, args[1]):
        raise AssertionError(f"build_bilstm{args}: the input shape is {shape_in}, expected "
                             f"(None, {args[1]}): start with keras.Input((maxlen,)), one token id "
                             "a step")
    shape_out = tuple(model.output_shape)
    if shape_out == (None, args[1], 1) or (len(shape_out) == 3 and shape_out[-1] == 1):
        raise AssertionError(f"the output shape is {shape_out}, one output per time step: with "
                             "return_sequences=True, pool over time (GlobalMaxPooling1D()) before "
                             "the Dense layer")
    if shape_out == (None, 2):
        raise AssertionError("the output shape is (None, 2): a positive/negative review needs one "
                             "probability, Dense(1, activation=\"sigmoid\"), with binary "
                             "cross-entropy")
    if shape_out != (None, 1):
        raise AssertionError(f"the output shape is {shape_out}, expected (None, 1): {_ARCH}")


@build_bilstm.case("Embedding, a bidirectional LSTM that returns every step, max-pooled over time")
def _(fn: Any) -> None:
    layers = _layers(_model_of(fn, _ARGS[0]))
    names = [n for n, _ in layers if n != "InputLayer"]
    listing = ", ".join(names)
    if "Embedding" not in names:
        raise AssertionError(f"the model has no Embedding layer (its layers: {listing}): token ids "
                             "become vectors through keras.layers.Embedding(vocab_size, embed_dim)")
    bis = [cfg for n, cfg in layers if n == "Bidirectional"]
    if not bis:
        if any(n in ("LSTM", "GRU", "SimpleRNN") for n in names):
            raise AssertionError(f"the recurrent layer is unidirectional (its layers: {listing}): "
                                 "wrap it, keras.layers.Bidirectional(keras.layers.LSTM(units, "
                                 "return_sequences=True))")
        raise AssertionError(f"the model has no Bidirectional layer (its layers: {listing}): {_ARCH}")
    inner, inner_cfg = _inner(bis[0])
    if inner != "LSTM":
        raise AssertionError(f"the Bidirectional layer wraps a {inner}; the exercise asks for an "
                             "LSTM: keras.layers.Bidirectional(keras.layers.LSTM(units, "
                             "return_sequences=True))")
    pooled = any(n == "GlobalMaxPooling1D" for n in names)
    if not inner_cfg.get("return_sequences"):
        raise AssertionError("the LSTM returns only its last state (return_sequences=False), so the "
                             "backward direction ends on the padding at the start of a pre-padded "
                             "review; return the states of every step, LSTM(units, "
                             "return_sequences=True), and max-pool them with GlobalMaxPooling1D()")
    if not pooled:
        other = [n for n in names if n.startswith("Global") or "Pool" in n or n == "Flatten"]
        what = f" ({other[0]} instead)" if other else ""
        raise AssertionError(f"the states of every step must be max-pooled over time with "
                             f"GlobalMaxPooling1D(){what}: {_ARCH}")


@build_bilstm.case("a sigmoid output: the probability that a review is positive")
def _(fn: Any) -> None:
    layers = _layers(_model_of(fn, _ARGS[0]))
    last_name, last_cfg = layers[-1]
    activation = last_cfg.get("activation")
    if last_name in ("Dense", "Activation") and activation == "sigmoid":
        return
    if activation == "softmax":
        raise AssertionError("the output is a softmax: over one unit it is always 1. A binary "
                             "classifier ends with Dense(1, activation=\"sigmoid\")")
    raise AssertionError(f"the last layer is {last_name} with activation {activation!r}: end with "
                         "Dense(1, activation=\"sigmoid\"), a probability in (0, 1) that binary "
                         "cross-entropy compares with the label")


@build_bilstm.case("the parameter count of the architecture, for two sets of arguments")
def _(fn: Any) -> None:
    for args in _ARGS:
        vocab, _, embed, units = args
        model = _model_of(fn, args)
        got, want = int(model.count_params()), text.bilstm_param_count(vocab, embed, units)
        if got == want:
            continue
        lstm = 2 * 4 * (embed * units + units**2 + units)
        detail = (f"expected {want:,} = Embedding {vocab}·{embed} + Bidirectional LSTM 2·4·"
                  f"({embed}·{units} + {units}² + {units}) = {lstm:,} + Dense {2 * units} + 1")
        layers = _layers(model)
        emb = next((cfg for n, cfg in layers if n == "Embedding"), {})
        bi = next((cfg for n, cfg in layers if n == "Bidirectional"), None)
        yours = (emb.get("input_dim"), emb.get("output_dim"),
                 _inner(bi)[1].get("units") if bi is not None else None)
        if got == want - lstm // 2 - units:
            hint = "one LSTM's weights are missing: is the LSTM bidirectional?"
        elif None not in yours and yours != (vocab, embed, units):
            hint = (f"use the arguments: Embedding(vocab_size, embed_dim) and LSTM(units); yours "
                    f"are Embedding({yours[0]}, {yours[1]}) and LSTM({yours[2]}) for "
                    f"vocab_size={vocab}, embed_dim={embed}, units={units}")
        elif got > want:
            hint = ("more parameters than the architecture has: an extra layer, or a width "
                    "that is not the function's argument")
        else:
            hint = "use the arguments: Embedding(vocab_size, embed_dim) and LSTM(units)"
        raise AssertionError(f"build_bilstm{args} has {got:,} parameters, {detail}. Hint: {hint}")


@build_bilstm.case("compiled with binary cross-entropy and the accuracy metric")
def _(fn: Any) -> None:
    compiled = _model_of(fn, _ARGS[0]).get_compile_config()
    if not compiled:
        raise AssertionError("the model is not compiled: model.compile(optimizer=\"adam\", "
                             "loss=\"binary_crossentropy\", metrics=[\"accuracy\"]) before `return`")
    loss = str(compiled.get("loss")).lower()
    if "binary" not in loss:
        raise AssertionError(f"the loss is {compiled.get('loss')!r}: a sigmoid output of one unit "
                             "goes with loss=\"binary_crossentropy\"")
    if "accuracy" not in str(compiled.get("metrics")).lower():
        raise AssertionError("compile with metrics=[\"accuracy\"], so that fit and evaluate report "
                             "the accuracy")


@build_bilstm.case("a forward pass: 4 reviews of 50 token ids give 4 outputs")
def _(fn: Any) -> None:
    model = _model_of(fn, _ARGS[0])
    x = _h.rng(33).integers(1, _ARGS[0][0], size=(4, _ARGS[0][1])).astype(np.int32)
    x[:2, :20] = 0  # two pre-padded reviews
    out = np.asarray(model(x, training=False), dtype=float)
    if out.shape != (4, 1):
        raise AssertionError(f"model(x) for 4 reviews gave shape {out.shape}, expected (4, 1)")
    if not np.isfinite(out).all():  # no range check: the values depend on the random initial weights
        raise AssertionError("model(x) gave values that are not finite numbers")
