"""Checkers of 3_4: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import checks, seq2seq

START = 1


# ------------------------------------------------------------------ teacher_forcing_targets
def tf_solution(target_ids):
    N = target_ids.shape[0]
    start = np.full((N, 1), START, dtype=target_ids.dtype)
    return np.concatenate([start, target_ids[:, :-1]], axis=1), target_ids.copy()


def tf_no_shift(target_ids):
    return target_ids.copy(), target_ids.copy()


def tf_wrong_way(target_ids):
    pad = np.zeros((target_ids.shape[0], 1), dtype=target_ids.dtype)
    return np.concatenate([target_ids[:, 1:], pad], axis=1), target_ids.copy()


def tf_pad_first(target_ids):
    pad = np.zeros((target_ids.shape[0], 1), dtype=target_ids.dtype)
    return np.concatenate([pad, target_ids[:, :-1]], axis=1), target_ids.copy()


def tf_too_long(target_ids):
    start = np.full((target_ids.shape[0], 1), START, dtype=target_ids.dtype)
    return np.concatenate([start, target_ids], axis=1), target_ids.copy()


def tf_swapped(target_ids):
    dec_in, dec_out = tf_solution(target_ids)
    return dec_out, dec_in


def tf_target_shifted(target_ids):
    pad = np.zeros((target_ids.shape[0], 1), dtype=target_ids.dtype)
    dec_in, _ = tf_solution(target_ids)
    return dec_in, np.concatenate([target_ids[:, 1:], pad], axis=1)


def tf_in_place(target_ids):
    dec_out = target_ids.copy()
    target_ids[:, 1:] = target_ids[:, :-1].copy()  # shifts the caller's array
    target_ids[:, 0] = START
    return target_ids, dec_out


def tf_float(target_ids):
    N = target_ids.shape[0]
    return np.concatenate([np.ones((N, 1)), target_ids[:, :-1]], axis=1), target_ids.copy()


def tf_single(target_ids):
    return tf_solution(target_ids)[0]


# ------------------------------------------------------------------ reparameterize
def rep_solution(mu, log_var, eps):
    return mu + np.exp(0.5 * log_var) * eps


def rep_no_half(mu, log_var, eps):
    return mu + np.exp(log_var) * eps


def rep_half_outside(mu, log_var, eps):
    return mu + 0.5 * np.exp(log_var) * eps


def rep_log_var_as_sigma(mu, log_var, eps):
    return mu + log_var * eps


def rep_own_noise(mu, log_var, eps):
    return mu + np.exp(0.5 * log_var) * np.random.default_rng(0).normal(size=mu.shape)


def rep_no_eps(mu, log_var, eps):
    return mu + np.exp(0.5 * log_var)


def rep_no_return(mu, log_var, eps):
    mu + np.exp(0.5 * log_var) * eps


# ------------------------------------------------------------------ sample_token
def _stable(logits, T):
    z = logits / T
    e = np.exp(z - z.max())
    return e / e.sum()


def tok_solution(logits, temperature, rng):
    p = _stable(logits, temperature)
    return p, rng.choice(len(p), p=p)


def tok_multiplied(logits, temperature, rng):
    p = _stable(logits * temperature, 1.0)
    return p, rng.choice(len(p), p=p)


def tok_overflow(logits, temperature, rng):
    with np.errstate(over="ignore", invalid="ignore"):  # the student's code would warn
        e = np.exp(logits / temperature)
        p = e / e.sum()
    return p, rng.choice(len(p), p=np.nan_to_num(p))


def tok_argmax(logits, temperature, rng):
    p = _stable(logits, temperature)
    return p, int(p.argmax())


def tok_multinomial(logits, temperature, rng):
    p = _stable(logits, temperature)
    return p, int(rng.multinomial(1, p).argmax())


def tok_no_temperature(logits, temperature, rng):
    p = _stable(logits, 1.0)
    return p, rng.choice(len(p), p=p)


def tok_unnormalized(logits, temperature, rng):
    e = np.exp(logits / temperature - (logits / temperature).max())
    return e, rng.choice(len(e), p=e / e.sum())


def tok_token_only(logits, temperature, rng):
    p = _stable(logits, temperature)
    return rng.choice(len(p), p=p)


CASES = {
    "3_4/teacher_forcing_targets": Spec(
        solution=tf_solution,
        wrong=[tf_no_shift, tf_wrong_way, tf_pad_first, tf_too_long, tf_swapped,
               tf_target_shifted, tf_in_place, tf_float, tf_single],
        messages=["copy its input", "wrong way", "START (id 1)", "keep the length T", "swapped",
                  "shifted too", "in place", "integers", "two arrays"],
    ),
    "3_4/reparameterize": Spec(
        solution=rep_solution,
        wrong=[rep_no_half, rep_half_outside, rep_log_var_as_sigma, rep_own_noise, rep_no_eps,
               rep_no_return],
        messages=["σ²", "inside the exponential", "log_var is log σ²", "eps passed in",
                  "eps is missing", "return"],
    ),
    "3_4/sample_token": Spec(
        solution=tok_solution,
        wrong=[tok_multiplied, tok_overflow, tok_argmax, tok_multinomial, tok_no_temperature,
               tok_unnormalized, tok_token_only],
        messages=["divide them", "Subtract the maximum", "greedy", "generator call",
                  "temperature is ignored", "not normalized", "(probs, token)"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [("3_4/teacher_forcing_targets", seq2seq.teacher_forcing_targets),
                      ("3_4/reparameterize", seq2seq.reparameterize),
                      ("3_4/sample_token", seq2seq.sample_token)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message


def test_sample_token_choice_on_an_array_accepted() -> None:
    """rng.choice(np.arange(K), p=p) draws the same tokens as rng.choice(K, p=p)."""

    def alt(logits, temperature, rng):
        p = _stable(logits, temperature)
        return p, int(rng.choice(np.arange(len(p)), p=p))

    assert run("3_4/sample_token", alt).status == checks.PASS
