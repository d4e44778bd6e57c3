"""The default detector: the right test for each kind of column."""

from __future__ import annotations

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._chisquare import chi_square_test
from driftline.drift._wasserstein import WassersteinDetector, wasserstein_test
from driftline.stats import Profile

__all__ = ["AutoDetector"]


class AutoDetector(ColumnDetector):
    """Numbers and datetimes by normed Wasserstein (KS-gated); the rest by chi-square.

    Numbers and datetimes: significance from the two-sample KS test on the
    row samples, effect size the Wasserstein distance in reference standard
    deviations. Categories and booleans: significance from the chi-square
    test on all counts, effect size the Jensen-Shannon distance. Both floors
    are ``threshold`` (default 0.1).
    """

    method = "auto"
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        if reference.columns[name].kind in WassersteinDetector.kinds:
            return wasserstein_test(name, reference, current)
        return chi_square_test(name, reference, current)
