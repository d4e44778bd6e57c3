"""Fairness figures in plain sentences; each template is tested with its numbers."""

from __future__ import annotations

import math

from driftline.words import name, percent

__all__ = ["FOUR_FIFTHS", "four_fifths_sentence", "odds_sentence", "small_group_sentence"]

# The line drawn by the four-fifths rule of US employment guidance; widely used as a
# first warning, not a verdict.
FOUR_FIFTHS = 0.8


def _ratio(value: float) -> str:
    return f"{value:.2f}"


def four_fifths_sentence(
    column: str,
    low: str,
    low_rate: float,
    high: str,
    high_rate: float,
    outcome: str,
) -> str:
    """The selection-rate ratio of the least and most selected groups, against 0.8.

    >>> four_fifths_sentence("sex", "F", 0.31, "M", 0.4366, "approved")
    "Rows with `sex` = 'F' are predicted 'approved' at 0.71 the rate of rows with `sex` = 'M' (31% against 44%); below the 0.8 often used as a warning line."
    """
    if high_rate <= 0:
        return (
            f"No group of {name(column)} is predicted {outcome!r}, so their rates cannot be "
            f"compared."
        )
    ratio = low_rate / high_rate
    side = "below" if ratio < FOUR_FIFTHS else "at or above"
    return (
        f"Rows with {name(column)} = {low!r} are predicted {outcome!r} at {_ratio(ratio)} the "
        f"rate of rows with {name(column)} = {high!r} ({percent(low_rate)} against "
        f"{percent(high_rate)}); {side} the {FOUR_FIFTHS:g} often used as a warning line."
    )


def odds_sentence(column: str, tpr_gap: float, fpr_gap: float) -> str:
    """How far apart the groups' error rates are (equalized odds).

    >>> odds_sentence("sex", 0.123, 0.05)
    'Across the groups of `sex`, true positive rates differ by up to 0.12 and false positive rates by up to 0.05 (equalized odds difference 0.12).'
    """
    if not (math.isfinite(tpr_gap) and math.isfinite(fpr_gap)):
        return (
            f"Equalized odds of {name(column)} cannot be measured: some group has no "
            f"positive or no negative label."
        )
    worst = max(tpr_gap, fpr_gap)
    return (
        f"Across the groups of {name(column)}, true positive rates differ by up to "
        f"{tpr_gap:.2f} and false positive rates by up to {fpr_gap:.2f} (equalized odds "
        f"difference {worst:.2f})."
    )


def small_group_sentence(column: str, group: str, size: int, least: int) -> str:
    """A group too small for its figures to be trusted.

    >>> small_group_sentence("region", "Isles", 12, 30)
    "Only 12 rows have `region` = 'Isles' (fewer than 30): its figures have wide intervals; collect more of them before drawing conclusions."
    """
    has = "row has" if size == 1 else "rows have"
    return (
        f"Only {size:,} {has} {name(column)} = {group!r} (fewer than {least:,}): its "
        f"figures have wide intervals; collect more of them before drawing conclusions."
    )
