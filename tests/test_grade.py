"""The grader on fixture submissions: every kind of bad submission gets the right status and points."""

from __future__ import annotations

import copy
import csv
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tests.coursekit import fixture_lesson, make_course
from utils import config, grade, notebooks

NORMALIZE_OK = "def normalize_images(x):\n    return x.astype(np.float32) / 255.0"
NORMALIZE_F64 = "def normalize_images(x):\n    return x / 255"  # float64: 2 of 3 cases
ONE_HOT_OK = "def one_hot(labels, num_classes):\n    return np.eye(num_classes, dtype=np.float32)[labels]"
ONE_HOT_BAD = "def one_hot(labels, num_classes):\n    return np.eye(labels.max() + 1, dtype=np.float32)[labels]"
TIMEOUT = 25


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


def _cell(nb, ex: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("course", {}).get("exercise") == ex)


def _question(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if "utils.checks.answer(" in c.source)


def _checker_at(nb, ex: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("course", {}).get("checker") == ex)


def _submissions(course: Path, out: Path) -> dict[str, Path]:
    base = notebooks.read(course / "exercises/day0/0_1_fixture.ipynb")
    N, H = "0_1/normalize_images", "0_1/one_hot"

    def solved(nb):
        nb.cells[_cell(nb, N)].source = NORMALIZE_OK
        nb.cells[_cell(nb, H)].source = ONE_HOT_OK
        nb.cells[_question(nb)].source = 'utils.checks.answer("0_1/q_scale", "b")'
        return nb

    def variant(fn):
        return fn(copy.deepcopy(base))

    def wrong(nb):
        solved(nb).cells[_cell(nb, N)].source = NORMALIZE_F64
        nb.cells[_question(nb)].source = 'utils.checks.answer("0_1/q_scale", "c")'
        return nb

    def exception(nb):
        nb.cells.insert(3, new_code_cell("1 / 0  # a broken scratch cell"))
        return solved(nb)

    def endless(nb):
        nb.cells.insert(3, new_code_cell("while True:\n    pass"))
        return solved(nb)

    def deleted_checkers(nb):
        solved(nb)
        nb.cells = [c for c in nb.cells if "checker" not in c.metadata.get("course", {})]
        return nb

    def edited_checker(nb):
        solved(nb).cells[_cell(nb, H)].source = ONE_HOT_BAD
        nb.cells[_checker_at(nb, H)].source = 'print("✓ one_hot: all checks passed")'
        return nb

    def duplicated(nb):
        solved(nb)
        i = _cell(nb, H)
        dup = copy.deepcopy(nb.cells[i])
        dup.source, dup.id = ONE_HOT_BAD, "dup" + dup.id[3:]  # an earlier failed attempt kept above the final one
        nb.cells.insert(i, dup)
        return nb

    def other_lesson(nb):
        nb.metadata["course"] = {"notebook": "1_1_input_and_hidden_layers", "lesson": "1_1"}
        nb.cells[1].source = nb.cells[1].source.replace("0_1_fixture", "1_1_input_and_hidden_layers")
        return nb

    def stripped_metadata(nb):  # as some editors save it: no course metadata, new cell ids
        solved(nb)
        for c in nb.cells:
            c.metadata = {}
            c.id = "x" + c.id[1:]
        nb.metadata.pop("course")
        return nb

    made = {
        "solved": variant(solved), "stub": copy.deepcopy(base), "wrong": variant(wrong),
        "exception": variant(exception), "endless": variant(endless),
        "deleted_checkers": variant(deleted_checkers), "edited_checker": variant(edited_checker),
        "duplicated": variant(duplicated), "other_lesson": variant(other_lesson),
        "stripped_metadata": variant(stripped_metadata),
    }
    out.mkdir()
    paths = {}
    for name, nb in made.items():
        paths[name] = out / f"{name}.ipynb"
        nbformat.write(nb, str(paths[name]))
    paths["garbage"] = out / "garbage.ipynb"
    paths["garbage"].write_text("{ not a notebook")
    return paths


# submission: (status, normalize status, one_hot status, question status, total); 3 + 3 points
# of visible cases, + 1 for the lecturer's grading-only case of one_hot, + 1 for the question
EXPECTED = {
    "solved": ("ok", "pass", "pass", "pass", 8),
    "stub": ("ok", "not_implemented", "not_implemented", "not_implemented", 0),
    "wrong": ("ok", "fail", "pass", "fail", 6),
    "exception": ("error", "pass", "pass", "pass", 8),
    "endless": ("timeout", "not_run", "not_run", "not_run", 0),
    "deleted_checkers": ("ok", "pass", "pass", "pass", 8),
    "edited_checker": ("ok", "pass", "fail", "pass", 6),
    "duplicated": ("ok", "pass", "pass", "pass", 8),
    "other_lesson": ("wrong_notebook", "", "", "", 0),
    "stripped_metadata": ("ok", "pass", "pass", "pass", 8),
    "garbage": ("unreadable", "", "", "", 0),
}


def test_grader_gives_each_submission_its_status_and_points(course, tmp_path) -> None:
    _submissions(course, tmp_path / "subs")
    csv_path, fb = tmp_path / "grades.csv", tmp_path / "feedback"
    extra = tmp_path / "extra.py"  # grading-only case with partial credit, from the lecturer
    extra.write_text("import numpy as np\nCASES = {'0_1/one_hot': "
                     "[dict(args=(np.array([4, 4]), 6), points=1, name='repeated label')]}\n")
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "utils.grade", str(tmp_path / "subs"), "-j", "2",
         "--timeout", str(TIMEOUT), "-o", str(csv_path), "--feedback", str(fb),
         "--notebook", "0_1_fixture", "--extra-cases", str(extra), "--course", str(course),
         "--similarity"],
        capture_output=True, text=True, timeout=300, cwd=config.REPO_ROOT,
    )
    elapsed = time.time() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # bounded: the endless loop stops at the timeout; others take a few seconds each
    assert elapsed < TIMEOUT + 120, f"grading took {elapsed:.0f} s"
    rows = {Path(r["submission"]).stem: r for r in csv.DictReader(open(csv_path, encoding="utf-8"))}
    assert set(rows) == set(EXPECTED)
    for name, (status, norm, hot, question, total) in EXPECTED.items():
        row = rows[name]
        got = (row["status"], row.get("0_1/normalize_images status", ""),
               row.get("0_1/one_hot status", ""), row.get("0_1/q_scale status", ""),
               float(row["total"] or 0))
        assert got == (status, norm, hot, question, total), f"{name}: {got} ({row['detail']})"
    assert rows["solved"]["max_total"] == "8"
    assert "ZeroDivisionError" in rows["exception"]["detail"]
    text = (fb / "wrong.md").read_text()
    assert "float32" in text and "6 / 8" in text and "BEGIN SOLUTION" not in text
    assert "(c) is not right" in text and "(b) is right" not in text  # the key stays hidden
    assert "assert_close" not in text and "def " not in text  # messages only, never test code
    assert "similar pairs" in proc.stdout


def test_rebuild_puts_the_course_checkers_back_once() -> None:
    course = fixture_lesson()
    path = Path("notebooks/day0/0_1_fixture.ipynb")
    notebooks.stamp(course, path.as_posix())
    student = notebooks.student_copy(course, path.as_posix())
    student.cells = [c for c in student.cells if "checker" not in c.metadata.get("course", {})]
    student.cells.insert(3, copy.deepcopy(student.cells[3]))  # duplicated exercise cell
    nb, code = grade.rebuild(student, course)
    checkers = [c.source for c in nb.cells if "checker" in c.metadata.get("course", {})]
    assert checkers == ["utils.checks.normalize_images(normalize_images)", "utils.checks.one_hot(one_hot)"]
    assert set(code) == {"0_1/normalize_images", "0_1/one_hot"}
    assert nb.cells[0].source.startswith(notebooks.setup_prefix())


def test_similarity_ignores_names_comments_and_whitespace() -> None:
    a = grade.Result("a.ipynb", "0_1_x", code={"e": "def f(x):\n    y = x * 2  # double\n    return y"},
                     exercises=[grade.Exercise("e", "pass", 1, 1)])
    b = grade.Result("b.ipynb", "0_1_x", code={"e": "def f(v):\n\n    out = v*2\n    return out"},
                     exercises=[grade.Exercise("e", "pass", 1, 1)])
    c = grade.Result("c.ipynb", "0_1_x", code={"e": "def f(x):\n    return sum([x, x])"},
                     exercises=[grade.Exercise("e", "pass", 1, 1)])
    pairs = grade.similarity([a, b, c], threshold=0.9)
    assert [(p[0], p[1]) for p in pairs] == [("a.ipynb", "b.ipynb")] and pairs[0][2] == 1.0
