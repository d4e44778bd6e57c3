"""The training-data audit as a service: screen, match with the inference log, record.

:func:`audit_training` runs :func:`driftline.screening.audit_data` on the
training rows, adds the echo-label check against a model's inference log,
and records the result in the audit chain under the data's fingerprint;
:func:`recorded_audit` reads it back (``register`` and the gate do, when a
policy requires a clean audit).
"""

from driftline.dataaudit._service import ACTION, audit_training, recorded_audit

__all__ = ["ACTION", "audit_training", "recorded_audit"]
