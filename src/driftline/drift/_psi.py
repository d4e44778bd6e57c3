"""Population stability index detector on binned counts."""

from __future__ import annotations

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._binned import binned_test
from driftline.drift._statistics import population_stability_index
from driftline.stats import Profile

__all__ = ["PSIDetector"]


class PSIDetector(ColumnDetector):
    """The population stability index of credit scoring, with a significance test.

    PSI is computed on the reference's bins (quantile bins for numbers,
    categories plus ``other``), with half a count added to every bin so an
    empty bin does not make it infinite. PSI has no exact null distribution
    of its own, so significance comes from the chi-square test on the same
    counts, joined for categories by the test of values never seen in the
    reference (see :class:`ChiSquareDetector`; PSI is then the larger of the
    two, the second on the bins seen and never seen). Floor: 0.1, the
    customary "moderate shift" (0.25 is "major").
    """

    method = "psi"
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        _, p, psi = binned_test(name, reference, current, population_stability_index)
        return ColumnTest(self.method, psi, p, "psi", psi)
