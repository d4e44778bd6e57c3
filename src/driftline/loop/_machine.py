"""Moving a run forward: each state's work, its side effect idempotent, then one commit.

:func:`advance` takes a run as far as it can go now (retrain, gate, start the
canary, look at a step) and stops where it must wait: for approval, for a
step's time and traffic, or at the end. Failures of the work itself (a hook
that raises, a gate that fails, a harmful canary) end the run with a sentence
and leave the champion serving; failures of the stores propagate, and the
next tick does the step again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftline import audit, registry
from driftline.errors import InputError, NotFoundError
from driftline.loop import _runs
from driftline.loop._analysis import StepAnalysis, analyze_step
from driftline.loop._retrain import evaluation_data, labelled_traffic, retrain
from driftline.loop._routing import CANDIDATE, PREVIOUS, deployment, drop_alias, point, route
from driftline.loop._traffic import Estimators, read_step
from driftline.loop._words import gate_sentence, promoted_sentence, retrain_failed_sentence
from driftline.privacy import Redactor
from driftline.store import AlertRow, EvaluationRow, LoopRunRow

if TYPE_CHECKING:
    import pandas as pd

    from driftline.gate import GateDecision
    from driftline.loop._policy import LoopPolicy
    from driftline.loop._runs import LoopRun
    from driftline.store import Context

__all__ = ["Clock", "advance", "end_canary"]

Clock = Callable[[], dt.datetime]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def advance(
    ctx: Context,
    run: LoopRun,
    policy: LoopPolicy,
    *,
    actor: str = "loop",
    clock: Clock = _now,
    estimators: Estimators | None = None,
) -> LoopRun:
    """Move ``run`` on until it has to wait or is done; returns it as it then stands."""
    estimators = estimators or Estimators()
    for _ in range(8):  # retrain, gate, start, at most a step and a promotion
        if not run.active or run.state == "awaiting_approval":
            return run
        if run.paused and run.state != "canary":
            return run
        moved: LoopRun | None
        if run.state == "retraining":
            moved = _retraining(ctx, run, policy, actor, clock())
        elif run.state == "gating":
            moved = _gating(ctx, run, policy, actor)
        else:
            moved = _canary(ctx, run, policy, actor, clock(), estimators)
        if moved is None:
            return run
        if moved.state == "canary" and moved.step != run.step:
            return moved  # a step just began: its first look waits for its traffic
        run = moved
    return run


# -- retraining ------------------------------------------------------------------------


def _retraining(
    ctx: Context, run: LoopRun, policy: LoopPolicy, actor: str, now: dt.datetime
) -> LoopRun:
    try:
        candidate = retrain(ctx, run, policy, now=now, actor=actor)
    except (InputError, NotFoundError) as exc:
        return _runs.commit(
            ctx,
            run,
            actor=actor,
            action="loop.retrain",
            payload={"passed": False, "error": str(exc)},
            state="retrain_failed",
            reason=retrain_failed_sentence(run.model, run.champion, str(exc)),
        )
    lineage = candidate.lineage
    details = {
        **run.details,
        "evaluation_data": lineage.get("evaluation_data"),
        "feedback": lineage.get("feedback"),
        "training_rows": lineage.get("training_rows"),
        "data_window": lineage.get("data_window"),
    }
    return _runs.commit(
        ctx,
        run,
        actor=actor,
        action="loop.retrain",
        payload={
            "passed": True,
            "candidate": candidate.version,
            "training_rows": lineage.get("training_rows"),
            "data_window": lineage.get("data_window"),
            "feedback": lineage.get("feedback"),
        },
        state="gating",
        candidate=candidate.version,
        details=details,
    )


# -- the gate --------------------------------------------------------------------------


def _gating(ctx: Context, run: LoopRun, policy: LoopPolicy, actor: str) -> LoopRun:
    from driftline.gate import run_gate

    data, target = _judged_on(ctx, run, policy)
    decision: GateDecision | None = _decided(ctx, run)
    if decision is None:
        if data is None or data.empty:
            return _runs.commit(
                ctx,
                run,
                actor=actor,
                action="loop.gate",
                payload={"passed": False, "error": "no labelled rows"},
                state="gate_failed",
                reason=gate_sentence(run, None, run.details.get("feedback")),
            )
        decision = run_gate(
            ctx,
            run.model,
            candidate=int(run.candidate or 0),
            baseline=run.champion,
            data=data,
            target=target,
            policy=policy.gate,
            actor=actor,
        )
    passed = decision.passed
    state = (
        ("awaiting_approval" if policy.approval == "required" else "canary")
        if passed
        else "gate_failed"
    )
    details = {
        **run.details,
        "gate": {"passed": passed, "headline": decision.headline, "dataset": decision.dataset},
    }
    return _runs.commit(
        ctx,
        run,
        actor=actor,
        action="loop.gate",
        payload={"passed": passed, "headline": decision.headline, "approval": policy.approval},
        state=state,
        details=details,
        reason=gate_sentence(run, decision, run.details.get("feedback")),
    )


def _judged_on(ctx: Context, run: LoopRun, policy: LoopPolicy) -> tuple[pd.DataFrame | None, str]:
    """The labelled rows the candidate is judged on, and their label column."""
    info = run.details.get("evaluation_data")
    if info:
        return evaluation_data(ctx, info), str(info["target"])
    target = (
        policy.retrain.target if policy.retrain is not None else policy.monitor.target or "label"
    )
    champion = registry.get(ctx, f"{run.model}:{run.champion}")
    if champion.signature is None:
        return None, target
    window = policy.retrain.window if policy.retrain is not None else dt.timedelta(days=7)
    now = _now()
    frame = labelled_traffic(
        ctx, run.model, list(champion.signature.names), target, since=now - window, until=now
    )
    return frame[[*champion.signature.names, target]], target


def _decided(ctx: Context, run: LoopRun) -> GateDecision | None:
    """The gate's decision on this run's candidate, if it was taken before a crash."""
    from driftline.gate import GateDecision

    with ctx.db.read() as s:
        row = s.scalar(
            select(EvaluationRow)
            .where(
                EvaluationRow.model == run.model,
                EvaluationRow.version == run.candidate,
                EvaluationRow.kind == "gate",
                EvaluationRow.created_at >= run.created_at,
            )
            .order_by(EvaluationRow.id.desc())
            .limit(1)
        )
        return GateDecision.from_dict(row.summary) if row is not None else None


# -- the canary ------------------------------------------------------------------------


def _canary(
    ctx: Context,
    run: LoopRun,
    policy: LoopPolicy,
    actor: str,
    now: dt.datetime,
    estimators: Estimators,
) -> LoopRun | None:
    steps = policy.rollout.steps
    served = deployment(ctx, run.model) is not None
    if run.step < 0:
        if not served or steps[0].percent >= 100:
            return _promote(ctx, run, actor, None, served=served)
        point(ctx, run.model, int(run.candidate or 0), CANDIDATE, actor=actor)
        route(ctx, run.model, steps[0].percent, actor=actor)
        return _runs.commit(
            ctx,
            run,
            actor=actor,
            action="rollout.start",
            payload={"percent": steps[0].percent},
            step=0,
            percent=steps[0].percent,
            step_started_at=now,
        )
    if not served:
        return end_canary(
            ctx,
            run,
            actor,
            f"{run.model} was undeployed during the canary of version "
            f"{run.candidate}, so the rollout stopped.",
            state="aborted",
            action="rollout.abort",
        )
    analysis = look(ctx, run, policy, now, estimators)
    if analysis.decision == "rollback":
        return end_canary(ctx, run, actor, analysis.sentence, analysis=analysis)
    if run.paused or analysis.decision == "wait":
        _runs.record_analysis(ctx, run, analysis)
        return None
    if analysis.decision == "promote":
        return _promote(ctx, run, actor, analysis, served=True)
    following = steps[run.step + 1].percent
    route(ctx, run.model, following, actor=actor)
    return _runs.commit(
        ctx,
        run,
        actor=actor,
        action="rollout.step",
        payload={
            "from_percent": run.percent,
            "to_percent": following,
            "sentence": analysis.sentence,
        },
        also=_with_analysis(analysis),
        step=run.step + 1,
        percent=following,
        step_started_at=now,
        details={**run.details, "evidence": analysis.carry},
    )


def look(
    ctx: Context, run: LoopRun, policy: LoopPolicy, now: dt.datetime, estimators: Estimators
) -> StepAnalysis:
    """The analysis of the run's current step on its traffic up to ``now``."""
    champion, candidate = int(run.champion or 0), int(run.candidate or 0)
    reference, target, key = _reference(ctx, run, policy)
    fitted = estimators.get(ctx, run.model, [champion, candidate], reference, target, key)
    outcomes = [r.outcome for r in policy.rollback if r.outcome is not None]
    started = run.step_started_at or now
    sides = read_step(
        ctx,
        run.model,
        champion=champion,
        canary=candidate,
        since=started,
        until=now,
        outcomes=outcomes,
        estimators=fitted,
    )
    return analyze_step(
        run.model,
        *sides,
        policy,
        step=run.step,
        elapsed=now - started,
        carried=run.details.get("evidence"),
    )


def _reference(ctx: Context, run: LoopRun, policy: LoopPolicy) -> tuple[Any, str | None, str]:
    """Labelled rows to calibrate expected accuracy on: the run's held-back rows, or monitoring's."""
    if not any(r.check == "estimated_accuracy" for r in policy.rollback):
        return None, None, ""
    info = run.details.get("evaluation_data")
    if info:
        return evaluation_data(ctx, info), str(info["target"]), str(info["sha256"])
    if policy.monitor.reference is not None and policy.monitor.target is not None:
        from driftline.io import read_frame

        frame = read_frame(policy.monitor.reference, what="the [monitor] reference")
        return frame, policy.monitor.target, str(policy.monitor.reference)
    return None, None, ""


def _with_analysis(analysis: StepAnalysis | None) -> Callable[[Session, LoopRunRow], None] | None:
    if analysis is None:
        return None

    def write(s: Session, row: LoopRunRow) -> None:
        _runs.add_analysis(s, row.id, analysis, _now())

    return write


def _promote(
    ctx: Context, run: LoopRun, actor: str, analysis: StepAnalysis | None, *, served: bool
) -> LoopRun:
    spec = deployment(ctx, run.model)
    alias = spec.alias if spec is not None else "champion"
    candidate = int(run.candidate or 0)
    if run.champion is not None and run.champion != candidate:
        point(ctx, run.model, run.champion, PREVIOUS, actor=actor)
    point(ctx, run.model, candidate, alias, actor=actor)
    route(ctx, run.model, 0, actor=actor)
    drop_alias(ctx, run.model, CANDIDATE, actor=actor)
    reason = analysis.sentence if analysis is not None else promoted_sentence(run, served=served)
    return _runs.commit(
        ctx,
        run,
        actor=actor,
        action="rollout.promote",
        payload={"alias": alias, "version": candidate, "previous": run.champion},
        also=_with_analysis(analysis),
        state="promoted",
        percent=100.0,
        reason=reason,
    )


def end_canary(
    ctx: Context,
    run: LoopRun,
    actor: str,
    reason: str,
    *,
    analysis: StepAnalysis | None = None,
    state: str = "rolled_back",
    action: str = "rollout.rollback",
) -> LoopRun:
    """Send every request back to the champion and close the run with ``reason``.

    An automatic rollback also opens an alert saying why, beside monitoring's.
    """
    route(ctx, run.model, 0, actor=actor)
    drop_alias(ctx, run.model, CANDIDATE, actor=actor)
    culprit = analysis.culprit if analysis is not None else None

    def write(s: Session, row: LoopRunRow) -> None:
        if analysis is not None:
            _runs.add_analysis(s, row.id, analysis, _now())
        if culprit is None:
            return
        now = _now()
        alert = AlertRow(
            model=run.model,
            rule="rollout-rollback",
            severity="critical",
            status="open",
            message=Redactor.from_settings(ctx.settings).text(reason),
            metric=culprit.name,
            value=float(culprit.canary if culprit.canary is not None else 0.0),
            threshold=float(culprit.rule.margin),
            opened_at=now,
            window_start=now,
        )
        s.add(alert)
        s.flush()
        audit.append(
            s,
            actor=actor,
            action="alert.open",
            subject=f"{run.model}/rollout-rollback",
            payload={"alert": alert.id, "run": run.id, "check": culprit.name, "sentence": reason},
        )

    return _runs.commit(
        ctx,
        run,
        actor=actor,
        action=action,
        payload={
            "check": culprit.name if culprit else None,
            "p": culprit.evidence.p if culprit and culprit.evidence else None,
            "sentence": reason,
        },
        also=write,
        state=state,
        percent=0.0,
        reason=reason,
    )
