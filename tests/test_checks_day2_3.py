"""Checkers of 2_3: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 2_3 l2_penalty
def _weights(params):
    return [k for k in params if k.rsplit(".", 1)[-1].startswith("W")]


def l2_solution(params, lam):
    keys = nn.weight_keys(params)
    value = 0.5 * lam * sum(np.sum(params[k] ** 2) for k in keys)
    return value, {k: lam * params[k] for k in keys}


def l2_zero_bias_grads(params, lam):
    """Right too: zero gradients for the biases."""
    value, grads = l2_solution(params, lam)
    return value, {k: grads.get(k, np.zeros_like(p)) for k, p in params.items()}


def l2_bias_included(params, lam):
    value = 0.5 * lam * sum(np.sum(p**2) for p in params.values())
    return value, {k: lam * p for k, p in params.items()}


def l2_no_half(params, lam):
    keys = _weights(params)
    return lam * sum(np.sum(params[k] ** 2) for k in keys), {k: 2 * lam * params[k] for k in keys}


def l2_sum_abs(params, lam):
    keys = _weights(params)
    return lam * sum(np.sum(np.abs(params[k])) for k in keys), {k: lam * np.sign(params[k]) for k in keys}


def l2_grad_without_lambda(params, lam):
    keys = _weights(params)
    return 0.5 * lam * sum(np.sum(params[k] ** 2) for k in keys), {k: params[k].copy() for k in keys}


def l2_norm_not_squared(params, lam):
    """The lecture's formula read literally: (λ/2) ‖w‖₂ (no square)."""
    keys = _weights(params)
    norm = np.sqrt(sum(np.sum(params[k] ** 2) for k in keys))
    return 0.5 * lam * norm, {k: 0.5 * lam * params[k] / norm for k in keys}


def l2_bias_grad_only(params, lam):
    """The value is right, but the biases get a gradient."""
    value, _ = l2_solution(params, lam)
    return value, {k: lam * p for k, p in params.items()}


def l2_value_only(params, lam):
    return l2_solution(params, lam)[0]


def l2_in_place(params, lam):
    value, grads = l2_solution(params, lam)
    for k in grads:
        params[k] *= 1 - lam  # a weight-decay step sneaked in
    return value, grads


# ------------------------------------------------------------------ 2_3 Dropout
class DropoutSolution(nn.Dropout):
    def forward(self, x, train=True):
        if train:
            self.mask = self.rng.random(x.shape) >= self.rate
            out = x * self.mask
            return out / (1 - self.rate) if self.mode == "inverted" else out
        return x.copy() if self.mode == "inverted" else x * (1 - self.rate)

    def backward(self, dout):
        dx = dout * self.mask
        return dx / (1 - self.rate) if self.mode == "inverted" else dx


class DropoutStub(nn.Dropout):
    def forward(self, x, train=True):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


class DropoutNoScaling(DropoutSolution):
    """Inverted mode forgets 1/(1 - rate) (forward and backward)."""

    def forward(self, x, train=True):
        if train:
            self.mask = self.rng.random(x.shape) >= self.rate
            return x * self.mask
        return x.copy() if self.mode == "inverted" else x * (1 - self.rate)

    def backward(self, dout):
        return dout * self.mask


class DropoutScalesAtTest(DropoutSolution):
    """Inverted mode scales by 1/(1 - rate) at test time as well."""

    def forward(self, x, train=True):
        if not train and self.mode == "inverted":
            return x / (1 - self.rate)
        return super().forward(x, train)


class DropoutDropsAtTest(DropoutSolution):
    """Ignores `train`: drops at test time too."""

    def forward(self, x, train=True):
        return super().forward(x, True)


class DropoutNewMaskInBackward(DropoutSolution):
    def backward(self, dout):
        self.mask = self.rng.random(dout.shape) >= self.rate
        return super().backward(dout)


class DropoutKeepRateSwapped(DropoutSolution):
    """Keeps a unit with probability rate (the mask of the wrong rate)."""

    def forward(self, x, train=True):
        if train:
            self.mask = self.rng.random(x.shape) < self.rate
            out = x * self.mask
            return out / (1 - self.rate) if self.mode == "inverted" else out
        return super().forward(x, train)


class DropoutLectureNoTestScale(DropoutSolution):
    """The lecture's mode returns x unchanged at test time."""

    def forward(self, x, train=True):
        if not train:
            return x.copy()
        return super().forward(x, train)


class DropoutBackwardUnscaled(DropoutSolution):
    """Forward right, backward forgets 1/(1 - rate)."""

    def backward(self, dout):
        return dout * self.mask


class DropoutSameMaskEveryCall(DropoutSolution):
    def forward(self, x, train=True):
        if train:
            self.mask = np.random.default_rng(0).random(x.shape) >= self.rate
            out = x * self.mask
            return out / (1 - self.rate) if self.mode == "inverted" else out
        return super().forward(x, train)


CASES = {
    "2_3/l2_penalty": Spec(
        solution=l2_solution,
        wrong=[l2_bias_included, l2_no_half, l2_sum_abs, l2_grad_without_lambda,
               l2_norm_not_squared, l2_bias_grad_only, l2_value_only, l2_in_place],
        messages=["biases were penalized", "factor ½ is missing", "L1 penalty", "lacks λ",
                  "squared norm", "not penalized", "return a pair", "changed params"],
    ),
    "2_3/dropout_forward_backward": Spec(
        solution=DropoutSolution,
        stub=DropoutStub,
        wrong=[DropoutNoScaling, DropoutScalesAtTest, DropoutDropsAtTest, DropoutNewMaskInBackward,
               DropoutKeepRateSwapped, DropoutLectureNoTestScale, DropoutBackwardUnscaled,
               DropoutSameMaskEveryCall],
        messages=["no scaling", "scaling at test time", "dropping at test time", "same mask",
                  "*drop* probability", "keep rate 1 − rate at test time", "same factor",
                  "new mask"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the solution: the library's, zero bias gradients, the course class."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, student in [
        ("2_3/l2_penalty", nn.l2_penalty),
        ("2_3/l2_penalty", l2_zero_bias_grads),
        ("2_3/dropout_forward_backward", nn.Dropout),
    ]:
        rec = run(ex_id, student)
        assert rec.status == checks.PASS, rec.message
