"""utils.report: thresholds per mode, records, README table."""

from __future__ import annotations

import json

import pytest

from utils import config, report


@pytest.fixture
def nb(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    config.setup("9_9_fixture", tensorflow=False)
    return tmp_path / "results"


def test_expect_asserts_the_threshold_of_the_mode(nb, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "quick")
    report.expect("acc", 0.75, quick=0.70, full=0.90)
    monkeypatch.setenv("COURSE_MODE", "full")
    with pytest.raises(AssertionError, match=r"acc = 0.75 misses the full-mode target >= 0.9"):
        report.expect("acc", 0.75, quick=0.70, full=0.90)
    data = json.loads((nb / "full" / "9_9_fixture.json").read_text())
    assert data["acc"]["value"] == 0.75 and data["acc"]["threshold"] == 0.9  # recorded anyway
    report.expect("err", 0.01, quick=0.1, full=0.05, higher_is_better=False)


def test_table_is_written_between_the_markers(nb, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "full")
    report.expect("acc", 0.9731, quick=0.8, full=0.97)
    readme = tmp_path / "README.md"
    readme.write_text(f"# Course\n{report.START}\nold\n{report.END}\nrest\n")
    report.write_table(readme)
    text = readme.read_text()
    assert "old" not in text and text.endswith(f"{report.END}\nrest\n")
    assert "| 9_9_fixture | `acc` | 0.9731 | >= 0.97 |" in text


def test_one_lesson_run_updates_its_rows_and_keeps_the_others(nb, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "full")
    report.expect("acc", 0.95, quick=0.8, full=0.9)
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Course\n{report.START}\n" + "\n".join(report.HEADER) + "\n"
        "| 1_1_other | `xor` | 1 | >= 1 | 2 s | 2026-11-25 | Linux x86_64, 2 cores |\n"
        "| 9_9_fixture | `old_metric` | 0.5 | >= 0.4 | 2 s | 2026-11-25 | Linux x86_64, 2 cores |\n"
        f"{report.END}\n"
    )
    report.write_table(readme)
    text = readme.read_text()
    assert "| 1_1_other | `xor` | 1 |" in text  # a lesson not run now keeps its row
    assert "old_metric" not in text  # the lesson that ran replaces all of its rows
    assert "| 9_9_fixture | `acc` | 0.95 | >= 0.9 |" in text
    assert text.index("1_1_other") < text.index("9_9_fixture")


def test_unknown_mode_is_an_error(monkeypatch) -> None:
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(ValueError, match="not a mode"):
        config.mode()
