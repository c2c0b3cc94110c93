"""Grade a class's submitted notebooks: ``python -m utils.grade SUBMISSIONS… [-o grades.csv]``.

Each submission (a notebook saved from JupyterLab or downloaded from Colab, or a folder of them)
is matched to its lesson, rebuilt with the course's own checker cells (an edited or deleted
checker cell still gets the real check; a duplicated exercise cell counts once), executed in its
own kernel in quick mode, in parallel, with a per-notebook timeout. The checkers' structured
records (``COURSE_RESULTS``) give each exercise's status and points; no printed output is read.

Writes a CSV (one row a submission) and, with ``--feedback DIR``, one Markdown file a submission
with the checkers' messages. A submission that cannot run gets a clear status; the grader
itself does not crash on a bad submission.
"""

from __future__ import annotations

import argparse
import builtins
import copy
import csv
import difflib
import io
import itertools
import json
import keyword
import os
import re
import sys
import tempfile
import time
import tokenize
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from utils import config, notebooks

OK, ERROR, TIMEOUT = "ok", "error", "timeout"
UNREADABLE, UNKNOWN, WRONG, CRASHED = "unreadable", "unknown_notebook", "wrong_notebook", "kernel_died"
MISSING, NOT_RUN = "missing", "not_run"  # exercise statuses besides pass/fail/not_implemented
SETUP_RE = re.compile(r"""utils\.setup\(\s*["']([\w]+)["']""")
_BUILTINS = set(dir(builtins))
ANSWER_ID_RE = re.compile(r"""utils\.checks\.answer\(\s*["']([\w/]+)["']""")
DEF_RE = re.compile(r"^\s*(?:def|class)\s+([A-Za-z_]\w*)", re.M)


@dataclass
class Exercise:
    id: str
    status: str
    points: float
    max_points: float
    message: str = ""


@dataclass
class Result:
    submission: str
    notebook: str = ""
    status: str = OK
    detail: str = ""
    seconds: float = 0.0
    exercises: list[Exercise] = field(default_factory=list)
    code: dict[str, str] = field(default_factory=dict)  # exercise id -> the student's code

    @property
    def total(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_total(self) -> float:
        return sum(e.max_points for e in self.exercises)


# ------------------------------------------------------------------ matching
def course_notebooks(root: Path) -> dict[str, Path]:
    """Student copies of the course keyed by notebook stem."""
    return {p.stem: p for p in sorted((root / notebooks.EXERCISES).glob("day*/*.ipynb"))}


def identify(nb: NotebookNode, filename: str, known: dict[str, Path]) -> str | None:
    """The course notebook a submission belongs to: metadata, then set-up call, then file name."""
    stem = nb.metadata.get("course", {}).get("notebook")
    if stem in known:
        return stem
    for cell in nb.cells:
        if cell.cell_type == "code":
            m = SETUP_RE.search(cell.source)
            if m and m.group(1) in known:
                return m.group(1)
    for stem in known:  # "0_1_getting_started (1).ipynb", "Copy of 0_1_getting_started.ipynb"
        if stem in filename:
            return stem
    return None


def _exercise_id(cell: NotebookNode, course_ex: dict[str, NotebookNode]) -> str | None:
    """Which exercise a student's code cell holds: metadata, cell id, or the name it defines."""
    if cell.cell_type != "code":
        return None
    ex = cell.metadata.get("course", {}).get("exercise")
    if ex in course_ex:
        return ex
    for ex_id, ref in course_ex.items():
        if cell.get("id") and cell.get("id") == ref.get("id"):
            return ex_id
    names = DEF_RE.findall(cell.source)
    for ex_id, ref in course_ex.items():
        ref_names = DEF_RE.findall(ref.source)
        if ref_names and names and names[0] == ref_names[0]:
            return ex_id
    return None


def _is_checker_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and (
        "checker" in cell.metadata.get("course", {})
        or notebooks.checker_name(cell.source) is not None
    )


def rebuild(student: NotebookNode, course: NotebookNode) -> tuple[NotebookNode, dict[str, str]]:
    """The notebook to execute: the student's cells, the course's set-up and checker cells.

    Student checker cells are dropped; the course's checker cell of each exercise goes right
    after the student's last cell of that exercise (so a duplicated cell counts once). Returns
    the notebook and the student's code per exercise.
    """
    course_ex: dict[str, NotebookNode] = {}
    checker_cells: dict[str, NotebookNode] = {}
    for c in course.cells:
        meta = c.metadata.get("course", {})
        if "exercise" in meta:
            course_ex[meta["exercise"]] = c
        if "checker" in meta:
            checker_cells[meta["checker"]] = c
    setup_at = notebooks.next_code_cell(course, -1)
    cells: list[NotebookNode] = []
    owner: list[str | None] = []
    for cell in student.cells:
        if cell.cell_type != "code":
            continue  # markdown cannot fail; keep the executed notebook small
        if _is_checker_cell(cell) or "utils.setup(" in cell.source:
            continue
        cells.append(nbformat.v4.new_code_cell(cell.source))
        owner.append(_exercise_id(cell, course_ex))
    code: dict[str, str] = {}
    for i, ex in enumerate(owner):
        if ex is not None:
            code[ex] = cells[i].source
    last = {ex: i for i, ex in enumerate(owner) if ex is not None}
    out: list[NotebookNode] = []
    setup = nbformat.v4.new_code_cell(course.cells[setup_at].source if setup_at is not None else "")
    setup.metadata["course"] = {"role": "setup"}
    out.append(setup)
    for i, cell in enumerate(cells):
        ex = owner[i]
        cell.metadata["course"] = {"exercise": ex} if ex else {}
        out.append(cell)
        if ex is not None and last[ex] == i and ex in checker_cells:
            chk = nbformat.v4.new_code_cell(checker_cells[ex].source)
            chk.metadata["course"] = {"checker": ex}
            out.append(chk)
    nb = nbformat.v4.new_notebook(cells=out, metadata={"kernelspec": dict(notebooks.KERNELSPEC)})
    return nb, code


# ------------------------------------------------------------------ execution (worker process)
def _first_error(cell: NotebookNode) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"
    return None


def grade_one(path: str, root: str, timeout: float, lesson: str | None,
              extra_cases: str | None, mode: str) -> Result:
    """Grade one submission; every failure becomes a status, never an exception."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from utils import checks

    start = time.time()
    res = Result(submission=path)
    known = course_notebooks(Path(root))
    try:
        student = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook: a status, not a crash
        res.status, res.detail = UNREADABLE, f"{type(err).__name__}: {err}"
        return res
    stem = identify(student, Path(path).name, known)
    if lesson and (stem is None or not (stem == lesson or stem.startswith(lesson + "_"))):
        res.notebook = stem or ""
        res.status, res.detail = WRONG, f"expected lesson {lesson}, got {stem or 'an unknown notebook'}"
        return res
    if stem is None:
        res.status, res.detail = UNKNOWN, "no course notebook matches (metadata, set-up cell, file name)"
        return res
    res.notebook = stem
    course = nbformat.read(known[stem], as_version=4)
    nb, res.code = rebuild(student, course)
    expected = [c.metadata["course"].get("exercise") or c.metadata["course"]["question"]
                for c in course.cells
                if {"exercise", "question"} & set(c.metadata.get("course", {}))]

    work = Path(tempfile.mkdtemp(prefix="grade-"))
    records_path = work / "records.jsonl"
    os.environ.update(COURSE_MODE=mode, COURSE_RESULTS=str(records_path), COURSE_NOTEBOOK=stem,
                      COURSE_RESULTS_DIR=str(work / "results"),  # keep the course's results/ clean
                      COURSE_KEYS_DIR=str(notebooks.keys_dir(Path(root))))
    if extra_cases:
        os.environ["COURSE_EXTRA_CASES"] = str(Path(extra_cases).resolve())
    deadline = start + timeout

    def remaining(cell: NotebookNode) -> int:
        return max(1, int(deadline - time.time()))

    for attempt in range(1, 4):  # a kernel that fails to start is retried, not the student's fault
        records_path.unlink(missing_ok=True)
        run_nb = copy.deepcopy(nb)
        # Unix-socket transport at a path of this submission's own: no TCP port races between
        # the kernels that the parallel workers start at the same moment.
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(work / f"k{attempt}"))
        client = NotebookClient(run_nb, km=km, timeout_func=remaining, allow_errors=True,
                                resources={"metadata": {"path": str(work)}})
        try:
            client.execute()
            res.status, res.detail = OK, ""
        except CellTimeoutError:
            res.status, res.detail = TIMEOUT, f"stopped after the {timeout:g} s limit"
        except DeadKernelError as err:
            res.status, res.detail = CRASHED, str(err)
        except Exception as err:  # kernel failed to start, etc.
            res.status, res.detail = ERROR, f"{type(err).__name__}: {err}"
        finally:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        started = any(c.get("execution_count") for c in run_nb.cells)
        if started or time.time() > deadline:
            break
    nb = run_nb

    records: dict[str, dict] = {}
    if records_path.exists():
        for line in records_path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            records[rec["exercise"]] = rec
    checker_error = {c.metadata["course"]["checker"]: _first_error(c) for c in nb.cells
                     if "checker" in c.metadata.get("course", {})}
    answered = {m.group(1) for c in nb.cells for m in ANSWER_ID_RE.finditer(c.source)}
    for ex in expected:
        chk = checks.REGISTRY.get(ex)
        max_points = chk.max_points if chk else 1.0  # an exam-style question is worth 1 point
        rec = records.get(ex)
        if rec:
            item = Exercise(ex, rec["status"], rec["points"], rec["max_points"], rec["message"])
        elif ex not in res.code and ex not in answered:
            item = Exercise(ex, MISSING, 0.0, max_points, "the exercise cell was not found")
        elif checker_error.get(ex):
            item = Exercise(ex, ERROR, 0.0, max_points,
                            f"the check could not run: {checker_error[ex]}")
        else:
            item = Exercise(ex, NOT_RUN, 0.0, max_points, "not reached before the notebook stopped")
        res.exercises.append(item)
    if res.status == OK:
        for i, cell in enumerate(nb.cells):
            err = _first_error(cell)
            if err and "checker" not in cell.metadata.get("course", {}):
                res.status, res.detail = ERROR, f"code cell {i} raised {err}"
                break
    res.seconds = round(time.time() - start, 1)
    return res


def _safe_grade(*args: Any) -> Result:
    try:
        return grade_one(*args)
    except Exception as err:  # last line of defence: one bad submission never stops the class
        return Result(submission=args[0], status=ERROR, detail=f"grader error {type(err).__name__}: {err}")


# ------------------------------------------------------------------ outputs
def collect(paths: list[str]) -> list[str]:
    """Notebook files among ``paths`` (folders are searched recursively)."""
    found: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [str(q) for q in sorted(p.rglob("*.ipynb")) if ".ipynb_checkpoints" not in q.parts]
        else:
            found.append(str(p))
    return found


def write_csv(results: list[Result], out: Path) -> None:
    ids = sorted({e.id for r in results for e in r.exercises})
    head = ["submission", "notebook", "status", "detail"]
    head += list(itertools.chain.from_iterable((f"{i} status", f"{i} points") for i in ids))
    head += ["total", "max_total", "seconds"]
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for r in results:
            ex = {e.id: e for e in r.exercises}
            row: list[Any] = [r.submission, r.notebook, r.status, r.detail]
            for i in ids:
                row += [ex[i].status, f"{ex[i].points:g}"] if i in ex else ["", ""]
            row += [f"{r.total:g}", f"{r.max_total:g}", r.seconds]
            w.writerow(row)


_LABEL = {"pass": "✓ solved", "fail": "✗ wrong", "not_implemented": "not yet",
          MISSING: "missing", ERROR: "error", NOT_RUN: "not run"}


def feedback(r: Result) -> str:
    """Markdown feedback for one submission: statuses and checker messages, no test code."""
    lines = [f"# Feedback: {Path(r.submission).name}", "",
             f"- notebook: {r.notebook or '?'}", f"- status: {r.status}"]
    if r.detail:
        lines.append(f"- detail: {r.detail}")
    lines += [f"- points: {r.total:g} / {r.max_total:g}", "",
              "| exercise | result | points |", "|---|---|---|"]
    lines += [f"| {e.id} | {_LABEL.get(e.status, e.status)} | {e.points:g}/{e.max_points:g} |"
              for e in r.exercises]
    for e in r.exercises:
        if e.status != "pass" and e.message:
            lines += ["", f"## {e.id}", "", "```text", e.message, "```"]
    return "\n".join(lines) + "\n"


def _normalize_code(source: str) -> list[str]:
    """Tokens with comments/whitespace dropped and names renamed in order of appearance."""
    names: dict[str, str] = {}
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and tok.string not in _BUILTINS:
                out.append(names.setdefault(tok.string, f"v{len(names)}"))
            elif tok.type == tokenize.STRING:
                out.append("STR")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = " ".join(line.split("#")[0].strip() for line in source.splitlines()).split()
    return out


def similarity(results: list[Result], threshold: float = 0.9) -> list[tuple[str, str, float]]:
    """Pairs of submissions of one notebook whose attempted answers are nearly identical."""
    pairs = []
    by_nb: dict[str, list[Result]] = {}
    for r in results:
        if r.code:
            by_nb.setdefault(r.notebook, []).append(r)
    for group in by_nb.values():
        for a, b in itertools.combinations(group, 2):
            status_a = {e.id: e.status for e in a.exercises}
            status_b = {e.id: e.status for e in b.exercises}
            shared = [ex for ex in sorted(set(a.code) & set(b.code))
                      if status_a.get(ex) not in ("not_implemented", MISSING)
                      and status_b.get(ex) not in ("not_implemented", MISSING)]
            if not shared:
                continue
            ta = list(itertools.chain.from_iterable(_normalize_code(a.code[ex]) for ex in shared))
            tb = list(itertools.chain.from_iterable(_normalize_code(b.code[ex]) for ex in shared))
            score = difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()
            if score >= threshold:
                pairs.append((a.submission, b.submission, round(score, 3)))
    return sorted(pairs, key=lambda p: -p[2])


# ------------------------------------------------------------------ CLI
def grade(paths: list[str], *, jobs: int, timeout: float, root: Path, lesson: str | None = None,
          extra_cases: str | None = None, mode: str = "quick", progress: bool = True) -> list[Result]:
    """Grade every submission in ``paths`` with ``jobs`` worker processes."""
    from tqdm.auto import tqdm

    files = collect(paths)
    results: list[Result] = []
    args = [(f, str(root), timeout, lesson, extra_cases, mode) for f in files]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_safe_grade, *a) for a in args]
        for fut in tqdm(as_completed(futures), total=len(futures), disable=not progress,
                        desc="grading", unit="nb"):
            results.append(fut.result())
    return sorted(results, key=lambda r: r.submission)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", nargs="+", help="notebook files or folders of them")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per notebook")
    parser.add_argument("-o", "--output", type=Path, default=Path("grades.csv"))
    parser.add_argument("--feedback", type=Path, help="folder for one Markdown file a submission")
    parser.add_argument("--notebook", dest="lesson",
                        help="the assignment, e.g. 1_2: other notebooks get status wrong_notebook")
    parser.add_argument("--extra-cases", help="lecturer's Python file with grading-only CASES")
    parser.add_argument("--similarity", action="store_true",
                        help="flag pairs of submissions with nearly identical answers")
    parser.add_argument("--threshold", type=float, default=0.9, help="similarity threshold")
    parser.add_argument("--mode", default="quick", choices=config.MODES)
    parser.add_argument("--course", type=Path, default=config.REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    t0 = time.time()
    results = grade(args.submissions, jobs=args.jobs, timeout=args.timeout, root=args.course,
                    lesson=args.lesson, extra_cases=args.extra_cases, mode=args.mode)
    write_csv(results, args.output)
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
        for r in results:
            (args.feedback / f"{Path(r.submission).stem}.md").write_text(feedback(r), encoding="utf-8")
    for r in results:
        print(f"{r.total:5g}/{r.max_total:<4g} {r.status:<16} {r.submission}"
              + (f"  ({r.detail})" if r.detail else ""))
    if args.similarity:
        pairs = similarity(results, args.threshold)
        print(f"similar pairs (score >= {args.threshold}): {len(pairs) or 'none'}")
        for a, b, s in pairs:
            print(f"  {s:.3f}  {a}  {b}")
    print(f"graded {len(results)} submissions in {time.time() - t0:.1f} s with -j {args.jobs} "
          f"-> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

