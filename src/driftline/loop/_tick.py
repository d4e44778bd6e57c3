"""The loop's heartbeat: watch each model with a policy, retrain on its alerts, move runs on.

A tick is idempotent and safe to run from cron: it takes the workspace's
loop lock (one tick at a time), loads each model's policy from
``<workspace>/policies/NAME.toml`` (checked on every load; a bad file stops
the loop for that model and says why), runs monitoring over the complete
windows not judged yet, starts a retraining when an alert the policy names
is open (unless the cooldown or the attempts per alert forbid it), and moves
each run as far as it can go. ``run`` repeats ticks until stopped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from driftline import monitor, registry
from driftline.errors import ConfigError, ConflictError, InputError
from driftline.loop import _runs
from driftline.loop._lock import tick_lock
from driftline.loop._machine import Clock, advance
from driftline.loop._policies import POLICIES, load_policy
from driftline.loop._policy import LoopPolicy
from driftline.loop._routing import deployment
from driftline.loop._traffic import Estimators
from driftline.loop._words import duration
from driftline.store import LoopRunRow, MonitorWindowRow, as_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from driftline.loop._runs import LoopRun
    from driftline.store import Context

__all__ = ["ModelTick", "TickReport", "run", "tick"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
logger = logging.getLogger("driftline.loop")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class ModelTick:
    """What one tick did for one model."""

    model: str
    run: LoopRun | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "run": self.run.to_dict() if self.run else None,
            "notes": list(self.notes),
            "error": self.error,
        }

    @property
    def lines(self) -> list[str]:
        out = (
            [f"{self.model}: the policy is not usable, so the loop leaves it alone: {self.error}"]
            if self.error
            else []
        )
        out += [f"{self.model}: {n}" for n in self.notes]
        if self.run is not None:
            out.append(f"{self.model}: {self.run.sentence}")
        return out


@dataclasses.dataclass(frozen=True)
class TickReport:
    at: dt.datetime
    ran: bool
    models: tuple[ModelTick, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "ran": self.ran,
            "models": [m.to_dict() for m in self.models],
        }

    @property
    def lines(self) -> list[str]:
        if not self.ran:
            return ["another loop tick is running in this workspace; this one did nothing"]
        if not self.models:
            return ["no model has a policy or a loop run yet; give one with 'driftline policy set'"]
        return [line for m in self.models for line in m.lines]


def tick(
    ctx: Context,
    *,
    actor: str = "loop",
    clock: Clock = _now,
    estimators: Estimators | None = None,
) -> TickReport:
    """One pass of the loop over every model with a policy or a run under way."""
    estimators = estimators or Estimators()
    with tick_lock(ctx) as held:
        if not held:
            return TickReport(clock(), False)
        folder = ctx.home / POLICIES
        named = {p.stem for p in folder.glob("*.toml")} if folder.is_dir() else set()
        models = sorted(named | {r.model for r in _active(ctx)})
        done = tuple(_model(ctx, m, actor, clock, estimators) for m in models)
        return TickReport(clock(), True, done)


def _active(ctx: Context) -> list[LoopRun]:
    return [r for r in _runs.list_runs(ctx) if r.active]


def _model(ctx: Context, model: str, actor: str, clock: Clock, estimators: Estimators) -> ModelTick:
    run = _runs.active_run(ctx, model)
    try:
        policy = load_policy(ctx, model)
    except ConfigError as exc:
        return ModelTick(model, run, (), str(exc))
    notes: list[str] = []
    if policy.retrain is not None:
        notes += _watch(ctx, model, policy, actor, clock())
        if run is None:
            notes += _maybe_start(ctx, model, policy, actor, clock())
            run = _runs.active_run(ctx, model)
    if run is not None:
        try:
            run = advance(ctx, run, policy, actor=actor, clock=clock, estimators=estimators)
        except ConflictError as exc:  # moved by a person meanwhile: the next tick sees it
            notes.append(str(exc))
            run = _runs.get_run(ctx, run.id)
    return ModelTick(model, run, tuple(notes))


def _watch(ctx: Context, model: str, policy: LoopPolicy, actor: str, now: dt.datetime) -> list[str]:
    """Monitor the champion's complete windows not judged yet."""
    spec = deployment(ctx, model)
    if spec is None:
        return [f"{model} is not deployed, so there is no traffic to watch"]
    mp = policy.monitor
    period = monitor.parse_period(mp.window)
    champion = registry.get(ctx, f"{model}@{spec.alias}")
    until = _EPOCH + ((now - _EPOCH) // period) * period - dt.timedelta(microseconds=1)
    since = max(now - mp.lookback, _last_window(ctx, model, champion.version) or _EPOCH)
    if until <= since:
        return []
    try:
        found = monitor.run(
            ctx,
            champion.ref,
            window=mp.window,
            since=since,
            until=until,
            rules=mp.rules or monitor.DEFAULT_RULES,
            actor=actor,
            reference=mp.reference,
            target=mp.target if mp.reference is not None else None,
        )
    except InputError as exc:
        return [f"monitoring skipped: {exc}"]
    return [a.message for a in found.opened]


def _last_window(ctx: Context, model: str, version: int) -> dt.datetime | None:
    with ctx.db.read() as s:
        last = s.scalar(
            select(func.max(MonitorWindowRow.window_start)).where(
                MonitorWindowRow.model == model, MonitorWindowRow.version == version
            )
        )
    return as_utc(last) if last is not None else None


def _maybe_start(
    ctx: Context, model: str, policy: LoopPolicy, actor: str, now: dt.datetime
) -> list[str]:
    """Start a retraining for the newest open alert the policy names, if the limits allow."""
    rp = policy.retrain
    if rp is None:
        return []
    rules = [r.name for r in (policy.monitor.rules or monitor.DEFAULT_RULES)]
    wanted = set(rp.on or rules)
    alerts = [a for a in monitor.alerts(ctx, model=model, status="open") if a.rule in wanted]
    if not alerts:
        return []
    alert = alerts[0]
    spec = deployment(ctx, model)
    champion = registry.get(ctx, f"{model}@{spec.alias if spec else 'champion'}").version

    def limits(s: Session) -> None:
        tries = (
            s.scalar(
                select(func.count()).select_from(LoopRunRow).where(LoopRunRow.alert_id == alert.id)
            )
            or 0
        )
        if tries >= rp.max_attempts:
            raise ConflictError(
                f"the alert {alert.rule!r} already started {tries} retraining(s) of {model}, the "
                f"most its policy allows ([retrain] max_attempts); version {champion} keeps "
                "serving until the alert clears"
            )
        last = s.scalar(
            select(func.max(LoopRunRow.created_at)).where(
                LoopRunRow.model == model, LoopRunRow.trigger == "alert"
            )
        )
        if last is not None and now - as_utc(last) < policy.cooldown:
            ready = as_utc(last) + policy.cooldown
            raise ConflictError(
                f"{model} was last retrained {duration(now - as_utc(last))} ago; its policy's "
                f"cooldown of {duration(policy.cooldown)} lets the next retraining start at "
                f"{ready:%Y-%m-%d %H:%M} UTC"
            )

    try:
        _runs.create(
            ctx,
            model,
            state="retraining",
            trigger="alert",
            actor=actor,
            champion=champion,
            alert_id=alert.id,
            details={"alert_rule": alert.rule, "alert_message": alert.message},
            check=limits,
        )
    except ConflictError as exc:
        return [str(exc)]
    return [f"retraining {model} after the alert {alert.rule!r}: {alert.message}"]


def run(
    ctx: Context,
    *,
    every: dt.timedelta | None = None,
    stop: threading.Event | None = None,
    ticks: int | None = None,
    on_tick: Callable[[TickReport], None] | None = None,
) -> int:
    """Tick until ``stop`` is set (or ``ticks`` ticks); returns how many ran.

    Between ticks it waits ``every``, or the shortest ``[rollout] interval``
    of the policies (one minute without any). A tick that fails is logged and
    the next one tries again.
    """
    stop = stop or threading.Event()
    estimators = Estimators()
    count = 0
    while not stop.is_set():
        try:
            report = tick(ctx, estimators=estimators)
        except Exception as exc:  # the database is down, say: the next tick tries again
            logger.error("the loop's tick failed: %s", exc, exc_info=exc)
        else:
            if on_tick is not None:
                on_tick(report)
        count += 1
        if ticks is not None and count >= ticks:
            break
        stop.wait((every or _interval(ctx)).total_seconds())
    return count


def _interval(ctx: Context) -> dt.timedelta:
    folder = ctx.home / POLICIES
    found = []
    for path in folder.glob("*.toml") if folder.is_dir() else []:
        try:
            found.append(LoopPolicy.load(path).rollout.interval)
        except ConfigError:
            continue
    return min(found, default=dt.timedelta(minutes=1))
