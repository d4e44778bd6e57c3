"""Jensen-Shannon distance detector on binned counts."""

from __future__ import annotations

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._binned import binned_test
from driftline.drift._statistics import jensen_shannon_distance
from driftline.stats import Profile

__all__ = ["JensenShannonDetector"]


class JensenShannonDetector(ColumnDetector):
    """Jensen-Shannon distance (base 2, from 0 to 1) between binned distributions.

    Bins are the reference's (quantile bins for numbers, categories plus
    ``other``). Significance comes from the chi-square test on the same
    counts, joined for categories by the test of values never seen in the
    reference (see :class:`ChiSquareDetector`). Floor: 0.1.
    """

    method = "jensen_shannon"
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        _, p, distance = binned_test(name, reference, current, jensen_shannon_distance)
        return ColumnTest(self.method, distance, p, "js_distance", distance)
