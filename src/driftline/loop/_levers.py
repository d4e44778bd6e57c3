"""The levers people pull: start, pause, resume, abort, roll back, approve, reject.

Each is audited with the person's name, as the loop's own moves are with
``loop``. Approving needs an API token of the operator role (or admin), and
its holder may not be whoever registered the candidate: the one who made a
model does not also let it into service (separation of duties).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline import auth, registry
from driftline.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from driftline.loop import _runs
from driftline.loop._machine import end_canary
from driftline.loop._policies import load_policy
from driftline.loop._routing import PREVIOUS, champion_alias, deployment, point, route
from driftline.store import ApprovalRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from driftline.loop._runs import LoopRun
    from driftline.store import Context, LoopRunRow

__all__ = ["abort", "approve", "pause", "reject", "resume", "rollback", "start", "status"]


def _who(ctx: Context, actor: str | None) -> str:
    return actor or ctx.settings.actor


def start(
    ctx: Context,
    model: str,
    version: int,
    *,
    data: Any = None,
    target: str | None = None,
    skip_gate: bool = False,
    actor: str | None = None,
) -> LoopRun:
    """Start a rollout of ``version`` against the serving champion, by hand.

    It goes through the gate first (on ``data``, labelled rows with the
    ``target`` column; without them, on the labelled traffic of the last days)
    unless ``skip_gate``, then approval when the policy asks for it, then the
    canary steps. ``driftline loop tick`` moves it on.
    """
    who = _who(ctx, actor)
    candidate = registry.get(ctx, f"{model}:{version}")
    alias = champion_alias(ctx, model)
    try:
        champion = registry.get(ctx, f"{model}@{alias}").version
    except NotFoundError:
        raise NotFoundError(
            f"{model} has no {alias} to compare version {version} with; set one first "
            f"(driftline alias set {model} VERSION {alias})"
        ) from None
    if champion == candidate.version:
        raise InputError(
            f"version {version} is {model}'s {alias} already: there is nothing to roll out"
        )
    details: dict[str, Any] = {"skip_gate": skip_gate}
    if data is not None:
        details["evaluation_data"] = _stored_data(ctx, data, target)
    policy = load_policy(ctx, model)
    state = "gating"
    if skip_gate:
        state = "awaiting_approval" if policy.approval == "required" else "canary"
    return _runs.create(
        ctx,
        model,
        state=state,
        trigger="manual",
        actor=who,
        champion=champion,
        candidate=candidate.version,
        details=details,
    )


def _stored_data(ctx: Context, data: Any, target: str | None) -> dict[str, Any]:
    import io

    from driftline.io import read_frame

    if not target:
        raise InputError("--data needs --target: which column holds the labels?")
    frame = read_frame(data, what="the evaluation data")
    if target not in frame:
        raise InputError(
            f"the evaluation data has no label column {target!r}; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    key, sha = ctx.artifacts.put_blob(buffer.getvalue())
    name = Path(data).name if isinstance(data, str | Path) else "a table"
    return {"key": key, "sha256": sha, "rows": len(frame), "target": target, "source": name}


def _active(ctx: Context, model: str) -> LoopRun:
    run = _runs.active_run(ctx, model)
    if run is None:
        raise NotFoundError(
            f"{model} has no rollout under way; start one with 'driftline rollout start {model} VERSION'"
        )
    return run


def pause(ctx: Context, model: str, *, actor: str | None = None) -> LoopRun:
    """Hold the run where it is: no next step (a harmful canary is still rolled back)."""
    run = _active(ctx, model)
    if run.paused:
        return run
    return _runs.commit(ctx, run, actor=_who(ctx, actor), action="rollout.pause", paused=True)


def resume(ctx: Context, model: str, *, actor: str | None = None) -> LoopRun:
    run = _active(ctx, model)
    if not run.paused:
        return run
    return _runs.commit(ctx, run, actor=_who(ctx, actor), action="rollout.resume", paused=False)


def abort(ctx: Context, model: str, *, actor: str | None = None) -> LoopRun:
    """Stop the run: every request goes back to the champion."""
    run = _active(ctx, model)
    who = _who(ctx, actor)
    reason = (
        f"{who} stopped the rollout of version {run.candidate} of {model}; version "
        f"{run.champion} answers all traffic."
    )
    return end_canary(ctx, run, who, reason, state="aborted", action="rollout.abort")


def rollback(ctx: Context, model: str, *, actor: str | None = None) -> LoopRun:
    """Back to the champion before the last change: a canary stops, a promotion is undone."""
    who = _who(ctx, actor)
    run = _runs.active_run(ctx, model)
    if run is not None:
        reason = (
            f"{who} rolled back version {run.candidate} of {model}; version {run.champion} "
            "answers all traffic."
        )
        return end_canary(ctx, run, who, reason)
    promoted = next((r for r in _runs.list_runs(ctx, model) if r.state == "promoted"), None)
    if promoted is None or promoted.champion is None:
        raise NotFoundError(
            f"{model} has no rollout to undo: no canary is under way and the loop never promoted "
            "a version of it; move an alias by hand (driftline alias set)"
        )
    alias = champion_alias(ctx, model)
    current = registry.get(ctx, f"{model}@{alias}").version
    if current != promoted.candidate:
        raise ConflictError(
            f"{model}@{alias} is version {current} now, not version {promoted.candidate} that the "
            "loop promoted last; move the alias by hand (driftline alias set)"
        )
    point(ctx, model, promoted.champion, alias, actor=who)
    point(ctx, model, int(promoted.candidate or 0), PREVIOUS, actor=who)
    route(ctx, model, 0, actor=who)
    reason = (
        f"{who} rolled {model} back from version {promoted.candidate} to version "
        f"{promoted.champion}, which answers all traffic again."
    )
    return _runs.commit(
        ctx,
        promoted,
        actor=who,
        action="rollout.rollback",
        payload={"alias": alias, "version": promoted.champion, "after_promotion": True},
        state="rolled_back",
        reason=reason,
    )


# -- approvals ----------------------------------------------------------------------------


def approve(ctx: Context, model: str, version: int, *, token: str, note: str = "") -> LoopRun:
    """Let a candidate waiting for approval go on to its canary."""
    return _decide(ctx, model, version, token, note, approved=True)


def reject(ctx: Context, model: str, version: int, *, token: str, note: str = "") -> LoopRun:
    """Stop a candidate waiting for approval; the champion keeps serving."""
    return _decide(ctx, model, version, token, note, approved=False)


def _decide(
    ctx: Context, model: str, version: int, secret: str, note: str, *, approved: bool
) -> LoopRun:
    token = auth.verify(ctx, secret)
    verb = "approve" if approved else "reject"
    if not auth.allows(token.role, "operator"):
        raise ForbiddenError(
            f"to {verb} a version needs the 'operator' role; token {token.id} ({token.name}) has "
            f"{token.role!r}: ask an admin for an operator token (driftline token create --role operator)"
        )
    run = _active(ctx, model)
    if run.state != "awaiting_approval" or run.candidate != version:
        waiting = f"version {run.candidate} is {run.state.replace('_', ' ')}"
        raise ConflictError(f"version {version} of {model} is not waiting for approval ({waiting})")
    made_by = registry.get(ctx, f"{model}:{version}").created_by
    if token.name == made_by:
        raise ForbiddenError(
            f"{token.name} registered version {version} of {model}, so someone else must {verb} "
            "it (separation of duties): ask another operator"
        )
    when = dt.datetime.now(dt.UTC)

    def record(s: Session, row: LoopRunRow) -> None:
        s.add(
            ApprovalRow(
                run_id=row.id,
                model=model,
                version=version,
                decision="approved" if approved else "rejected",
                actor=token.name,
                role=token.role,
                note=note,
                at=when,
            )
        )

    said = f" ({note})" if note else ""
    if approved:
        return _runs.commit(
            ctx,
            run,
            actor=token.name,
            action="loop.approve",
            payload={
                "version": version,
                "role": token.role,
                "note": note,
                "registered_by": made_by,
            },
            also=record,
            state="canary",
        )
    return _runs.commit(
        ctx,
        run,
        actor=token.name,
        action="loop.reject",
        payload={"version": version, "role": token.role, "note": note, "registered_by": made_by},
        also=record,
        state="rejected",
        reason=(
            f"{token.name} rejected version {version} of {model}{said}; version {run.champion} "
            "keeps serving."
        ),
    )


def status(ctx: Context, model: str) -> dict[str, Any]:
    """The model's current or last run, its looks at the canary, its approvals."""
    runs = _runs.list_runs(ctx, model, limit=1)
    run = runs[0] if runs else None
    return {
        "model": model,
        "deployment": dataclasses.asdict(spec) if (spec := deployment(ctx, model)) else None,
        "run": run.to_dict() if run else None,
        "analyses": _runs.analyses(ctx, run.id)[-20:] if run else [],
        "approvals": _runs.approvals(ctx, model),
    }
