"""The checker framework: records, messages, use(), summary(), extra cases, CI verification."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
from pathlib import Path

import numpy as np
import pytest

import tests
from utils import checks, config, notebooks
from utils.checks import __main__ as verify_cli
from utils.checks import core, remote
from utils.checks.core import Checker, assert_close

REPO = config.REPO_ROOT


def _checker(name: str = "square") -> Checker:
    chk = Checker("9_9", name, reference=lambda x: x**2, register=False)

    @chk.case(points=2)
    def _(fn):
        assert_close(fn(np.arange(3.0)), [0.0, 1.0, 4.0])

    @chk.case()
    def negative(fn):
        assert_close(fn(np.array([-2.0])), [4.0])

    return chk


def test_every_checker_has_stub_wrong_and_solution_tests() -> None:
    covered: set[str] = set()
    for mod in pkgutil.iter_modules(tests.__path__):
        if mod.name.startswith("test_checks_day"):
            covered |= set(importlib.import_module(f"tests.{mod.name}").CASES)
    missing = sorted(set(checks.REGISTRY) - covered)
    assert not missing, f"checkers without stub/wrong/solution tests: {missing}"


def test_pass_fail_and_not_implemented_records(tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "records.jsonl"
    monkeypatch.setenv("COURSE_RESULTS", str(out))
    chk = _checker()
    assert chk.run(lambda x: x**2).status == checks.PASS
    assert "✓" in capsys.readouterr().out
    with pytest.raises(AssertionError, match=r"negative.*differs"):
        chk(lambda x: x * np.abs(x))  # right for x >= 0 only: partial credit
    assert checks.RECORDS[-1].points == 2 and checks.RECORDS[-1].max_points == 3

    def stub(x):
        raise NotImplementedError

    assert chk.run(stub).status == checks.NOT_IMPLEMENTED
    lines = [json.loads(s) for s in out.read_text().splitlines()]
    assert [r["status"] for r in lines] == ["pass", "fail", "not_implemented"]
    assert {"notebook", "exercise", "status", "message", "points"} <= set(lines[0])
    assert lines[0]["exercise"] == "9_9/square"


def test_crashing_student_code_is_a_wrong_answer() -> None:
    with pytest.raises(AssertionError, match="your code raised ZeroDivisionError"):
        _checker()(lambda x: 1 / 0)


def test_assert_close_names_shapes_and_values() -> None:
    with pytest.raises(AssertionError, match=r"shape \(3,\), expected shape \(3, 1\)"):
        assert_close(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(AssertionError, match=r"at index \(1,\): got 5, expected 2"):
        assert_close([1.0, 5.0], [1.0, 2.0])
    with pytest.raises(AssertionError, match="forget `return`"):
        assert_close(None, [1.0])
    assert_close([1.0, 2.0 + 1e-9], [1.0, 2.0])


def test_use_returns_student_only_after_a_pass(capsys) -> None:
    chk = _checker("square_use")

    def mine(x):
        return x**2

    def ref(x):
        return x * x

    assert checks.use(mine, ref) is ref
    assert chk(mine) is None  # a checker cell shows the verdict, not a record
    assert checks.use(mine, ref) is mine


def test_summary_lists_every_exercise_of_the_notebook(capsys) -> None:
    config.setup("0_1_getting_started", tensorflow=False)
    checks.one_hot(checks.one_hot.reference)
    assert checks.summary() is None  # a summary cell shows the table once, not an Out[…] too
    out = capsys.readouterr().out
    rows = [r for r in checks.summary_rows() if r["kind"] == "exercise"]
    assert [r["exercise"] for r in rows] == ["normalize_images", "one_hot"]
    assert rows[1]["status"] == "pass" and rows[0]["status"] == "not_run"
    assert "one_hot" in out and "✓ passed" in out and "done" in out


def test_extra_cases_from_a_lecturer_file_are_judged_from_a_recording(tmp_path, monkeypatch) -> None:
    chk = _checker("square_extra")
    monkeypatch.setitem(core.REGISTRY, chk.id, chk)
    chk.reference = lambda x: x**2
    extra = tmp_path / "extra.py"
    extra.write_text(
        "import numpy as np\n"
        "SECRET = 'do-not-show'\n"
        "CASES = {'9_9/square_extra': [dict(args=lambda rng: (rng.uniform(2.6, 5.0, 3),),\n"
        "                                   points=5, name='big')]}\n"
    )
    specs = core.load_extra_cases(extra)
    (name, points, spec), = specs["9_9/square_extra"]
    args, kwargs = core.draw_args(spec, np.random.default_rng(7))
    assert name == "big" and points == 5 and np.all(args[0] > 2.5)
    assert not np.array_equal(args[0], core.draw_args(spec, np.random.default_rng(8))[0])

    def fits_visible_cases_only(x):
        return np.where(np.abs(x) > 2.5, 0.0, x**2)

    cases = chk.cases + [core.compare_case(chk, "extra", args, kwargs, 1.0)]
    for student, want in ((fits_visible_cases_only, ("fail", 3.0)), (lambda x: x**2, ("pass", 8.0))):
        tapes = json.loads(json.dumps({"exercise": chk.id, "cases": remote.record_cases(cases, student)}))
        status, message, got, total = remote._judge_cases(
            chk, chk.cases + [core.compare_case(chk, name, args, kwargs, points, hidden=True)], tapes)
        assert (status, got, total) == (*want, 8.0), message
    assert "[big] wrong result on this hidden case" in message or status == "pass"
    status, message, *_ = remote._judge_cases(
        chk, chk.cases + [core.compare_case(chk, name, args, kwargs, points, hidden=True)],
        {"exercise": chk.id, "cases": remote.record_cases(cases, fits_visible_cases_only)})
    assert "hidden case" in message and str(args[0][0])[:5] not in message and "SECRET" not in message


# ------------------------------------------------------------ CI verification of nbval records
def _course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for kind in ("notebooks", "exercises"):
        shutil.copytree(REPO / kind / "day0", root / kind / "day0")
    return root


def _records(root: Path, kind: str, statuses: dict[str, str]) -> list[dict]:
    cwd = str(root / kind / "day0")
    return [
        {"notebook": "0_1_getting_started", "exercise": ex, "status": st, "message": "m",
         "points": 0, "max_points": 3, "cwd": cwd}
        for ex, st in statuses.items()
    ]


def _recorded_ids() -> list[str]:
    """The exercises and exam-style questions of 0_1 that must each leave one record."""
    nb = notebooks.read(REPO / "notebooks/day0/0_1_getting_started.ipynb")
    meta = [c.metadata.get("course", {}) for c in nb.cells]
    return [m.get("exercise") or m["question"] for m in meta if {"exercise", "question"} & set(m)]


IDS = _recorded_ids()
GOOD = dict.fromkeys(IDS, "pass")
STUB = dict.fromkeys(IDS, "not_implemented")


def test_verify_accepts_solved_instructor_and_stub_student(tmp_path) -> None:
    root = _course(tmp_path)
    paths = notebooks.instructor_paths(root)
    recs = _records(root, "notebooks", GOOD) + _records(root, "exercises", STUB)
    ok, problems = verify_cli.verify(recs, paths)
    assert problems == [] and ok == 2 * len(IDS)


def test_verify_fails_when_an_instructor_solution_became_a_stub(tmp_path) -> None:
    root = _course(tmp_path)
    bad = dict(GOOD, **{"0_1/one_hot": "not_implemented"})
    recs = _records(root, "notebooks", bad) + _records(root, "exercises", STUB)
    _, problems = verify_cli.verify(recs, notebooks.instructor_paths(root))
    assert len(problems) == 1
    assert "notebooks/day0/0_1_getting_started.ipynb" in problems[0]
    assert "0_1/one_hot is not_implemented, expected pass" in problems[0]


def test_verify_fails_when_a_student_copy_holds_a_solution(tmp_path) -> None:
    root = _course(tmp_path)
    bad = dict(STUB, **{"0_1/normalize_images": "pass"})
    recs = _records(root, "notebooks", GOOD) + _records(root, "exercises", bad)
    _, problems = verify_cli.verify(recs, notebooks.instructor_paths(root))
    assert len(problems) == 1 and "exercises/day0" in problems[0]
    assert "0_1/normalize_images is pass, expected not_implemented" in problems[0]


def test_verify_fails_on_missing_and_duplicate_records(tmp_path) -> None:
    root = _course(tmp_path)
    recs = _records(root, "notebooks", GOOD) * 2  # student copy never ran, instructor twice
    _, problems = verify_cli.verify(recs, notebooks.instructor_paths(root))
    assert sum("has 2 records" in p for p in problems) == len(IDS)
    assert sum("has 0 records" in p for p in problems) == len(IDS)


def test_verify_cli_exit_code(tmp_path, capsys) -> None:
    path = tmp_path / "none.jsonl"
    path.write_text("")
    assert verify_cli.main(["verify", str(path)]) == 1
    assert "0 passed" in capsys.readouterr().out


def test_expect_arrays_names_what_to_return() -> None:
    from utils.checks.core import expect_arrays

    a, b = expect_arrays(([1, 2], np.zeros(3)), "f", ("x", "y"))
    assert isinstance(a, np.ndarray) and a.tolist() == [1, 2] and b.shape == (3,)
    with pytest.raises(AssertionError, match=r"f returned None: did you forget `return x, y`"):
        expect_arrays(None, "f", ("x", "y"))
    with pytest.raises(AssertionError, match=r"f must return two arrays, \(x, y\); got ndarray"):
        expect_arrays(np.zeros(3), "f", ("x", "y"))
    with pytest.raises(AssertionError, match=r"must return two arrays.*got float"):
        expect_arrays(1.5, "f", ("x", "y"))
