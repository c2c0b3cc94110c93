"""Notebook tooling: student copies, stripping, structure checks (on fixture notebooks)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.coursekit import question_cells
from utils import config, notebooks

REPO = config.REPO_ROOT

EXERCISE = '''def f(x):
    """Double x."""
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION


class G:
    def h(self):
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION'''

STUDENT = '''def f(x):
    """Double x."""
    # YOUR CODE HERE
    raise NotImplementedError


class G:
    def h(self):
        # YOUR CODE HERE
        raise NotImplementedError'''


def test_student_source_replaces_every_block_keeping_indentation() -> None:
    assert notebooks.student_source(EXERCISE) == STUDENT


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "without ### END"),
        ("x = 1\n### END SOLUTION", "without ### BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_unbalanced_markers_are_errors(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        notebooks.solution_blocks(source)


def _fixture_course(tmp_path: Path) -> Path:
    """A course with one instructor notebook shaped like a lesson (two exercises of 0_1)."""
    root = tmp_path / "course"
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 0.1 Fixture lesson\n\nText."),
            new_code_cell('import utils\n\nutils.setup("0_1_fixture")'),
            new_code_cell(
                "def normalize_images(x):\n    ### BEGIN SOLUTION\n    return x / 255\n"
                "    ### END SOLUTION",
                outputs=[new_output("stream", name="stdout", text="hi")],
                execution_count=3,
            ),
            new_code_cell("utils.checks.normalize_images(normalize_images)"),
            new_code_cell("def one_hot(l, n):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
            new_code_cell("utils.checks.one_hot(one_hot)"),
            *question_cells(3),
            new_markdown_cell("Q1\n<details><summary>Answer</summary>a</details>\n"
                              "Q2\n<details><summary>Answer</summary>b</details>"),
            new_markdown_cell("## Summary / まとめ\n- done"),
            new_code_cell("utils.checks.summary()"),
        ]
    )
    path = root / "notebooks" / "day0" / "0_1_fixture.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    return root


def test_generate_stamps_strips_and_writes_the_expected_student_copy(tmp_path) -> None:
    root = _fixture_course(tmp_path)
    (root / "exercises" / "day9").mkdir(parents=True)
    orphan = root / "exercises" / "day9" / "9_9_old.ipynb"
    orphan.write_text("{}")
    [dest] = notebooks.generate(root)
    assert dest == root / "exercises" / "day0" / "0_1_fixture.ipynb"
    assert not orphan.exists()
    inst, stud = notebooks.read(root / "notebooks/day0/0_1_fixture.ipynb"), notebooks.read(dest)
    # instructor copy: stripped and stamped
    assert inst.cells[2].outputs == [] and inst.cells[2].execution_count is None
    assert inst.cells[2].metadata.course == {"exercise": "0_1/normalize_images"}
    assert inst.cells[3].metadata.course == {"checker": "0_1/normalize_images"}
    assert inst.metadata.course == {"notebook": "0_1_fixture", "lesson": "0_1"}
    assert inst.metadata.kernelspec.name == "python3"
    assert notebooks.badge("notebooks/day0/0_1_fixture.ipynb") in inst.cells[0].source
    assert inst.cells[1].source.startswith(notebooks.setup_prefix())
    assert inst.cells[1].source.endswith('utils.setup("0_1_fixture")')
    # student copy: stubs, same ids and metadata, badge pointing at exercises/
    assert stud.cells[2].source == (
        "def normalize_images(x):\n    # YOUR CODE HERE\n    raise NotImplementedError"
    )
    assert [c.id for c in stud.cells] == [c.id for c in inst.cells]
    assert stud.cells[2].metadata.course == inst.cells[2].metadata.course
    assert notebooks.badge("exercises/day0/0_1_fixture.ipynb") in stud.cells[0].source
    assert notebooks.check(root) == {}
    # generating twice changes nothing
    before = dest.read_bytes()
    notebooks.generate(root)
    assert dest.read_bytes() == before


def _problems(root: Path) -> list[str]:
    return notebooks.check(root).get("notebooks/day0/0_1_fixture.ipynb", [])


def _edit(root: Path, fn) -> None:
    path = root / "notebooks/day0/0_1_fixture.ipynb"
    nb = notebooks.read(path)
    fn(nb)
    nbformat.write(nb, str(path))


def test_check_finds_outputs_stale_copies_and_missing_checkers(tmp_path) -> None:
    root = _fixture_course(tmp_path)
    notebooks.generate(root)

    def add_output(nb):
        nb.cells[3].outputs = [new_output("stream", name="stdout", text="✓")]

    _edit(root, add_output)
    assert any("has outputs" in p for p in _problems(root))
    notebooks.generate(root)

    def change_text(nb):
        nb.cells[4].source = nb.cells[4].source.replace("(l, n)", "(labels, n)")

    _edit(root, change_text)  # exercises/ not regenerated
    assert any("out of date" in p for p in _problems(root))
    notebooks.generate(root)

    def drop_checker(nb):
        del nb.cells[5]

    _edit(root, drop_checker)
    assert any("not followed by a `utils.checks" in p for p in _problems(root))


def test_a_stale_exercise_stamp_is_found_and_removed_by_generate(tmp_path) -> None:
    root = _fixture_course(tmp_path)
    notebooks.generate(root)

    def stale(nb):  # e.g. an edit through the percent format carried metadata to a new cell
        nb.cells.insert(6, new_code_cell("print(1)", metadata={"course": {"exercise": "0_1/one_hot"}}))

    _edit(root, stale)
    assert any("holds no solution block" in p for p in _problems(root))
    notebooks.generate(root)
    assert _problems(root) == []


def test_check_rejects_top_level_solutions_and_bad_names(tmp_path) -> None:
    root = _fixture_course(tmp_path)

    def top_level(nb):
        nb.cells[4].source = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"

    _edit(root, top_level)
    notebooks.generate(root)
    assert any("inside a function or class" in p for p in _problems(root))
    bad = root / "notebooks/day0/Intro.ipynb"
    shutil.copy(root / "notebooks/day0/0_1_fixture.ipynb", bad)
    assert any("file name must be" in p for p in notebooks.check(root)["notebooks/day0/Intro.ipynb"])


def test_strip_keeps_course_metadata_and_kernelspec() -> None:
    nb = new_notebook(cells=[new_code_cell("1", execution_count=1, outputs=[new_output("stream", text="x")])])
    nb.cells[0].metadata.update({"course": {"exercise": "a/b"}, "collapsed": True, "tags": ["t"]})
    nb.metadata["widgets"] = {"x": 1}
    out = notebooks.strip(nb)
    assert out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert dict(out.cells[0].metadata) == {"course": {"exercise": "a/b"}, "tags": ["t"]}
    assert "widgets" not in out.metadata and out.metadata.kernelspec.name == "python3"


def test_the_course_itself_passes_its_structure_check() -> None:
    assert notebooks.check() == {}


def test_percent_format_round_trips_every_lesson(tmp_path) -> None:
    for path in notebooks.instructor_paths():
        nb = notebooks.read(path)
        back = notebooks.from_percent(notebooks.to_percent(nb), old=nb)
        assert [(c.cell_type, c.source, c.id, dict(c.metadata)) for c in back.cells] == [
            (c.cell_type, c.source, c.id, dict(c.metadata)) for c in nb.cells
        ], path.name
    fresh = notebooks.from_percent("# %% [markdown]\n# # 0.1 T\n#\n# text\n\n# %%\nx = 1\n")
    assert [c.cell_type for c in fresh.cells] == ["markdown", "code"]
    assert fresh.cells[0].source == "# 0.1 T\n\ntext" and fresh.cells[1].source == "x = 1"
