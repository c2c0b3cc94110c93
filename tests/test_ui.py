"""Through the real UI: JupyterLab in headless Chromium runs 0_1 from the Run menu and saves it.

For the student copy and the instructor copy of 0_1 (copied into a temporary folder, so the
repository's files are never touched) the test clicks *Run → Run All Cells*, waits until every
cell has run, saves with *File → Save Notebook* and reads the saved file: every code cell ran,
no error and no stderr output anywhere (the set-up cell shows just the course's status line),
every exercise checker says "not implemented yet" (student) or ✓ (instructor), and every
exam-style question (``utils.checks.answer``) "not answered yet" or ✓. It also checks that
JupyterLab did not ask about Jupyter news, and saves a screenshot of the student copy's first
screen after Run All to ``$COURSE_UI_SCREENSHOT`` (default ``/tmp/course-ui-0_1-student.png``).

Needs Debian's Chromium at /usr/bin/chromium (`make ui-deps`, part of `make test`, installs it);
without it the test is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests import uikit
from utils import config

STEM = "0_1_getting_started"
COPIES = {"student": f"exercises/day0/{STEM}.ipynb", "instructor": f"notebooks/day0/{STEM}.ipynb"}
TOKEN = "course-ui-test-token"
RUN_BUDGET = 70  # seconds for one Run All (quick mode: ≈ 20 s on a 2-core machine)
CHECKER_RE = re.compile(r"^\s*utils\.checks\.([A-Za-z_]\w*)\(", re.M)
NOT_CHECKERS = {"summary", "summary_rows", "use", "answer"}
ANSWER_RE = re.compile(r"^\s*utils\.checks\.answer\(", re.M)
EXPECTED = {  # (exercise checker, exam-style question) output of each copy
    "student": ("not implemented yet", "not answered yet"),
    "instructor": ("✓", "✓"),
}
SCREENSHOT = Path(os.environ.get("COURSE_UI_SCREENSHOT", "/tmp/course-ui-0_1-student.png"))


@pytest.fixture(scope="module")
def chromium() -> str:
    if not uikit.chromium_available():
        reason = uikit.why_no_chromium()
        if uikit.in_ci():
            pytest.fail(f"CI=true and no Chromium for the UI test: {reason}")
        pytest.skip(f"no Chromium: {reason}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pinned in requirements.txt, so only a broken venv lands here
        pytest.fail(f"playwright is not installed ({exc}); run `make install`")
    return str(uikit.CHROMIUM)


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _stdout(cell: dict) -> str:
    return "".join(
        (o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
        for o in cell.get("outputs", [])
        if o["output_type"] == "stream" and o["name"] == "stdout"
    )


def _wait_until_all_ran(page, n_code: int, budget: float) -> None:
    """Every code cell's prompt shows ``[n]:`` and the kernel is idle, within ``budget``."""
    deadline = time.monotonic() + budget
    js = """() => {
        const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
        if (!nb) return null;
        const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
            .map(p => p.textContent.trim());
        const busy = document.querySelector(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="busy"]');
        return {prompts, busy: !!busy};
    }"""
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(js)
        if state and len(state["prompts"]) == n_code and not state["busy"] and all(
            re.fullmatch(r"\[\d+\]:", p) for p in state["prompts"]
        ):
            return
        time.sleep(0.5)
    raise AssertionError(f"the cells had not all run after {budget} s: prompts {state}")


def _menu(page, menu: str, item: str | re.Pattern) -> None:
    """Click a main-menu entry, then one of its items (Lumino menus, as a user does)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click()
    label = item if isinstance(item, re.Pattern) else re.compile(rf"^{re.escape(item)}$")
    page.locator(".lm-Menu-content > .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel",
                 has_text=label).first.click()


def _run_copy(page, base: str, root: Path, which: str, screenshot: Path | None) -> dict:
    rel = COPIES[which]
    path = root / rel
    before = json.loads(path.read_text(encoding="utf-8"))
    n_code = len(_code_cells(before))
    mtime = path.stat().st_mtime_ns
    page.goto(f"{base}/lab/tree/{rel}?token={TOKEN}")
    # Run All before the notebook is loaded and its kernel connected runs nothing: wait for all
    # code cells and for the status bar's "Python 3 (ipykernel) | Idle"
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").nth(
        n_code - 1).wait_for(timeout=60_000)
    page.locator("#jp-main-statusbar", has_text=re.compile(r"\(ipykernel\) \| Idle")).wait_for(
        timeout=60_000)
    t0 = time.monotonic()
    _menu(page, "Run", "Run All Cells")
    _wait_until_all_ran(page, n_code, RUN_BUDGET)
    print(f"[ui] {which}: Run All took {time.monotonic() - t0:.1f} s")
    stderr_in_page = page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) "
        "[data-mime-type='application/vnd.jupyter.stderr']").count()
    if screenshot is not None:
        page.evaluate("""() => {
            const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            p.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook').forEach(e => e.scrollTo(0, 0));
        }""")
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").first.scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=str(screenshot))
    _menu(page, "File", re.compile(r"^Save( Notebook)?$"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.stat().st_mtime_ns != mtime:
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:  # caught mid-write
                saved = None
            if saved and all(c.get("execution_count") for c in _code_cells(saved)):
                break
        time.sleep(0.3)
    else:
        raise AssertionError(f"{rel} was not saved with every cell executed within 20 s")
    assert stderr_in_page == 0, f"{which}: {stderr_in_page} stderr output(s) shown in the page"
    return saved


def _assert_saved(nb: dict, which: str) -> None:
    cells = _code_cells(nb)
    for i, cell in enumerate(cells):
        where = f"{which} copy, code cell {i} ({_source(cell)[:60]!r})"
        assert cell.get("execution_count"), f"{where} did not run"
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{where}: {out.get('ename')}: {out.get('evalue')}"
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", f"{where} wrote to stderr: {out['text']!r}"
    setup = cells[0]
    assert [o["output_type"] for o in setup["outputs"]] == ["stream"], setup["outputs"]
    assert re.fullmatch(rf"\[course\] {STEM} \| mode=quick \| [^\n]*\n", _stdout(setup)), setup
    checker_word, answer_word = EXPECTED[which]
    checkers = [c for c in cells
                if any(n not in NOT_CHECKERS for n in CHECKER_RE.findall(_source(c)))]
    answers = [c for c in cells if ANSWER_RE.search(_source(c))]
    assert checkers, "0_1 has exercise checker cells"
    for cell in checkers:
        assert checker_word in _stdout(cell), f"{which}: {_source(cell)!r} printed {_stdout(cell)!r}"
    for cell in answers:  # exam-style questions, where the lesson has them
        assert answer_word in _stdout(cell), f"{which}: {_source(cell)!r} printed {_stdout(cell)!r}"


@pytest.mark.timeout(180)
def test_run_all_from_the_run_menu_in_jupyterlab(chromium, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    root = tmp_path / "course"
    for rel in COPIES.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(config.REPO_ROOT / rel, root / rel)
    env = dict(
        os.environ,
        COURSE_MODE="quick",
        COURSE_RESULTS_DIR=str(tmp_path / "results"),
        COURSE_RESULTS=str(tmp_path / "records.jsonl"),
    )
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the set-up cell must cope on its own
    state = tmp_path / "state"
    state.mkdir()
    t0 = time.monotonic()
    proc, base = uikit.start_lab(root, TOKEN, env, state / "lab.log")
    print(f"[ui] JupyterLab answered after {time.monotonic() - t0:.1f} s")
    saved: dict[str, dict] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                str(state / "chromium-profile"), executable_path=chromium, headless=True,
                args=uikit.CHROMIUM_ARGS, viewport={"width": 1280, "height": 900},
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(30_000)
                saved["student"] = _run_copy(page, base, root, "student", SCREENSHOT)
                saved["instructor"] = _run_copy(page, base, root, "instructor", None)
                news = page.get_by_text(re.compile("Jupyter news")).count()
                assert news == 0, "JupyterLab asked about Jupyter news (jupyter/overrides.json)"
            finally:
                browser.close()
    finally:
        uikit.stop(proc)
    for which, nb in saved.items():
        _assert_saved(nb, which)
