"""A tiny course for tests that execute notebooks: one lesson using the real 0_1 checkers, no data."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import notebooks

STEM = "0_1_fixture"


def fixture_lesson() -> nbformat.NotebookNode:
    """An instructor notebook shaped like a lesson: set-up, two solved exercises, summary."""
    return new_notebook(cells=[
        new_markdown_cell("# 0.1 Fixture lesson"),
        new_code_cell(f'import utils\n\nutils.setup("{STEM}", tensorflow=False)'),
        new_code_cell("import numpy as np"),
        new_code_cell('def normalize_images(x):\n    """Scale."""\n    ### BEGIN SOLUTION\n'
                      "    return x.astype(np.float32) / 255.0\n    ### END SOLUTION"),
        new_code_cell("utils.checks.normalize_images(normalize_images)"),
        new_code_cell("def one_hot(labels, num_classes):\n    ### BEGIN SOLUTION\n"
                      "    return np.eye(num_classes, dtype=np.float32)[labels]\n    ### END SOLUTION"),
        new_code_cell("utils.checks.one_hot(one_hot)"),
        new_markdown_cell("Q <details><summary>A</summary>a</details> <details>b</details>"),
        new_markdown_cell("## Summary"),
        new_code_cell("utils.checks.summary()"),
    ])


def make_course(root: Path) -> Path:
    """Write the fixture lesson to ``root/notebooks/day0`` and generate its student copy."""
    path = root / "notebooks" / "day0" / f"{STEM}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fixture_lesson(), str(path))
    notebooks.generate(root)
    return root
