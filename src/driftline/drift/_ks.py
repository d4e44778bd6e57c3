"""Kolmogorov-Smirnov detector for numbers and datetimes."""

from __future__ import annotations

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._statistics import ks_test
from driftline.stats import Profile

__all__ = ["KSDetector"]


class KSDetector(ColumnDetector):
    """Two-sample Kolmogorov-Smirnov test on the profiles' row samples.

    The test runs on the reservoirs (``reservoir_size`` uniform rows of each
    side), so its p-value is exact for those samples and correct for tables
    of any size; on tables that fit in the reservoir it is the test on all
    rows. Effect size: the KS statistic D itself (the largest gap between the
    two cumulative distributions), floor 0.1, which a shift of a quarter of a
    standard deviation of a normal column reaches.

    Example::

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"x": rng.normal(size=500)})
        >>> det = KSDetector().fit(ref)
        >>> det.test(pd.DataFrame({"x": rng.normal(1.0, size=500)})).drift_detected
        True
    """

    method = "ks"
    kinds = ("numeric", "datetime")
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        d, p = ks_test(reference.sample(name), current.sample(name))
        return ColumnTest(self.method, d, p, "ks_d", d)
