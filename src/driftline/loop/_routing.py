"""The loop's hands on serving: move a canary share, promote, retreat; each a no-op when done.

A running server follows the deployment row (it reloads within a second), so
changing the row is how traffic moves. Each function first reads where things
stand and changes only what differs, so doing a step again after a crash
writes nothing twice: no second deployment, no second alias event.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from driftline import registry
from driftline.errors import NotFoundError
from driftline.serving import DeploymentSpec, deploy, list_deployments

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["CANDIDATE", "PREVIOUS", "champion_alias", "deployment", "drop_alias", "point", "route"]

# The aliases the loop keeps: the version on canary, and the champion it replaced.
CANDIDATE = "candidate"
PREVIOUS = "previous"


def deployment(ctx: Context, model: str) -> DeploymentSpec | None:
    return next((d for d in list_deployments(ctx) if d.model == model), None)


def champion_alias(ctx: Context, model: str) -> str:
    """The alias that answers: the deployment's, or ``champion`` for a model not served here."""
    spec = deployment(ctx, model)
    return spec.alias if spec is not None else "champion"


def route(ctx: Context, model: str, percent: float, *, actor: str) -> None:
    """Give the candidate ``percent`` of the traffic (0: none), keeping the rest as it is."""
    spec = deployment(ctx, model)
    if spec is None:
        return
    canary = CANDIDATE if percent > 0 else None
    if (spec.canary_alias, spec.canary_percent) == (canary, float(percent)):
        return
    deploy(
        ctx,
        model,
        alias=spec.alias,
        canary=canary,
        percent=float(percent),
        shadow=spec.shadow_alias,
        features=spec.features,  # a canary is completed from the same feature views
        actor=actor,
    )


def point(ctx: Context, model: str, version: int, alias: str, *, actor: str) -> None:
    """Point ``alias`` at ``version`` (the registry records the move only when it is one)."""
    registry.set_alias(ctx, model, version, alias, actor=actor)


def drop_alias(ctx: Context, model: str, alias: str, *, actor: str) -> None:
    with contextlib.suppress(NotFoundError):  # gone already
        registry.remove_alias(ctx, model, alias, actor=actor)
