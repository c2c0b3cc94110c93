"""Checks whose verdict is made outside the student's process: record in the kernel, judge outside.

When a lecturer grades a submission, the student's code runs in its own kernel, which the
grader cannot trust: a cell may patch the checkers, forge records or read files. So a check runs
twice, in two processes:

1. **In the kernel** (:func:`record`): each case of the checker runs against the student's object
   wrapped in a :class:`Rec`. Every interaction of the case with that object (a call, an
   attribute, an item, ``len``, ``np.asarray`` …) is carried out for real and written down with
   what the student's code returned, raised, or changed in its arguments. No verdict is made
   here; the kernel sends the recording (plain data: JSON, arrays as ``.npy`` without pickle) to
   the grader as one display output.
2. **In the grader** (:func:`judge`): the same cases run again, against a :class:`Rep` that
   answers each interaction from the recording. The grader's own copy of the course computes
   the expected values, compares and gives the points. A recording can only say what the
   student's code *answered*; when its calls differ from those the grader's case makes (the
   kernel's course code was altered), the case fails and the grader flags it.

In self-study nothing of this runs: ``utils.checks.<exercise>(fn)`` calls ``fn`` directly.
A checker that needs more than calls and attributes of the student's object (e.g. to read
its source) does so through :func:`probe`. Taught in ``docs/authoring.md`` §2.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

MIME_RECORDING = "application/vnd.course.recording+json"
MIME_ANSWER = "application/vnd.course.answer+json"
MAX_ARRAY_BYTES = 64 * 2**20  # one recorded array; a larger one is the student's answer "too big"
_STATE_DEPTH = 6


class Diverged(BaseException):  # noqa: N818 - not an error of the student's code: no `except Exception`
    """The grader's case asked for something the recording does not hold."""


class Unrecordable(Exception):  # noqa: N818
    """A value that cannot travel as plain data."""


# ------------------------------------------------------------------ plain data
def _npy(a: np.ndarray) -> str:
    if a.dtype.hasobject:
        raise Unrecordable("an array of Python objects")
    if a.nbytes > MAX_ARRAY_BYTES:
        raise Unrecordable(f"an array of {a.nbytes / 2**20:.0f} MB")
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    data = base64.b64decode(text.encode("ascii"))
    if len(data) > MAX_ARRAY_BYTES + 4096:
        raise ValueError("a recorded array is too large")
    return np.load(io.BytesIO(data), allow_pickle=False)


def _course_object(x: Any) -> bool:
    """An object of a course class (``utils.…``), whose state is sent along when it changes."""
    return type(x).__module__.startswith("utils.") and hasattr(x, "__dict__")


def pack(x: Any, handle: Callable[[Any], dict] | None = None, depth: int = 0) -> Any:
    """``x`` as JSON-able data. Other objects become ``handle(x)``, or (no ``handle``) an opaque
    description used only to compare what two processes passed."""
    if isinstance(x, _Proxy):
        return {"$h": x._h}
    if isinstance(x, np.ndarray | np.generic) and not x.dtype.hasobject:
        try:
            return {"$s" if isinstance(x, np.generic) else "$a": _npy(np.asarray(x))}
        except Unrecordable:
            if handle is None:
                return {"$o": "ndarray", "sha": hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()}
            raise
    if isinstance(x, np.dtype):
        return {"$dt": x.str}
    if isinstance(x, type) and handle is None:
        return {"$o": "type", "name": f"{x.__module__}.{x.__qualname__}"}
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return x if type(x) is float and np.isfinite(x) else {"$f": repr(float(x))}
    if isinstance(x, complex):
        return {"$c": [x.real, x.imag]}
    if depth < 20:
        if type(x) is tuple:
            return {"$t": [pack(v, handle, depth + 1) for v in x]}
        if type(x) is list:
            return [pack(v, handle, depth + 1) for v in x]
        if type(x) is dict:
            return {"$d": [[pack(k, handle, depth + 1), pack(v, handle, depth + 1)] for k, v in x.items()]}
    if handle is not None:
        return handle(x)
    desc: dict[str, Any] = {"$o": f"{type(x).__module__}.{type(x).__qualname__}"}
    if _course_object(x) and depth < _STATE_DEPTH:
        desc["state"] = pack(vars(x), None, depth + 1)
    return desc


def unpack(j: Any, handle: Callable[[dict], Any] | None = None) -> Any:
    """The value :func:`pack` described; ``handle`` turns ``{"$h": …}`` into a stand-in."""
    if isinstance(j, list):
        return [unpack(v, handle) for v in j]
    if not isinstance(j, dict):
        return j
    if "$a" in j:
        return _from_npy(j["$a"])
    if "$s" in j:
        return _from_npy(j["$s"])[()]
    if "$f" in j:
        return float(j["$f"])
    if "$dt" in j:
        return np.dtype(str(j["$dt"]))
    if "$c" in j:
        return complex(*j["$c"])
    if "$t" in j:
        return tuple(unpack(v, handle) for v in j["$t"])
    if "$d" in j:
        out = {}
        for k, v in j["$d"]:
            key = unpack(k, handle)
            out[key if isinstance(key, str | int | float | bool | tuple) or key is None else repr(key)] = unpack(v, handle)
        return out
    if "$h" in j and handle is not None:
        return handle(j)
    raise ValueError(f"not recorded data: {str(j)[:80]}")


def fingerprint(args: tuple, kwargs: dict) -> str:
    """What a call passed, as a short digest: the grader's call must pass the same."""
    text = json.dumps(pack((args, kwargs)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# ------------------------------------------------------------------ arguments changed in place
def _state(x: Any, depth: int = 0) -> Any:
    """What of ``x`` a call may change: arrays, lists, dicts and course objects, recursively."""
    if isinstance(x, np.ndarray):
        return ("a", id(x), x.copy())
    if depth > _STATE_DEPTH:
        return None
    if type(x) is list:
        return ("l", id(x), [(id(v), _state(v, depth + 1)) for v in x])
    if type(x) is dict:
        return ("d", id(x), {k: (id(v), _state(v, depth + 1)) for k, v in x.items()})
    if _course_object(x):
        return ("o", id(x), {k: (id(v), _state(v, depth + 1)) for k, v in vars(x).items()})
    return None


def _changes(x: Any, before: Any, depth: int = 0) -> Any:
    """What changed in ``x`` since ``before`` (from :func:`_state`), or None when nothing did.

    ``{"$set": value}`` replaces; ``{"$in": {key: change}}`` changes entries in place (an entry
    that is still the same object is changed in place, a new object replaces it)."""
    if before is None:
        return None
    kind, _, old = before
    if kind == "a":
        same = x.shape == old.shape and x.dtype == old.dtype and np.array_equal(x, old, equal_nan=True)
        return None if same else {"$copy": pack(x)}
    items = {"l": lambda: dict(enumerate(x)), "d": lambda: x, "o": lambda: vars(x)}[kind]()
    old_items = dict(enumerate(old)) if kind == "l" else old
    out: dict[Any, Any] = {}
    for key, value in items.items():
        if key in old_items and old_items[key][0] == id(value):
            change = _changes(value, old_items[key][1], depth + 1)
            if change is not None:
                out[key] = change
        else:
            try:
                out[key] = {"$set": pack(value, _opaque)}
            except Unrecordable:
                out[key] = {"$set": f"<{type(value).__name__} object>"}
    removed = [k for k in old_items if k not in items]
    if not out and not removed:
        return None
    return {"$in": [[k, v] for k, v in out.items()], "$del": removed, "$len": len(items) if kind == "l" else None}


def _opaque(x: Any) -> dict:
    raise Unrecordable(type(x).__name__)


def _apply(x: Any, change: dict) -> Any:
    """Make the grader's argument ``x`` what the student's code left it; returns the new value."""
    if "$set" in change:
        return unpack(change["$set"])
    if "$copy" in change:
        new = unpack(change["$copy"])
        if isinstance(x, np.ndarray) and x.shape == np.shape(new) and x.flags.writeable:
            np.copyto(x, new, casting="unsafe")
            return x
        return new
    if isinstance(x, list):
        for key, sub in change["$in"]:
            if key < len(x):
                x[key] = _apply(x[key], sub)
            else:
                x.append(_apply(None, sub))
        del x[change["$len"]:]
        return x
    target = x if isinstance(x, dict) else vars(x)
    for key, sub in change["$in"]:
        target[key] = _apply(target.get(key), sub)
    for key in change["$del"]:
        target.pop(key, None)
    return x


# ------------------------------------------------------------------ the kernel's side
class Tape:
    """The interactions of one case with the student's objects, in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.objects: list[Any] = []

    def handle(self, obj: Any) -> dict:
        self.objects.append(obj)
        return {"$h": len(self.objects) - 1, "type": type(obj).__name__}

    def wrap(self, packed: Any, real: Any) -> Any:
        """The value the case sees in the kernel: the real object, or stand-ins for handles."""
        if not _has_handle(packed):
            return real
        return unpack(packed, lambda j: _rec_class(j["type"])(self, j["$h"]))


def _has_handle(j: Any) -> bool:
    if isinstance(j, list):
        return any(_has_handle(v) for v in j)
    if isinstance(j, dict):
        return "$h" in j or any(_has_handle(v) for v in j.values() if isinstance(v, list | dict))
    return False


def _raised(err: BaseException) -> list[str]:
    return [type(err).__name__, str(err)[:2000]]


def _real(x: Any) -> Any:
    if isinstance(x, Rec):
        return x._tape.objects[x._h]
    if type(x) is list:
        return [_real(v) for v in x]
    if type(x) is tuple:
        return tuple(_real(v) for v in x)
    if type(x) is dict:
        return {k: _real(v) for k, v in x.items()}
    return x


_PLAIN_DUNDERS = {"__name__", "__qualname__", "__doc__", "__module__"}


class _Proxy:
    """What both stand-ins share: every interaction goes through ``_op``."""

    __slots__ = ("_tape", "_h")

    def __init__(self, tape: Any, h: int) -> None:
        object.__setattr__(self, "_tape", tape)
        object.__setattr__(self, "_h", h)

    def _op(self, op: str, name: str | None = None, args: tuple = (), kwargs: dict | None = None) -> Any:
        raise NotImplementedError

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._op("call", None, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name not in _PLAIN_DUNDERS:
            raise AttributeError(name)
        return self._op("getattr", name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._op("setattr", name, (value,))

    def __getitem__(self, key: Any) -> Any:
        return self._op("getitem", None, (key,))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._op("setitem", None, (key, value))

    def __len__(self) -> int:
        return self._op("len")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._op("iter"))

    def __contains__(self, item: Any) -> bool:
        return self._op("contains", None, (item,))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self._op("array")
        return np.asarray(out, dtype=dtype)

    def __float__(self) -> float:
        return self._op("float")

    def __int__(self) -> int:
        return self._op("int")

    def __index__(self) -> int:
        return self._op("index")

    def __bool__(self) -> bool:
        return self._op("bool")

    def __str__(self) -> str:
        return self._op("str")

    def __repr__(self) -> str:
        return self._op("repr")

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        return self._op("eq", None, (other,))

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = object.__hash__


_OPS: dict[str, Callable[..., Any]] = {
    "call": lambda o, n, a, k: o(*a, **k),
    "getattr": lambda o, n, a, k: getattr(o, n),
    "setattr": lambda o, n, a, k: setattr(o, n, a[0]),
    "getitem": lambda o, n, a, k: o[a[0]],
    "setitem": lambda o, n, a, k: o.__setitem__(a[0], a[1]),
    "len": lambda o, n, a, k: len(o),
    "iter": lambda o, n, a, k: list(o),
    "contains": lambda o, n, a, k: a[0] in o,
    "array": lambda o, n, a, k: np.asarray(o),
    "float": lambda o, n, a, k: float(o),
    "int": lambda o, n, a, k: int(o),
    "index": lambda o, n, a, k: o.__index__(),
    "bool": lambda o, n, a, k: bool(o),
    "str": lambda o, n, a, k: str(o),
    "repr": lambda o, n, a, k: repr(o),
    "eq": lambda o, n, a, k: o == a[0],
}


class Rec(_Proxy):
    """The student's object inside the kernel: does each interaction for real and writes it down."""

    __slots__ = ()

    def _op(self, op: str, name: str | None = None, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        tape: Tape = self._tape
        event: dict[str, Any] = {"op": op, "h": self._h, "name": name, "fp": fingerprint(args, kwargs)}
        tape.events.append(event)
        real_args, real_kwargs = _real(args), _real(kwargs)
        before = [_state(a) for a in real_args], {k: _state(v) for k, v in real_kwargs.items()}
        try:
            out = _OPS[op](tape.objects[self._h], name, real_args, real_kwargs)
        except BaseException as err:
            event["raise"] = _raised(err)
            event["after"] = _after(real_args, real_kwargs, before)
            raise
        event["after"] = _after(real_args, real_kwargs, before)
        same = [i for i, a in enumerate(real_args) if out is a and not isinstance(a, int | float | str | bool)]
        if same:
            event["ret"] = {"$arg": same[0]}
            return args[same[0]]
        try:
            event["ret"] = pack(out, tape.handle)
        except Unrecordable as err:
            event["ret"] = None
            event["raise"] = ["TypeError", f"your code returned {err}, which cannot be checked"]
            raise TypeError(event["raise"][1]) from None
        return tape.wrap(event["ret"], out)


def _after(args: list, kwargs: dict, before: tuple) -> Any:
    changes = [_changes(a, b) for a, b in zip(args, before[0], strict=True)]
    kw = {k: _changes(v, before[1][k]) for k, v in kwargs.items()}
    if not any(c is not None for c in changes) and not any(c is not None for c in kw.values()):
        return None
    return {"args": changes, "kwargs": kw}


_REC_CLASSES: dict[str, type] = {}
_REP_CLASSES: dict[str, type] = {}


def _named(base: type, cache: dict[str, type], name: str) -> type:
    """A stand-in class named like the student's type, so messages say "returned Affine"."""
    name = name if name.isidentifier() and len(name) <= 60 else "object"
    if name not in cache:
        cache[name] = type(name, (base,), {"__slots__": ()})
    return cache[name]


def _rec_class(name: str) -> type:
    return _named(Rec, _REC_CLASSES, name)


def record_cases(cases: list[Any], student: Any) -> list[list[dict[str, Any]]]:
    """Run each case against ``student`` for real; the recording of every case, in order."""
    tapes = []
    for case in cases:
        tape = Tape()
        tape.handle(student)
        try:
            case.run(_rec_class(type(student).__name__)(tape, 0))
        except NotImplementedError:
            tapes.append(tape.events)
            break  # the grader stops at the first unfinished case too
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: S110 - the verdict is not made here (SystemExit included)
            pass
        tapes.append(tape.events)
    return tapes


def record(exercise: str, student: Any, extra: str = "[]") -> None:
    """Kernel side of a graded check: record the cases of ``exercise`` and send the recording.

    ``extra``: the grading-only cases' arguments (JSON from :func:`pack`), drawn by the grader.
    """
    from utils.checks import core

    chk = core.REGISTRY[exercise]
    cases = list(chk.cases) + [core.compare_case(chk, "extra", args, kwargs, 1.0)
                               for args, kwargs in unpack(json.loads(extra))]
    tapes = record_cases(cases, student)
    _send(MIME_RECORDING, {"exercise": exercise, "type": type(student).__name__, "cases": tapes})


def send_answer(question_id: str, value: Any) -> None:
    """Kernel side of a graded exam-style question: send the answer, judge nothing."""
    try:
        packed = pack(value, _opaque)
    except Unrecordable:
        packed = repr(value)[:200]
    _send(MIME_ANSWER, {"id": question_id, "value": packed})


def _send(mime: str, data: dict) -> None:
    from IPython.display import display

    display({mime: data, "text/plain": f"<{mime.split('.')[-1].split('+')[0]} sent to the grader>"},
            raw=True)


# ------------------------------------------------------------------ the grader's side
class Replay:
    """One case's recording, read in order by the :class:`Rep` stand-ins."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events, self.pos = events, 0

    def next(self, op: str, h: int, name: str | None, fp: str) -> dict[str, Any]:
        if self.pos >= len(self.events):
            raise Diverged(f"the recording ends before the check's {op} {name or ''}".rstrip())
        ev = self.events[self.pos]
        self.pos += 1
        if not isinstance(ev, dict) or (ev.get("op"), ev.get("h"), ev.get("name")) != (op, h, name):
            raise Diverged(f"the check's {op} {name or ''} does not match the recording".replace("  ", " "))
        if ev.get("fp") != fp:
            raise Diverged(f"the check's {op} {name or ''} passed other inputs than recorded".replace("  ", " "))
        return ev


def _exception(name: str, message: str) -> BaseException:
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = _named(Exception, _EXC_CLASSES, name)
    try:
        return cls(message)
    except Exception:
        return _named(Exception, _EXC_CLASSES, name)(message)


_EXC_CLASSES: dict[str, type] = {}


class Rep(_Proxy):
    """The student's object in the grader: answers each interaction from the recording."""

    __slots__ = ()

    def _op(self, op: str, name: str | None = None, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        replay: Replay = self._tape
        ev = replay.next(op, self._h, name, fingerprint(args, kwargs))
        after = ev.get("after")
        if after:
            try:
                args = tuple(_apply(a, c) if c else a
                             for a, c in zip(args, after.get("args", []), strict=False))
                for k, c in (after.get("kwargs") or {}).items():
                    if c and k in kwargs:
                        _apply(kwargs[k], c)
            except Exception as err:
                raise Diverged(f"the recording's changes to the arguments are unreadable ({err})") from None
        if ev.get("raise"):
            name_, message = ev["raise"]
            raise _exception(str(name_), str(message))
        ret = ev.get("ret")
        if isinstance(ret, dict) and "$arg" in ret:
            return args[int(ret["$arg"])]
        try:
            return unpack(ret, lambda j: _named(Rep, _REP_CLASSES, str(j.get("type")))(replay, int(j["$h"])))
        except (ValueError, TypeError, KeyError) as err:
            raise Diverged(f"the recording holds no readable answer ({err})") from None


def judge(exercise: str, recording: Any, extra: list[tuple[str, float, tuple, dict]] = ()
          ) -> tuple[str, str, float, float]:
    """Grader side: the verdict on a kernel's recording of ``exercise`` (see :func:`record`).

    ``extra``: the lecturer's grading-only cases as ``(name, points, args, kwargs)``, the same
    arguments that were sent to the kernel. Returns (status, message, points, max points).
    """
    from utils.checks import core

    chk = core.REGISTRY[exercise]
    cases = list(chk.cases) + [core.compare_case(chk, name, args, kwargs, points, hidden=True)
                               for name, points, args, kwargs in extra]
    return _judge_cases(chk, cases, recording)


def _judge_cases(chk: Any, cases: list[Any], recording: Any) -> tuple[str, str, float, float]:
    from utils.checks import core

    exercise = chk.id
    tapes = recording.get("cases") if isinstance(recording, dict) else None
    if not isinstance(tapes, list) or recording.get("exercise") != exercise:
        tapes = []
    type_name = str(recording.get("type", "function")) if isinstance(recording, dict) else "function"

    def student(i: int) -> Rep:
        events = tapes[i] if i < len(tapes) and isinstance(tapes[i], list) else []
        return _named(Rep, _REP_CLASSES, type_name)(Replay(events), 0)

    return core.evaluate(chk, cases, student)


def probe(func: Callable[..., Any], student: Any, *args: Any) -> Any:
    """``func(student, *args)`` on the real student object, wherever that lives.

    For checks that look *at* the student's object (its code, its globals) rather than call it:
    in the kernel the result is recorded, in the grader it is read from the recording, in
    self-study ``func`` just runs. The result must be plain data.
    """
    if isinstance(student, Rec):
        tape: Tape = student._tape
        event: dict[str, Any] = {"op": "probe", "h": student._h, "name": func.__qualname__,
                                 "fp": fingerprint(args, {})}
        tape.events.append(event)
        out = func(tape.objects[student._h], *_real(args))
        try:
            event["ret"] = pack(out, _opaque)
        except Unrecordable:
            event["ret"], out = None, None
        return out
    if isinstance(student, Rep):
        ev = student._tape.next("probe", student._h, func.__qualname__, fingerprint(args, {}))
        return unpack(ev.get("ret"))
    return func(student, *args)


def roundtrip(exercise: str, student: Any, cases: list[Any] | None = None) -> tuple[str, str, float, float]:
    """Record ``student`` and judge the recording, in this process (tests, and the demo in 0_1).

    The recording goes through JSON as it does between a kernel and the grader.
    """
    from utils.checks import core

    chk = core.REGISTRY[exercise]
    cases = list(chk.cases if cases is None else cases)
    tapes = record_cases(cases, student)
    data = json.loads(json.dumps({"exercise": exercise, "type": type(student).__name__, "cases": tapes}))
    return _judge_cases(chk, cases, data)
