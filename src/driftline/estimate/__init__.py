"""Performance before labels: how well is the model doing, while the labels are still out?

Labels arrive late (a loan defaults months later) or never. Between the
reference, where the model's performance was measured, and the day labels
arrive, :func:`estimate_performance` estimates it per window of traffic:

- classifiers by **CBPE**, confidence-based performance estimation: the
  expected confusion matrix (accuracy, precision, recall, F1) and expected
  ROC AUC under the model's own probabilities, recalibrated on the reference
  first when that helps (:class:`CBPE`);
- regressors by **DLE**, direct loss estimation: gradient-boosted models of
  the absolute and squared error, learned on the reference (:class:`DLE`).

Both hold under covariate shift (the inputs move, the link from inputs to
labels stays), the usual way production data drifts; neither can see concept
shift, which only labels reveal. Each estimate has a band: where the realized
value is expected to fall once the window's labels arrive. Measured accuracy
of the estimates: ``benchmarks/estimate_bench.py``, section "Performance
estimation" of ``benchmarks/RESULTS.md``.
"""

from driftline.estimate._api import (
    DEFAULT_METRICS,
    Scored,
    estimate_performance,
    estimate_window,
    fit_estimator,
    scored,
)
from driftline.estimate._cbpe import CBPE, CBPE_METRICS
from driftline.estimate._dle import DLE, DLE_METRICS
from driftline.estimate._result import MetricEstimate, PerformanceEstimate, WindowEstimate
from driftline.estimate._words import method_words

__all__ = [
    "CBPE",
    "CBPE_METRICS",
    "DEFAULT_METRICS",
    "DLE",
    "DLE_METRICS",
    "MetricEstimate",
    "PerformanceEstimate",
    "Scored",
    "WindowEstimate",
    "estimate_performance",
    "estimate_window",
    "fit_estimator",
    "method_words",
    "scored",
]
