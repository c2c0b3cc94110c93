"""Exam-style questions (E資格形式): four choices, code fill-ins and numeric answers.

A question is written once, in the instructor notebook: a markdown cell with the marker
``<!-- question NAME KIND -->``, the stem, the choices ``- (a)`` … ``- (d)`` and a key block
(``<!-- BEGIN KEY -->`` … ``<!-- END KEY -->``), followed by a code cell
``utils.checks.answer("<lesson>/<name>", "b")``. ``make exercises`` removes the key block and
the answer from the student copy and collects the keys into ``utils/checks/keys/<lesson>.json``;
:func:`answer` reads them from there. The format is described in ``docs/authoring.md`` §3.

Each :func:`answer` call records ``pass``, ``fail`` or ``not_implemented`` (1 point) exactly like
an exercise's checker, so questions show in :func:`utils.checks.summary`, in CI's
solved-vs-stub verification and in the grader's CSV. Taught in 0_1.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from utils.checks import core

KINDS = ("choice", "fill-in", "numeric")
LABELS = ("a", "b", "c", "d")
KEYS_DIR = Path(__file__).resolve().parent / "keys"
MARKER_RE = re.compile(r"<!--\s*question\s+(q_[a-z0-9_]+)\s+([a-z-]+)\s*-->")
KEY_RE = re.compile(r"\n?[ \t]*<!-- BEGIN KEY -->.*?<!-- END KEY -->[ \t]*\n?", re.S)
KEY_BODY_RE = re.compile(r"<!-- BEGIN KEY -->(.*?)<!-- END KEY -->", re.S)
# a bullet "- (a) text", with its continuation lines (indented, up to a blank line or bullet)
CHOICE_RE = re.compile(r"^[ \t]*[-*][ \t]+\(([a-d])\)[ \t]*(.*(?:\n[ \t]+(?![-*][ \t]).*\S.*)*)$", re.M)
ANSWER_RE = re.compile(
    r"^\s*\*\*Answer:\s*(?:\(([a-d])\)|([-+0-9.eE]+)(?:\s*±\s*([0-9.eE+-]+))?)\s*\*\*", re.M
)
HINT_RE = re.compile(r"^\s*\*\*Hint:\*\*\s*(.+(?:\n(?!\s*\n).+)*)", re.M)
DEFAULT_RTOL = 1e-6


@dataclass
class Question:
    """One exam-style question's key, as stored in ``keys/<lesson>.json``."""

    id: str
    kind: str
    answer: str | float
    tolerance: float | None = None  # numeric: absolute tolerance (None: relative 1e-6)
    choices: dict[str, str] = field(default_factory=dict)  # label -> choice text
    why: dict[str, str] = field(default_factory=dict)  # label -> why right / wrong
    explanation: str = ""  # the key block's markdown, shown after a right answer
    hint: str = ""

    @property
    def lesson(self) -> str:
        return self.id.split("/")[0]

    @property
    def name(self) -> str:
        return self.id.split("/")[1]


class QuestionFormatError(ValueError):
    """A question cell that does not follow docs/authoring.md §3."""


def marker(source: str) -> tuple[str, str] | None:
    """``(name, kind)`` of a question markdown cell, or None."""
    m = MARKER_RE.search(source)
    return (m.group(1), m.group(2)) if m else None


def strip_key(source: str) -> str:
    """The question cell as the student sees it: the key block removed."""
    return KEY_RE.sub("\n", source).rstrip() + "\n" if KEY_RE.search(source) else source


def _join(text: str) -> str:
    """A bullet or hint written over several lines, as one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def parse(source: str, lesson: str) -> Question:
    """The :class:`Question` of one instructor markdown cell; QuestionFormatError when malformed."""
    found = marker(source)
    if found is None:
        raise QuestionFormatError("no `<!-- question q_name kind -->` marker")
    name, kind = found
    qid = f"{lesson}/{name}"
    if kind not in KINDS:
        raise QuestionFormatError(f"{qid}: kind {kind!r} is not one of {KINDS}")
    bodies = KEY_BODY_RE.findall(source)
    if len(bodies) != 1:
        raise QuestionFormatError(f"{qid}: needs exactly one <!-- BEGIN KEY --> … <!-- END KEY --> block")
    key = bodies[0].strip()
    stem = strip_key(source)
    m = ANSWER_RE.search(key)
    if m is None:
        raise QuestionFormatError(f"{qid}: the key must start with **Answer: (x)** or **Answer: 1.5**")
    hint = HINT_RE.search(key)
    q = Question(qid, kind, "", explanation=key, hint=_join(hint.group(1)) if hint else "")
    if kind == "numeric":
        if m.group(2) is None:
            raise QuestionFormatError(f"{qid}: a numeric question needs **Answer: <number>**")
        q.answer = float(m.group(2))
        q.tolerance = float(m.group(3)) if m.group(3) else None
        return q
    if m.group(1) is None:
        raise QuestionFormatError(f"{qid}: a {kind} question needs **Answer: (a|b|c|d)**")
    q.answer = m.group(1)
    choices = CHOICE_RE.findall(stem)
    labels = [label for label, _ in choices]
    if labels != list(LABELS):
        raise QuestionFormatError(
            f"{qid}: the stem must list the choices - (a) … - (d) once each, found {labels}"
        )
    q.choices = {label: _join(text) for label, text in choices}
    why = CHOICE_RE.findall(key)
    q.why = {label: _join(text) for label, text in why}
    missing = [label for label in LABELS if not q.why.get(label)]
    if missing:
        raise QuestionFormatError(
            f"{qid}: the key needs a bullet `- (x) ✓/✗ why` for every choice; missing {missing}"
        )
    if not q.why[q.answer].startswith("✓") or any(
        not q.why[label].startswith("✗") for label in LABELS if label != q.answer
    ):
        raise QuestionFormatError(f"{qid}: mark the right choice's bullet ✓ and the others ✗")
    return q


# ------------------------------------------------------------------ keys on disk
_cache: dict[str, dict[str, Question]] = {}


def keys_dir() -> Path:
    """``$COURSE_KEYS_DIR`` (tests, fixture courses) or the package's ``keys/``."""
    return Path(os.environ["COURSE_KEYS_DIR"]) if os.environ.get("COURSE_KEYS_DIR") else KEYS_DIR


def key_path(lesson: str, directory: Path | None = None) -> Path:
    return (directory or keys_dir()) / f"{lesson}.json"


def dump_keys(questions: list[Question]) -> str:
    """The JSON text of one lesson's keys (stable order, so regenerating does not churn)."""
    return json.dumps([asdict(q) for q in questions], ensure_ascii=False, indent=1) + "\n"


def load_keys(lesson: str, directory: Path | None = None) -> dict[str, Question]:
    """The questions of ``lesson`` keyed by id (empty when the lesson has none)."""
    path = key_path(lesson, directory)
    cache_key = str(path)
    if cache_key not in _cache:
        items = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        _cache[cache_key] = {d["id"]: Question(**d) for d in items}
    return _cache[cache_key]


def lesson_questions(lesson: str) -> list[Question]:
    return list(load_keys(lesson).values())


# ------------------------------------------------------------------ judging
def _normalize_choice(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip().lower().strip("()").strip()
    return v if v in LABELS else None


def _verdict(q: Question, value: Any) -> tuple[str, str, str]:
    """``(status, verdict, detail)``: the one-line verdict, and the reason or hint that follows it
    (Markdown, possibly LaTeX; empty when there is none)."""
    if value is None:
        what = 'a number' if q.kind == "numeric" else '"a", "b", "c" or "d"'
        return core.NOT_IMPLEMENTED, f"{q.name}: not answered yet. Replace None by {what}.", ""
    if q.kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return core.FAIL, f"{q.name}: {value!r} is not a number; answer with a number.", ""
        x, want = float(value), float(q.answer)
        ok = (abs(x - want) <= q.tolerance if q.tolerance is not None
              else math.isclose(x, want, rel_tol=DEFAULT_RTOL, abs_tol=1e-12))
        if ok:
            return core.PASS, f"{q.name}: {value:g} is right.", ""
        return core.FAIL, f"{q.name}: {value:g} is not right.", f"Hint: {q.hint}" if q.hint else ""
    label = _normalize_choice(value)
    if label is None:
        return core.FAIL, f'{q.name}: {value!r} is not one of the choices "a", "b", "c", "d".', ""
    if label == q.answer:
        return core.PASS, f"{q.name}: ({label}) is right.", ""
    why = q.why.get(label, "").lstrip("✗").strip()
    return core.FAIL, f"{q.name}: ({label}) is not right.", f"{why} Try another choice.".strip()


def judge(q: Question, value: Any) -> tuple[str, str]:
    """``(status, message)`` for the answer ``value`` to ``q``; no side effects."""
    status, verdict, detail = _verdict(q, value)
    return status, f"{verdict} {detail}".rstrip()


def _show_markdown(text: str) -> None:
    if core.in_ipython():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:  # plain Python: the text is readable as it is
        print(text)


def answer(question_id: str, value: Any) -> None:
    """Check the answer ``value`` ("a"–"d", or a number) to the exam-style question ``question_id``.

    Prints the verdict (and the explanation once the answer is right) and records it like an
    exercise: ``pass`` (1 point), ``fail`` or ``not_implemented`` (``value`` is None).
    """
    if os.environ.get("COURSE_GRADING"):  # a graded run: the grader judges, outside this kernel
        from utils.checks import remote

        remote.send_answer(question_id, value)
        return
    lesson = question_id.split("/")[0]
    questions = load_keys(lesson)
    if question_id not in questions:
        known = ", ".join(sorted(questions)) or "none"
        raise KeyError(f"no exam-style question {question_id!r} (questions of {lesson}: {known})")
    q = questions[question_id]
    status, verdict, detail = _verdict(q, value)
    symbol = {core.PASS: "✓", core.FAIL: "✗", core.NOT_IMPLEMENTED: "…"}[status]
    print(f"{symbol} {verdict}")
    if detail:  # the reason or hint may hold LaTeX: show it rendered
        _show_markdown(detail)
    if status == core.PASS:
        _show_markdown(q.explanation)
    message = f"{verdict} {detail}".rstrip()
    core.record(question_id, status, message, 1.0 if status == core.PASS else 0.0, 1.0)
