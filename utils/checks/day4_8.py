"""Checkers of 4_8 GAN: the discriminator loss and the non-saturating generator loss, from logits.

Both take 1-D arrays of logits ``a`` (``D = sigmoid(a)``) and return one float.
``discriminator_loss(real, fake) = mean softplus(-real) + mean softplus(fake)``;
``generator_loss(fake) = mean softplus(-fake)``. The cases use logits of a size where the usual
slips (probabilities instead of logits, the saturating form, swapped targets, sums instead of
means, one term only, an extra factor 1/2) give clearly different numbers; one case has logits
of ±800, where ``np.log(1 + np.exp(x))`` overflows and ``np.logaddexp`` does not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close
from utils.gan import discriminator_loss as _d_loss
from utils.gan import generator_loss as _g_loss
from utils.gan import softplus as _sp


def _sig(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # sigmoid without overflow


def _logits(seed: int, n: int, mean: float) -> np.ndarray:
    return np.round(_h.rng(seed).normal(mean, 1.5, size=n), 3)


# ------------------------------------------------------------------ discriminator_loss
def _d_hints(r: np.ndarray, f: np.ndarray) -> list[tuple[Any, str]]:
    return [
        (
            _sp(r).mean() + _sp(-f).mean(),
            "the targets are swapped: real images have target 1 "
            "(softplus(-real_logits)), fakes target 0 (softplus(fake_logits))",
        ),
        (
            0.5 * (_sp(-r).mean() + _sp(f).mean()),
            "the 1/2 is extra: the loss is the sum of the two means",
        ),
        (_sp(-r).sum() + _sp(f).sum(), "sums instead of means: average each term over its batch"),
        (_sp(-r).mean(), "the fake term is missing: add mean softplus(fake_logits)"),
        (_sp(f).mean(), "the real term is missing: add mean softplus(-real_logits)"),
        (
            np.mean(np.concatenate([_sp(-r), _sp(f)])),
            "one mean over both batches weights them by their sizes: "
            "take the mean of each batch, then add",
        ),
        (
            _sp(-_sig(r)).mean() + _sp(_sig(f)).mean(),
            "the inputs are logits: softplus works on the logits "
            "directly, do not apply the sigmoid first",
        ),
        (
            -(np.log(r.clip(1e-7)).mean() + np.log((1 - f).clip(1e-7)).mean()),
            "the inputs are logits, not probabilities: -log D(x) = softplus(-a) = np.logaddexp(0, -a)",
        ),
        (-(_sp(-r).mean() + _sp(f).mean()), "the sign is flipped: the loss is -V, positive"),
    ]


def _check_d(fn: Any, real: np.ndarray, fake: np.ndarray) -> None:
    want = _d_loss(real, fake)
    out = _h.scalar(_h.call(fn, real.copy(), fake.copy()), "discriminator_loss")
    if not np.isfinite(out):
        raise AssertionError(
            f"discriminator_loss returned {out} for logits in [{min(real.min(), fake.min()):g}, "
            f"{max(real.max(), fake.max()):g}]: compute softplus as np.logaddexp(0, x), "
            "not np.log(1 + np.exp(x)), which overflows"
        )
    _h.with_hint(
        lambda: assert_close(out, want, name="the discriminator loss"), out, _d_hints(real, fake)
    )


discriminator_loss = Checker(
    "4_8",
    "discriminator_loss",
    reference=_d_loss,
    doc="discriminator_loss: mean softplus(-real_logits) + mean softplus(fake_logits).",
)


@discriminator_loss.case("eight real, eight fake logits of a discriminator that is doing well")
def _(fn: Any) -> None:
    _check_d(fn, _logits(481, 8, 1.0), _logits(482, 8, -1.5))


@discriminator_loss.case("batches of different sizes (5 real, 12 fake)")
def _(fn: Any) -> None:
    _check_d(fn, _logits(483, 5, 0.5), _logits(484, 12, 0.3))


@discriminator_loss.case("logits of ±800: no overflow")
def _(fn: Any) -> None:
    _check_d(fn, np.array([800.0, -800.0, 2.0]), np.array([-800.0, 800.0, 0.0]))


# ------------------------------------------------------------------ generator_loss
def _g_hints(f: np.ndarray) -> list[tuple[Any, str]]:
    return [
        (
            -_sp(f).mean(),
            "that is the saturating minimax form mean log(1 - D(G(z))): the non-saturating "
            "loss is -mean log D(G(z)) = mean softplus(-fake_logits)",
        ),
        (
            _sp(f).mean(),
            "target 0 is the discriminator's target for fakes: the generator wants D(G(z)) -> 1, "
            "mean softplus(-fake_logits)",
        ),
        (-_sp(-f).mean(), "the sign is flipped: -log D is positive, mean softplus(-fake_logits)"),
        (_sp(-f).sum(), "a sum instead of the mean over the batch"),
        (_sp(-_sig(f)).mean(), "the inputs are logits: do not apply the sigmoid before softplus"),
        (
            -np.log(f.clip(1e-7)).mean(),
            "the inputs are logits, not probabilities: -log D = softplus(-a)",
        ),
    ]


def _check_g(fn: Any, fake: np.ndarray) -> None:
    want = _g_loss(fake)
    out = _h.scalar(_h.call(fn, fake.copy()), "generator_loss")
    if not np.isfinite(out):
        raise AssertionError(
            f"generator_loss returned {out} for logits in [{fake.min():g}, {fake.max():g}]: "
            "compute softplus as np.logaddexp(0, x), not np.log(1 + np.exp(x))"
        )
    _h.with_hint(lambda: assert_close(out, want, name="the generator loss"), out, _g_hints(fake))


generator_loss = Checker(
    "4_8",
    "generator_loss",
    reference=_g_loss,
    doc="generator_loss (non-saturating): mean softplus(-fake_logits) = -mean log D(G(z)).",
)


@generator_loss.case("ten fake logits that the discriminator rejects (D(G(z)) small)")
def _(fn: Any) -> None:
    _check_g(fn, _logits(485, 10, -2.0))


@generator_loss.case("fakes that fool the discriminator half of the time")
def _(fn: Any) -> None:
    _check_g(fn, _logits(486, 7, 0.0))


@generator_loss.case("logits of ±800: no overflow")
def _(fn: Any) -> None:
    _check_g(fn, np.array([-800.0, 800.0, 1.0, -3.0]))
