"""Grade a class's submitted notebooks: ``python -m utils.grade SUBMISSIONS… [-o grades.csv]``.

Each submission (a notebook saved from JupyterLab or downloaded from Colab, or a folder of them)
is matched to its lesson, rebuilt with the course's own checker cells (an edited or deleted
checker cell still gets the real check; a duplicated exercise cell counts once), executed in its
own contained kernel (:mod:`utils.sandbox`) in quick mode, in parallel, with a per-notebook
timeout. Each check is recorded in that kernel and judged here (:mod:`utils.checks.remote`): the
kernel sends only what the student's code answered, never a verdict, and the lecturer's
grading-only cases never reach it. :mod:`utils.review` flags code a lecturer should look at.

Writes a CSV (one row a submission) and, with ``--feedback DIR``, one Markdown file a submission
with the checkers' messages. A submission that cannot run gets a clear status; the grader
itself does not crash on a bad submission.
"""

from __future__ import annotations

import argparse
import ast
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
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
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
    flags: list[str] = field(default_factory=list)  # for the lecturer to look at (utils.review)
    contained: str = ""  # "bwrap", or "no" (utils.sandbox.containment)

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
            return _short(f"{out.get('ename')}: {out.get('evalue')}")
    return None


def _short(text: str, n: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _sent(cell: NotebookNode, mime: str) -> list[Any]:
    """What the kernel sent to the grader in this cell's outputs (see utils.checks.remote)."""
    return [out["data"][mime] for out in cell.get("outputs", [])
            if out.get("output_type") in ("display_data", "execute_result")
            and isinstance(out.get("data"), dict) and mime in out["data"]]


def checked_expression(source: str) -> str | None:
    """``EXPR`` of the course's checker cell ``utils.checks.NAME(EXPR)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute) \
                and ast.unparse(node.func.value) == "utils.checks":
            return ast.unparse(node.args[0])
    return None


def _record_source(exercise: str, expr: str, extra_args: list[tuple[tuple, dict]]) -> str:
    from utils.checks import remote

    payload = json.dumps(remote.pack(extra_args))
    return (f'__import__("utils.checks.remote", fromlist=["record"]).record('
            f"{exercise!r}, {expr}, extra={payload!r})")


def kernel_env(stem: str, mode: str, work: Path, data_dirs: list[Path], cache: Path | None) -> dict[str, str]:
    """The kernel's whole environment: what the course needs, nothing of the grader's.

    ``cache``: the grader's derived-data cache (tokenized IMDB), read-only in the kernel; without
    one, the kernel gets a private cache in its folder.
    """
    env = {"HOME": str(work), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "COURSE_MODE": mode, "COURSE_NOTEBOOK": stem, "COURSE_GRADING": "1", "COURSE_OFFLINE": "1",
           "COURSE_RESULTS_DIR": str(work / "results"), "COURSE_CACHE_DIR": str(cache or work / ".cache"),
           "MPLCONFIGDIR": str(work / ".matplotlib"), "MPLBACKEND": "agg",
           "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "KERAS_HOME": str(work / ".keras")}
    if data_dirs:
        env["COURSE_DATA_DIR"] = os.pathsep.join(map(str, data_dirs))
    return env


def _data_folders() -> tuple[list[Path], Path | None]:
    """The grader's data folders that exist, and its derived-data cache if it exists."""
    from utils import data

    cache = data.cache_dir()
    return ([p.resolve() for p in data.search_path() if p.is_dir()],
            cache.resolve() if cache.is_dir() else None)


def _kernel_manager(argv: list[str], work: Path, attempt: int, uid: int | None) -> Any:
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class SandboxKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=argv, display_name="graded submission", language="python")

        def write_connection_file(self, **kw: Any) -> None:
            super().write_connection_file(**kw)
            if uid is not None:  # the kernel runs as its own user and must read its ports and key
                os.chown(self.connection_file, uid, uid)

    # Unix-socket transport at a path of this submission's own: no TCP port races between
    # the kernels that the parallel workers start at the same moment, and no network needed.
    return SandboxKernelManager(transport="ipc", ip=str(work / f"k{attempt}"),
                                connection_file=str(work / f"kernel-{attempt}.json"))


def grade_one(path: str, root: str, timeout: float, lesson: str | None,
              extra_cases: str | None, mode: str, seed: int = 0) -> Result:
    """Grade one submission; every failure becomes a status, never an exception.

    The submission's cells run in a contained kernel (:mod:`utils.sandbox`); each check is
    recorded there and judged here (:mod:`utils.checks.remote`), so nothing the submission
    does in its kernel can write a verdict.
    """
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from utils import checks, review, sandbox
    from utils.checks import core, questions, remote

    start = time.time()
    res = Result(submission=path, contained=sandbox.containment()[0])
    known = course_notebooks(Path(root))
    try:
        student = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook: a status, not a crash
        res.status, res.detail = UNREADABLE, _short(f"{type(err).__name__}: {err}")
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
    try:
        res.flags = review.flags(nb, course)
    except Exception as err:  # e.g. code too deeply nested to parse: a reason to look
        res.flags = [f"the code could not be reviewed ({type(err).__name__})"]
    expected = [c.metadata["course"].get("exercise") or c.metadata["course"]["question"]
                for c in course.cells
                if {"exercise", "question"} & set(c.metadata.get("course", {}))]
    keys = questions.load_keys(core.lesson_of(stem), notebooks.keys_dir(Path(root)))

    # The lecturer's grading-only cases: read here, never by the kernel; inputs drawn afresh.
    specs = core.load_extra_cases(extra_cases) if extra_cases else {}
    rng = np.random.default_rng([seed, zlib.crc32(Path(path).name.encode())])
    extra = {ex: [(name, points, *core.draw_args(spec, rng)) for name, points, spec in cases]
             for ex, cases in specs.items()}

    work = Path(tempfile.mkdtemp(prefix="grade-"))
    shutil.copy(path, work / Path(path).name)  # its own notebook, and nothing else
    uid = sandbox.kernel_uid()
    if uid is not None:
        os.chown(work, uid, uid)
        os.chown(work / Path(path).name, uid, uid)
    data_dirs, cache = _data_folders()
    env = kernel_env(stem, mode, work, data_dirs, cache)
    readable = [Path(checks.__file__).resolve().parents[1], *data_dirs, *([cache] if cache else [])]
    limits = sandbox.Limits(cpu_seconds=int(2 * timeout + 60))
    argv = sandbox.kernel_argv(work, readable, env, limits)
    deadline = start + timeout

    def remaining(cell: NotebookNode) -> int:
        return max(1, int(deadline - time.time()))

    verdicts: dict[str, Exercise] = {}
    answers: dict[str, Any] = {}
    checker_error: dict[str, str] = {}

    async def execute(client: NotebookClient, run_nb: NotebookNode) -> None:
        async with client.async_setup_kernel(env=env, cwd=str(work), stdout=subprocess.DEVNULL,
                                             stderr=log):
            for i, cell in enumerate(run_nb.cells):
                ex = cell.metadata.get("course", {}).get("checker")
                if ex:
                    expr = checked_expression(cell.source)
                    cell.source = _record_source(ex, expr or "None",
                                                 [(a, k) for _, _, a, k in extra.get(ex, [])])
                await client.async_execute_cell(cell, i)
                if ex:
                    err = _first_error(cell)
                    sent = [r for r in _sent(cell, remote.MIME_RECORDING)
                            if isinstance(r, dict) and r.get("exercise") == ex]
                    if err or not sent:
                        checker_error[ex] = err or "your notebook sent no recording of the check"
                        continue
                    status, message, points, max_points = remote.judge(ex, sent[-1], extra.get(ex, []))
                    verdicts[ex] = Exercise(ex, status, points, max_points, message)
                    if core.NOT_CHECKED in message:
                        res.flags.append(f"{ex}: the recording does not match the course's check "
                                         "(course code changed in the kernel?)")
                    if status == core.PASS:  # later cells `use` the student's function, as in self-study
                        grant = nbformat.v4.new_code_cell(
                            f'__import__("utils.checks.core", fromlist=["_passed"])._passed.append({expr})')
                        await client.async_execute_cell(grant, i)
                for qid in set(ANSWER_ID_RE.findall(cell.source)):
                    got = [a for a in _sent(cell, remote.MIME_ANSWER)
                           if isinstance(a, dict) and a.get("id") == qid]
                    if got:
                        answers[qid] = got[-1].get("value")

    log = tempfile.TemporaryFile()  # the kernel's stderr, outside its reach, for a start failure
    for attempt in range(1, 4):  # a kernel that fails to start is retried, not the student's fault
        run_nb = copy.deepcopy(nb)
        verdicts.clear()
        answers.clear()
        checker_error.clear()
        km = _kernel_manager(argv, work, attempt, uid)
        client = NotebookClient(run_nb, km=km, timeout_func=remaining, allow_errors=True,
                                resources={"metadata": {"path": str(work)}})
        try:
            run_sync(execute)(client, run_nb)
            res.status, res.detail = OK, ""
        except CellTimeoutError:
            res.status, res.detail = TIMEOUT, f"stopped after the {timeout:g} s limit"
        except DeadKernelError as err:
            res.status, res.detail = CRASHED, _short(f"the kernel stopped: {err}")
        except Exception as err:  # kernel failed to start, etc.
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            res.status, res.detail = ERROR, _short(f"{type(err).__name__}: {err} {' '.join(tail)}")
        finally:  # a client given its kernel manager leaves the kernel running: stop it here
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        started = any(c.get("execution_count") for c in run_nb.cells)
        if started or time.time() > deadline:
            break
    nb = run_nb
    log.close()
    shutil.rmtree(work, ignore_errors=True)

    answered = {m.group(1) for c in nb.cells for m in ANSWER_ID_RE.finditer(c.source)}
    for ex in expected:
        chk = checks.REGISTRY.get(ex)
        if chk is not None:
            max_points = chk.max_points + sum(p for _, p, _, _ in extra.get(ex, []))
        else:
            max_points = 1.0  # an exam-style question
        if ex in verdicts:
            item = verdicts[ex]
        elif chk is None and ex in answers and ex in keys:
            try:
                value = remote.unpack(answers[ex])
            except Exception:  # not plain data: an answer that cannot be right
                value = repr(answers[ex])[:200]
            status, message = questions.judge(keys[ex], value)
            item = Exercise(ex, status, 1.0 if status == core.PASS else 0.0, 1.0, message)
        elif ex not in res.code and ex not in answered:
            item = Exercise(ex, MISSING, 0.0, max_points, "the exercise cell was not found")
        elif checker_error.get(ex):
            item = Exercise(ex, ERROR, 0.0, max_points, f"the check could not run: {checker_error[ex]}")
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
    head += ["total", "max_total", "flags", "contained", "seconds"]
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for r in results:
            ex = {e.id: e for e in r.exercises}
            row: list[Any] = [r.submission, r.notebook, r.status, r.detail]
            for i in ids:
                row += [ex[i].status, f"{ex[i].points:g}"] if i in ex else ["", ""]
            row += [f"{r.total:g}", f"{r.max_total:g}", "; ".join(r.flags), r.contained, r.seconds]
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
          extra_cases: str | None = None, mode: str = "quick", progress: bool = True,
          seed: int | None = None) -> list[Result]:
    """Grade every submission in ``paths`` with ``jobs`` worker processes.

    ``seed`` draws the inputs of the lecturer's grading-only cases (default: a fresh one).
    """
    from tqdm.auto import tqdm

    from utils import sandbox
    from utils.checks import core

    if extra_cases:
        core.load_extra_cases(extra_cases)  # a broken file stops here, before any kernel starts
    seed = secrets.randbits(32) if seed is None else seed
    if extra_cases and progress:
        print(f"extra cases drawn with --seed {seed}", file=sys.stderr)
    kind, why = sandbox.containment()
    if kind != "bwrap":
        print(f"warning: kernels run uncontained ({why}); the CSV says contained = no",
              file=sys.stderr)
    files = collect(paths)
    results: list[Result] = []
    args = [(f, str(root), timeout, lesson, extra_cases, mode, seed) for f in files]
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
    parser.add_argument("--seed", type=int, help="seed of the extra cases' inputs (default: fresh)")
    parser.add_argument("--similarity", action="store_true",
                        help="flag pairs of submissions with nearly identical answers")
    parser.add_argument("--threshold", type=float, default=0.9, help="similarity threshold")
    parser.add_argument("--mode", default="quick", choices=config.MODES)
    parser.add_argument("--course", type=Path, default=config.REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    t0 = time.time()
    results = grade(args.submissions, jobs=args.jobs, timeout=args.timeout, root=args.course,
                    lesson=args.lesson, extra_cases=args.extra_cases, mode=args.mode,
                    seed=args.seed)
    write_csv(results, args.output)
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
        for r in results:
            (args.feedback / f"{Path(r.submission).stem}.md").write_text(feedback(r), encoding="utf-8")
    for r in results:
        print(f"{r.total:5g}/{r.max_total:<4g} {r.status:<16} {r.submission}"
              + (f"  ({r.detail})" if r.detail else "")
              + (f"  [{len(r.flags)} flag{'s' * (len(r.flags) > 1)} in the CSV]" if r.flags else ""))
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

