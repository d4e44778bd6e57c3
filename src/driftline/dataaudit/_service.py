"""audit_training(): screen training data, match it with the inference log, record the result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftline import audit, registry
from driftline.errors import InputError
from driftline.io import read_frame
from driftline.screening import AuditReport, audit_data, echo_finding
from driftline.store import Context, InferenceLog

__all__ = ["ACTION", "audit_training", "recorded_audit"]

ACTION = registry.DATA_AUDIT
SUBJECT = "data:"
recorded_audit = registry.recorded_audit


def audit_training(
    ctx: Context | None,
    data: Any,
    *,
    target: str,
    model: str = "logistic",
    eval_data: Any = None,
    key: str | None = None,
    served_by: str | None = None,
    seed: int = 0,
    record: bool = True,
    actor: str | None = None,
) -> AuditReport:
    """Screen training rows (see :func:`driftline.screening.audit_data`), then more.

    ``served_by`` names a registered model: training rows whose ``key`` value
    is a request id (or request key) of its inference log were scored by it,
    and the audit reports how often their labels equal its predictions
    against how often they would by its own confidence (labels that echo the
    model are a feedback loop). With ``record`` (and a workspace), the result
    is kept in the audit chain under the data's fingerprint, where ``register``
    and the gate find it when the policy requires a clean audit.
    """
    frame = data if isinstance(data, pd.DataFrame) else read_frame(data, what="the training data")
    report = audit_data(frame, target=target, model=model, eval_data=eval_data, key=key, seed=seed)
    if served_by is not None:
        if ctx is None:
            raise InputError("matching rows with the inference log needs a workspace")
        if key is None:
            raise InputError(
                "matching rows with the inference log needs --key: the column holding each "
                "row's request id or request key"
            )
        _echo(ctx, frame, target, key, served_by, report)
    if record and ctx is not None:
        with ctx.db.write() as s:
            audit.append(
                s,
                actor=actor or ctx.settings.actor,
                action=ACTION,
                subject=SUBJECT + report.dataset,
                payload={
                    "passed": report.passed,
                    "headline": report.headline,
                    "target": target,
                    "rows": report.n_rows,
                    "findings": [
                        {"check": f.check, "severity": f.severity} for f in report.findings
                    ],
                },
            )
    return report


def _echo(
    ctx: Context, frame: pd.DataFrame, target: str, key: str, model: str, report: AuditReport
) -> None:
    name = registry.get(ctx, model).name  # an unknown model is a typo: say so
    log = InferenceLog.open(ctx.settings)
    try:
        table = log.read(name)
    finally:
        log.close()
    columns = set(table.column_names)
    if "prediction" not in columns:
        report.notes.append(f"labels not matched with the log: {name} has no logged predictions")
        return
    logged = table.to_pandas()
    by_id: dict[str, int] = {}
    for column in ("request_key", "request_id"):  # a request id wins over a shared request key
        if column in columns:
            for i, v in enumerate(logged[column].tolist()):
                if v is not None:
                    by_id[str(v)] = i
    keys = frame[key].astype(str).tolist()
    labelled = frame[target].notna().to_numpy()
    pairs = [(r, by_id[k]) for r, k in enumerate(keys) if labelled[r] and k in by_id]
    if not pairs:
        report.notes.append(f"no training row matches a request of {name} by {key!r}")
        return
    rows, hits = [p[0] for p in pairs], [p[1] for p in pairs]
    predictions = logged["prediction"].to_numpy()[hits]
    labels = frame[target].to_numpy()[rows]
    expected, source = _expected(ctx, name, logged, hits)
    if expected is None:
        report.notes.append(
            f"labels matched with {name}'s log but not judged: it has no stored evaluation "
            f"and logged no probabilities to say how often honest labels would agree "
            f"(driftline evaluate {name} --data FILE)"
        )
        return
    finding = echo_finding(
        name, labels, predictions, expected, [r + 1 for r in rows], [keys[r] for r in rows]
    )
    if finding is not None:
        finding.details["expected_from"] = source
    report.add(finding)


def _expected(
    ctx: Context, name: str, logged: pd.DataFrame, hits: list[int]
) -> tuple[float | None, str]:
    """How often an independent label equals the model's prediction.

    Its stored evaluation's accuracy says it best: labels from elsewhere, judged
    against its predictions. Without one, the model's own mean top probability
    (right only as far as the model is calibrated).
    """
    from driftline.evaluation import latest_evaluation

    stored = latest_evaluation(ctx, name)
    if stored is not None and "accuracy" in stored.metrics:
        return float(stored.metrics["accuracy"].value), f"evaluation {stored.id}"
    if "probabilities" not in logged.columns:
        return None, ""
    tops = []
    for p in logged["probabilities"].to_numpy()[hits]:
        values = list(p.values()) if isinstance(p, dict) else p
        if values is None or len(values) == 0:
            return None, ""
        tops.append(float(np.max(np.asarray(values, dtype=float))))
    return float(np.mean(tops)), "logged probabilities"
