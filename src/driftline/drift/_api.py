"""drift(): compare two tables in one call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftline.drift._auto import AutoDetector
from driftline.drift._base import ColumnDetector
from driftline.drift._chisquare import ChiSquareDetector
from driftline.drift._jensen_shannon import JensenShannonDetector
from driftline.drift._ks import KSDetector
from driftline.drift._psi import PSIDetector
from driftline.drift._report import DriftReport
from driftline.drift._wasserstein import WassersteinDetector
from driftline.errors import InputError

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
    """Compare ``current`` with ``reference``, column by column.

    Both are anything :meth:`Profile.build <driftline.stats.Profile.build>`
    reads, or Profiles (``current`` built with ``reference=``). ``method`` is
    one of ``"auto"``, ``"ks"``, ``"chi2"``, ``"psi"``, ``"jensen_shannon"``,
    ``"wasserstein"``; ``correction`` is ``"bh"``, ``"bonferroni"`` or
    ``"none"``. A column drifts when its corrected p-value is at most
    ``alpha`` and its effect size passes the method's floor (see
    :mod:`driftline.drift`).

    Example::

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
        >>> cur = ref.assign(x=ref["x"] + 1.0)
        >>> drift(ref, cur).drifted_columns
        ['x']
    """
    if model is not None:
        raise InputError(
            "drift(model=...) needs the model-output detectors of driftline.represent, "
            "which are not available yet; call drift() without model="
        )
    detector_class = METHODS.get(method) if isinstance(method, str) else None
    if detector_class is None:
        raise InputError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    detector = detector_class(columns=columns, alpha=alpha, correction=correction)
    result = detector.fit(reference).test(current)
    # Dataset-level (multivariate) detectors join here, as a list of their DriftResults.
    return DriftReport.from_results(result, multivariate=[])
