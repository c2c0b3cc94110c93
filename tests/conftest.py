"""Every checker verdict in the test suite is made twice: directly, and from a recording.

The grader judges a kernel's recording of each check (utils.checks.remote); this fixture proves,
on every stub, wrong answer and solution the checker tests try, that the two verdicts agree.
"""

from __future__ import annotations

import pytest

from utils.checks import core, remote

_evaluate = core.evaluate


def _checked_evaluate(chk, cases, student):
    direct = _evaluate(chk, cases, student)
    probe = student(0)
    if chk.id in core.REGISTRY and core.REGISTRY[chk.id] is chk and not isinstance(probe, remote._Proxy):
        replayed = remote.roundtrip(chk.id, probe, cases)
        if replayed != direct:  # pytest.fail: not an AssertionError, which checker tests catch
            pytest.fail(f"{chk.id}: the verdict from the recording\n  {replayed}\ndiffers from "
                        f"the direct one\n  {direct}")
    return direct


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported by the tests that compare with it (a few seconds, once)."""
    import tensorflow as tf

    return tf


@pytest.fixture(scope="session")
def keras(tf):
    """Keras 3 on the TensorFlow backend."""
    import keras

    return keras


@pytest.fixture(autouse=True)
def _verdicts_agree_with_recordings(monkeypatch):
    monkeypatch.setattr(core, "evaluate", _checked_evaluate)
