"""Checkers of 0_1: stub, wrong answers, solution."""

import numpy as np

from tests.checkerkit import Spec, make_tests

CASES = {
    "0_1/normalize_images": Spec(
        wrong=[
            lambda x: x / 255,  # right values, float64
            lambda x: (x - x.min()) / (x.max() - x.min()),  # per-batch min-max scaling
            lambda x: x.astype(np.float32) / 256,  # off by one
            lambda x: (x // 255).astype(np.float32),  # integer division
        ],
        messages=["float32", "differs", "differs", "differs"],
    ),
    "0_1/one_hot": Spec(
        wrong=[
            lambda labels, n: np.eye(labels.max() + 1, dtype=np.float32)[labels],  # width from data
            lambda labels, n: np.eye(n)[labels],  # float64
            lambda labels, n: np.eye(n, dtype=np.float32)[:, labels],  # transposed
        ],
        messages=["shape", "float32", "shape"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)
