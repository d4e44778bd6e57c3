"""drift(): compare two tables in one call."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from driftline.drift._auto import AutoDetector
from driftline.drift._base import ColumnDetector
from driftline.drift._chisquare import ChiSquareDetector
from driftline.drift._jensen_shannon import JensenShannonDetector
from driftline.drift._ks import KSDetector
from driftline.drift._model_shift import check_model, model_output_test
from driftline.drift._multivariate import MIN_ROWS, kernel_test, sample_rows
from driftline.drift._psi import PSIDetector
from driftline.drift._report import DriftReport
from driftline.drift._result import DriftResult
from driftline.drift._wasserstein import WassersteinDetector
from driftline.errors import InputError
from driftline.stats import Profile

__all__ = ["METHODS", "drift"]

METHODS: dict[str, type[ColumnDetector]] = {
    "auto": AutoDetector,
    "ks": KSDetector,
    "chi2": ChiSquareDetector,
    "psi": PSIDetector,
    "jensen_shannon": JensenShannonDetector,
    "wasserstein": WassersteinDetector,
}


def drift(
    reference: Any,
    current: Any,
    *,
    model: Any = None,
    columns: Sequence[str] | None = None,
    method: str = "auto",
    alpha: float = 0.05,
    correction: str = "bh",
) -> DriftReport:
    """Compare ``current`` with ``reference``: column by column, and as whole rows.

    Both are anything :meth:`Profile.build <driftline.stats.Profile.build>`
    reads, or Profiles (``current`` built with ``reference=``). ``method`` is
    one of ``"auto"``, ``"ks"``, ``"chi2"``, ``"psi"``, ``"jensen_shannon"``,
    ``"wasserstein"``; ``correction`` is ``"bh"``, ``"bonferroni"`` or
    ``"none"``. A column drifts when its corrected p-value is at most its
    family's level and its effect size passes the method's floor (see
    :mod:`driftline.drift`).

    With ``method="auto"`` a kernel (MMD) test of whole rows joins the column
    tests: it sees rotations, changed correlations and lost clusters that
    leave every column's distribution as it was. With ``model=`` (a fitted
    estimator or pipeline, or anything with ``predict_proba`` or ``predict``)
    the model's answers join too: a chi-square test of the mix of classes it
    predicts (label shift: classes that disappear or grow) and a KS test of
    each of its outputs. These tests read the
    profiles' row samples (at most 1000 rows a side), so they cost the same
    on any size of table; without row samples (profiles built with
    ``reservoir_size=0``) only the columns are tested. The families are
    combined by Holm's procedure so that the chance of any false alarm stays
    at most ``alpha`` (see :class:`DriftReport`).

    Example::

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
        >>> cur = ref.assign(x=ref["x"] + 1.0)
        >>> report = drift(ref, cur)
        >>> report.drifted_columns, [t.method for t in report.multivariate]
        (['x'], ['mmd'])
    """
    detector_class = METHODS.get(method) if isinstance(method, str) else None
    if detector_class is None:
        raise InputError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if model is not None:
        check_model(model)
    detector = detector_class(columns=columns, alpha=alpha, correction=correction)
    detector.fit(reference)
    reference_profile: Profile = detector.reference_
    if isinstance(current, Profile):
        current_profile = current
    else:
        # The model may read columns the column detector does not test (categories
        # beside a numbers-only method): profile every reference column for it.
        current_profile = Profile.build(
            current,
            reference=reference_profile,
            columns=list(reference_profile.columns) if model is not None else detector.columns_,
            reservoir_size=detector.reservoir_size,
            seed=detector.seed,
        )
    result = detector.test(current_profile)
    tests: list[DriftResult] = []
    if method == "auto" or model is not None:
        rows = min(len(reference_profile.reservoir), len(current_profile.reservoir))
        if rows >= MIN_ROWS:
            # One BLAS/OpenMP thread: on shared cores a pool of spinning threads made
            # these small matrix products and model calls many times slower.
            with _thread_pools().limit(limits=1):
                tests += _dataset_tests(
                    reference_profile, current_profile, detector, model, method, alpha
                )
    return DriftReport.from_results(result, multivariate=tests)


@functools.cache
def _thread_pools() -> Any:
    # Finding the loaded BLAS and OpenMP libraries takes ~20 ms; do it once.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _dataset_tests(
    reference: Profile,
    current: Profile,
    detector: ColumnDetector,
    model: Any,
    method: str,
    alpha: float,
) -> list[DriftResult]:
    seed = detector.seed
    tests = []
    if method == "auto":
        names = list(detector.columns_)
        ref_rows = sample_rows(reference, names, seed=seed)
        cur_rows = sample_rows(current, names, seed=seed + 1)
        tests.append(kernel_test(ref_rows, cur_rows, alpha=alpha, seed=seed))
    if model is not None:
        names = list(reference.columns)
        ref_rows = sample_rows(reference, names, seed=seed)
        cur_rows = sample_rows(current, names, seed=seed + 1)
        tests.append(model_output_test(model, ref_rows, cur_rows, alpha=alpha, seed=seed))
    return tests
