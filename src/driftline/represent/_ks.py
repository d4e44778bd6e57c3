"""Kolmogorov-Smirnov on every dimension of a representation, Bonferroni-corrected.

Rabanser et al. (2019) found this simple test on a good low-dimensional
representation (PCA, the model's softmax) about as powerful as the
multivariate ones, and it says which dimension moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from driftline.represent._result import TwoSampleResult
from driftline.represent._samples import check_alpha, paired_samples

__all__ = ["ks_test"]


def ks_test(
    reference: Any,
    current: Any,
    *,
    alpha: float = 0.05,
    max_samples: int | None = None,
    random_state: int | None = None,
) -> TwoSampleResult:
    """Two-sample KS test per dimension; the p-value is ``min(1, d * min p)``.

    Bonferroni needs no assumption about how the dimensions depend on each
    other, so the false-alarm rate stays at most ``alpha`` (it is
    conservative when dimensions are correlated). ``statistic`` is the KS
    distance of the dimension with the smallest p-value.

    Parameters
    ----------
    reference, current:
        2-D arrays (rows x dimensions) of the same width.
    alpha:
        Level at which ``drifted`` is declared.
    max_samples, random_state:
        Optional seeded subsampling of each sample; KS is cheap, so None
        (use every row) is the default.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ks_test(rng.normal(size=(200, 3)), rng.normal(size=(200, 3))).drifted
    False
    """
    alpha = check_alpha(alpha)
    rng = np.random.default_rng(random_state)
    x, y = paired_samples(reference, current, max_samples=max_samples, rng=rng, min_rows=1)
    result = stats.ks_2samp(x, y, axis=0)
    statistics = np.atleast_1d(np.asarray(result.statistic, dtype=np.float64))
    p_values = np.atleast_1d(np.asarray(result.pvalue, dtype=np.float64))
    worst = int(np.argmin(p_values))
    d = len(p_values)
    p_value = float(min(1.0, d * p_values[worst]))
    return TwoSampleResult(
        statistic=float(statistics[worst]),
        p_value=p_value,
        drifted=p_value <= alpha,
        method="ks",
        alpha=alpha,
        n_reference=len(x),
        n_current=len(y),
        correction="bonferroni",
        details={
            "dimension": worst,
            "statistics": statistics,
            "p_values": p_values,
            "dimensions": d,
        },
    )
