"""Measured results: notebooks assert their targets and record them for the README table.

``expect("fmnist_cnn_test_acc", acc, quick=0.70, full=0.93)`` asserts the threshold of the
current mode and writes the value to ``results/<mode>/<notebook>.json`` (git-ignored).
``python -m utils.report table`` rewrites the README's results table from the full-mode
records, so every number in it comes from a run. Taught in 0_1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from utils import config

START, END = "<!-- results:start -->", "<!-- results:end -->"
_started = time.time()


def results_dir() -> Path:
    """``$COURSE_RESULTS_DIR`` or the repo's ``results/``."""
    return Path(os.environ.get("COURSE_RESULTS_DIR") or config.REPO_ROOT / "results")


def _cpu_model() -> str:
    """The processor's model name from ``/proc/cpuinfo`` (Linux), or ``""``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> str:
    """A short description of this machine, e.g. ``"Linux x86_64, AMD EPYC, 2 cores"``.

    The processor is named because the same lesson can take twice as long on another 2-core
    machine (2_5: epochs of 30 s on one, 55 s on another)."""
    cpu = _cpu_model() or platform.processor()
    return f"{platform.system()} {platform.machine()}, {cpu + ', ' if cpu else ''}{os.cpu_count()} cores"


def record(name: str, value: float, *, threshold: float | None = None, op: str = ">=") -> dict:
    """Write ``value`` under ``name`` into this notebook's results file and return the entry."""
    nb = config.notebook()
    if nb is None:
        raise ValueError("record() needs the notebook name: call utils.setup('<notebook>') first")
    mode = config.mode()
    entry = {
        "value": float(value),
        "threshold": None if threshold is None else float(threshold),
        "op": op,
        "mode": mode,
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "seconds_since_setup": round(time.time() - config.started_at(), 1),
    }
    path = results_dir() / mode / f"{nb}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data = {}
    data[name] = entry
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return entry


def expect(
    name: str,
    value: float,
    *,
    quick: float,
    full: float,
    higher_is_better: bool = True,
) -> float:
    """Assert that ``value`` reaches the current mode's threshold, record it, return it."""
    threshold = config.pick(quick=quick, full=full)
    op = ">=" if higher_is_better else "<="
    record(name, value, threshold=threshold, op=op)
    ok = value >= threshold if higher_is_better else value <= threshold
    if not ok:
        raise AssertionError(
            f"{name} = {value:.4g} misses the {config.mode()}-mode target {op} {threshold:g}"
        )
    print(f"✓ {name} = {value:.4g} ({op} {threshold:g} in {config.mode()} mode)")
    return value


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    if v != 0 and abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"


HEADER = [
    "| notebook | metric | value | target | time to metric | date | machine |",
    "|---|---|---|---|---|---|---|",
]


def rows(mode: str = "full") -> dict[str, list[str]]:
    """The table rows recorded in ``results/<mode>/*.json``, keyed by notebook."""
    out: dict[str, list[str]] = {}
    for path in sorted((results_dir() / mode).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for name, e in sorted(data.items()):
            target = f"{e['op']} {_fmt(e['threshold'])}" if e.get("threshold") is not None else "–"
            secs = e.get("seconds_since_setup")
            run = "–" if secs is None else f"{secs:.0f} s" if secs < 60 else f"{secs / 60:.1f} min"
            out.setdefault(path.stem, []).append(
                f"| {path.stem} | `{name}` | {_fmt(e['value'])} | {target} | {run} "
                f"| {e['date']} | {e['machine']} |"
            )
    return out


def parse_rows(text: str) -> dict[str, list[str]]:
    """The data rows of an existing results table, keyed by notebook."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 7 and cells[0] not in ("notebook", "–") \
                and not cells[0].startswith("---"):
            out.setdefault(cells[0], []).append(line.strip())
    return out


def table(mode: str = "full", previous: str = "") -> str:
    """The Markdown results table: the recorded runs, and the rows of ``previous`` (an existing
    table) for every notebook that has no record here, so ``make full NB=<one lesson>`` updates
    that lesson's rows and keeps the others."""
    merged = parse_rows(previous)
    merged.update(rows(mode))
    lines = list(HEADER)
    for nb in sorted(merged):
        lines += merged[nb]
    if len(lines) == 2:
        lines.append(f"| – | no {mode}-mode results recorded yet | | | | | |")
    return "\n".join(lines)


def write_table(readme: Path | None = None, mode: str = "full") -> Path:
    """Replace the text between the results markers of the README with :func:`table`."""
    readme = readme or config.REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{readme} lacks the markers {START} … {END}")
    head, rest = text.split(START, 1)
    previous, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table(mode, previous)}\n{END}{tail}", encoding="utf-8")
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.report", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table", help="rewrite the README results table from recorded runs")
    t.add_argument("--mode", default="full", choices=config.MODES)
    t.add_argument("--readme", type=Path, default=None)
    t.add_argument("--print", action="store_true", help="print the table instead of writing it")
    args = parser.parse_args(argv)
    if args.print:
        print(table(args.mode))
    else:
        print(f"wrote {write_table(args.readme, args.mode)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
