"""What each page shows, gathered from the services as plain data for the templates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from driftline import audit, governance, loop, monitor, registry
from driftline.errors import DriftlineError, NotFoundError
from driftline.store import lead_metric
from driftline.ui._history import recent_windows
from driftline.ui._traffic import traffic
from driftline.ui._words import LIGHTS, health_sentence, loop_sentence

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["Health", "audit_trail", "compare_view", "health", "model_view", "overview"]

_AUDIT_LIMIT = 50
_ACTIVE = ("retraining", "gating", "awaiting_approval", "canary")


@dataclasses.dataclass(frozen=True)
class Health:
    model: str
    level: str  # ok, watch, act, unknown
    why: str
    champion: int | None
    alias: str
    requests: int  # in the newest window
    window: str  # the newest window's length, like "1 hour"
    open_alerts: int
    loop: str
    drifted: list[str]
    deployed: bool
    # The last 24 hours of the inference log: requests, failures, median response time.
    day: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def word(self) -> str:
        return LIGHTS[self.level][0]

    @property
    def colour(self) -> str:
        return LIGHTS[self.level][1]


def _window_words(seconds: float) -> str:
    hours = seconds / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return "day" if days == 1 else f"{days} days"
    if hours >= 1:
        return "hour" if hours == 1 else f"{hours:g} hours"
    return f"{seconds / 60:g} minutes"


def health(ctx: Context, name: str, *, now: dt.datetime | None = None) -> Health:
    """The model's light, its reason, and what the loop does for it."""
    now = now or dt.datetime.now(dt.UTC)
    registry.get(ctx, name)  # a model that does not exist is not found, not healthy
    status = loop.status(ctx, name)
    spec = status["deployment"]
    alias = spec["alias"] if spec else "champion"
    try:
        champion: int | None = registry.get(ctx, f"{name}@{alias}").version
    except NotFoundError:
        champion = None
    windows = recent_windows(ctx, name)
    alerts = monitor.alerts(ctx, model=name, status="open")
    judged = [w for w in windows if "drift_detected" in w["metrics"]]
    latest = judged[0] if judged else None
    drifted = [c for c, _ in latest["drifted"]] if latest else []
    since = None
    for w in judged:  # newest first: the streak of drifted windows up to now
        if not w["metrics"].get("drift_detected"):
            break
        since = w["start"]
    estimated = next((w for w in windows if w["metrics"].get("estimated")), None)
    metric = value = reference = None
    if estimated is not None:
        metric = lead_metric(estimated["metrics"]["estimated"])
        if metric is not None:
            value = estimated["metrics"]["estimated"][metric].get("value")
            reference = (estimated["metrics"].get("reference") or {}).get(metric)
    if not windows:
        level = "unknown"
    elif any(a.severity == "critical" for a in alerts):
        level = "act"
    elif alerts or drifted or (estimated and estimated["metrics"].get("performance_drop")):
        level = "watch"
    else:
        level = "ok"
    why = health_sentence(
        drifted=drifted,
        drift_since=since,
        metric=metric,
        estimated=value,
        reference=reference,
        open_alerts=len(alerts),
        watched=bool(windows),
        now=now,
    )
    newest = windows[0] if windows else None
    return Health(
        model=name,
        level=level,
        why=why,
        champion=champion,
        alias=alias,
        requests=newest["rows"] if newest else 0,
        window=_window_words((newest["end"] - newest["start"]).total_seconds()) if newest else "",
        open_alerts=len(alerts),
        loop=loop_sentence(status["run"], champion),
        drifted=drifted,
        deployed=spec is not None,
        day=traffic(ctx, name, days=1, now=now)["total"],
    )


def overview(ctx: Context) -> list[Health]:
    return [health(ctx, m.name) for m in registry.list_models(ctx)]


def audit_trail(ctx: Context, name: str, limit: int = _AUDIT_LIMIT) -> list[audit.AuditEvent]:
    """The model's recorded changes, newest first."""
    found = audit.events(ctx.db, subject=name, limit=limit * 2)
    mine = [e for e in found if e.subject == name or e.subject[len(name) : len(name) + 1] in "@:/"]
    return list(reversed(mine))[:limit]


def _card(ctx: Context, ref: str) -> dict[str, Any] | None:
    try:
        return governance.model_card(ctx, ref).to_dict()
    except DriftlineError:
        return None


def model_view(ctx: Context, name: str) -> dict[str, Any]:
    """Everything the model page shows, but the charts (their JSON comes from /v1)."""
    versions = registry.list_versions(ctx, name)
    state = health(ctx, name)
    status = loop.status(ctx, name)
    alerts = monitor.alerts(ctx, model=name)[:20]
    champion = state.champion
    card = _card(ctx, f"{name}:{champion}") if champion is not None else None
    return {
        "name": name,
        "health": state,
        "versions": list(reversed(versions)),
        "status": status,
        "run": status["run"],
        "alerts": alerts,
        "card": card,
        "events": audit_trail(ctx, name),
        "previous": _rollback_target(ctx, status["run"], champion),
        "reliability": _reliability(ctx, f"{name}:{champion}") if champion is not None else None,
    }


def _reliability(ctx: Context, ref: str, title: str | None = None) -> Any:
    """The reliability diagram of the version's latest evaluation, when it has probabilities."""
    from driftline import evaluation
    from driftline.report import reliability_svg

    found = evaluation.latest_evaluation(ctx, ref)
    if found is None or found.calibration is None:
        return None
    return reliability_svg(found.calibration, title=title)


def _rollback_target(ctx: Context, run: dict[str, Any] | None, champion: int | None) -> int | None:
    """The version a rollback would go back to, when there is one (as ``loop.rollback`` does)."""
    if run is not None and run["state"] in _ACTIVE:
        return int(run["champion"]) if run["champion"] is not None else None
    name = run["model"] if run is not None else None
    if name is None:
        return None
    promoted = next((r for r in loop.list_runs(ctx, name) if r.state == "promoted"), None)
    if promoted is not None and promoted.candidate == champion:
        return promoted.champion
    return None


def compare_view(ctx: Context, name: str, a: int, b: int) -> dict[str, Any]:
    """Two versions side by side: metrics with intervals, slices, calibration, the gate."""
    sides = []
    for version in (a, b):
        mv = registry.get(ctx, f"{name}:{version}")
        title = f"Calibration of version {version}: predicted probability against what happened"
        sides.append(
            {
                "version": mv,
                "card": _card(ctx, mv.ref) or {},
                "reliability": _reliability(ctx, mv.ref, title),
            }
        )
    metrics = sorted(
        {
            m["metric"]
            for s in sides
            for m in ((s["card"].get("evaluation") or {}).get("metrics") or [])
        }
    )
    return {"name": name, "sides": sides, "metrics": metrics}
