"""Shared proof that a checker can fail: stub rejected, wrong answers rejected, solution accepted.

Each ``tests/test_checks_dayN*.py`` defines ``CASES = {exercise_id: Spec(...)}`` and calls
:func:`parametrize` to get its three tests; ``test_checks_core`` asserts that the union of all
``CASES`` covers every registered checker, so a checker without these tests fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from utils import checks


def stub(*args: Any, **kwargs: Any) -> Any:
    """What the student copy holds: the exercise body is `raise NotImplementedError`."""
    raise NotImplementedError


@dataclass
class Spec:
    wrong: list[Any]  # plausible wrong answers; each must be rejected
    solution: Any = None  # default: the checker's reference
    stub: Any = stub
    # optional: substring each wrong answer's message must contain (same order as `wrong`)
    messages: list[str] = field(default_factory=list)


def run(ex_id: str, student: Any) -> checks.Record:
    chk = checks.REGISTRY[ex_id]
    try:
        return chk.run(student)
    except AssertionError:
        return checks.RECORDS[-1]


def make_tests(cases: dict[str, Spec]) -> tuple[Callable, Callable, Callable]:
    ids = sorted(cases)

    @pytest.mark.parametrize("ex_id", ids)
    def test_solution_accepted(ex_id: str) -> None:
        spec = cases[ex_id]
        solution = spec.solution if spec.solution is not None else checks.REGISTRY[ex_id].reference
        rec = run(ex_id, solution)
        assert rec.status == checks.PASS, rec.message
        assert rec.points == rec.max_points > 0

    @pytest.mark.parametrize("ex_id", ids)
    def test_stub_rejected_politely(ex_id: str, capsys: pytest.CaptureFixture) -> None:
        rec = checks.REGISTRY[ex_id].run(cases[ex_id].stub)  # must not raise
        assert rec.status == checks.NOT_IMPLEMENTED and rec.points == 0
        assert "not implemented yet" in capsys.readouterr().out

    @pytest.mark.parametrize("ex_id", ids)
    def test_wrong_answers_rejected(ex_id: str) -> None:
        spec = cases[ex_id]
        assert spec.wrong, f"{ex_id}: give at least one plausible wrong answer"
        for k, wrong in enumerate(spec.wrong):
            with pytest.raises(AssertionError) as err:
                checks.REGISTRY[ex_id].run(wrong)
            rec = checks.RECORDS[-1]
            assert rec.status == checks.FAIL and rec.points < rec.max_points
            if k < len(spec.messages):
                assert spec.messages[k] in str(err.value)

    return test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected
