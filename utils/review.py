"""What a lecturer should look at in a graded submission: flags, not verdicts.

:func:`flags` reads the submission's code (in the grader, not in its kernel) and names

* an exercise answered with the course's own solution (``utils.nn.one_hot`` inside ``one_hot``,
  a checker's ``reference``, anything of ``utils.checks``);
* code that touches the grading machinery: the checkers' records and registry, results files,
  ``sys.modules``, ``builtins``, frames, tracing, ``os._exit``, ``ctypes``, the environment, or
  that replaces an attribute of a module (monkeypatching ``np.allclose``, ``utils…``);
* reads outside the working directory: absolute, home or parent paths.

A flag is a reason to look, not a verdict: a flagged submission keeps its points.
"""

from __future__ import annotations

import ast
from typing import Any

from nbformat import NotebookNode

MODULES = {"numpy", "utils", "keras", "tensorflow", "os", "sys", "builtins", "math", "scipy",
           "nbformat", "IPython", "json", "pathlib", "io", "importlib", "inspect", "gc"}
MACHINERY = {"RECORDS", "REGISTRY", "Checker", "Record", "record", "_passed", "evaluate", "judge",
             "remote", "core", "Rec", "Rep", "Tape", "send_answer", "record_cases", "Case"}
CALLS = {
    "sys.modules": "sys.modules", "sys._getframe": "frames", "sys.settrace": "tracing",
    "sys.setprofile": "tracing", "sys.addaudithook": "audit hooks", "inspect.currentframe": "frames",
    "inspect.stack": "frames", "gc.get_objects": "the garbage collector's objects",
    "gc.get_referrers": "the garbage collector's objects", "os._exit": "os._exit",
    "os.kill": "os.kill", "importlib.reload": "module reloading", "os.environ": "the environment",
    "os.getenv": "the environment", "os.putenv": "the environment",
}
ALLOWED_IN_EXERCISES = {"utils.checks.use", "utils.checks.summary", "utils.checks.answer"}


def _aliases(tree: ast.AST, known: dict[str, str]) -> dict[str, str]:
    """``{local name: full dotted name}`` of the imports in ``tree`` (added to ``known``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                known[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                known[a.asname or a.name] = f"{node.module}.{a.name}"
    return known


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        root = aliases.get(node.id, node.id if node.id in MODULES or node.id in
                           ("__builtins__", "ctypes") else None)
        if root is None:
            return None
        return ".".join([root, *reversed(parts)])
    return None


def _ref_names(exercise: str) -> set[str]:
    from utils import checks

    chk = checks.REGISTRY.get(exercise)
    if chk is None:
        return set()
    names = {chk.name}
    if chk.reference is not None:
        names.add(getattr(chk.reference, "__name__", chk.name))
    return names


def _cell_flags(source: str, where: str, exercise: str | None, aliases: dict[str, str],
                lesson_refs: set[str]) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    _aliases(tree, aliases)
    found: list[str] = []

    def flag(text: str) -> None:
        if text not in found:
            found.append(text)

    refs = _ref_names(exercise) if exercise else lesson_refs  # its own solution; elsewhere any
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            name = _dotted(node, aliases) or ""
            if isinstance(node, ast.Attribute) and node.attr == "reference":
                flag(f"{where}: reads a checker's `reference`, the course's solution")
            if name.startswith("utils.") and any(part in refs for part in name.split(".")[1:]):
                flag(f"{where}: answers with `{name}`, the course's own solution")
            elif exercise and name.startswith("utils.checks.") and name not in ALLOWED_IN_EXERCISES:
                flag(f"{where}: uses `{name}` of the course's checkers")
            if name.startswith("utils.checks.") and name.split(".")[2] in MACHINERY:
                flag(f"{where}: touches the grading machinery (`{name}`)")
            for prefix, what in CALLS.items():
                if name == prefix or name.startswith(prefix + "."):
                    flag(f"{where}: touches {what} (`{prefix}`)")
            if name.startswith(("builtins", "__builtins__", "ctypes")):
                flag(f"{where}: touches `{name.split('.')[0]}`")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and (_dotted(t.value, aliases) or "").split(".")[0] in MODULES:
                    flag(f"{where}: replaces `{_dotted(t, aliases)}` (monkeypatching)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "setattr", "delattr") and node.args:
            if (_dotted(node.args[0], aliases) or "").split(".")[0] in MODULES:
                flag(f"{where}: {node.func.id} on `{_dotted(node.args[0], aliases)}` (monkeypatching)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text.startswith("COURSE_"):
                flag(f"{where}: names the course's setting `{text[:40]}`")
            if "\n" not in text and " " not in text and 1 < len(text) < 300 and (
                    text.startswith(("/", "~")) or text.startswith("..") or "/../" in text):
                flag(f"{where}: a path outside the working directory (`{text[:60]}`)")
    return found


def _defined(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}


def _dropped(stub: str, source: str, where: str) -> list[str]:
    """Functions and methods the exercise asks for that the answer left out: in a subclass of
    the course's class, the course's own version then runs."""
    missing = sorted(_defined(stub) - _defined(source))
    return [f"{where}: leaves out `{name}`, which the exercise asks for (the course's own may run)"
            for name in missing if _defined(source)]


def flags(nb: NotebookNode, course: NotebookNode) -> list[str]:
    """The review flags of a rebuilt submission, in cell order.

    Only code the student wrote or changed is read: a cell identical to one of the course's
    student copy is the course's own code.
    """
    out: list[str] = []
    aliases = {"np": "numpy", "tf": "tensorflow", "plt": "matplotlib.pyplot"}
    untouched = {c.source.strip() for c in course.cells if c.cell_type == "code"}
    stubs = {c.metadata["course"]["exercise"]: c.source for c in course.cells
             if "exercise" in c.metadata.get("course", {})}
    lesson_refs = set().union(*[_ref_names(c.metadata["course"]["exercise"]) for c in course.cells
                                if "exercise" in c.metadata.get("course", {})])
    k = 0
    for cell in nb.cells:
        meta: dict[str, Any] = cell.metadata.get("course", {})
        if cell.cell_type != "code" or "checker" in meta:
            continue
        if meta.get("role") == "setup" or cell.source.strip() in untouched:
            try:
                _aliases(ast.parse(cell.source), aliases)
            except SyntaxError:
                pass
            k += meta.get("role") != "setup"
            continue
        k += 1
        exercise = meta.get("exercise")
        where = exercise or f"code cell {k}"
        found = _cell_flags(cell.source, where, exercise, aliases, lesson_refs)
        if exercise in stubs:  # what the exercise's own stub already holds is not the student's
            given = set(_cell_flags(stubs[exercise], where, exercise, dict(aliases), lesson_refs))
            found = [f for f in found if f not in given] + _dropped(stubs[exercise], cell.source, where)
        for f in found:
            if f not in out:
                out.append(f)
    return out
