"""End to end, as `make test` does it: nbval executes the notebooks with COURSE_RESULTS set,
then `python -m utils.checks verify` must fail when an instructor solution became a stub or a
student copy still holds a solution, naming the notebook and the exercise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from tests.coursekit import STEM, make_course
from utils import notebooks


def _nbval_then_verify(root: Path, records: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, COURSE_MODE="quick", COURSE_RESULTS=str(records),
               COURSE_RESULTS_DIR=str(root / "results"),
               COURSE_KEYS_DIR=str(root / "utils" / "checks" / "keys"))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--nbval-cell-timeout=120", "notebooks", "exercises"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:]  # stubs never make nbval fail by themselves
    return subprocess.run(
        [sys.executable, "-c", "import sys, utils.checks.__main__ as m; from pathlib import Path;"
         "from utils import notebooks as n; root = Path(sys.argv[1]);"
         "ok, p = m.verify(m.load_records(Path(sys.argv[2])), n.instructor_paths(root));"
         "[print('FAILED', x) for x in p]; print(f'{ok} passed, {len(p)} failed');"
         "sys.exit(1 if p else 0)", str(root), str(records)],
        capture_output=True, text=True, timeout=60,
    )


def test_verify_after_nbval_catches_a_lost_solution_and_a_leaked_one(tmp_path) -> None:
    root = make_course(tmp_path / "course")
    inst = root / "notebooks" / "day0" / f"{STEM}.ipynb"
    stud = root / "exercises" / "day0" / f"{STEM}.ipynb"

    good = _nbval_then_verify(root, tmp_path / "good.jsonl")
    assert good.returncode == 0, good.stdout
    assert "6 passed, 0 failed" in good.stdout  # 2 exercises + 1 question, 2 copies

    nb = notebooks.read(inst)  # instructor solution of one_hot replaced by the stub
    i = next(i for i, c in enumerate(nb.cells) if c.metadata.get("course", {}).get("exercise") == "0_1/one_hot")
    solution = nb.cells[i].source
    nb.cells[i].source = notebooks.student_source(solution)
    nbformat.write(nb, str(inst))
    sc = notebooks.read(stud)  # the student copy still holds the normalize_images solution
    j = next(j for j, c in enumerate(sc.cells) if c.metadata.get("course", {}).get("exercise") == "0_1/normalize_images")
    sc.cells[j].source = notebooks.read(root / "notebooks/day0" / f"{STEM}.ipynb").cells[j].source
    nbformat.write(sc, str(stud))

    bad = _nbval_then_verify(root, tmp_path / "bad.jsonl")
    assert bad.returncode == 1
    assert f"notebooks/day0/{STEM}.ipynb: exercise 0_1/one_hot is not_implemented, expected pass" in bad.stdout
    assert f"exercises/day0/{STEM}.ipynb: exercise 0_1/normalize_images is pass, expected not_implemented" in bad.stdout
    assert "4 passed, 2 failed" in bad.stdout
