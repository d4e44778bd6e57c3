"""Governance records: model cards, retention of the inference log, and forgetting a person.

:func:`model_card` regenerates a version's card from everything recorded about
it (the gate's decision, its evaluation's slices and calibration, its data,
its rollout history and approvals from the audit chain), as markdown or as
JSON with Hugging Face model-card metadata. :func:`prune_log` deletes the
inference log's days older than a retention age; :func:`forget` removes every
logged record of one person. Both are audited; the person only by a keyed hash.
"""

from driftline.governance._card import ModelCard, model_card
from driftline.governance._forget import ForgetReport, forget, subject_hash
from driftline.governance._retention import PruneReport, parse_age, prune_log

__all__ = [
    "ForgetReport",
    "ModelCard",
    "PruneReport",
    "forget",
    "model_card",
    "parse_age",
    "prune_log",
    "subject_hash",
]
