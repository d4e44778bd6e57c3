"""Screen training data before a model learns from it (against poisoning and leakage).

:func:`audit_data` finds likely label errors (confident learning over
out-of-fold probabilities, as cleanlab's ``find_label_issues`` does), exact
and near duplicates, rows shared with the evaluation data, outliers, and
features that predict the label suspiciously well. Each
:class:`AuditFinding` has a severity, the rows concerned and a sentence.
:func:`echo_finding` judges labels that echo a model's own predictions.
"""

from driftline.screening._api import audit_data, echo_finding
from driftline.screening._labels import (
    confident_joint,
    label_issues,
    out_of_fold_probabilities,
    self_confidence,
)
from driftline.screening._model import MODEL_KINDS
from driftline.screening._report import AuditFinding, AuditReport

__all__ = [
    "MODEL_KINDS",
    "AuditFinding",
    "AuditReport",
    "audit_data",
    "confident_joint",
    "echo_finding",
    "label_issues",
    "out_of_fold_probabilities",
    "self_confidence",
]
