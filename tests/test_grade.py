"""The grader on fixture submissions: every kind of bad submission gets the right status and points."""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tests.coursekit import fixture_lesson, make_course
from utils import config, grade, notebooks, sandbox

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


# Submissions that try to fool the grader (issue 15), each with a wrong one_hot unless noted.
# The first four are those found by grading as a lecturer would; the others are more.
ATTACKS = {
    # replaces Checker.run so that every check passes and records `pass`
    "patched_run": ("""import json, os
import utils.checks.core as core
def run(self, student):
    rec = core.Record(None, self.id, "pass", "ok", self.max_points, self.max_points)
    core.RECORDS.append(rec)
    if os.environ.get("COURSE_RESULTS"):
        open(os.environ["COURSE_RESULTS"], "a").write(json.dumps(rec.__dict__) + "\\n")
    return rec
core.Checker.run = run""",),
    # a forged `pass` line in the results file, after the checker has run
    "forged_line": ("""AFTERimport json, os, glob
line = json.dumps({"notebook": "0_1_fixture", "exercise": "0_1/one_hot", "status": "pass",
                   "message": "", "points": 3, "max_points": 3, "cwd": os.getcwd(), "time": 0})
for path in [os.environ.get("COURSE_RESULTS", "")] + glob.glob("/tmp/grade-*/records.jsonl"):
    if path:
        open(path, "a").write(line + "\\n")""",),
    # the lecturer's hidden cases: from the grader's command line, or straight from the path
    "read_hidden": ("""import glob
found = []
for cmdline in glob.glob("/proc/*/cmdline"):
    try:
        args = open(cmdline).read().split("\\0")
    except OSError:
        continue
    if "--extra-cases" in args:
        found.append(args[args.index("--extra-cases") + 1])
texts = []
for path in found + ["EXTRA"]:
    try:
        texts.append(open(path).read())
    except OSError as err:
        texts.append(repr(err))
raise RuntimeError(" | ".join(texts))""",),
    # the course's own solution as the answer
    "reference": ("", "def one_hot(labels, num_classes):\n"
                      "    return utils.nn.one_hot(labels, num_classes).astype(np.float32)"),
    # numpy's comparisons made to say yes, in the kernel
    "patched_numpy": ("import numpy\nnumpy.allclose = lambda *a, **k: True\n"
                      "numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)",),
    # builtins patched so that a failed assertion is swallowed
    "patched_builtins": ("import builtins\nclass Never(Exception):\n    pass\n"
                         "builtins.AssertionError = Never",),
    # a forged record, then the kernel ends before anything else can be checked
    "exit_after_forgery": ("""AFTERimport os, utils
utils.checks.core.record("0_1/one_hot", "pass", "forged", 3.0, 3.0)
os._exit(0)""",),
    # another student's submission, read by its path
    "read_other": ("raise RuntimeError(open('OTHER').read()[:400])", ONE_HOT_OK),
    # a recording that claims the reference's answers, sent instead of the real check
    "forged_recording": ("""import utils.checks.remote as remote
_record = remote.record
def ref(labels, num_classes):
    return utils.nn.one_hot(labels, num_classes).astype("float32")
remote.record = lambda exercise, student, extra="[]": _record(exercise, ref, extra)""",),
}
SECRET = "lecturer-secret-7f3a"


def _submissions(course: Path, out: Path, extra_path: Path) -> dict[str, Path]:
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

    def attack(code: str, answer: str = ONE_HOT_BAD):
        code = code.replace("OTHER", str(out / "solved.ipynb")).replace("EXTRA", str(extra_path))

        def build(nb):  # the attack runs in the exercise cell, before its check, or AFTER it
            solved(nb).cells[_cell(nb, H)].source = answer
            if code.startswith("AFTER"):
                nb.cells.insert(_checker_at(nb, H) + 1, new_code_cell(code[len("AFTER"):]))
            elif code:
                nb.cells[_cell(nb, H)].source = answer + "\n\n\n" + code
            return nb
        return build

    made = {
        "solved": variant(solved), "stub": copy.deepcopy(base), "wrong": variant(wrong),
        "exception": variant(exception), "endless": variant(endless),
        "deleted_checkers": variant(deleted_checkers), "edited_checker": variant(edited_checker),
        "duplicated": variant(duplicated), "other_lesson": variant(other_lesson),
        "stripped_metadata": variant(stripped_metadata),
        **{name: variant(attack(code, *rest)) for name, (code, *rest) in ATTACKS.items()},
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
    # the attacks: none earns the points of the wrong one_hot (2 of its 3 visible cases pass)
    "patched_run": ("ok", "pass", "fail", "pass", 6),
    "forged_line": ("ok", "pass", "fail", "pass", 6),
    "read_hidden": ("error", "pass", "fail", "pass", 6),
    "reference": ("ok", "pass", "pass", "pass", 8),  # flagged, not failed
    "patched_numpy": ("ok", "pass", "fail", "pass", 6),
    "patched_builtins": ("ok", "pass", "fail", "pass", 6),
    "exit_after_forgery": ("kernel_died", "pass", "fail", "not_run", 5),
    "read_other": ("error", "pass", "pass", "pass", 8),
    "forged_recording": ("ok", "pass", "pass", "pass", 8),  # the reference's answers: flagged
    "garbage": ("unreadable", "", "", "", 0),
}


def test_grader_gives_each_submission_its_status_and_points(course, tmp_path) -> None:
    csv_path, fb = tmp_path / "grades.csv", tmp_path / "feedback"
    extra = tmp_path / "extra.py"  # grading-only case with partial credit, from the lecturer
    extra.write_text(f"# {SECRET}\nSECRET = {SECRET!r}\n"
                     "def repeated(rng):  # drawn afresh for every grading run\n"
                     "    return (rng.integers(0, 4, 2).repeat(2), 6)\n"
                     "CASES = {'0_1/one_hot': [dict(args=repeated, points=1, name='repeated label')]}\n")
    _submissions(course, tmp_path / "subs", extra)
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
    # the attacks: flagged for the lecturer; honest submissions are not
    for name in ATTACKS:
        assert rows[name]["flags"], f"{name} is not flagged"
    for name in ("solved", "stub", "wrong", "exception", "endless", "duplicated", "stripped_metadata"):
        assert rows[name]["flags"] == "", f"{name}: {rows[name]['flags']}"
    assert "utils.nn.one_hot" in rows["reference"]["flags"]
    assert "monkeypatching" in rows["patched_numpy"]["flags"]
    contained = {r["contained"] for r in rows.values() if r["status"] not in ("unreadable", "wrong_notebook")}
    if sandbox.containment()[0] == "bwrap" or os.environ.get("CI"):
        assert contained == {"bwrap"}, sandbox.containment()
        # the hidden cases never reached a kernel: no trace of the file in any output
        texts = [p.read_text() for p in fb.glob("*.md")] + [csv_path.read_text()]
        assert not [t for t in texts if SECRET in t or "repeated(rng)" in t]
        assert "No such file" in rows["read_hidden"]["detail"]
        assert "No such file" in rows["read_other"]["detail"]
    else:
        assert contained == {"no"}


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
