"""The checker framework: every exercise cell is followed by a call to one :class:`Checker`.

A checker runs its cases on the student's function (or class) and

* prints ``✓ …`` and records ``pass`` when every case passes;
* raises :class:`AssertionError` with a helpful message, and records ``fail`` with the points
  of the cases that did pass, when a case fails;
* prints "not implemented yet" and records ``not_implemented`` when the student's code raises
  :class:`NotImplementedError` (the stub of the student copy), so that a student copy runs top
  to bottom.

Each call appends one structured record to :data:`RECORDS` (in the kernel) and, when the
environment variable ``COURSE_RESULTS`` names a file, one JSON line to that file: the progress
table and CI's solved-vs-stub verification read them. Nothing reads a status from printed
output. The grader trusts none of this: it records each check in the student's kernel and
judges it in its own process (:mod:`utils.checks.remote`), with the same :func:`evaluate`.
Taught in 0_1.
"""

from __future__ import annotations

import json
import os
import runpy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from utils import config

PASS, FAIL, NOT_IMPLEMENTED = "pass", "fail", "not_implemented"
NOT_CHECKED = "not checked:"  # a case the grader could not replay from the kernel's recording
STATUSES = (PASS, FAIL, NOT_IMPLEMENTED)


@dataclass
class Record:
    """One checker call: what the grader, CI and :func:`summary` read."""

    notebook: str | None
    exercise: str
    status: str
    message: str
    points: float
    max_points: float
    cwd: str = field(default_factory=os.getcwd)
    time: float = field(default_factory=time.time)


RECORDS: list[Record] = []
REGISTRY: dict[str, Checker] = {}
_passed: list[Any] = []  # student objects that passed their checker (for `use`)


@dataclass
class Case:
    """One test of a checker: ``run(student)`` raises AssertionError when the answer is wrong.

    hidden: a grading-only case of the lecturer's, whose failure names no inputs or values.
    """

    name: str
    run: Callable[[Any], None]
    points: float = 1.0
    hidden: bool = False


def evaluate(chk: Checker, cases: list[Case], student: Callable[[int], Any]) -> tuple[str, str, float, float]:
    """Run each case on ``student(i)``: (status, message, points earned, points possible).

    The one place a verdict is made, in self-study (:meth:`Checker.run`) and in the grader
    (:func:`utils.checks.remote.judge`). Stops at the first case the stub leaves unfinished.
    """
    from utils.checks.remote import Diverged

    total = float(sum(c.points for c in cases))
    earned, failures = 0.0, []
    for i, case in enumerate(cases):
        try:
            case.run(student(i))
        except NotImplementedError:
            msg = f"{chk.name}: not implemented yet. Replace `raise NotImplementedError` with your code."
            return NOT_IMPLEMENTED, msg, 0.0, total
        except Diverged as err:
            failures.append(f"[{case.name}] {NOT_CHECKED} {err}; was the course's code changed "
                            "in the notebook?")
        except AssertionError as err:
            failures.append(f"[{case.name}] " + ("wrong result on this hidden case (its inputs "
                            "are not shown)" if case.hidden else str(err)).rstrip())
        except Exception as err:  # the student's code crashed: a wrong answer, said kindly
            detail = "" if case.hidden else f": {err}"
            failures.append(f"[{case.name}] your code raised {type(err).__name__}{detail}")
        else:
            earned += case.points
    if failures:
        return FAIL, (f"{chk.name}: {len(failures)} of {len(cases)} checks failed "
                      f"({earned:g}/{total:g} points).\n  " + "\n  ".join(failures)), earned, total
    return PASS, f"{chk.name}: all {len(cases)} checks passed ({earned:g}/{total:g} points).", earned, total


class Checker:
    """An exercise's checker: ``Checker("0_1", "one_hot", reference=ref)`` then ``@chk.case()``.

    lesson: the notebook's number, e.g. ``"1_2"``; the exercise id is ``"1_2/softmax"``.
    reference: the course's solution; grading extra cases compare the student against it.
    compare: ``compare(actual, expected)`` for extra cases (default :func:`assert_close`).
    register: add it to :data:`REGISTRY` (tests build throw-away checkers with ``False``).
    """

    def __init__(
        self,
        lesson: str,
        name: str,
        *,
        reference: Callable[..., Any] | None = None,
        compare: Callable[[Any, Any], None] | None = None,
        doc: str = "",
        register: bool = True,
    ) -> None:
        self.lesson = lesson
        self.name = name
        self.id = f"{lesson}/{name}"
        self.reference = reference
        self.compare = compare or (lambda actual, expected: assert_close(actual, expected))
        self.doc = doc
        self.cases: list[Case] = []
        if register:
            if any(c.name == name for c in REGISTRY.values()):
                raise ValueError(f"two checkers share the exercise name {name!r}; names must be unique")
            REGISTRY[self.id] = self

    def case(self, name: str | None = None, points: float = 1.0) -> Callable:
        """Decorator adding ``fn(student)`` as one case worth ``points``."""

        def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
            self.cases.append(Case(name or fn.__name__.strip("_").replace("_", " "), fn, points))
            return fn

        return register

    @property
    def max_points(self) -> float:
        return float(sum(c.points for c in self.cases))

    def __call__(self, student: Any) -> None:
        """Check ``student``; returns nothing, so a checker cell shows only the verdict."""
        self.run(student)

    def run(self, student: Any) -> Record:
        """Check ``student`` and return the record (raises AssertionError on a wrong answer)."""
        status, msg, earned, total = evaluate(self, self.cases, lambda _: student)
        if status == NOT_IMPLEMENTED:
            print(f"… {msg}")
            return self._record(NOT_IMPLEMENTED, msg, 0.0, total)
        if status == FAIL:
            self._record(FAIL, msg, earned, total)
            raise AssertionError(msg)
        print(f"✓ {msg}")
        _passed.append(student)
        return self._record(PASS, msg, earned, total)

    def _record(self, status: str, message: str, points: float, max_points: float) -> Record:
        return record(self.id, status, message, points, max_points)

    def __repr__(self) -> str:
        return f"<Checker {self.id} ({len(self.cases)} cases, {self.max_points:g} points)>"


def record(exercise: str, status: str, message: str, points: float, max_points: float) -> Record:
    """Keep one result in :data:`RECORDS` and append it to ``$COURSE_RESULTS`` when set."""
    rec = Record(config.notebook(), exercise, status, message, points, max_points)
    RECORDS.append(rec)
    path = os.environ.get("COURSE_RESULTS")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:  # one short line: an atomic append
            fh.write(json.dumps(asdict(rec), ensure_ascii=False) + "\n")
    return rec


def load_extra_cases(path: str | Path) -> dict[str, list[tuple[str, float, Any]]]:
    """``{exercise id: [(name, points, args spec), …]}`` from a lecturer's ``CASES`` file.

    The file is Python and defines ``CASES = {"1_2/softmax": [{"args": …, "points": 1}, …]}``;
    ``args`` is a tuple of arguments, or a function of a NumPy ``Generator`` returning that tuple
    (drawn afresh for every grading run); ``kwargs`` likewise. Each case calls the student and
    the reference with the same arguments and compares them with the checker's ``compare``.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"the extra-cases file {path} does not exist")
    specs = runpy.run_path(str(path)).get("CASES", {})
    out: dict[str, list[tuple[str, float, Any]]] = {}
    for ex_id, cases in specs.items():
        chk = REGISTRY.get(ex_id)
        if chk is None:
            raise ValueError(f"{path}: no exercise {ex_id!r} (known: {', '.join(sorted(REGISTRY))})")
        if cases and chk.reference is None:
            raise ValueError(f"extra cases given for {ex_id}, whose checker has no reference")
        out[ex_id] = [(str(c.get("name", f"extra case {i}")), float(c.get("points", 1)), c)
                      for i, c in enumerate(cases, 1)]
    return out


def draw_args(spec: dict[str, Any], rng: np.random.Generator) -> tuple[tuple, dict]:
    """The arguments of one extra case: fixed, or drawn from ``rng``."""
    args, kwargs = spec.get("args", ()), spec.get("kwargs", {})
    args = args(rng) if callable(args) else args
    kwargs = kwargs(rng) if callable(kwargs) else kwargs
    return tuple(args), dict(kwargs)


def compare_case(chk: Checker, name: str, args: tuple, kwargs: dict, points: float,
                 hidden: bool = False) -> Case:
    """A case calling the student and the reference with ``args`` and comparing the results."""

    def run(student: Any) -> None:
        chk.compare(student(*args, **kwargs), chk.reference(*args, **kwargs))

    return Case(name, run, points, hidden)


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "your result",
) -> None:
    """Tolerant array comparison whose failures name shapes, positions and values."""
    if actual is None:
        raise AssertionError(f"{name} is None: did you forget `return`?")
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{name} is not an array of numbers ({type(actual).__name__})") from err
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise AssertionError(f"{name} has shape {a.shape}, expected shape {e.shape}")
    bad_nan = np.isnan(a) != np.isnan(e)
    if bad_nan.any():
        idx = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise AssertionError(f"{name} has NaN where none is expected, e.g. at index {idx}")
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        idx = tuple(int(i) for i in np.argwhere(~close)[0])
        where = f" at index {idx}" if a.ndim else ""
        got, want = (a[idx], e[idx]) if a.ndim else (a, e)
        raise AssertionError(
            f"{name} differs{where}: got {got:.6g}, expected {want:.6g} "
            f"({int((~close).sum())} of {a.size} values off; max |diff| "
            f"{np.nanmax(np.abs(a - e)):.3g})"
        )


def expect_shape(actual: Any, shape: Sequence[int], name: str = "your result") -> None:
    """Assert ``actual.shape == shape`` with a message naming both."""
    got = np.shape(actual)
    if tuple(got) != tuple(shape):
        raise AssertionError(f"{name} has shape {tuple(got)}, expected shape {tuple(shape)}")


def expect_same_output(actual: Any, expected: Any) -> None:
    """Assert two Keras models have the same ``output_shape`` (the student's model and the
    reference built with the same arguments), with a message naming both shapes."""
    if tuple(actual.output_shape) != tuple(expected.output_shape):
        raise AssertionError(f"output shape {actual.output_shape}, expected {expected.output_shape}")


def expect_arrays(out: Any, fn: str, names: Sequence[str]) -> tuple[np.ndarray, ...]:
    """The arrays ``out`` a student's ``fn`` returned, one per name in ``names``, or an
    AssertionError that says what to return (``None`` usually means a forgotten ``return``)."""
    listed = ", ".join(names)
    if out is None:
        raise AssertionError(f"{fn} returned None: did you forget `return {listed}`?")
    try:
        n = len(out)
    except TypeError:
        n = -1
    if n != len(names):
        count = {2: "two", 3: "three", 4: "four"}.get(len(names), str(len(names)))
        raise AssertionError(f"{fn} must return {count} arrays, ({listed}); got {type(out).__name__}")
    return tuple(np.asarray(o) for o in out)


def compare_arrays(fn: str, names: Sequence[str]) -> Callable[[Any, Any], None]:
    """A Checker ``compare`` for functions returning one array per name in ``names``: the
    student's arrays (through :func:`expect_arrays`) against the reference's, each by
    :func:`assert_close` under its name."""
    def compare(actual: Any, expected: Any) -> None:
        for a, e, name in zip(expect_arrays(actual, fn, names), expected, names, strict=True):
            assert_close(a, e, name=name)
    return compare


def use(student: Any, reference: Any) -> Any:
    """The student's function if it passed its checker in this kernel, else the reference.

    Later cells call this so that an unfinished exercise never breaks the rest of a lesson.
    """
    if any(student is ok for ok in _passed):
        return student
    name = getattr(reference, "__name__", "function")
    print(f"(using the course's reference `{name}`: yours has not passed its check yet)")
    return reference


def latest(notebook: str | None = None) -> dict[str, Record]:
    """The latest record of each exercise in this kernel, optionally of one notebook only."""
    out: dict[str, Record] = {}
    for rec in RECORDS:
        if notebook is None or rec.notebook == notebook:
            out[rec.exercise] = rec
    return out


def lesson_of(notebook: str) -> str:
    """``"1_5_backpropagation"`` → ``"1_5"``."""
    return "_".join(notebook.split("_")[:2])


_SYMBOL = {PASS: "✓ passed", FAIL: "✗ failed", NOT_IMPLEMENTED: "… not yet"}


def summary_rows(notebook: str | None = None) -> list[dict[str, Any]]:
    """One row per exercise and exam-style question of the notebook: kind, name, status, points."""
    from utils.checks import questions  # the keys live beside the checkers

    notebook = notebook or config.notebook()
    if notebook is None:
        raise ValueError("summary() needs the notebook name: call utils.setup('<notebook>') first")
    lesson = lesson_of(notebook)
    recs = latest(notebook)
    items = [("exercise", ex_id, chk.name, chk.max_points)
             for ex_id, chk in REGISTRY.items() if chk.lesson == lesson]
    items += [("question", q.id, q.name, 1.0) for q in questions.lesson_questions(lesson)]
    rows = []
    for kind, ex_id, name, max_points in items:
        rec = recs.get(ex_id)
        rows.append({
            "kind": kind,
            "exercise": name,
            "status": rec.status if rec else "not_run",
            "points": rec.points if rec else 0.0,
            "max_points": rec.max_points if rec else max_points,
        })
    return rows


class Summary:
    """The progress table of a notebook: plain text, and an HTML table in JupyterLab/Colab."""

    def __init__(self, notebook: str, rows: list[dict[str, Any]]) -> None:
        self.notebook, self.rows = notebook, rows

    def _totals(self) -> tuple[int, float, float]:
        done = sum(r["status"] == PASS for r in self.rows)
        return done, sum(r["points"] for r in self.rows), sum(r["max_points"] for r in self.rows)

    def __repr__(self) -> str:
        width = max([len(r["exercise"]) for r in self.rows] + [8])
        lines = [f"Progress in {self.notebook}"]
        for kind, title in (("exercise", "exercises"), ("question", "exam-style questions")):
            part = [r for r in self.rows if r["kind"] == kind]
            if part:
                lines.append(f"  {title}:")
            for r in part:
                label = _SYMBOL.get(r["status"], "– not run")
                lines.append(f"    {r['exercise']:<{width}}  {label:<10}  "
                             f"{r['points']:g}/{r['max_points']:g}")
        done, got, total = self._totals()
        lines.append(f"  total: {done}/{len(self.rows)} done, {got:g}/{total:g} points")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        body = "".join(
            f"<tr><td>{'exercise' if r['kind'] == 'exercise' else 'question'}</td>"
            f"<td><code>{escape(r['exercise'])}</code></td>"
            f"<td>{escape(_SYMBOL.get(r['status'], '– not run'))}</td>"
            f"<td>{r['points']:g}/{r['max_points']:g}</td></tr>"
            for r in self.rows
        )
        done, got, total = self._totals()
        return (
            f"<b>Progress in {escape(self.notebook)}</b>"
            "<table><thead><tr><th>kind</th><th>name</th><th>status</th><th>points</th></tr>"
            f"</thead><tbody>{body}</tbody><tfoot><tr><td colspan='2'><b>total</b></td>"
            f"<td>{done}/{len(self.rows)} done</td><td>{got:g}/{total:g}</td></tr></tfoot></table>"
        )


def summary(notebook: str | None = None) -> None:
    """Show this notebook's exercises and exam-style questions with status and points.

    The last code cell of every notebook calls it, so a student sees their progress: an HTML
    table in JupyterLab and Colab, plain text elsewhere. Returns nothing (no ``Out[…]``);
    :func:`summary_rows` gives the rows.
    """
    notebook = notebook or config.notebook()
    table = Summary(notebook or "", summary_rows(notebook))
    if in_ipython():
        from IPython.display import display

        display(table)
    else:
        print(repr(table))


def in_ipython() -> bool:
    """True inside a Jupyter/IPython kernel, where rich output (HTML, Markdown) is displayed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None
