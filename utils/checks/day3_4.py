"""Checkers of 3_4 seq2seq and autoencoders: teacher forcing, the reparameterization trick and
sampling with a temperature.

``sample_token(logits, temperature, rng)`` returns ``(probs, token)``. Its random draw is
compared deterministically: a case gives the student a ``np.random.default_rng(seed)`` and
draws the reference tokens from a fresh generator with the same seed, with the call the
exercise prescribes (``rng.choice(len(probs), p=probs)``, one per call). The same seed and
the same calls give the same tokens, in the kernel and in the grader's replay. A wrong
sequence is then classified (argmax every time, the right frequencies but another
generator call, or the wrong distribution) for the hint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, compare_arrays, expect_arrays, expect_shape
from utils.seq2seq import reparameterize as _reparameterize
from utils.seq2seq import sample_token as _sample_token
from utils.seq2seq import teacher_forcing_targets as _teacher_forcing_targets

START, END, PAD = 1, 2, 0


# ------------------------------------------------------------------ teacher_forcing_targets
def _targets(seed: int, N: int, T: int, V: int = 12) -> np.ndarray:
    """(N, T) target ids: tokens 3..V-1 of random lengths, then END, then PAD."""
    rng = _h.rng(seed)
    out = np.zeros((N, T), dtype=np.int32)
    for row in range(N):
        n = int(rng.integers(1, T))  # at most T - 1 tokens: room for END
        out[row, :n] = rng.integers(3, V, size=n)
        out[row, n] = END
    return out


def _pair(out: Any) -> tuple[np.ndarray, ...]:
    return expect_arrays(out, "teacher_forcing_targets", ("decoder_input", "decoder_target"))


def _tf_hints(target: np.ndarray) -> list[tuple[Any, str]]:
    N = target.shape[0]
    col = np.zeros((N, 1), dtype=target.dtype)
    return [
        (target, "the decoder input equals the target: the decoder would learn to copy its input. "
                 "Shift the targets right by one and put START (id 1) first"),
        (np.concatenate([target[:, 1:], col], axis=1),
         "shifted the wrong way (left): the input at step t must be the target of step t - 1, "
         "START first, target_ids[:, :-1] after it"),
        (np.concatenate([col, target[:, :-1]], axis=1),
         "the first input is PAD (0): it must be START (id 1), the token that starts decoding"),
        (np.concatenate([col + END, target[:, :-1]], axis=1),
         "the first input is END (id 2): it must be START (id 1)"),
    ]


teacher_forcing_targets = Checker(
    "3_4",
    "teacher_forcing_targets",
    reference=_teacher_forcing_targets,
    compare=compare_arrays("teacher_forcing_targets", ("decoder_input", "decoder_target")),
    doc="teacher_forcing_targets: decoder input = START then the targets shifted right by one; "
        "decoder target = the targets.",
)


@teacher_forcing_targets.case("a small batch: START, then the targets shifted right")
def _(fn: Any) -> None:
    target = np.array([[5, 6, 7, END, PAD, PAD], [8, 9, END, PAD, PAD, PAD]], dtype=np.int32)
    dec_in, dec_out = _pair(_h.call(fn, target.copy()))
    want_in = np.array([[START, 5, 6, 7, END, PAD], [START, 8, 9, END, PAD, PAD]])
    if dec_in.shape == (2, 7):
        raise AssertionError("decoder_input has shape (2, 7), expected (2, 6): keep the length T, "
                             "drop the last target token (target_ids[:, :-1]) after START")
    if np.array_equal(dec_in, target) and np.array_equal(dec_out, want_in):
        raise AssertionError("the two arrays are swapped: return (decoder_input, decoder_target)")
    expect_shape(dec_in, target.shape, "decoder_input")
    _h.with_hint(lambda: assert_close(dec_in, want_in, name="decoder_input"), dec_in, _tf_hints(target))
    expect_shape(dec_out, target.shape, "decoder_target")
    if np.array_equal(dec_out, np.concatenate([target[:, 1:], target[:, :1] * 0], axis=1)):
        raise AssertionError("decoder_target is shifted too: the target is the sequence itself, "
                             "since the decoder input is already shifted")
    assert_close(dec_out, target, name="decoder_target")


@teacher_forcing_targets.case("a random batch; integer ids; the input is not changed")
def _(fn: Any) -> None:
    target = _targets(71, 5, 8)
    given = target.copy()
    dec_in, dec_out = _pair(_h.call(fn, given))
    if not np.array_equal(given, target):
        raise AssertionError("your function changed target_ids in place: build new arrays "
                             "(np.concatenate makes a copy)")
    want_in, want_out = _teacher_forcing_targets(target)
    expect_shape(dec_in, target.shape, "decoder_input")
    _h.with_hint(lambda: assert_close(dec_in, want_in, name="decoder_input"), dec_in, _tf_hints(target))
    assert_close(dec_out, want_out, name="decoder_target")
    for arr, name in ((dec_in, "decoder_input"), (dec_out, "decoder_target")):
        if arr.dtype.kind not in "iu":
            raise AssertionError(f"{name} has dtype {arr.dtype}: token ids are integers "
                                 "(give the START column the dtype of target_ids)")


@teacher_forcing_targets.case("a sequence that fills all T positions (END last)")
def _(fn: Any) -> None:
    target = np.array([[4, 5, 6, END]], dtype=np.int64)
    dec_in, dec_out = _pair(_h.call(fn, target.copy()))
    expect_shape(dec_in, (1, 4), "decoder_input")
    _h.with_hint(lambda: assert_close(dec_in, [[START, 4, 5, 6]], name="decoder_input"), dec_in,
                 _tf_hints(target))
    assert_close(dec_out, target, name="decoder_target")


# ------------------------------------------------------------------ reparameterize
def _latent(seed: int, N: int = 4, L: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _h.rng(seed)
    return rng.normal(size=(N, L)), rng.normal(size=(N, L)) * 1.5, rng.normal(size=(N, L))


def _rep_hints(mu: np.ndarray, log_var: np.ndarray, eps: np.ndarray) -> list[tuple[Any, str]]:
    return [
        (mu + np.exp(log_var) * eps, "you multiplied eps by exp(log_var) = σ², the variance; the "
                                     "standard deviation is σ = exp(½ · log_var)"),
        (mu + 0.5 * np.exp(log_var) * eps, "the ½ belongs inside the exponential: σ = exp(0.5 * log_var)"),
        (mu + log_var * eps, "log_var is log σ², not σ: σ = exp(0.5 * log_var)"),
        (mu + np.exp(0.5 * log_var), "eps is missing: z = mu + σ · eps"),
        (mu * np.exp(0.5 * log_var) + eps, "mu and eps are swapped: z = mu + σ · eps"),
        (mu + np.sqrt(np.abs(log_var)) * eps, "σ = exp(½ log σ²), not the square root of log_var"),
    ]


reparameterize = Checker(
    "3_4",
    "reparameterize",
    reference=_reparameterize,
    doc="reparameterize: z = mu + exp(0.5 * log_var) * eps.",
)


@reparameterize.case("z = mu + exp(½ log_var) · eps on a batch")
def _(fn: Any) -> None:
    mu, log_var, eps = _latent(81)
    z = _h.call(fn, mu.copy(), log_var.copy(), eps.copy())
    if z is None:
        raise AssertionError("reparameterize returned None: did you forget `return`?")
    want = mu + np.exp(0.5 * log_var) * eps
    expect_shape(z, mu.shape, "z")
    _h.with_hint(lambda: assert_close(z, want, name="z"), z, _rep_hints(mu, log_var, eps))


@reparameterize.case("eps = 0 gives z = mu; log_var = 0 (σ = 1) gives z = mu + eps")
def _(fn: Any) -> None:
    mu, _, eps = _latent(82, 2, 2)
    zeros = np.zeros_like(mu)
    z2 = _h.call(fn, mu.copy(), np.log(np.full_like(mu, 4.0)), zeros.copy())
    if z2 is not None and np.shape(z2) == mu.shape and not _h.close(z2, mu):
        raise AssertionError("with eps = 0, z must equal mu: use the eps passed in, do not draw your "
                             "own noise (z is then a deterministic, differentiable function of mu "
                             "and log_var)")
    z1 = _h.call(fn, mu.copy(), zeros.copy(), eps.copy())
    _h.with_hint(lambda: assert_close(z1, mu + eps, name="z with log_var = 0"), z1,
                 [(mu, "with log_var = 0, σ = exp(0) = 1 and z = mu + eps"),
                  (mu + 0.5 * eps, "with log_var = 0, σ = exp(0) = 1: the ½ belongs inside the exponential")])


@reparameterize.case("one sample, five latent dimensions")
def _(fn: Any) -> None:
    mu, log_var, eps = _latent(83, 1, 5)
    z = _h.call(fn, mu.copy(), log_var.copy(), eps.copy())
    expect_shape(z, (1, 5), "z")
    _h.with_hint(lambda: assert_close(z, _reparameterize(mu, log_var, eps), name="z"), z,
                 _rep_hints(mu, log_var, eps))


# ------------------------------------------------------------------ sample_token
def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def _probs_hints(logits: np.ndarray, T: float) -> list[tuple[Any, str]]:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits / T)
        return [
            (_softmax(logits * T), "the temperature multiplies the logits: divide them, "
                                   "softmax(logits / temperature)"),
            (_softmax(logits), "the temperature is ignored: softmax(logits / temperature)"),
            (e, "not normalized: divide by the sum so that the probabilities add up to 1"),
            (_softmax(logits) ** (1 / T), "raised the probabilities to 1/T without normalizing again"),
        ]


def _call_token(fn: Any, logits: np.ndarray, T: float, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    out = _h.call(fn, logits.copy(), T, rng)
    if out is None:
        raise AssertionError("sample_token returned None: did you forget `return probs, token`?")
    try:
        n = len(out)
    except TypeError:
        n = -1
    if n != 2:
        raise AssertionError(f"sample_token must return (probs, token); got {type(out).__name__}")
    probs, token = np.asarray(out[0], dtype=float), out[1]
    try:
        token = int(token)
    except (TypeError, ValueError):
        raise AssertionError(f"the token must be one integer id, got {type(token).__name__} "
                             f"of shape {np.shape(token)}") from None
    return probs, token


sample_token = Checker(
    "3_4",
    "sample_token",
    reference=_sample_token,
    compare=lambda a, e: assert_close(a[0], e[0], name="probs"),
    doc="sample_token: probs = softmax(logits / T) (stable); token = rng.choice(len(probs), p=probs).",
)


@sample_token.case("probs = softmax(logits / T) at T = 1, 0.5 and 2")
def _(fn: Any) -> None:
    logits = _h.rng(91).normal(size=6) * 2
    for T in (1.0, 0.5, 2.0):
        probs, _ = _call_token(fn, logits, T, np.random.default_rng(0))
        expect_shape(probs, logits.shape, f"probs at T = {T}")
        if np.all(np.isfinite(probs)) and not np.isclose(probs.sum(), 1.0):
            raise AssertionError(f"probs at T = {T} sum to {probs.sum():.4g}, not 1: not normalized; "
                                 "divide the exponentials by their sum")
        _h.with_hint(lambda p=probs, T=T: assert_close(p, _softmax(logits / T), name=f"probs at T = {T}"),
                     probs, _probs_hints(logits, T))


@sample_token.case("a small temperature (T = 0.01) does not overflow")
def _(fn: Any) -> None:
    logits = np.array([12.0, 9.5, -3.0, 11.0])
    try:
        probs, token = _call_token(fn, logits, 0.01, np.random.default_rng(1))
    except AssertionError as err:
        if "raised ValueError" not in str(err):
            raise
        raise AssertionError(f"{err}\n    Hint: at T = 0.01, logits / T reach 1200 and exp overflows to "
                             "inf (inf / inf = NaN, so rng.choice refuses the probabilities). Subtract "
                             "the maximum of logits / T before the exp") from None
    if not np.all(np.isfinite(probs)):
        raise AssertionError("probs hold NaN or inf at T = 0.01: logits / T reach 1200 and exp "
                             "overflows. Subtract the maximum of logits / T before the exp")
    assert_close(probs, _softmax(logits / 0.01), name="probs at T = 0.01")
    if token != 0:
        raise AssertionError(f"at T = 0.01 the distribution is one-hot on id 0, but the token is {token}")


@sample_token.case("the draws: rng.choice(len(probs), p=probs), one per call")
def _(fn: Any) -> None:
    logits = np.array([1.0, 0.2, -0.5, 0.8])
    T, n, seed = 1.0, 200, 93
    rng = np.random.default_rng(seed)
    got = [_call_token(fn, logits, T, rng)[1] for _ in range(n)]
    ref_rng = np.random.default_rng(seed)
    want = [_sample_token(logits, T, ref_rng)[1] for _ in range(n)]
    if got == want:
        return
    p = _softmax(logits / T)
    if all(g == int(np.argmax(logits)) for g in got):
        raise AssertionError(f"all {n} tokens are the argmax ({int(np.argmax(logits))}): that is "
                             "greedy decoding. Sample: rng.choice(len(probs), p=probs)")
    freq = np.bincount(np.clip(got, 0, len(p) - 1), minlength=len(p)) / n
    if np.abs(freq - p).max() < 0.1:
        raise AssertionError("your tokens follow the right distribution but not the generator call "
                             "the exercise asks for, so they cannot be compared draw by draw: use "
                             "token = rng.choice(len(probs), p=probs), once per call, with the rng given")
    raise AssertionError(f"the {n} tokens drawn with rng = np.random.default_rng({seed}) differ from "
                         f"rng.choice(len(probs), p=probs); their frequencies {np.round(freq, 2)} "
                         f"should be near probs {np.round(p, 2)}")
