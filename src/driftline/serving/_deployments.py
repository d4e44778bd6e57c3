"""Deployments: which alias of a model answers, which gets a canary share, which a shadow copy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftline import audit, registry
from driftline.errors import DriftlineError, InputError, NotFoundError
from driftline.features import FeatureBinding
from driftline.guard import GuardPolicy
from driftline.registry import ModelRuntime
from driftline.serving._features import check_feature_inputs
from driftline.store import DeploymentRow

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["DeploymentSpec", "deploy", "list_deployments", "undeploy"]


@dataclasses.dataclass(frozen=True)
class DeploymentSpec:
    model: str
    alias: str
    canary_alias: str | None = None
    canary_percent: float = 0.0
    shadow_alias: str | None = None
    features: FeatureBinding | None = None  # inputs completed from feature views
    guard: GuardPolicy | None = None  # input guard, output hardening, rate limits

    def refs(self) -> dict[str, str]:
        """Route name -> model reference."""
        out = {"champion": f"{self.model}@{self.alias}"}
        if self.canary_alias and self.canary_percent > 0:
            out["canary"] = f"{self.model}@{self.canary_alias}"
        if self.shadow_alias:
            out["shadow"] = f"{self.model}@{self.shadow_alias}"
        return out

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _spec(row: DeploymentRow) -> DeploymentSpec:
    return DeploymentSpec(
        row.model,
        row.alias,
        row.canary_alias,
        float(row.canary_percent),
        row.shadow_alias,
        FeatureBinding.from_dict(row.features) if row.features else None,
        GuardPolicy.from_dict(row.guard) if row.guard else None,
    )


def deploy(
    ctx: Context,
    model: str,
    *,
    alias: str = "champion",
    canary: str | None = None,
    percent: float = 0.0,
    shadow: str | None = None,
    features: FeatureBinding | None = None,
    guard: GuardPolicy | None = None,
    actor: str | None = None,
) -> DeploymentSpec:
    """Create or change the deployment of ``model``; every alias must resolve and serve now.

    Each version is loaded and answers one row before anything is written, as the
    server would load it, so a version the server could not serve is refused here
    rather than found out by the server.
    """
    if not math.isfinite(percent) or not 0 <= percent <= 100:
        raise InputError(f"--percent must be between 0 and 100, got {percent!r}")
    if canary is None and percent:
        raise InputError("--percent needs --canary: which alias gets that share of traffic?")
    if canary is not None and not percent:
        raise InputError("--canary needs --percent: how much of the traffic should it answer?")
    spec = DeploymentSpec(model, alias, canary, float(percent), shadow, features, guard)
    for ref in spec.refs().values():
        _check_servable(ctx, ref)
        if features is not None:
            check_feature_inputs(ctx, model, ref, features)
    with ctx.db.write() as s:
        row = s.get(DeploymentRow, model)
        now = dt.datetime.now(dt.UTC)
        if row is None:
            s.add(
                DeploymentRow(
                    model=model,
                    alias=alias,
                    canary_alias=canary,
                    canary_percent=float(percent),
                    shadow_alias=shadow,
                    updated_at=now,
                    features=features.to_dict() if features else None,
                    guard=guard.to_dict() if guard else None,
                )
            )
        else:
            row.alias, row.canary_alias, row.canary_percent = alias, canary, float(percent)
            row.shadow_alias, row.updated_at = shadow, now
            row.features = features.to_dict() if features else None
            row.guard = guard.to_dict() if guard else None
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="deploy",
            subject=model,
            payload=spec.to_dict(),
        )
    return spec


def _check_servable(ctx: Context, ref: str) -> None:
    mv = registry.get(ctx, ref)  # NotFoundError names what is missing
    try:
        ModelRuntime.load(ctx, mv)  # no signature, a bad file, untrusted types: each says so
    except DriftlineError:
        raise
    except Exception as exc:
        raise InputError(
            f"{mv.ref} ({ref}) cannot be served: loaded, it failed to answer one row "
            f"({type(exc).__name__}: {exc}); fix the model and register it again"
        ) from exc


def undeploy(ctx: Context, model: str, *, actor: str | None = None) -> None:
    with ctx.db.write() as s:
        row = s.get(DeploymentRow, model)
        if row is None:
            raise NotFoundError(f"model {model!r} is not deployed")
        s.delete(row)
        audit.append(s, actor=actor or ctx.settings.actor, action="undeploy", subject=model)


def deployments_stamp(ctx: Context) -> tuple[Any, ...]:
    """Every deployment row as it stands: equal between two calls when none changed."""
    with ctx.db.read() as s:
        table = DeploymentRow.__table__
        rows = s.execute(select(table).order_by(table.c.model))
        return tuple(tuple(_hashable(v) for v in row) for row in rows)


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def list_deployments(ctx: Context) -> list[DeploymentSpec]:
    with ctx.db.read() as s:
        return [_spec(r) for r in s.scalars(select(DeploymentRow).order_by(DeploymentRow.model))]
