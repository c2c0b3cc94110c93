"""Every lesson's instructor notebook, graded as a submission: full marks, no flags.

This runs every checker of the course through the real path of a graded run: a contained
kernel records, the grader judges (utils.checks.remote), for every lesson there is.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from utils import config, notebooks, sandbox


def test_instructor_notebooks_get_full_marks_when_graded(tmp_path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    lessons = sorted((config.REPO_ROOT / notebooks.NOTEBOOKS).glob("day*/*.ipynb"))
    for nb in lessons:
        (subs / nb.name).write_bytes(nb.read_bytes())
    out = tmp_path / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "utils.grade", str(subs), "-j", "2", "-o", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=config.REPO_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert len(rows) == len(lessons) >= 6
    for row in rows:
        name = Path(row["submission"]).name
        assert row["status"] == "ok", f"{name}: {row['detail']}"
        assert float(row["total"]) == float(row["max_total"]) > 0, f"{name}: {row['total']}/{row['max_total']}"
        assert row["flags"] == "", f"{name}: {row['flags']}"
        statuses = {v for k, v in row.items() if k.endswith(" status") and v}
        assert statuses == {"pass"}, f"{name}: {statuses}"
        if sandbox.containment()[0] == "bwrap" or os.environ.get("CI"):
            assert row["contained"] == "bwrap"
