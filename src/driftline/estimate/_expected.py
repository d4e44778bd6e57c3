"""CBPE's point estimates: the metrics expected under calibrated probabilities.

Shared by the estimator (:class:`~driftline.estimate.CBPE`) and the
reference-only validation that chooses its recalibration
(:mod:`driftline.estimate._choose`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from driftline.estimate._confusion import expected_auc, from_confusion
from driftline.metrics import macro_average

__all__ = ["expected_metrics"]


def expected_metrics(
    names: Sequence[str], raw: np.ndarray, proba: np.ndarray, predicted: np.ndarray
) -> dict[str, float]:
    """Each metric expected when row ``i``'s label is drawn from ``proba[i]``.

    The expected confusion matrix: cell (true j, predicted c) sums ``p_ij``
    over the rows predicted ``c``. ROC AUC ranks by the model's own scores
    ``raw`` (what its realized AUC ranks by), each row weighted by its
    calibrated chance of being of the class.
    """
    k = proba.shape[1]
    expected = np.zeros((k, k))
    for c in range(k):
        expected[:, c] = proba[predicted == c].sum(axis=0)
    values = {name: float(v) for name, v in from_confusion(expected, list(names)).items()}
    if "roc_auc" in names:
        if k == 2:
            values["roc_auc"] = expected_auc(raw[:, 1], proba[:, 1])
        else:
            aucs = [np.array([expected_auc(raw[:, j], proba[:, j])]) for j in range(k)]
            values["roc_auc"] = float(macro_average(aucs)[0])
    return values
