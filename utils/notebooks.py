"""Notebook tooling: strip outputs, generate student copies, check the structure of every lesson.

    python -m utils.notebooks strip [PATH ...]    clear outputs and execution counts
    python -m utils.notebooks exercises [NB ...]  stamp notebooks/ and regenerate exercises/
    python -m utils.notebooks check               structure problems of every notebook (exit 1)
    python -m utils.notebooks to-py NB SRC.py     write a notebook as a percent-format script
    python -m utils.notebooks from-py SRC.py NB   rebuild the notebook from it (ids kept)

The percent format of jupytext (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell
whose lines are commented with ``# ``) makes a lesson easy to write and review as plain text.

Instructor notebooks live in ``notebooks/dayN/N_M_title.ipynb`` with solutions between
``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student copy in ``exercises/`` has each
block replaced by ``# YOUR CODE HERE`` + ``raise NotImplementedError``, each exam-style question's
key removed and its answer set to ``None``. Uses nbformat and jupytext.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from utils import config

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
NOTEBOOKS, EXERCISES = "notebooks", "exercises"
NAME_RE = re.compile(r"^(\d+)_(\d+)_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")
CHECKER_RE = re.compile(r"^\s*utils\.checks\.([A-Za-z_]\w*)\(", re.M)
BADGE_ICON = "https://colab.research.google.com/assets/colab-badge.svg"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
KEEP_CELL_METADATA = ("course", "tags")
NOT_CHECKERS = ("summary", "summary_rows", "use", "answer")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
MIN_QUESTIONS = 3
SETUP_TEMPLATE = '''\
# Setup. On Colab: fetch the course and install `utils` (Colab's TensorFlow/Keras are kept).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth", "1", "{url}", "/content/course"], check=False)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")

import utils
'''


# ---------------------------------------------------------------- reading and writing
def read(path: Path | str) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: NotebookNode, path: Path | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


def lesson_of(path: Path | str) -> str:
    """``notebooks/day1/1_5_backpropagation.ipynb`` → ``"1_5"``."""
    return "_".join(Path(path).stem.split("_")[:2])


def relpath(path: Path | str, root: Path | None = None) -> str:
    root = (root or config.REPO_ROOT).resolve()
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def badge(rel: str) -> str:
    """The "Open in Colab" badge of the notebook at repo-relative path ``rel``."""
    url = f"https://colab.research.google.com/github/{config.REPO_SLUG}/blob/main/{rel}"
    return f"[![Open In Colab]({BADGE_ICON})]({url})"


def setup_prefix() -> str:
    return SETUP_TEMPLATE.format(url=config.REPO_URL)


# ---------------------------------------------------------------- cleaning
def strip(nb: NotebookNode) -> NotebookNode:
    """Clear outputs, execution counts and editor metadata (in place); keep ``course`` tags."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = NotebookNode(
            {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        )
    keep = {k: nb.metadata[k] for k in ("course", "language_info") if k in nb.metadata}
    keep["kernelspec"] = NotebookNode(KERNELSPEC)
    if "language_info" in keep:
        keep["language_info"] = {"name": "python"}
    nb.metadata = NotebookNode(keep)
    return nb


# ---------------------------------------------------------------- exercises
@dataclass
class Block:
    begin: int  # line index of the BEGIN marker
    end: int  # line index of the END marker
    indent: str


def solution_blocks(source: str) -> list[Block]:
    """The solution blocks of one cell; ValueError on unbalanced or nested markers."""
    blocks, open_at, indent = [], None, ""
    for i, line in enumerate(source.splitlines()):
        stripped = line.strip()
        if stripped == BEGIN:
            if open_at is not None:
                raise ValueError(f"line {i + 1}: {BEGIN} inside another solution block")
            open_at, indent = i, line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if open_at is None:
                raise ValueError(f"line {i + 1}: {END} without {BEGIN}")
            blocks.append(Block(open_at, i, indent))
            open_at = None
    if open_at is not None:
        raise ValueError(f"line {open_at + 1}: {BEGIN} without {END}")
    return blocks


def student_source(source: str) -> str:
    """Replace every solution block by the stub."""
    lines = source.splitlines()
    out: list[str] = []
    pos = 0
    for b in solution_blocks(source):
        out += lines[pos : b.begin]
        out += [f"{b.indent}# YOUR CODE HERE", f"{b.indent}raise NotImplementedError"]
        pos = b.end + 1
    out += lines[pos:]
    return "\n".join(out)


def has_solution(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and any(
        line.strip() == BEGIN for line in cell.source.splitlines()
    )


def next_code_cell(nb: NotebookNode, index: int) -> int | None:
    for j in range(index + 1, len(nb.cells)):
        if nb.cells[j].cell_type == "code":
            return j
    return None


def checker_name(source: str) -> str | None:
    """The exercise named by a checker cell's ``utils.checks.NAME(...)`` call."""
    names = [n for n in CHECKER_RE.findall(source) if n not in NOT_CHECKERS]
    return names[0] if names else None


def exercise_pairs(nb: NotebookNode) -> list[tuple[int, int | None, str | None]]:
    """``(exercise cell, checker cell, exercise name)`` for every cell with a solution block."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if has_solution(cell):
            j = next_code_cell(nb, i)
            pairs.append((i, j, checker_name(nb.cells[j].source) if j is not None else None))
    return pairs


# ---------------------------------------------------------------- exam-style questions
@dataclass
class AnswerCall:
    question_id: str
    value: object
    span: tuple[int, int]  # character offsets of the answer argument in the cell source


def answer_call(source: str) -> AnswerCall | None:
    """The ``utils.checks.answer("<id>", <literal>)`` call of a code cell, or None.

    ValueError when the call is there but its id or answer is not a literal.
    """
    import ast

    if "utils.checks.answer(" not in source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"the answer cell is not valid Python: {err}") from err
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "answer" and ast.unparse(node.func.value) == "utils.checks"):
            if len(node.args) != 2 or node.keywords:
                raise ValueError("call it as utils.checks.answer(\"<lesson>/<name>\", <answer>)")
            try:
                qid, value = ast.literal_eval(node.args[0]), ast.literal_eval(node.args[1])
            except ValueError as err:
                raise ValueError("the question id and the answer must be literals") from err
            lines = source.splitlines(keepends=True)
            offset = [0]
            for line in lines:
                offset.append(offset[-1] + len(line))
            arg = node.args[1]
            span = (offset[arg.lineno - 1] + arg.col_offset,
                    offset[arg.end_lineno - 1] + arg.end_col_offset)
            return AnswerCall(str(qid), value, span)
    return None


def question_cells(nb: NotebookNode) -> list[tuple[int, int | None, str, str]]:
    """``(markdown cell, answer cell, name, kind)`` for every exam-style question."""
    from utils.checks import questions

    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            m = questions.marker(cell.source)
            if m:
                found.append((i, next_code_cell(nb, i), m[0], m[1]))
    return found


def lesson_keys(nb: NotebookNode, lesson: str) -> list:
    """The parsed :class:`~utils.checks.questions.Question` keys of an instructor notebook."""
    from utils.checks import questions

    return [questions.parse(nb.cells[i].source, lesson) for i, _, _, _ in question_cells(nb)]


def student_answer_source(source: str, kind: str) -> str:
    """The student's answer cell: the instructor's answer replaced by None."""
    call = answer_call(source)
    if call is None:
        return source
    what = "a number" if kind == "numeric" else '"a", "b", "c" or "d"'
    a, b = call.span
    line_end = source.find("\n", b)
    line_end = len(source) if line_end < 0 else line_end
    rest = source[b:line_end].split("#")[0].rstrip()
    return source[:a] + "None" + rest + f"  # your answer: {what}" + source[line_end:]


def stamp(nb: NotebookNode, rel: str) -> NotebookNode:
    """Stamp badge, Colab set-up block, notebook and exercise ids into ``nb`` (in place)."""
    stem, lesson = Path(rel).stem, lesson_of(rel)
    nb.metadata["course"] = {"notebook": stem, "lesson": lesson}
    if nb.cells and nb.cells[0].cell_type == "markdown":
        lines = nb.cells[0].source.splitlines()
        lines = [ln for ln in lines if BADGE_ICON not in ln]
        lines.insert(1 if lines else 0, badge(rel))
        nb.cells[0].source = "\n".join(lines)
    setup_at = next_code_cell(nb, -1)
    if setup_at is not None:
        cell = nb.cells[setup_at]
        cut = cell.source.find("import utils\n")
        if cut >= 0:
            cell.source = setup_prefix() + cell.source[cut + len("import utils\n") :]
    for cell in nb.cells:  # stamps are derived from the cells, never carried over from an edit
        cell.metadata.pop("course", None)
    for i, j, name in exercise_pairs(nb):
        if name is None or j is None:
            continue
        ex_id = f"{lesson}/{name}"
        nb.cells[i].metadata["course"] = {"exercise": ex_id}
        nb.cells[j].metadata["course"] = {"checker": ex_id}
    for _, j, name, _ in question_cells(nb):
        if j is not None and not has_solution(nb.cells[j]):
            nb.cells[j].metadata["course"] = {"question": f"{lesson}/{name}"}
    return nb


def student_copy(nb: NotebookNode, rel: str) -> NotebookNode:
    """The student copy of the instructor notebook ``nb`` (at repo-relative ``rel``)."""
    out = copy.deepcopy(nb)
    student_rel = EXERCISES + rel[len(NOTEBOOKS) :] if rel.startswith(NOTEBOOKS) else rel
    from utils.checks import questions

    for cell in out.cells:
        if has_solution(cell):
            cell.source = student_source(cell.source)
    for i, j, _, kind in question_cells(out):
        out.cells[i].source = questions.strip_key(out.cells[i].source)
        if j is not None:
            out.cells[j].source = student_answer_source(out.cells[j].source, kind)
    if out.cells and out.cells[0].cell_type == "markdown":
        out.cells[0].source = out.cells[0].source.replace(badge(rel), badge(student_rel))
    return out


def instructor_paths(root: Path | None = None) -> list[Path]:
    root = root or config.REPO_ROOT
    return sorted((root / NOTEBOOKS).glob("day*/*.ipynb"))


def student_path(path: Path, root: Path | None = None) -> Path:
    root = root or config.REPO_ROOT
    return root / EXERCISES / path.parent.name / path.name


def keys_dir(root: Path | None = None) -> Path:
    """The folder of the question keys of the course at ``root``."""
    return (root or config.REPO_ROOT) / "utils" / "checks" / "keys"


def keys_path(lesson: str, root: Path | None = None) -> Path:
    from utils.checks import questions

    return questions.key_path(lesson, keys_dir(root))


def write_keys(nb: NotebookNode, lesson: str, root: Path | None = None) -> Path | None:
    """Write ``utils/checks/keys/<lesson>.json`` from the notebook's questions (or remove it)."""
    from utils.checks import questions

    path = keys_path(lesson, root)
    keys = lesson_keys(nb, lesson)
    if not keys:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(questions.dump_keys(keys), encoding="utf-8")
    questions._cache.pop(str(path), None)
    return path


def generate(root: Path | None = None, only: list[Path] | None = None) -> list[Path]:
    """Stamp + strip every instructor notebook (or those in ``only``) and (re)write its student
    copy; drop orphans when all notebooks were regenerated."""
    root = root or config.REPO_ROOT
    written = []
    selected = [p.resolve() for p in only] if only else None
    for path in instructor_paths(root):
        if selected is not None and path.resolve() not in selected:
            continue
        rel = relpath(path, root)
        nb = strip(stamp(read(path), rel))
        write(nb, path)
        dest = student_path(path, root)
        write(student_copy(nb, rel), dest)
        write_keys(nb, lesson_of(path), root)
        written.append(dest)
    for orphan in sorted((root / EXERCISES).glob("day*/*.ipynb")):
        if selected is None and orphan not in written:
            orphan.unlink()
    return written


# ---------------------------------------------------------------- percent format (jupytext)
PERCENT = "py:percent"
TEXT_FILTERS = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "-all"}


def to_percent(nb: NotebookNode) -> str:
    """The notebook as a jupytext percent-format script (no metadata header, no cell metadata)."""
    import jupytext

    nb = copy.deepcopy(nb)
    nb.metadata["jupytext"] = dict(TEXT_FILTERS)
    return jupytext.writes(nb, fmt=PERCENT)


def from_percent(text: str, old: NotebookNode | None = None) -> NotebookNode:
    """A notebook from a percent-format script. With ``old``, jupytext's combine keeps the ids,
    metadata and outputs of the cells that still match, so regenerating a lesson does not churn
    its diff."""
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    nb = jupytext.reads(text, fmt=PERCENT)
    if old is not None:
        old = copy.deepcopy(old)
        old.metadata["jupytext"] = dict(TEXT_FILTERS)  # metadata is not in the text: keep old's
        nb.metadata["jupytext"] = dict(TEXT_FILTERS)
        nb = combine_inputs_with_outputs(nb, old, fmt=PERCENT)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = NotebookNode(KERNELSPEC)
    return nb


# ---------------------------------------------------------------- structure check
def _cells_equal(a: NotebookNode, b: NotebookNode) -> bool:
    def key(nb: NotebookNode) -> list:
        return [(c.cell_type, c.source, dict(c.metadata), c.get("id")) for c in nb.cells]

    return key(a) == key(b)


def check_questions(nb: NotebookNode, lesson: str, root: Path | None = None) -> list[str]:
    """Problems of the exam-style questions of one instructor notebook (docs/authoring.md §3)."""
    from utils.checks import questions

    problems: list[str] = []
    cells = question_cells(nb)
    keys = []
    answered = set()
    for i, j, _name, _kind in cells:
        try:
            q = questions.parse(nb.cells[i].source, lesson)
        except questions.QuestionFormatError as err:
            problems.append(f"cell {i}: {err}")
            continue
        keys.append(q)
        try:
            call = answer_call(nb.cells[j].source) if j is not None else None
        except ValueError as err:
            problems.append(f"cell {j}: {err}")
            continue
        if call is None or call.question_id != q.id:
            problems.append(f'cell {i}: question {q.id} must be followed by a code cell '
                            f'utils.checks.answer("{q.id}", <answer>)')
            continue
        answered.add(j)
        status, message = questions.judge(q, call.value)
        if status != "pass":
            problems.append(f"cell {j}: the instructor's answer to {q.id} disagrees with the key "
                            f"({message})")
        if nb.cells[j].metadata.get("course", {}).get("question") != q.id:
            problems.append(f"cell {j}: question id not stamped (run `make exercises`)")
    for j, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and j not in answered:
            try:
                call = answer_call(cell.source)
            except ValueError:
                call = None
            if call is not None:
                problems.append(f"cell {j}: answer cell without a question markdown cell above it")
    names = [q.name for q in keys]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"question {lesson}/{name} is defined twice")
    if len(cells) < MIN_QUESTIONS:
        problems.append(f"needs at least {MIN_QUESTIONS} exam-style questions, has {len(cells)}")
    if cells and not any(kind == "fill-in" for _, _, _, kind in cells):
        problems.append("needs at least one code fill-in exam-style question (kind fill-in)")
    if len(keys) == len(cells):
        path = keys_path(lesson, root)
        want = questions.dump_keys(keys) if keys else None
        have = path.read_text(encoding="utf-8") if path.exists() else None
        if want != have:
            problems.append(f"{relpath(path, root)} out of date (run `make exercises`)")
    return problems


def dead_links(nb: NotebookNode, path: Path, root: Path | None = None) -> list[tuple[int, str]]:
    """``(cell, message)`` for every relative markdown link that names no existing file."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for target in LINK_RE.findall(cell.source):
            if re.match(r"^(?:[a-z]+:|#)", target):
                continue  # a web address, or an anchor in the same notebook
            file = target.split("#")[0]
            if file and not (path.parent / file).exists():
                out.append((i, f"link to {target} names no file (relative to {relpath(path.parent, root)}/)"))
    return out


def check_notebook(path: Path, root: Path | None = None) -> list[str]:
    """Structure problems of one instructor notebook (empty list when it is fine)."""
    from utils import checks  # the registry of checkers

    root = root or config.REPO_ROOT
    rel = relpath(path, root)
    problems: list[str] = []
    m = NAME_RE.match(path.name)
    if not m or path.parent.name != f"day{m.group(1)}" or path.parent.parent.name != NOTEBOOKS:
        problems.append("file name must be notebooks/dayN/N_M_snake_case_title.ipynb")
    try:
        nb = read(path)
        nbformat.validate(nb)
    except Exception as err:  # unreadable notebook: nothing else can be checked
        return [f"not a valid notebook: {err}"]
    stem, lesson = path.stem, lesson_of(path)
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec must be python3")
    first = nb.cells[0] if nb.cells else None
    number = lesson.replace("_", ".")
    if first is None or first.cell_type != "markdown" or not first.source.startswith(f"# {number} "):
        problems.append(f"first cell must be the markdown title '# {number} …'")
    elif badge(rel) not in first.source:
        problems.append("title cell lacks the Colab badge (run `make exercises`)")
    setup_at = next_code_cell(nb, -1)
    setup = nb.cells[setup_at].source if setup_at is not None else ""
    if not setup.startswith(setup_prefix()) or f'utils.setup("{stem}"' not in setup:
        problems.append(f'first code cell must be the set-up cell calling utils.setup("{stem}")')
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            problems.append(f"cell {i}: has outputs or an execution count (run `make strip`)")
        if cell.cell_type != "code" and BEGIN in cell.source:
            problems.append(f"cell {i}: solution markers outside a code cell")
        if cell.cell_type == "code":
            try:
                blocks = solution_blocks(cell.source)
            except ValueError as err:
                problems.append(f"cell {i}: {err}")
                continue
            if any(b.indent == "" for b in blocks):
                problems.append(
                    f"cell {i}: a solution block must sit inside a function or class, "
                    "so that the student copy runs top to bottom"
                )
    pairs = exercise_pairs(nb)
    if len(pairs) < 2:
        problems.append(f"needs at least 2 exercises, has {len(pairs)}")
    names = []
    for i, j, name in pairs:
        if name is None:
            problems.append(f"cell {i}: exercise not followed by a `utils.checks.<name>(…)` cell")
            continue
        names.append(name)
        chk = checks.REGISTRY.get(f"{lesson}/{name}")
        if chk is None:
            problems.append(f"cell {j}: no checker {lesson}/{name} in utils.checks")
        if j is not None and has_solution(nb.cells[j]):
            problems.append(f"cell {j}: a checker cell must not hold a solution")
        if nb.cells[i].metadata.get("course", {}).get("exercise") != f"{lesson}/{name}":
            problems.append(f"cell {i}: exercise id not stamped (run `make exercises`)")
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"exercise {name} is checked twice")
    for i, cell in enumerate(nb.cells):  # a stamp left on a cell that is no exercise any more
        if "exercise" in cell.metadata.get("course", {}) and not has_solution(cell):
            problems.append(f"cell {i}: stamped as exercise {cell.metadata.course['exercise']} "
                            "but holds no solution block (run `make exercises`)")
    problems += check_questions(nb, lesson, root)
    problems += [f"cell {i}: {item}" for i, item in dead_links(nb, path, root)]
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if md.count("<details>") < 2:
        problems.append("needs at least 2 check questions (確認テスト) with <details> answers")
    if not re.search(r"^##+ .*(Summary|まとめ)", md, re.M):
        problems.append("needs a '## Summary / まとめ' section")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[-1].source.strip() != "utils.checks.summary()":
        problems.append("last code cell must be `utils.checks.summary()`")
    dest = student_path(path, root)
    if not dest.exists():
        problems.append(f"student copy {relpath(dest, root)} missing (run `make exercises`)")
    elif not problems and not _cells_equal(read(dest), student_copy(nb, rel)):
        problems.append(f"student copy {relpath(dest, root)} out of date (run `make exercises`)")
    return problems


def check(root: Path | None = None) -> dict[str, list[str]]:
    """Problems of every notebook, keyed by repo-relative path."""
    root = root or config.REPO_ROOT
    report = {relpath(p, root): check_notebook(p, root) for p in instructor_paths(root)}
    readme = root / "README.md"
    if readme.exists():
        page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(readme.read_text("utf-8"))])
        report["README.md"] = [msg for _, msg in dead_links(page, readme, root)]
    expected = {student_path(p, root) for p in instructor_paths(root)}
    for extra in sorted((root / EXERCISES).glob("**/*.ipynb")):
        if extra not in expected:
            report[relpath(extra, root)] = ["student copy without an instructor notebook"]
    return {k: v for k, v in report.items() if v}


# ---------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("strip", help="clear outputs and execution counts")
    s.add_argument("paths", nargs="*", type=Path)
    ex = sub.add_parser("exercises", help="stamp notebooks/ and regenerate exercises/")
    ex.add_argument("paths", nargs="*", type=Path, help="instructor notebooks (default: all)")
    sub.add_parser("check", help="check the structure of every notebook")
    tp = sub.add_parser("to-py", help="write a notebook as a percent-format script")
    tp.add_argument("notebook", type=Path)
    tp.add_argument("script", type=Path)
    fp = sub.add_parser("from-py", help="build a notebook from a percent-format script")
    fp.add_argument("script", type=Path)
    fp.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "to-py":
        args.script.write_text(to_percent(read(args.notebook)), encoding="utf-8")
        print(f"wrote {args.script}")
        return 0
    if args.cmd == "from-py":
        old = read(args.notebook) if args.notebook.exists() else None
        write(from_percent(args.script.read_text(encoding="utf-8"), old), args.notebook)
        print(f"wrote {args.notebook} (run `make exercises` to stamp it and refresh exercises/)")
        return 0
    if args.cmd == "strip":
        paths = args.paths or instructor_paths() + sorted(
            (config.REPO_ROOT / EXERCISES).glob("day*/*.ipynb")
        )
        for p in paths:
            write(strip(read(p)), p)
        print(f"stripped {len(paths)} notebooks")
    elif args.cmd == "exercises":
        written = generate(only=args.paths or None)
        print(f"wrote {len(written)} student copies to {EXERCISES}/")
    else:
        problems = check()
        n = len(instructor_paths())
        for rel, items in problems.items():
            for item in items:
                print(f"{rel}: {item}")
        print(f"checked {n} notebooks: {'OK' if not problems else f'{len(problems)} with problems'}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
