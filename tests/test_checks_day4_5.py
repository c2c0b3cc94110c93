"""Checkers of 4_5: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests, run
from utils import blocks, checks
from utils.nn import normalization


# ------------------------------------------------------------------ depthwise_separable_params
def sep_solution(k, c_in, c_out, bias=True):
    return k * k * c_in + c_in * c_out + (c_out if bias else 0)


def sep_standard(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def sep_depthwise_times_m(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + c_in * c_out + (c_out if bias else 0)


def sep_two_biases(k, c_in, c_out, bias=True):
    return k * k * c_in + c_in * c_out + (c_in + c_out if bias else 0)


def sep_k_not_squared(k, c_in, c_out, bias=True):
    return k * c_in + c_in * c_out + (c_out if bias else 0)


def sep_bias_always(k, c_in, c_out, bias=True):
    return k * k * c_in + c_in * c_out + c_out


def sep_float(k, c_in, c_out, bias=True):
    return (k * k * c_in + c_in * c_out + (c_out if bias else 0)) + 0.5


# ------------------------------------------------------------------ layer_norm
def _axes(x):
    return tuple(range(1, x.ndim))


def ln_solution(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=_axes(x), keepdims=True)
    var = x.var(axis=_axes(x), keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_batch_axis(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_last_axis(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_eps_outside(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=_axes(x), keepdims=True), x.var(axis=_axes(x), keepdims=True)
    return gamma * (x - mu) / (np.sqrt(var) + eps) + beta


def ln_unbiased(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=_axes(x), keepdims=True), x.var(axis=_axes(x), keepdims=True, ddof=1)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def ln_no_affine(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=_axes(x), keepdims=True), x.var(axis=_axes(x), keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def ln_in_place(x, gamma, beta, eps=1e-5):
    x -= x.mean(axis=_axes(x), keepdims=True)
    x /= np.sqrt(x.var(axis=_axes(x), keepdims=True) + eps)
    return gamma * x + beta


def ln_flat_only(x, gamma, beta, eps=1e-5):  # works for (N, D) only: reshape drops the image axes
    flat = x.reshape(len(x), -1)
    mu, var = flat.mean(axis=1, keepdims=True), flat.var(axis=1, keepdims=True)
    return np.tile(gamma, flat.shape[1] // len(gamma)) * (flat - mu) / np.sqrt(var + eps)


# ------------------------------------------------------------------ receptive_field
def rf_solution(kernel_size, dilations):
    return 1 + sum((kernel_size - 1) * d for d in dilations)


def rf_k_times_d(kernel_size, dilations):
    return sum(kernel_size * d for d in dilations)


def rf_no_one(kernel_size, dilations):
    return sum((kernel_size - 1) * d for d in dilations)


def rf_ignores_kernel(kernel_size, dilations):
    return 1 + sum(dilations)


def rf_power(kernel_size, dilations):
    return kernel_size ** len(dilations)


def rf_list(kernel_size, dilations):
    return [1 + (kernel_size - 1) * d for d in dilations]


CASES = {
    "4_5/depthwise_separable_params": Spec(
        solution=sep_solution,
        wrong=[
            sep_standard,
            sep_depthwise_times_m,
            sep_two_biases,
            sep_k_not_squared,
            sep_bias_always,
            sep_float,
        ],
        messages=[
            "standard convolution",
            "not K²·C·M",
            "one bias vector",
            "not K·C",
            "only when bias is True",
            "whole number",
        ],
    ),
    "4_5/layer_norm": Spec(
        solution=ln_solution,
        wrong=[
            ln_batch_axis,
            ln_last_axis,
            ln_eps_outside,
            ln_unbiased,
            ln_no_affine,
            ln_in_place,
            ln_flat_only,
        ],
        messages=[
            "batch axis 0",
            "last axis (C) only",
            "inside the square root",
            "biased variance",
            "gamma and beta are missing",
            "in place",
            "shape",
        ],
    ),
    "4_5/receptive_field": Spec(
        solution=rf_solution,
        wrong=[rf_k_times_d, rf_no_one, rf_ignores_kernel, rf_power, rf_list],
        messages=["not k·d", "output step itself", "kernel size is missing", "k^L", "one number"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_references_accepted() -> None:
    """The library's functions (what the lesson falls back to) pass their own checkers."""
    for ex_id, fn in [
        ("4_5/depthwise_separable_params", blocks.depthwise_separable_params),
        ("4_5/layer_norm", normalization.layer_norm),
        ("4_5/receptive_field", blocks.receptive_field),
    ]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
