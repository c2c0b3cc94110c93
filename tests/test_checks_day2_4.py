"""Checkers of 2_4: stub, wrong answers, solution."""

import math

import numpy as np

from tests.checkerkit import Spec, make_tests
from utils import nn


# ------------------------------------------------------------------ 2_4 conv_output_size
def size_solution(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def size_no_plus_one(n, f, p, s):
    return (n + 2 * p - f) // s


def size_single_pad(n, f, p, s):
    return (n + p - f) // s + 1


def size_true_division(n, f, p, s):
    return (n + 2 * p - f) / s + 1


def size_int_of_float(n, f, p, s):
    return int((n + 2 * p - f) / s) + 1  # right: int() truncates towards zero, here a floor


def size_ceil(n, f, p, s):
    return math.ceil((n + 2 * p - f) / s) + 1


def size_float_exact(n, f, p, s):
    return float((n + 2 * p - f) // s + 1)


def size_no_pad(n, f, p, s):
    return (n - f) // s + 1


# ------------------------------------------------------------------ 2_4 Conv2D.forward
class ConvBase(nn.Conv2D):
    """Shared scaffold: the lines the notebook gives outside the solution block."""

    def sizes(self, x):
        FN, C, FH, FW = self.params["W"].shape
        N, C, H, W = x.shape
        OH = nn.conv_output_size(H, FH, self.pad, self.stride)
        OW = nn.conv_output_size(W, FW, self.pad, self.stride)
        return N, FN, FH, FW, OH, OW


class ConvSolution(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        col_W = self.params["W"].reshape(FN, -1).T  # (C*FH*FW, FN)
        out = col @ col_W + self.params["b"]  # (N*OH*OW, FN)
        self.x, self.col, self.col_W = x, col, col_W
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)  # (N, FN, OH, OW)


class ConvStub(ConvBase):
    def forward(self, x):
        raise NotImplementedError


class ConvFlipped(ConvBase):
    """A true convolution: the filter rotated by 180 degrees."""

    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.params["W"][:, :, ::-1, ::-1].reshape(FN, -1).T
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W + self.params["b"]).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


class ConvReshapeNoTranspose(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.params["W"].reshape(-1, FN)  # right shape, wrong order
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W + self.params["b"]).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


class ConvNoBias(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.params["W"].reshape(FN, -1).T
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


class ConvPadIgnored(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        OH = nn.conv_output_size(x.shape[2], FH, 0, self.stride)
        OW = nn.conv_output_size(x.shape[3], FW, 0, self.stride)
        col = nn.im2col(x, FH, FW, self.stride)
        col_W = self.params["W"].reshape(FN, -1).T
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W + self.params["b"]).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


class ConvNHWC(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.params["W"].reshape(FN, -1).T
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W + self.params["b"]).reshape(N, OH, OW, FN)


class ConvReshapeStraight(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.params["W"].reshape(FN, -1).T
        self.x, self.col, self.col_W = x, col, col_W
        return (col @ col_W + self.params["b"]).reshape(N, FN, OH, OW)


class ConvNoCache(ConvBase):
    def forward(self, x):
        N, FN, FH, FW, OH, OW = self.sizes(x)
        col = nn.im2col(x, FH, FW, self.stride, self.pad)
        out = col @ self.params["W"].reshape(FN, -1).T + self.params["b"]
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


# ------------------------------------------------------------------ 2_4 MaxPool.forward
class PoolBase(nn.MaxPool):
    def sizes(self, x):
        N, C, H, W = x.shape
        OH = nn.conv_output_size(H, self.pool_h, self.pad, self.stride)
        OW = nn.conv_output_size(W, self.pool_w, self.pad, self.stride)
        return N, C, OH, OW

    def windows(self, x, stride=None):
        s = self.stride if stride is None else stride
        col = nn.im2col(x, self.pool_h, self.pool_w, s, self.pad, pad_value=-np.inf)
        return col.reshape(-1, self.pool_h * self.pool_w)  # (N*OH*OW*C, ph*pw)


class PoolSolution(PoolBase):
    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = self.windows(x)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


class PoolStub(PoolBase):
    def forward(self, x):
        raise NotImplementedError


class PoolAverage(PoolBase):
    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = self.windows(x)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return col.mean(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


class PoolOverChannels(PoolBase):
    """One max per window over all channels: col not reshaped to one row per channel."""

    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = nn.im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)  # (N*OH*OW, C*ph*pw)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return col.max(axis=1).reshape(N, OH, OW, -1).transpose(0, 3, 1, 2)


class PoolOverChannelsCrash(PoolBase):
    """The same slip, with the reshape to (N, OH, OW, C) that then fails."""

    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = nn.im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        return col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


class PoolStrideIgnored(PoolBase):
    def forward(self, x):
        N, C, H, W = x.shape
        OH, OW = H - self.pool_h + 1, W - self.pool_w + 1
        col = self.windows(x, stride=1)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


class PoolZeroStart(PoolBase):
    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = self.windows(x)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return np.maximum(0, col.max(axis=1)).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


class PoolReshapeStraight(PoolBase):
    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        col = self.windows(x)
        self.x, self.arg_max = x, col.argmax(axis=1)
        return col.max(axis=1).reshape(N, C, OH, OW)


class PoolNoArgMax(PoolBase):
    def forward(self, x):
        N, C, OH, OW = self.sizes(x)
        self.x = x
        return self.windows(x).max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


CASES = {
    "2_4/conv_output_size": Spec(
        solution=size_solution,
        wrong=[size_no_plus_one, size_single_pad, size_true_division, size_ceil,
               size_float_exact, size_no_pad],
        messages=["+1 is missing", "both sides", "integer division //", "rounds up",
                  "expected the int", "padding p is ignored"],
    ),
    "2_4/conv2d_forward": Spec(
        solution=ConvSolution,
        stub=ConvStub,
        wrong=[ConvFlipped, ConvReshapeNoTranspose, ConvNoBias, ConvPadIgnored, ConvNHWC,
               ConvReshapeStraight, ConvNoCache],
        messages=["cross-correlation", "W.reshape(FN, -1).T", "bias is missing",
                  "padding is ignored", "NHWC", "scrambles", "self.col"],
    ),
    "2_4/maxpool_forward": Spec(
        solution=PoolSolution,
        stub=PoolStub,
        wrong=[PoolAverage, PoolOverChannels, PoolOverChannelsCrash, PoolStrideIgnored,
               PoolZeroStart, PoolReshapeStraight, PoolNoArgMax],
        messages=["average pooling", "each channel", "pool each channel", "stride is ignored",
                  "negative maxima", "(N, OH, OW, C)", "arg_max"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: int() of a true division, the course's layers."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, student in [("2_4/conv_output_size", size_int_of_float),
                           ("2_4/conv2d_forward", nn.Conv2D),
                           ("2_4/maxpool_forward", nn.MaxPool)]:
        rec = run(ex_id, student)
        assert rec.status == checks.PASS, rec.message
