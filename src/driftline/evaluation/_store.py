"""Evaluations kept with the version they judge: stored, audited, listed, read back."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftline import audit
from driftline.errors import InputError, NotFoundError
from driftline.evaluation._report import EvaluationReport
from driftline.io import json_number
from driftline.store import EvaluationRow, as_utc

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = [
    "get_evaluation",
    "latest_evaluation",
    "list_evaluations",
    "record_judgement",
    "store_evaluation",
]

KIND = "evaluation"
# A report larger than this (as JSON) goes to the artifact store whole; the
# row keeps it without its chart data, which is what lists and gates read.
INLINE_LIMIT = 256 * 1024


def store_evaluation(
    ctx: Context, version: ModelVersion, report: EvaluationReport, *, actor: str | None = None
) -> EvaluationReport:
    """Keep ``report`` with ``version`` and record "model.evaluate" in the audit chain.

    Returns the report with its ``id``, ``created_at`` and ``created_by`` set.
    """
    who = actor or ctx.settings.actor
    created = dt.datetime.now(dt.UTC)
    report.created_at = created.isoformat(timespec="seconds")
    report.created_by = who
    summary = report.to_dict()
    report_key = report_sha = None
    text = json.dumps(summary, separators=(",", ":"), default=str)
    if len(text) > INLINE_LIMIT:
        report_key, report_sha = ctx.artifacts.put_blob(text.encode("utf-8"))
        summary = {**summary, "charts": {}}
    report.id = record_judgement(
        ctx,
        version,
        kind=KIND,
        dataset=report.dataset,
        summary=summary,
        report_key=report_key,
        report_sha256=report_sha,
        action="model.evaluate",
        payload={
            "dataset": report.dataset,
            "rows": report.n_rows,
            "task": report.task,
            "metrics": {k: json_number(v.value) for k, v in report.metrics.items()},
            "report_sha256": report_sha,
        },
        id_key="evaluation",
        actor=who,
        created=created,
    )
    return report


def record_judgement(
    ctx: Context,
    version: ModelVersion,
    *,
    kind: str,
    dataset: str,
    summary: dict[str, Any],
    action: str,
    payload: dict[str, Any],
    actor: str,
    created: dt.datetime,
    report_key: str | None = None,
    report_sha256: str | None = None,
    id_key: str | None = None,
) -> int:
    """Keep a judgement of ``version`` (an evaluation, calibration or gate decision) and audit it.

    The ``evaluations`` row and the audit event are written in one
    transaction, so neither exists without the other. A result too large for
    the row is a blob at ``report_key`` whose digest is ``report_sha256``
    (pass both, and name the digest in ``payload``). With ``id_key``, the
    audit payload also names the new row's id under that key.
    """
    with ctx.db.write() as s:
        row = EvaluationRow(
            model=version.name,
            version=version.version,
            kind=kind,
            dataset=dataset,
            summary=summary,
            report_key=report_key,
            report_sha256=report_sha256,
            created_at=created,
            created_by=actor,
        )
        s.add(row)
        s.flush()
        if id_key is not None:
            payload = {id_key: row.id, **payload}
        audit.append(s, actor=actor, action=action, subject=version.ref, payload=payload)
        return row.id


def _version_filter(ctx: Context, ref: str) -> tuple[str, int | None]:
    """``NAME`` means every version of the model; ``NAME:3`` and ``NAME@ALIAS`` one version."""
    from driftline import registry
    from driftline.registry import parse_ref

    if not isinstance(ref, str):
        raise InputError(f"give a model reference such as 'churn' or 'churn@champion', got {ref!r}")
    name, selector = parse_ref(ref)
    if selector is None and "@" not in ref:
        registry.list_versions(ctx, name)  # an unknown model is an error, with a hint
        return name, None
    return name, registry.get(ctx, ref).version


def _report(ctx: Context, row: EvaluationRow) -> EvaluationReport:
    data: dict[str, Any] = dict(row.summary)
    if row.report_key is not None:
        ref = f"{row.model}:{row.version}"
        data = json.loads(
            ctx.artifacts.get_blob(
                row.report_key,
                row.report_sha256,
                what=f"the evaluation report #{row.id} of {ref}",
                remedy=f"evaluate {ref} again (driftline evaluate {ref} --data FILE)",
            )
        )
    report = EvaluationReport.from_dict(data)
    report.id = row.id
    report.created_at = as_utc(row.created_at).isoformat(timespec="seconds")
    report.created_by = row.created_by
    return report


def list_evaluations(ctx: Context, ref: str, *, limit: int | None = None) -> list[EvaluationReport]:
    """Evaluations of ``ref``, newest first.

    ``ref`` is ``NAME`` (every version), ``NAME:VERSION`` or ``NAME@ALIAS``
    (the version the alias points at now).
    """
    name, version = _version_filter(ctx, ref)
    query = (
        select(EvaluationRow)
        .where(EvaluationRow.model == name, EvaluationRow.kind == KIND)
        .order_by(EvaluationRow.id.desc())
    )
    if version is not None:
        query = query.where(EvaluationRow.version == version)
    if limit:
        query = query.limit(limit)
    with ctx.db.read() as s:
        rows = list(s.scalars(query))
    return [_report(ctx, r) for r in rows]


def latest_evaluation(ctx: Context, ref: str) -> EvaluationReport | None:
    """The newest evaluation of ``ref`` (see :func:`list_evaluations`), or None."""
    found = list_evaluations(ctx, ref, limit=1)
    return found[0] if found else None


def get_evaluation(ctx: Context, evaluation_id: int) -> EvaluationReport:
    """A stored evaluation by its id."""
    with ctx.db.read() as s:
        row = s.get(EvaluationRow, evaluation_id)
    if row is None or row.kind != KIND:
        raise NotFoundError(f"no evaluation with id {evaluation_id}")
    return _report(ctx, row)
