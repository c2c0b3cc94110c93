"""Review flags: what a lecturer should look at, and only code the student wrote."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from utils import review

STUB = ('class Affine(utils.nn.Affine):\n    def backward(self, dout):\n'
        '        raise NotImplementedError')


def _flags(answer: str, *other: str) -> list[str]:
    def cell(src: str, ex: str | None = None) -> nbformat.NotebookNode:
        c = new_code_cell(src)
        c.metadata["course"] = {"exercise": ex} if ex else {}
        return c

    course = new_notebook(cells=[cell("import utils\nimport numpy as np"), cell(STUB, "1_5/affine_backward"),
                                 cell("x = utils.nn.Affine(np.ones((2, 2)), np.zeros(2))")])
    sub = new_notebook(cells=[*course.cells[:1], cell(answer, "1_5/affine_backward"), *course.cells[2:],
                              *[cell(src) for src in other]])
    return review.flags(sub, course)


def test_the_exercises_own_scaffolding_and_the_lessons_code_are_not_flagged() -> None:
    own = STUB.replace("raise NotImplementedError", "return dout @ self.params['W'].T")
    assert _flags(own) == []
    assert _flags(own, "y = np.maximum(0, x.params['W'])\nprint(open('notes.txt').read())") == []


def test_answers_with_the_course_solution_are_flagged() -> None:
    calls = STUB.replace("raise NotImplementedError", "return utils.nn.Affine.backward(self, dout)")
    assert any("utils.nn.Affine.backward" in f for f in _flags(calls))
    dropped = "class Affine(utils.nn.Affine):\n    pass"
    assert any("leaves out `backward`" in f for f in _flags(dropped))
    assert any("reference" in f for f in _flags(STUB, "r = utils.checks.affine_backward.reference"))


def test_grading_machinery_monkeypatching_and_outside_reads_are_flagged() -> None:
    cases = {
        "import utils.checks.core as c\nc.RECORDS.clear()": "grading machinery",
        "import numpy\nnumpy.allclose = lambda *a, **k: True": "monkeypatching",
        "setattr(np, 'isclose', print)": "monkeypatching",
        "import sys\nsys.modules['utils.checks'] = None": "sys.modules",
        "import os\nos._exit(0)": "os._exit",
        "open('/proc/1/cmdline').read()": "outside the working directory",
        "open('../other/answers.ipynb')": "outside the working directory",
        "import os\nos.environ['COURSE_RESULTS']": "the environment",
        "import builtins\nbuiltins.print = None": "builtins",
    }
    for code, what in cases.items():
        got = _flags(STUB, code)
        assert any(what in f for f in got), (code, got)
