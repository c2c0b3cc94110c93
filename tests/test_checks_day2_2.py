"""Checkers of 2_2: stub, wrong answers, solution (students' update of four optimizers)."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 2_2 Momentum.update
class MomentumSolution(nn.Momentum):
    def update(self, params, grads):
        for key, p in params.items():
            if key not in self.v:
                self.v[key] = np.zeros_like(p)
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            p += self.v[key]


class MomentumOtherForm(nn.Momentum):
    """V <- μV + g, W <- W - ηV: the same trajectory for a constant learning rate."""

    def update(self, params, grads):
        for key, p in params.items():
            v = self.v.setdefault(key, np.zeros_like(p))
            v[...] = self.momentum * v + grads[key]
            p -= self.lr * v


class MomentumStub(nn.Momentum):
    def update(self, params, grads):
        raise NotImplementedError


class MomentumForgetsState(nn.Momentum):
    def update(self, params, grads):
        self.v = {}  # reset in every call
        for key, p in params.items():
            self.v[key] = self.momentum * np.zeros_like(p) - self.lr * grads[key]
            p += self.v[key]


class MomentumUphill(nn.Momentum):
    def update(self, params, grads):
        for key, p in params.items():
            v = self.v.get(key, np.zeros_like(p))
            self.v[key] = self.momentum * v + self.lr * grads[key]
            p += self.v[key]


class MomentumReplaces(nn.Momentum):
    def update(self, params, grads):
        for key in params:
            v = self.v.get(key, np.zeros_like(params[key]))
            self.v[key] = self.momentum * v - self.lr * grads[key]
            params[key] = params[key] + self.v[key]  # a new array: the model keeps the old one


class MomentumSharedState(nn.Momentum):
    def update(self, params, grads):
        for key, p in params.items():
            if not hasattr(self, "vel"):
                self.vel = np.zeros_like(p)
            self.vel = self.momentum * self.vel - self.lr * grads[key]
            p += self.vel


class MomentumFixedNumbers(nn.Momentum):
    def update(self, params, grads):
        for key, p in params.items():
            v = self.v.get(key, np.zeros_like(p))
            self.v[key] = 0.9 * v - 0.01 * grads[key]
            p += self.v[key]


# ------------------------------------------------------------------ 2_2 AdaGrad.update
class AdaGradSolution(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            if key not in self.h:
                self.h[key] = np.zeros_like(p)
            self.h[key] += grads[key] * grads[key]
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class AdaGradStub(nn.AdaGrad):
    def update(self, params, grads):
        raise NotImplementedError


class AdaGradForgetsState(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            h = grads[key] ** 2  # not accumulated
            p -= self.lr * grads[key] / (np.sqrt(h) + self.eps)


class AdaGradEpsInside(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            self.h[key] = self.h.get(key, 0) + grads[key] ** 2
            p -= self.lr * grads[key] / np.sqrt(self.h[key] + self.eps)


class AdaGradUphill(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            self.h[key] = self.h.get(key, 0) + grads[key] ** 2
            p += self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class AdaGradReplaces(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            self.h[key] = self.h.get(key, 0) + grads[key] ** 2
            params[key] = p - self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class AdaGradSharedState(nn.AdaGrad):
    """One accumulator for every parameter (breaks on different shapes, mixes equal ones)."""

    def update(self, params, grads):
        for key, p in params.items():
            self.acc = getattr(self, "acc", 0) + grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.acc) + self.eps)


class AdaGradHStartsAtEps(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            if key not in self.h:
                self.h[key] = np.full_like(p, self.eps)
            self.h[key] += grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class AdaGradHAfterStep(nn.AdaGrad):
    def update(self, params, grads):
        for key, p in params.items():
            h = self.h.setdefault(key, np.zeros_like(p))
            p -= self.lr * grads[key] / (np.sqrt(h) + self.eps)
            h += grads[key] ** 2


# ------------------------------------------------------------------ 2_2 RMSProp.update
class RMSPropSolution(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            if key not in self.h:
                self.h[key] = np.zeros_like(p)
            self.h[key] = self.rho * self.h[key] + (1 - self.rho) * grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSPropStub(nn.RMSProp):
    def update(self, params, grads):
        raise NotImplementedError


class RMSPropForgetsState(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            h = (1 - self.rho) * grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(h) + self.eps)


class RMSPropSwapped(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            h = self.h.get(key, np.zeros_like(p))
            self.h[key] = (1 - self.rho) * h + self.rho * grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSPropEpsInside(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            h = self.h.get(key, np.zeros_like(p))
            self.h[key] = self.rho * h + (1 - self.rho) * grads[key] ** 2
            p -= self.lr * grads[key] / np.sqrt(self.h[key] + self.eps)


class RMSPropNoDecay(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            h = self.h.get(key, np.zeros_like(p))
            self.h[key] = h + grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSPropReplaces(nn.RMSProp):
    def update(self, params, grads):
        for key in params:
            h = self.h.get(key, np.zeros_like(params[key]))
            self.h[key] = self.rho * h + (1 - self.rho) * grads[key] ** 2
            params[key] = params[key] - self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSPropSharedState(nn.RMSProp):
    def update(self, params, grads):
        for key, p in params.items():
            h = self.h.get("all", np.zeros_like(p))
            self.h["all"] = self.rho * h + (1 - self.rho) * grads[key] ** 2
            p -= self.lr * grads[key] / (np.sqrt(self.h["all"]) + self.eps)


# ------------------------------------------------------------------ 2_2 Adam.update
class AdamSolution(nn.Adam):
    def update(self, params, grads):
        self.t += 1
        for key, p in params.items():
            if key not in self.m:
                self.m[key] = np.zeros_like(p)
                self.v[key] = np.zeros_like(p)
            g = grads[key]
            self.m[key] = self.beta_1 * self.m[key] + (1 - self.beta_1) * g
            self.v[key] = self.beta_2 * self.v[key] + (1 - self.beta_2) * g * g
            m_hat = self.m[key] / (1 - self.beta_1**self.t)
            v_hat = self.v[key] / (1 - self.beta_2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamStub(nn.Adam):
    def update(self, params, grads):
        raise NotImplementedError


def _adam(no_correction=False, t_of=lambda t: t, per_key_t=False, eps_inside=False,
          folded=False, replace=False, shared=False, keep_state=True):
    """An Adam update with one classic mistake switched on."""

    def update(self, params, grads):
        if not per_key_t:
            self.t += 1
        for key, p in params.items():
            if per_key_t:
                self.t += 1
            skey = "all" if shared else key
            m = self.m.get(skey, np.zeros_like(p)) if keep_state else np.zeros_like(p)
            v = self.v.get(skey, np.zeros_like(p)) if keep_state else np.zeros_like(p)
            g = grads[key]
            m = self.beta_1 * m + (1 - self.beta_1) * g
            v = self.beta_2 * v + (1 - self.beta_2) * g * g
            self.m[skey], self.v[skey] = m, v
            t = t_of(self.t)
            if folded:
                step = self.lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t) * m / (
                    np.sqrt(v) + self.eps)
            else:
                m_hat = m if no_correction else m / (1 - self.beta_1**t)
                v_hat = v if no_correction else v / (1 - self.beta_2**t)
                root = np.sqrt(v_hat + self.eps) if eps_inside else np.sqrt(v_hat) + self.eps
                step = self.lr * m_hat / root
            if replace:
                params[key] = p - step
            else:
                p -= step

    return type("AdamWrong", (nn.Adam,), {"update": update})


AdamNoBiasCorrection = _adam(no_correction=True)
AdamTPlusOne = _adam(t_of=lambda t: t + 1)
AdamTPerKey = _adam(per_key_t=True)
AdamEpsInside = _adam(eps_inside=True)
AdamKerasForm = _adam(folded=True)
AdamReplaces = _adam(replace=True)
AdamSharedState = _adam(shared=True)
AdamForgetsState = _adam(keep_state=False)


CASES = {
    "2_2/momentum_update": Spec(
        solution=MomentumSolution,
        stub=MomentumStub,
        wrong=[MomentumForgetsState, MomentumUphill, MomentumReplaces, MomentumSharedState,
               MomentumFixedNumbers],
        messages=["plain SGD", "uphill", "new array", "self.v[key]", "default hyper-parameters"],
    ),
    "2_2/adagrad_update": Spec(
        solution=AdaGradSolution,
        stub=AdaGradStub,
        wrong=[AdaGradForgetsState, AdaGradEpsInside, AdaGradUphill, AdaGradReplaces,
               AdaGradSharedState, AdaGradHStartsAtEps, AdaGradHAfterStep],
        messages=["accumulate", "inside the root", "uphill", "new array", "self.h[key]",
                  "h started at ε", "before adding"],
    ),
    "2_2/rmsprop_update": Spec(
        solution=RMSPropSolution,
        stub=RMSPropStub,
        wrong=[RMSPropForgetsState, RMSPropSwapped, RMSPropEpsInside, RMSPropNoDecay,
               RMSPropReplaces, RMSPropSharedState],
        messages=["moving average in self.h[key]", "swapped", "inside the root", "AdaGrad",
                  "new array", "shared by all parameters"],
    ),
    "2_2/adam_update": Spec(
        solution=AdamSolution,
        stub=AdamStub,
        wrong=[AdamNoBiasCorrection, AdamTPlusOne, AdamTPerKey, AdamEpsInside, AdamKerasForm,
               AdamReplaces, AdamSharedState, AdamForgetsState],
        messages=["no bias correction", "t + 1", "once per parameter key", "inside the root",
                  "Keras' order", "new array", "shared by all parameters", "not kept"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """An equivalent form of momentum and the course's own classes pass."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, cls in [
        ("2_2/momentum_update", MomentumOtherForm),
        ("2_2/momentum_update", nn.Momentum),
        ("2_2/adagrad_update", nn.AdaGrad),
        ("2_2/rmsprop_update", nn.RMSProp),
        ("2_2/adam_update", nn.Adam),
    ]:
        rec = run(ex_id, cls)
        assert rec.status == checks.PASS, rec.message
