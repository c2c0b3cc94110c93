"""Checkers of 4_8: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests


def _sp(x):
    return np.logaddexp(0, np.asarray(x, float))


def _sig(x):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, float)))


# ------------------------------------------------------------------ discriminator_loss
def dl_solution(real_logits, fake_logits):
    return float(_sp(-real_logits).mean() + _sp(fake_logits).mean())


def dl_swapped(real_logits, fake_logits):
    return float(_sp(real_logits).mean() + _sp(-fake_logits).mean())


def dl_half(real_logits, fake_logits):
    return 0.5 * dl_solution(real_logits, fake_logits)


def dl_sums(real_logits, fake_logits):
    return float(_sp(-real_logits).sum() + _sp(fake_logits).sum())


def dl_real_only(real_logits, fake_logits):
    return float(_sp(-real_logits).mean())


def dl_sigmoid_first(real_logits, fake_logits):
    return float(_sp(-_sig(real_logits)).mean() + _sp(_sig(fake_logits)).mean())


def dl_overflow(real_logits, fake_logits):
    with np.errstate(over="ignore"):
        return float(
            np.log(1 + np.exp(-real_logits)).mean() + np.log(1 + np.exp(fake_logits)).mean()
        )


def dl_per_sample(real_logits, fake_logits):
    return _sp(-real_logits) + _sp(fake_logits)


# ------------------------------------------------------------------ generator_loss
def gl_solution(fake_logits):
    return float(_sp(-fake_logits).mean())


def gl_saturating(fake_logits):
    return float(-_sp(fake_logits).mean())


def gl_target_zero(fake_logits):
    return float(_sp(fake_logits).mean())


def gl_sign(fake_logits):
    return float(-_sp(-fake_logits).mean())


def gl_sigmoid_first(fake_logits):
    return float(_sp(-_sig(fake_logits)).mean())


def gl_overflow(fake_logits):
    with np.errstate(over="ignore"):
        return float(np.log(1 + np.exp(-fake_logits)).mean())


CASES = {
    "4_8/discriminator_loss": Spec(
        solution=dl_solution,
        wrong=[
            dl_swapped,
            dl_half,
            dl_sums,
            dl_real_only,
            dl_sigmoid_first,
            dl_overflow,
            dl_per_sample,
        ],
        messages=[
            "targets are swapped",
            "1/2 is extra",
            "sums instead of means",
            "fake term is missing",
            "do not apply the sigmoid",
            "np.logaddexp",
            "expected one number",
        ],
    ),
    "4_8/generator_loss": Spec(
        solution=gl_solution,
        wrong=[gl_saturating, gl_target_zero, gl_sign, gl_sigmoid_first, gl_overflow],
        messages=[
            "saturating minimax form",
            "target 0",
            "sign is flipped",
            "do not apply the sigmoid",
            "np.logaddexp",
        ],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)
