"""How good a model is: metrics with bootstrap confidence intervals.

Classification (accuracy, precision, recall, F1, ROC AUC, PR AUC, log loss,
Brier) and regression (MAE, RMSE, R2, MAPE), overall and per class. Every
metric is computed from row weights, so the value and its bootstrap interval
come from the same code (see ``_scores.py``).
"""

from driftline.metrics._bootstrap import percentiles, resample_blocks
from driftline.metrics._encode import encode_labels
from driftline.metrics._evaluation import Evaluation, evaluate_predictions, metric_value
from driftline.metrics._interval import Interval
from driftline.metrics._paired import (
    Paired,
    compare_predictions,
    metric_applicable,
    paired_bootstrap,
)
from driftline.metrics._predict import Predictions, Task, predict
from driftline.metrics._scores import (
    CLASSIFICATION_METRICS,
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    REGRESSION_METRICS,
    Encoded,
    macro_average,
    metric_label,
)

__all__ = [
    "CLASSIFICATION_METRICS",
    "HIGHER_IS_BETTER",
    "METRIC_LABELS",
    "REGRESSION_METRICS",
    "Encoded",
    "Evaluation",
    "Interval",
    "Paired",
    "Predictions",
    "Task",
    "compare_predictions",
    "encode_labels",
    "evaluate_predictions",
    "macro_average",
    "metric_applicable",
    "metric_label",
    "metric_value",
    "paired_bootstrap",
    "percentiles",
    "predict",
    "resample_blocks",
]
