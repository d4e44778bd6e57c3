"""Loop runs as data, and the one way they move: :func:`commit`, audited, in one transaction.

A run's states::

    retraining -> gating -> [awaiting_approval] -> canary (step 0, 1, ...) -> promoted
         |           |              |                   |
    retrain_failed  gate_failed   rejected        rolled_back / aborted

Every move writes the new state and its audit event together, and only if
the run still stands where the caller read it: a step done twice (after a
``kill -9`` between its side effect and its record) finds the run moved
already, or does it again harmlessly, because every side effect is
idempotent (an alias already pointing there, a deployment already at that
share, a candidate already registered by this run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline import audit
from driftline.errors import ConflictError, NotFoundError
from driftline.loop._words import state_sentence
from driftline.store import ApprovalRow, LoopAnalysisRow, LoopRunRow, as_utc

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = [
    "ACTIVE",
    "FINISHED",
    "LoopRun",
    "active_run",
    "add_analysis",
    "analyses",
    "approvals",
    "commit",
    "create",
    "get_run",
    "list_runs",
    "record_analysis",
]

ACTIVE = ("retraining", "gating", "awaiting_approval", "canary")
FINISHED = ("promoted", "rolled_back", "gate_failed", "retrain_failed", "rejected", "aborted")


@dataclasses.dataclass(frozen=True)
class LoopRun:
    """One attempt to replace a model's champion, as it stands."""

    id: int
    model: str
    state: str
    paused: bool
    trigger: str
    alert_id: int | None
    champion: int | None
    candidate: int | None
    step: int
    percent: float
    step_started_at: dt.datetime | None
    reason: str
    details: dict[str, Any]
    started_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def trigger_words(self) -> str:
        rule = self.details.get("alert_rule")
        if self.trigger == "alert" and rule:
            return f"the alert {rule!r}"
        return f"a request by {self.started_by}"

    @property
    def sentence(self) -> str:
        """Where the run stands, in one sentence."""
        return state_sentence(self)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("step_started_at", "created_at", "updated_at", "finished_at"):
            d[key] = d[key].isoformat() if d[key] else None
        d["sentence"] = self.sentence
        return d


def _to_run(row: LoopRunRow) -> LoopRun:
    return LoopRun(
        id=row.id,
        model=row.model,
        state=row.state,
        paused=bool(row.paused),
        trigger=row.trigger,
        alert_id=row.alert_id,
        champion=row.champion,
        candidate=row.candidate,
        step=row.step,
        percent=float(row.percent),
        step_started_at=as_utc(row.step_started_at) if row.step_started_at else None,
        reason=row.reason or "",
        details=dict(row.details or {}),
        started_by=row.started_by,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        finished_at=as_utc(row.finished_at) if row.finished_at else None,
    )


def _subject(model: str, candidate: int | None) -> str:
    return f"{model}:{candidate}" if candidate is not None else model


def create(
    ctx: Context,
    model: str,
    *,
    state: str,
    trigger: str,
    actor: str,
    champion: int | None,
    candidate: int | None = None,
    alert_id: int | None = None,
    details: dict[str, Any] | None = None,
    check: Callable[[Session], None] | None = None,
) -> LoopRun:
    """Start a run, unless the model has one under way (one at a time per model).

    ``check`` runs inside the transaction first, for conditions that must hold
    at the moment the run is written (cooldown, attempts per alert).
    """
    now = dt.datetime.now(dt.UTC)
    with ctx.db.write() as s:
        busy = s.scalar(
            select(LoopRunRow).where(LoopRunRow.model == model, LoopRunRow.state.in_(ACTIVE))
        )
        if busy is not None:
            raise ConflictError(
                f"{model} has a loop run under way already (run {busy.id}, {busy.state}); "
                f"see it with 'driftline rollout status {model}', or stop it with "
                f"'driftline rollout abort {model}'"
            )
        if check is not None:
            check(s)
        row = LoopRunRow(
            model=model,
            state=state,
            paused=False,
            trigger=trigger,
            alert_id=alert_id,
            champion=champion,
            candidate=candidate,
            step=-1,
            percent=0.0,
            reason="",
            details=dict(details or {}),
            started_by=actor,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            actor=actor,
            action="loop.start",
            subject=_subject(model, candidate),
            payload={
                "run": row.id,
                "state": state,
                "trigger": trigger,
                "alert": alert_id,
                "champion": champion,
                "candidate": candidate,
            },
        )
        return _to_run(row)


def commit(
    ctx: Context,
    run: LoopRun,
    *,
    actor: str,
    action: str,
    payload: dict[str, Any] | None = None,
    also: Callable[[Session, LoopRunRow], None] | None = None,
    **changes: Any,
) -> LoopRun:
    """Move ``run`` (new field values in ``changes``) and audit it, if it still stands as read.

    ``also`` writes rows that belong with the move (an analysis, an alert, an
    approval) in the same transaction. A run moved meanwhile raises
    :class:`ConflictError` and nothing is written.
    """
    now = dt.datetime.now(dt.UTC)
    with ctx.db.write() as s:
        row = s.get(LoopRunRow, run.id)
        if row is None:
            raise NotFoundError(f"loop run {run.id} does not exist")
        if (row.state, row.step, bool(row.paused)) != (run.state, run.step, run.paused):
            raise ConflictError(
                f"loop run {run.id} of {run.model} moved meanwhile (it is {row.state} now, "
                f"not {run.state}); look again with 'driftline rollout status {run.model}'"
            )
        for key, value in changes.items():
            if not hasattr(row, key):
                raise AttributeError(f"a loop run has no field {key!r}")
            setattr(row, key, value)
        row.updated_at = now
        if row.state in FINISHED and row.finished_at is None:
            row.finished_at = now
        if also is not None:
            also(s, row)
        audit.append(
            s,
            actor=actor,
            action=action,
            subject=_subject(row.model, row.candidate),
            payload={
                "run": row.id,
                "from": run.state,
                "to": row.state,
                "step": row.step,
                "percent": float(row.percent),
                **(payload or {}),
            },
        )
        s.flush()
        return _to_run(row)


def add_analysis(s: Session, run_id: int, analysis: Any, at: dt.datetime) -> None:
    s.add(
        LoopAnalysisRow(
            run_id=run_id,
            step=analysis.step,
            percent=float(analysis.percent),
            at=at,
            decision=analysis.decision,
            summary=analysis.to_dict(),
            sentence=analysis.sentence,
        )
    )


def record_analysis(ctx: Context, run: LoopRun, analysis: Any) -> None:
    """Keep a look that changed nothing (the step waits), for the rollout's history."""
    with ctx.db.write() as s:
        add_analysis(s, run.id, analysis, dt.datetime.now(dt.UTC))


def get_run(ctx: Context, run_id: int) -> LoopRun:
    with ctx.db.read() as s:
        row = s.get(LoopRunRow, run_id)
        if row is None:
            raise NotFoundError(f"loop run {run_id} does not exist")
        return _to_run(row)


def active_run(ctx: Context, model: str) -> LoopRun | None:
    with ctx.db.read() as s:
        row = s.scalar(
            select(LoopRunRow).where(LoopRunRow.model == model, LoopRunRow.state.in_(ACTIVE))
        )
        return _to_run(row) if row is not None else None


def list_runs(ctx: Context, model: str | None = None, *, limit: int | None = None) -> list[LoopRun]:
    """Runs, newest first."""
    query = select(LoopRunRow).order_by(LoopRunRow.id.desc())
    if model is not None:
        query = query.where(LoopRunRow.model == model)
    if limit:
        query = query.limit(limit)
    with ctx.db.read() as s:
        return [_to_run(r) for r in s.scalars(query)]


def analyses(ctx: Context, run_id: int) -> list[dict[str, Any]]:
    """Every look at a run's canary steps, oldest first."""
    with ctx.db.read() as s:
        rows = s.scalars(
            select(LoopAnalysisRow)
            .where(LoopAnalysisRow.run_id == run_id)
            .order_by(LoopAnalysisRow.id)
        )
        return [
            {
                "at": as_utc(r.at).isoformat(),
                "step": r.step,
                "percent": r.percent,
                "decision": r.decision,
                "sentence": r.sentence,
                "summary": r.summary,
            }
            for r in rows
        ]


def approvals(ctx: Context, model: str) -> list[dict[str, Any]]:
    """Every approval and rejection of the model's candidates, oldest first."""
    with ctx.db.read() as s:
        rows = s.scalars(
            select(ApprovalRow).where(ApprovalRow.model == model).order_by(ApprovalRow.id)
        )
        return [
            {
                "run": r.run_id,
                "version": r.version,
                "decision": r.decision,
                "actor": r.actor,
                "role": r.role,
                "note": r.note,
                "at": as_utc(r.at).isoformat(),
            }
            for r in rows
        ]
