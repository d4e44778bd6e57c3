"""Did the data move? Per-column drift tests that do not cry wolf on big data.

With millions of rows every test finds a "significant" difference between
two days of data, because nothing real is exactly stable. So a column
drifts only when two things hold:

1. **It is not noise**: its p-value, corrected across the tested columns
   (Benjamini-Hochberg by default, Bonferroni on request), is at most
   ``alpha`` (0.05), or the share of it Holm's procedure gives the columns
   when dataset-level tests join (below).
2. **It matters**: its effect size exceeds a floor chosen per measure:

   ============================  ========  ===================================
   effect size (detector)        floor     what the floor means
   ============================  ========  ===================================
   Wasserstein / reference sd    0.1       mass moved a tenth of a std. dev.
   (``wasserstein``, ``auto``)
   KS statistic D (``ks``)       0.1       CDFs 10 points apart somewhere
   Jensen-Shannon distance,      0.1       a 50/50 yes/no column at 62/38
   base 2 (``chi2``, ``auto``,
   ``jensen_shannon``)
   PSI (``psi``)                 0.1       "moderate" by credit-scoring custom
   ============================  ========  ===================================

Binned tests (chi-square, PSI, Jensen-Shannon) read every row's counts from
the profiles; sample tests (KS, Wasserstein) read the profiles' uniform row
samples, which keeps their p-values exact and their cost fixed. Small samples
are guarded by the p-value, big ones by the floor.

A category column is counted on the reference's most frequent values plus
``other``. When the reference profile knows every value the column took (up
to ``max(10_000, 100 * max_categories)`` of them), the binned tests also
compare the share of rows whose value the reference never took with the
reference's own leave-one-out share (Good-Turing); the column's p-value is
then the smaller of the two tests' doubled and its effect size the larger
(``driftline.drift._binned``). So a batch moving onto new values drifts even
when the column has thousands of values and ``other`` barely grows.

Columns say *where*; they cannot see a shift that leaves every column's
distribution as it was (a rotation, a changed correlation). So ``drift(...,
method="auto")`` adds a kernel (MMD) test of whole rows, and ``drift(...,
model=m)`` tests the model's answers: a chi-square test of the mix of classes
it predicts (label shift: classes that disappear or grow) and a KS test of
each predicted probability. Both read the profiles' row samples (at most
1000 rows a side). The column family and these
tests are combined by Holm's procedure, which keeps the chance of any false
alarm at most ``alpha``; their results are ``DriftReport.multivariate``.
Measured power and false alarms: ``benchmarks/power_bench.py``.

Every detector follows the estimator contract (``fit(reference)`` then
``test(current) -> DriftResult``); :func:`drift` runs one and returns a
:class:`DriftReport`. :mod:`driftline.drift.checks` is the conformance kit.
"""

from __future__ import annotations

from driftline.drift._api import METHODS, drift
from driftline.drift._auto import AutoDetector
from driftline.drift._base import ColumnDetector, ColumnTest
from driftline.drift._chisquare import ChiSquareDetector
from driftline.drift._jensen_shannon import JensenShannonDetector
from driftline.drift._ks import KSDetector
from driftline.drift._psi import PSIDetector
from driftline.drift._report import DriftReport
from driftline.drift._result import ColumnDrift, DriftResult
from driftline.drift._wasserstein import WassersteinDetector
from driftline.drift._words import EFFECTS

__all__ = [
    "EFFECTS",
    "METHODS",
    "AutoDetector",
    "ChiSquareDetector",
    "ColumnDetector",
    "ColumnDrift",
    "ColumnTest",
    "DriftReport",
    "DriftResult",
    "JensenShannonDetector",
    "KSDetector",
    "PSIDetector",
    "WassersteinDetector",
    "drift",
]
