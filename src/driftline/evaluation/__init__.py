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
"""

from driftline.evaluation._calibrate import calibrate
from driftline.evaluation._report import EvaluationReport
from driftline.evaluation._service import evaluate
from driftline.evaluation._store import (
    get_evaluation,
    latest_evaluation,
    list_evaluations,
    record_judgement,
)

__all__ = [
    "EvaluationReport",
    "calibrate",
    "evaluate",
    "get_evaluation",
    "latest_evaluation",
    "list_evaluations",
    "record_judgement",
]
