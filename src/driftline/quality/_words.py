"""What data findings say: one template per kind of finding, and a short name for each kind.

A finding's message says what was found, in which column, how much, and
what to do, as one sentence; the numbers come in, the sentence goes out, so
each template is tested with its numbers (tests/quality/test_words.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from driftline.words import names

if TYPE_CHECKING:
    from driftline.quality._report import Finding

__all__ = ["problem_words"]

# Each kind of finding as a short phrase, to list several in one sentence.
_PROBLEMS = {
    "missing_column": "{cols} missing",
    "extra_columns": "columns the model does not use",
    "type": "values of the wrong kind in {cols}",
    "out_of_range": "values outside the training range in {cols}",
    "unseen_categories": "values the model never saw in {cols}",
    "missing_values": "more missing values in {cols}",
    "constant_column": "a single repeated value in {cols}",
    "duplicate_rows": "repeated rows",
    "representativeness": "rows unlike the training data",
    "class_imbalance": "a rare class in {cols}",
    "label_shift": "a changed mix of labels in {cols}",
    "leakage": "{cols} giving the label away",
}


def problem_words(findings: Sequence[Finding]) -> str:
    """Findings as one phrase, grouped by kind in the order given.

    "values outside the training range in `area` and `radius`; `age` missing".
    """
    columns: dict[str, list[str]] = {}
    for f in findings:
        seen = columns.setdefault(f.check, [])
        if f.column is not None and f.column not in seen:
            seen.append(f.column)
    parts = []
    for check, cols in columns.items():
        template = _PROBLEMS.get(check, check.replace("_", " ") + " in {cols}")
        if "{cols}" in template and not cols:
            template = template.replace(" in {cols}", "").replace("{cols} ", "")
        parts.append(template.format(cols=names(cols)))
    # Kinds apart by semicolons: their own column lists already use "and".
    return "; ".join(parts)
