"""Checkers of 2_1: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn
from utils.nn.normalization import BatchNorm


# ------------------------------------------------------------------ 2_1 xavier_init / he_init
def _normal(std_of):
    def init(fan_in, fan_out, seed=None):
        return np.random.default_rng(seed).normal(0.0, std_of(fan_in, fan_out), size=(fan_in, fan_out))

    return init


def xavier_solution(fan_in, fan_out, seed=None):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def he_solution(fan_in, fan_out, seed=None):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)


xavier_as_he = _normal(lambda i, o: np.sqrt(2 / i))
he_as_xavier = _normal(lambda i, o: np.sqrt(1 / i))
xavier_fan_out = _normal(lambda i, o: np.sqrt(1 / o))
he_fan_out = _normal(lambda i, o: np.sqrt(2 / o))
xavier_glorot = _normal(lambda i, o: np.sqrt(2 / (i + o)))
he_glorot = _normal(lambda i, o: np.sqrt(2 / (i + o)))
xavier_variance_as_std = _normal(lambda i, o: 1 / i)
he_variance_as_std = _normal(lambda i, o: 2 / i)
xavier_unscaled = _normal(lambda i, o: 1.0)


def xavier_uniform_wrong_bound(fan_in, fan_out, seed=None):
    b = np.sqrt(1 / fan_in)
    return np.random.default_rng(seed).uniform(-b, b, size=(fan_in, fan_out))


def he_uniform_wrong_bound(fan_in, fan_out, seed=None):
    b = np.sqrt(2 / fan_in)
    return np.random.default_rng(seed).uniform(-b, b, size=(fan_in, fan_out))


def xavier_uniform_right_std(fan_in, fan_out, seed=None):
    b = np.sqrt(3 / fan_in)  # the right variance, but uniform
    return np.random.default_rng(seed).uniform(-b, b, size=(fan_in, fan_out))


def he_truncated(fan_in, fan_out, seed=None):
    """Keras' HeNormal: redraw beyond 2 std, rescaled to keep the std."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((fan_in, fan_out))
    while (bad := np.abs(z) > 2).any():
        z[bad] = rng.standard_normal(int(bad.sum()))
    return z / 0.87962566103423978 * np.sqrt(2 / fan_in)


def xavier_ignores_seed(fan_in, fan_out, seed=None):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)


def he_ignores_seed(fan_in, fan_out, seed=None):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in)


def xavier_transposed(fan_in, fan_out, seed=None):
    return xavier_solution(fan_in, fan_out, seed).T


def he_no_return(fan_in, fan_out, seed=None):
    np.random.default_rng(seed).normal(0, np.sqrt(2 / fan_in), (fan_in, fan_out))


# ------------------------------------------------------------------ 2_1 BatchNorm.forward
class BNSolution(BatchNorm):
    def forward(self, x, train=True):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if train:
            mu, var = x.mean(axis=0), x.var(axis=0)
            self.std = np.sqrt(var + self.eps)
            self.xhat = (x - mu) / self.std
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mu
            self.running_var = m * self.running_var + (1 - m) * var
            return gamma * self.xhat + beta
        return gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + beta


class BNInPlace(BatchNorm):
    """Also right: running statistics updated in place."""

    def forward(self, x, train=True):
        if not train:
            return super().forward(x, train=False)
        mu, var = x.mean(axis=0), x.var(axis=0)
        self.std = np.sqrt(var + self.eps)
        self.xhat = (x - mu) / self.std
        self.running_mean *= self.momentum
        self.running_mean += (1 - self.momentum) * mu
        self.running_var[...] = self.momentum * self.running_var + (1 - self.momentum) * var
        return self.params["gamma"] * self.xhat + self.params["beta"]


class BNStub(BatchNorm):
    def forward(self, x, train=True):
        raise NotImplementedError


def _variant(normalize=None, update=None, infer=None, cache=True):
    """A BatchNorm subclass with one part replaced by a slip."""

    class Variant(BNSolution):
        def forward(self, x, train=True):
            gamma, beta = self.params["gamma"], self.params["beta"]
            if not train:
                if infer is not None:
                    return infer(self, x)
                return super().forward(x, train=False)
            mu, var = x.mean(axis=0), x.var(axis=0)
            xhat = normalize(x, self.eps) if normalize else (x - mu) / np.sqrt(var + self.eps)
            if cache:
                self.std, self.xhat = np.sqrt(var + self.eps), xhat
            else:
                self.mu, self.var = mu, var
            if update is not None:
                update(self, x)
            else:
                m = self.momentum
                self.running_mean = m * self.running_mean + (1 - m) * mu
                self.running_var = m * self.running_var + (1 - m) * var
            return gamma * xhat + beta

    return Variant


BNNoEps = _variant(normalize=lambda x, eps: (x - x.mean(0)) / x.std(0))
BNUnbiased = _variant(normalize=lambda x, eps: (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps))
BNStdPlusEps = _variant(normalize=lambda x, eps: (x - x.mean(0)) / (x.std(0) + eps))
BNNoSqrt = _variant(normalize=lambda x, eps: (x - x.mean(0)) / (x.var(0) + eps))
BNWrongAxis = _variant(normalize=lambda x, eps: (x - x.mean(1, keepdims=True))
                       / np.sqrt(x.var(1, keepdims=True) + eps))
BNWrongAxisNoKeepdims = _variant(normalize=lambda x, eps: (x - x.mean(1)) / np.sqrt(x.var(1) + eps))


def _no_update(self, x):
    pass


def _swapped_momentum(self, x):
    m = self.momentum
    self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
    self.running_var = (1 - m) * self.running_var + m * x.var(0)


def _unbiased_running(self, x):
    m = self.momentum
    self.running_mean = m * self.running_mean + (1 - m) * x.mean(0)
    self.running_var = m * self.running_var + (1 - m) * x.var(0, ddof=1)


def _replace_running(self, x):
    self.running_mean, self.running_var = x.mean(0), x.var(0)


BNNotUpdated = _variant(update=_no_update)
BNSwappedMomentum = _variant(update=_swapped_momentum)
BNUnbiasedRunning = _variant(update=_unbiased_running)
BNReplacedRunning = _variant(update=_replace_running)


def _batch_stats(self, x):
    return (self.params["gamma"] * (x - x.mean(0)) / np.sqrt(x.var(0) + self.eps)
            + self.params["beta"])


def _update_in_inference(self, x):
    out = BNSolution.forward(self, x, train=True)  # updates the running statistics
    return out


def _running_then_update(self, x):
    out = BatchNorm.forward(self, x, train=False)
    m = self.momentum
    self.running_mean = m * self.running_mean + (1 - m) * x.mean(0)
    self.running_var = m * self.running_var + (1 - m) * x.var(0)
    return out


BNBatchStatsInInference = _variant(infer=_batch_stats)
BNUpdatesInInference = _variant(infer=_update_in_inference)
BNRunningButUpdates = _variant(infer=_running_then_update)
BNNoCache = _variant(cache=False)


CASES = {
    "2_1/xavier_init": Spec(
        solution=xavier_solution,
        wrong=[xavier_as_he, xavier_fan_out, xavier_glorot, xavier_variance_as_std,
               xavier_uniform_wrong_bound, xavier_uniform_right_std, xavier_unscaled,
               xavier_ignores_seed, xavier_transposed],
        messages=["He's", "fan_out", "GlorotNormal", "square root", "uniform", "uniform",
                  "standard normal", "default_rng(seed)", "rows are the inputs"],
    ),
    "2_1/he_init": Spec(
        solution=he_solution,
        wrong=[he_as_xavier, he_fan_out, he_glorot, he_variance_as_std, he_uniform_wrong_bound,
               he_truncated, he_ignores_seed, he_no_return],
        messages=["Xavier's", "fan_out", "GlorotNormal", "square root", "uniform", "truncated",
                  "default_rng(seed)", "return"],
    ),
    "2_1/batchnorm_forward": Spec(
        solution=BNSolution,
        stub=BNStub,
        wrong=[BNNoEps, BNUnbiased, BNStdPlusEps, BNNoSqrt, BNWrongAxis, BNWrongAxisNoKeepdims,
               BNNotUpdated, BNSwappedMomentum, BNUnbiasedRunning, BNReplacedRunning,
               BNBatchStatsInInference, BNUpdatesInInference, BNRunningButUpdates, BNNoCache],
        messages=["eps is missing", "unbiased", "square root", "square root", "axis=1", "axis=0",
                  "not updated", "other way round", "unbiased", "last batch",
                  "not with the batch's own", "running_mean and", "changed the running",
                  "self.xhat = (x - mu)"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the tests' solutions: the library's, an in-place update."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, answer in [("2_1/xavier_init", nn.xavier_init), ("2_1/he_init", nn.he_init),
                          ("2_1/batchnorm_forward", BNInPlace),
                          ("2_1/batchnorm_forward", BatchNorm)]:
        rec = run(ex_id, answer)
        assert rec.status == checks.PASS, rec.message
