"""Benchmark (printed, not a test): grade N copies of the getting-started notebook with -j 1 and -j 2.

    COURSE_DATA_DIR=../shared/datasets .venv/bin/python tests/bench_grade.py [N]

The submissions are copies of the instructor notebook (all exercises solved), so every copy
runs every cell in quick mode, as a real class's submissions would.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from utils import config, grade


def main(n: int = 20) -> None:
    src = config.REPO_ROOT / "notebooks/day0/0_1_getting_started.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        for i in range(n):
            shutil.copy(src, subs / f"student_{i:02d}.ipynb")
        for jobs in (1, 2):
            t0 = time.time()
            results = grade.grade([str(subs)], jobs=jobs, timeout=300, root=config.REPO_ROOT)
            wall = time.time() - t0
            per = sum(r.seconds for r in results) / len(results)
            statuses = {r.status for r in results}
            points = {f"{r.total:g}/{r.max_total:g}" for r in results}
            print(f"-j {jobs}: {n} submissions in {wall:.1f} s wall "
                  f"({wall / n:.1f} s each; {per:.1f} s per notebook inside its worker); "
                  f"statuses {statuses}, points {points}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
