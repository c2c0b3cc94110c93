"""Root pytest plugin: per-notebook wall time for nbval runs (nbval reports one item a cell)."""

from __future__ import annotations

from collections import defaultdict

_per_file: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):  # noqa: ANN001, ANN201
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _per_file[path] += report.duration


def pytest_terminal_summary(terminalreporter):  # noqa: ANN001, ANN201
    if not _per_file:
        return
    tr = terminalreporter
    tr.write_sep("=", "notebook durations (sum of its cells, kernel start included)")
    for path, secs in sorted(_per_file.items(), key=lambda kv: -kv[1]):
        tr.write_line(f"{secs:7.1f}s  {path}")
    total = sum(_per_file.values())
    tr.write_line(f"{total:7.1f}s  total over {len(_per_file)} notebooks "
                  f"(mean {total / len(_per_file):.1f}s)")
