"""Is the model good? Judge it on labelled rows, and keep the judgement with its version.

:func:`evaluate` scores a model (an object, or a registered version such as
``"churn@champion"``) on labelled rows and returns an
:class:`EvaluationReport`: every metric with a bootstrap confidence interval
(overall and per class), the calibration of its probabilities, the groups of
rows it serves worst, and a data-quality check against its training data.
For a registered version the report is stored in the ``evaluations`` table
and the audit chain records it; :func:`list_evaluations` reads them back.

:func:`calibrate` recalibrates a registered classifier on labelled rows,
measures calibration before and after on rows the calibrator never saw, and
registers the result as a new version whose lineage names the parent.

:func:`read_labelled` and :func:`split_batch` read the rows to judge a model
on and split them into its inputs and labels; the gate reads them the same way.
"""

from driftline.evaluation._calibrate import calibrate
from driftline.evaluation._data import Batch, read_labelled, split_batch
from driftline.evaluation._report import EvaluationReport
from driftline.evaluation._service import evaluate
from driftline.evaluation._store import (
    get_evaluation,
    latest_evaluation,
    list_evaluations,
    record_judgement,
)
from driftline.evaluation._words import fmt_interval, fmt_value, interval_parts, metric_name

__all__ = [
    "Batch",
    "EvaluationReport",
    "calibrate",
    "evaluate",
    "fmt_interval",
    "fmt_value",
    "get_evaluation",
    "interval_parts",
    "latest_evaluation",
    "list_evaluations",
    "metric_name",
    "read_labelled",
    "record_judgement",
    "split_batch",
]
