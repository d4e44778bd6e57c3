"""Groups served equally: the standard group-fairness figures of a binary classifier.

:func:`group_fairness` gives, for each sensitive attribute, every group's
size, selection rate, true and false positive rates and accuracy with
bootstrap intervals, and the disparities between groups: demographic parity
difference and ratio, equalized odds difference. The four-fifths rule is
stated in a sentence with its numbers.
"""

from driftline.fairness._groups import DISPARITIES, FIGURES, MISSING_GROUP, group_fairness
from driftline.fairness._report import (
    AttributeFairness,
    FairnessReport,
    GroupFigures,
)
from driftline.fairness._words import FOUR_FIFTHS

__all__ = [
    "DISPARITIES",
    "FIGURES",
    "FOUR_FIFTHS",
    "MISSING_GROUP",
    "AttributeFairness",
    "FairnessReport",
    "GroupFigures",
    "group_fairness",
]
