"""A tiny course for tests that execute notebooks: one lesson using the real 0_1 checkers, no data."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import notebooks

STEM = "0_1_fixture"

# Three exam-style questions in the format of docs/authoring.md §3: a choice, a fill-in, a number.
QUESTIONS = [
    ("""**Exam-style question 1** <!-- question q_scale choice -->

Which value does `normalize_images` map the pixel 255 to?

- (a) 0
- (b) 1
- (c) 255
- (d) 0.5

<!-- BEGIN KEY -->
**Answer: (b)**

- (a) ✗ 0 is where black goes.
- (b) ✓ 255 / 255 = 1.
- (c) ✗ that is the unscaled value.
- (d) ✗ 0.5 is mid-grey.
<!-- END KEY -->""", 'utils.checks.answer("0_1/q_scale", "b")'),
    ("""**Exam-style question 2** <!-- question q_fill fill-in -->

```python
def one_hot(labels, k):
    return (あ)
```

- (a) `np.eye(k)[labels]`
- (b) `np.eye(labels)[k]`
- (c) `np.ones(k)[labels]`
- (d) `labels == k`

<!-- BEGIN KEY -->
**Answer: (a)**

- (a) ✓ row `labels[i]` of the identity matrix.
- (b) ✗ the roles of labels and k are swapped.
- (c) ✗ a row of ones is not one-hot.
- (d) ✗ a boolean per label, not a vector.
<!-- END KEY -->""", 'utils.checks.answer("0_1/q_fill", "a")'),
    ("""**Exam-style question 3** <!-- question q_width numeric -->

How many columns does `one_hot(labels, 10)` have?

<!-- BEGIN KEY -->
**Answer: 10**

One column per class.

**Hint:** the second argument is the number of classes.
<!-- END KEY -->""", 'utils.checks.answer("0_1/q_width", 10)'),
]


def question_cells(n: int = 3) -> list[nbformat.NotebookNode]:
    """The markdown and answer cells of the first ``n`` fixture questions."""
    cells = []
    for text, call in QUESTIONS[:n]:
        cells += [new_markdown_cell(text), new_code_cell(call)]
    return cells


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
        *question_cells(1),
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
