"""``python -m utils.checks verify RECORDS``: did every instructor notebook solve, every student copy not?

nbval executes ``notebooks/`` and ``exercises/`` in quick mode with ``COURSE_RESULTS=RECORDS``;
each checker call appends a record there. This command then asserts, per notebook, that every
exercise (a ``### BEGIN SOLUTION`` block or a cell stamped as one) and every exam-style question
produced exactly one record, ``pass`` in ``notebooks/`` and ``not_implemented`` in ``exercises/``, and names each notebook and exercise that did not.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from utils import notebooks
from utils.checks.core import NOT_IMPLEMENTED, PASS

WANT = {notebooks.NOTEBOOKS: PASS, notebooks.EXERCISES: NOT_IMPLEMENTED}


def load_records(path: Path) -> list[dict]:
    if not path.exists():
        raise FileNotFoundError(f"no exercise records at {path}: did the nbval run set COURSE_RESULTS?")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def verify(records: list[dict], paths: list[Path]) -> tuple[int, list[str]]:
    """Check ``records`` against the instructor notebooks ``paths`` and their student copies.

    Returns ``(number of exercise checks that held, problems)``.
    """
    by_nb: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for rec in records:
        cwd = Path(rec["cwd"])
        by_nb[(cwd.parent.name, cwd.name, rec.get("notebook") or "?")].append(rec)
    ok, problems = 0, []
    for path in paths:
        cells = notebooks.read(path).cells
        expected = [  # stamped exercise cells, and solution blocks (stamped or not)
            c.metadata.get("course", {}).get("exercise")
            for c in cells
            if notebooks.has_solution(c) or "exercise" in c.metadata.get("course", {})
        ] + [  # exam-style questions: the instructor answers right, the student copy not at all
            c.metadata["course"]["question"] for c in cells if "question" in c.metadata.get("course", {})
        ]
        for kind in (notebooks.NOTEBOOKS, notebooks.EXERCISES):
            got = by_nb.get((kind, path.parent.name, path.stem), [])
            where = f"{kind}/{path.parent.name}/{path.name}"
            for ex in expected:
                if ex is None:
                    problems.append(f"{where}: a solution block has no exercise id (make exercises)")
                    continue
                mine = [r for r in got if r["exercise"] == ex]
                if len(mine) != 1:
                    problems.append(f"{where}: exercise {ex} has {len(mine)} records, expected 1")
                elif mine[0]["status"] != WANT[kind]:
                    first = mine[0]["message"].splitlines()[0] if mine[0]["message"] else ""
                    problems.append(
                        f"{where}: exercise {ex} is {mine[0]['status']}, expected {WANT[kind]} "
                        f"({first})"
                    )
                else:
                    ok += 1
            for r in got:
                if r["exercise"] not in expected:
                    problems.append(f"{where}: {r['exercise']} ran without a solution block or question")
    return ok, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.checks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify", help="check the records of an nbval run")
    v.add_argument("records", type=Path)
    v.add_argument("paths", nargs="*", type=Path, help="instructor notebooks (default: all)")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or notebooks.instructor_paths()
    ok, problems = verify(load_records(args.records), paths)
    for p in problems:
        print(f"FAILED {p}")
    print(f"exercise records: {ok} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
