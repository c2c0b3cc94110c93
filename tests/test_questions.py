"""Exam-style questions: parsing the key, judging answers, records, student copies, structure rules,
and every question of the course: unanswered is not_implemented, every wrong choice fails, the key
passes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from tests.coursekit import QUESTIONS
from utils import checks, config, notebooks
from utils.checks import questions

CHOICE, FILL, NUMBER = (text for text, _ in QUESTIONS)


def test_parse_a_choice_question() -> None:
    q = questions.parse(CHOICE, "0_1")
    assert (q.id, q.kind, q.answer) == ("0_1/q_scale", "choice", "b")
    assert q.choices == {"a": "0", "b": "1", "c": "255", "d": "0.5"}
    assert q.why["b"].startswith("✓") and q.why["a"].startswith("✗")
    assert "BEGIN KEY" not in questions.strip_key(CHOICE)
    assert "(b) ✓" not in questions.strip_key(CHOICE) and "- (d) 0.5" in questions.strip_key(CHOICE)


def test_parse_fill_in_and_numeric_questions() -> None:
    assert questions.parse(FILL, "0_1").choices["a"] == "`np.eye(k)[labels]`"
    q = questions.parse(NUMBER, "0_1")
    assert (q.kind, q.answer, q.tolerance) == ("numeric", 10.0, None)
    assert q.hint.startswith("the second argument")
    tol = questions.parse(NUMBER.replace("**Answer: 10**", "**Answer: 0.25 ± 0.01**"), "0_1")
    assert (tol.answer, tol.tolerance) == (0.25, 0.01)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.replace("- (d) 0.5\n", ""), "choices - (a) … - (d)"),
        (lambda s: s.replace("- (c) ✗ that is the unscaled value.\n", ""), "missing ['c']"),
        (lambda s: s.replace("**Answer: (b)**", "The answer is b"), "must start with **Answer"),
        (lambda s: s.replace("- (a) ✗", "- (a) ✓"), "mark the right choice"),
        (lambda s: s.replace("<!-- END KEY -->", ""), "exactly one"),
        (lambda s: s.replace("q_scale choice", "q_scale essay"), "kind 'essay'"),
    ],
)
def test_malformed_questions_are_named(edit, message) -> None:
    with pytest.raises(questions.QuestionFormatError, match=message.replace("(", r"\(")
                       .replace(")", r"\)").replace("[", r"\[").replace("]", r"\]").replace("*", r"\*")):
        questions.parse(edit(CHOICE), "0_1")


def test_judge_choice_and_number() -> None:
    q, n = questions.parse(CHOICE, "0_1"), questions.parse(NUMBER, "0_1")
    assert questions.judge(q, None)[0] == checks.NOT_IMPLEMENTED
    assert questions.judge(q, "b")[0] == checks.PASS
    for same in ("B", "(b)", " b "):
        assert questions.judge(q, same)[0] == checks.PASS
    status, message = questions.judge(q, "c")
    assert status == checks.FAIL and "unscaled" in message and "(b)" not in message  # no leak
    assert questions.judge(q, "e")[0] == checks.FAIL and questions.judge(q, 2)[0] == checks.FAIL
    assert questions.judge(n, 10)[0] == checks.PASS and questions.judge(n, 10.0)[0] == checks.PASS
    status, message = questions.judge(n, 9)
    assert status == checks.FAIL and "Hint: the second argument" in message
    assert questions.judge(n, "10")[0] == checks.FAIL and questions.judge(n, True)[0] == checks.FAIL


@pytest.fixture
def fixture_keys(tmp_path, monkeypatch) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "0_1.json").write_text(questions.dump_keys([questions.parse(t, "0_1") for t, _ in QUESTIONS]))
    monkeypatch.setenv("COURSE_KEYS_DIR", str(keys))
    questions._cache.clear()
    yield keys
    questions._cache.clear()


def test_answer_records_like_an_exercise_and_explains(fixture_keys, capsys) -> None:
    config.setup("0_1_fixture", tensorflow=False)
    assert checks.answer("0_1/q_scale", None) is None
    assert checks.RECORDS[-1].status == checks.NOT_IMPLEMENTED
    assert "not answered yet" in capsys.readouterr().out
    checks.answer("0_1/q_scale", "a")  # a wrong answer does not raise: Run All goes on
    rec = checks.RECORDS[-1]
    assert (rec.exercise, rec.status, rec.points, rec.max_points) == ("0_1/q_scale", "fail", 0, 1)
    out = capsys.readouterr().out
    assert "✗" in out and "black" in out and "255 / 255" not in out
    checks.answer("0_1/q_scale", "b")
    assert checks.RECORDS[-1].status == checks.PASS and checks.RECORDS[-1].points == 1
    out = capsys.readouterr().out
    assert "✓" in out and "255 / 255 = 1" in out and "unscaled" in out  # every choice explained
    rows = {r["exercise"]: r for r in checks.summary_rows()}
    assert rows["q_scale"]["status"] == "pass" and rows["q_fill"]["status"] == "not_run"
    assert rows["q_scale"]["kind"] == "question"
    with pytest.raises(KeyError, match="q_scale"):
        checks.answer("0_1/q_nope", "a")


def test_student_answer_cell_hides_the_answer() -> None:
    assert notebooks.student_answer_source('utils.checks.answer("0_1/q_scale", "b")', "choice") == (
        'utils.checks.answer("0_1/q_scale", None)  # your answer: "a", "b", "c" or "d"'
    )
    assert notebooks.student_answer_source("utils.checks.answer('0_1/q_width', 1e-3)  # note",
                                           "numeric") == (
        "utils.checks.answer('0_1/q_width', None)  # your answer: a number"
    )
    with pytest.raises(ValueError, match="literals"):
        notebooks.answer_call('utils.checks.answer("0_1/q_scale", choice)')


def _course(tmp_path: Path, extra: list | None = None, n: int = 3) -> Path:
    from tests.coursekit import question_cells

    root = tmp_path / "course"
    nb = nbformat.v4.new_notebook(cells=[
        new_markdown_cell("# 0.1 Fixture\n\nSee [the next lesson](0_2_missing.ipynb) and [web](https://x.org)."),
        new_code_cell('import utils\n\nutils.setup("0_1_fixture")'),
        new_code_cell("def one_hot(l, n):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
        new_code_cell("utils.checks.one_hot(one_hot)"),
        new_code_cell("def normalize_images(x):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
        new_code_cell("utils.checks.normalize_images(normalize_images)"),
        *question_cells(n),
        *(extra or []),
        new_markdown_cell("<details>a</details><details>b</details>\n## Summary"),
        new_code_cell("utils.checks.summary()"),
    ])
    path = root / "notebooks" / "day0" / "0_1_fixture.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    notebooks.generate(root)
    return root


def test_generate_writes_keys_and_a_student_copy_without_answers(tmp_path) -> None:
    root = _course(tmp_path)
    keys = root / "utils/checks/keys/0_1.json"
    assert keys.exists() and '"answer": "b"' in keys.read_text()
    student = (root / "exercises/day0/0_1_fixture.ipynb").read_text()
    assert "BEGIN KEY" not in student and "255 / 255" not in student
    assert '\\"0_1/q_scale\\", None)' in student and '\\"0_1/q_width\\", None)' in student
    inst = notebooks.read(root / "notebooks/day0/0_1_fixture.ipynb")
    stamped = [c.metadata.course.get("question") for c in inst.cells if "question" in c.metadata.get("course", {})]
    assert stamped == ["0_1/q_scale", "0_1/q_fill", "0_1/q_width"]
    problems = notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"]
    assert problems == ["cell 0: link to 0_2_missing.ipynb names no file (relative to notebooks/day0/)"]


def test_structure_rules_for_questions(tmp_path) -> None:
    root = _course(tmp_path / "few", n=2)  # two questions, no numeric: too few
    problems = notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"]
    assert any("at least 3 exam-style questions, has 2" in p for p in problems)
    root = _course(tmp_path / "nofill", extra=[new_markdown_cell(CHOICE.replace("q_scale", "q_two")),
                                                new_code_cell('utils.checks.answer("0_1/q_two", "b")')],
                   n=1)
    assert any("code fill-in" in p for p in notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"])
    root = _course(tmp_path / "wrongkey", extra=[new_markdown_cell(CHOICE.replace("q_scale", "q_bad")),
                                                  new_code_cell('utils.checks.answer("0_1/q_bad", "a")')])
    problems = notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"]
    assert any("disagrees with the key" in p for p in problems)
    keys = root / "utils/checks/keys/0_1.json"
    keys.write_text(keys.read_text().replace('"b"', '"c"'))
    assert any("out of date" in p for p in notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"])
    root = _course(tmp_path / "orphan", extra=[new_code_cell('utils.checks.answer("0_1/q_scale", "b")')])
    assert any("without a question" in p for p in notebooks.check(root)["notebooks/day0/0_1_fixture.ipynb"])


# ------------------------------------------------------------------ every question of the course
COURSE_QUESTIONS = [q for path in sorted(questions.KEYS_DIR.glob("*.json"))
                    for q in questions.load_keys(path.stem, questions.KEYS_DIR).values()]


def test_every_lesson_with_questions_has_keys() -> None:
    lessons = {notebooks.lesson_of(p) for p in notebooks.instructor_paths()}
    have = {p.stem for p in questions.KEYS_DIR.glob("*.json")}
    assert have <= lessons, f"keys without a lesson: {sorted(have - lessons)}"


@pytest.mark.parametrize("q", COURSE_QUESTIONS, ids=[q.id for q in COURSE_QUESTIONS])
def test_course_question_rejects_unanswered_and_wrong_and_accepts_the_key(q) -> None:
    assert questions.judge(q, None)[0] == checks.NOT_IMPLEMENTED
    assert questions.judge(q, q.answer)[0] == checks.PASS
    if q.kind == "numeric":
        wrong = [q.answer * 2 + 1, -q.answer - 1, q.answer + 10 * (q.tolerance or abs(q.answer) or 1)]
    else:
        wrong = [label for label in questions.LABELS if label != q.answer]
    for w in wrong:
        status, message = questions.judge(q, w)
        assert status == checks.FAIL, (q.id, w)
        if q.kind != "numeric":  # a wrong choice is explained without giving the key away
            assert f"({q.answer})" not in message


@pytest.mark.parametrize("path", notebooks.instructor_paths(), ids=lambda p: p.stem)
def test_student_copies_show_no_key_and_no_answer(path) -> None:
    student = notebooks.read(notebooks.student_path(path))
    for cell in student.cells:
        assert "BEGIN KEY" not in cell.source and "**Answer:" not in cell.source, path.name
        if cell.cell_type == "code":
            call = notebooks.answer_call(cell.source)
            assert call is None or call.value is None, f"{path.name}: {cell.source}"


def test_bullets_and_hints_may_wrap_over_lines() -> None:
    text = CHOICE.replace("- (a) ✗ 0 is where black goes.", "- (a) ✗ 0 is where\n  black goes, $x = 0$.")
    text = text.replace("<!-- END KEY -->", "**Hint:** think of\nthe largest pixel.\n<!-- END KEY -->")
    q = questions.parse(text, "0_1")
    assert q.why["a"] == "✗ 0 is where black goes, $x = 0$." and q.why["b"] == "✓ 255 / 255 = 1."
    assert q.hint == "think of the largest pixel."
