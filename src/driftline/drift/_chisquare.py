"""Chi-square detector on binned counts (categories, booleans, histograms)."""

from __future__ import annotations

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._binned import binned_test
from driftline.drift._statistics import jensen_shannon_distance
from driftline.stats import Profile

__all__ = ["ChiSquareDetector", "chi_square_test"]


def chi_square_test(name: str, reference: Profile, current: Profile) -> ColumnTest:
    """Chi-square p-value with the Jensen-Shannon distance as effect size."""
    statistic, p, distance = binned_test(name, reference, current, jensen_shannon_distance)
    return ColumnTest("chi2", statistic, p, "js_distance", distance)


class ChiSquareDetector(ColumnDetector):
    """Pearson's chi-square test of homogeneity on the profiles' counts.

    Categories are compared on the reference's categories plus ``other``;
    numbers and datetimes on the reference's quantile bins. The counts are
    those of every row, not a sample, so the test is exact in its inputs and
    costs nothing per row. Effect size: the Jensen-Shannon distance (base 2)
    between the two binned distributions, floor 0.1, which for a yes/no
    column is a move from 50% to about 62%.

    When the reference knows every value a categorical column took, a second
    test compares the shares of values never seen in it (see
    :mod:`driftline.drift._binned`): the p-value is the smaller of the two
    doubled, the effect size the larger distance.
    """

    method = "chi2"
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        return chi_square_test(name, reference, current)
