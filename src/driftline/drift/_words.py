"""What a drift report says: the headline, one sentence per moved column, one per whole-row test.

The statistic follows the plain words in parentheses, so a reader who is not
a statistician reads what moved and by how much, and one who is can check
it. Each template is tested with its numbers (tests/drift/test_words.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from driftline.words import count_of, name, number, plural

if TYPE_CHECKING:
    from driftline.drift._result import ColumnDrift, DriftResult

__all__ = ["EFFECTS", "column_sentence", "headline", "rows_sentence"]

# How each effect size reads to someone who is not a statistician.
EFFECTS = {
    "wasserstein_normed": "how far values moved, in standard deviations",
    "js_distance": "how different the mix of values is (0 = same, 1 = nothing in common)",
    "ks_d": "largest gap between the shares of rows below any value (0 to 1)",
    "psi": "population stability index (above 0.25 is a large shift)",
}
_TODO = (
    "Fix the source if it is a fault in the data; if it is the new normal, retrain on recent data."
)


def p_text(p: float | None) -> str:
    """A p-value for a parenthesis: "p < 0.001", "p = 0.032"."""
    if p is None or math.isnan(p):
        return "p unknown"
    return "p < 0.001" if p < 0.001 else f"p = {number(round(p, 3))}"


def headline(moved: Sequence[str], columns: Sequence[str], detected: bool) -> str:
    """What moved, how much, and what to do, in one or two sentences.

    ``moved`` names the columns that moved, most first; ``columns`` every column
    compared; ``detected`` whether any test found drift (when no column moved, the
    test of whole rows did).
    """
    n = len(columns)
    if len(moved) == 1:
        return f"{count_of(1, n, 'column')} moved away from the reference data: {name(moved[0])}. {_TODO}"
    if moved:
        return (
            f"{count_of(len(moved), n, 'column')} moved away from the reference data, "
            f"most of all {name(moved[0])}. {_TODO}"
        )
    if detected:
        return (
            "The rows as a whole moved away from the reference data (how the columns vary "
            f"together changed), though none of the {plural(n, 'column')} did on its own. {_TODO}"
        )
    if n == 1:
        return (
            f"The column {name(columns[0])} did not move away from the reference "
            "data beyond chance and enough to matter. Nothing to do."
        )
    return (
        f"None of the {n:,} columns moved away from the reference data beyond chance and "
        "enough to matter. Nothing to do."
    )


def column_sentence(c: ColumnDrift) -> str:
    """How one column moved, in words, the statistic in parentheses."""
    size = number(c.effect_size)
    stats = f"floor {number(c.threshold)}, {p_text(c.p_value_adjusted)} after correction"
    if c.effect == "wasserstein_normed":
        return f"{name(c.column)} moved by {size} standard deviations ({stats})."
    if c.effect == "js_distance":
        return (
            f"The mix of {name(c.column)} values changed by {size}, where 0 is the same mix and "
            f"1 nothing in common (Jensen-Shannon distance, {stats})."
        )
    if c.effect == "ks_d":
        share = f"{100 * c.effect_size:.0f}" if math.isfinite(c.effect_size) else "n/a"
        return (
            f"{name(c.column)} moved: the share of rows below some value differs by {share} "
            f"percentage points (Kolmogorov-Smirnov D {size}, {stats})."
        )
    if c.effect == "psi":
        return (
            f"{name(c.column)} shifted with a population stability index of {size}, where 0.1 "
            f"to 0.25 is a moderate shift and above 0.25 a large one ({stats})."
        )
    return f"{name(c.column)} moved: {c.effect.replace('_', ' ')} {size} ({stats})."


def rows_sentence(r: DriftResult) -> str:
    """What a whole-row test (a kernel test, the model's outputs) found."""
    p = f"{p_text(r.p_value)} against a level of {number(r.alpha)}"
    if r.method == "mmd":
        if r.drift_detected:
            return f"Taken as whole rows, the data can be told apart from the reference (kernel test MMD, {p})."
        return f"Taken as whole rows, the data cannot be told apart from the reference (kernel test MMD, {p})."
    if r.method in (
        "model_output",
        "model_output_ks",
    ):  # the second: stored reports of earlier versions
        classes = next((c for c in r.columns if c.method == "chi2" and c.drifted), None)
        if r.drift_detected and classes is not None:
            return (
                f"The mix of classes the model predicts moved away from its mix on the reference "
                f"data by {number(classes.effect_size)}, where 0 is the same mix and 1 nothing in "
                f"common (Jensen-Shannon distance, {p})."
            )
        if r.drift_detected:
            moved = [c.column for c in sorted(r.columns, key=lambda c: -c.effect_size) if c.drifted]
            most = f", most of all {name(moved[0])}" if moved else ""
            return f"The model's answers moved away from its answers on the reference data{most} ({p})."
        return f"The model's answers look like its answers on the reference data ({p})."
    verdict = "moved away from" if r.drift_detected else "look like"
    return f"The rows {verdict} the reference data by the {r.method} test ({p})."
