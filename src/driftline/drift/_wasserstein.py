"""Normed Wasserstein detector for numbers and datetimes."""

from __future__ import annotations

import math

from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._statistics import ks_test, wasserstein_distance
from driftline.stats import Profile

__all__ = ["WassersteinDetector", "normed_wasserstein", "wasserstein_test"]


def normed_wasserstein(name: str, reference: Profile, current: Profile) -> tuple[float, float]:
    """Wasserstein distance of the row samples over the reference's standard deviation.

    Returns the distance in data units and the normed one. The standard
    deviation comes from the reference's exact moments, not its sample; a
    constant reference column makes any movement infinitely large.
    """
    distance = wasserstein_distance(reference.sample(name), current.sample(name))
    scale = reference.columns[name].std
    if math.isnan(distance):
        return distance, distance
    if not scale > 0.0:
        return distance, (0.0 if distance == 0.0 else math.inf)
    return distance, distance / scale


def wasserstein_test(name: str, reference: Profile, current: Profile) -> ColumnTest:
    """Normed Wasserstein effect with the KS p-value of the same samples."""
    _, p = ks_test(reference.sample(name), current.sample(name))
    distance, normed = normed_wasserstein(name, reference, current)
    return ColumnTest("wasserstein", distance, p, "wasserstein_normed", normed)


class WassersteinDetector(ColumnDetector):
    """Earth mover's distance in reference standard deviations, gated by a KS test.

    The statistic is the first Wasserstein distance between the two row
    samples divided by the reference's standard deviation: "how far, in
    standard deviations, the mass moved". Its significance comes from the
    two-sample Kolmogorov-Smirnov test on the same samples (a permutation
    test of the distance itself would cost hundreds of times more for the
    same answer). Floor: 0.1 standard deviations.
    """

    method = "wasserstein"
    kinds = ("numeric", "datetime")
    default_threshold = 0.1

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        return wasserstein_test(name, reference, current)
