"""Read-only /v1 endpoints behind the dashboard's charts; scripts and the SDK may use them too.

A caller is either a signed-in browser (the session cookie) or a program
with ``Authorization: Bearer dl_...``; either needs at least the viewer role.
Series are cut to ``points`` (what a chart is wide), never the raw windows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from driftline import auth, serving
from driftline.errors import DriftlineError, UnauthenticatedError
from driftline.ui import _history, _traffic
from driftline.ui._state import ui
from driftline.ui._timing import TimedRoute

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["dashboard"], route_class=TimedRoute)


def _caller(request: Request) -> None:
    state = ui(request)
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        auth.verify(state.ctx, header[7:].strip())  # every role may read
        return
    if state.session(request) is None:
        raise UnauthenticatedError(
            "sign in to the dashboard, or send 'Authorization: Bearer dl_...' with a viewer token"
        )


def _answer(request: Request, build: Any) -> Response:
    try:
        _caller(request)
        body = build(ui(request).ctx)
    except DriftlineError as exc:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthenticatedError) else None
        return JSONResponse(
            {"error": str(exc)}, status_code=serving.status_for(exc), headers=headers
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _when(text: str | None) -> dt.datetime | None:
    from driftline import monitor

    return monitor.parse_since(text, now=dt.datetime.now(dt.UTC)) if text else None


@router.get("/health")
def overview(request: Request) -> Response:
    """Every model's health light, with the sentence that explains it."""
    from driftline.ui import _views  # the services, imported when first asked for

    return _answer(request, lambda ctx: [_health_dict(h) for h in _views.overview(ctx)])


@router.get("/models/{name}/health")
def health(request: Request, name: str) -> Response:
    from driftline.ui import _views

    return _answer(request, lambda ctx: _health_dict(_views.health(ctx, name)))


@router.get("/models/{name}/history")
def history(
    request: Request,
    name: str,
    since: str | None = Query(None, description="ISO date-time or a period back, like 30d"),
    until: str | None = Query(None, description="ISO date-time"),
    points: int = Query(400, ge=2, le=_history.MAX_POINTS, description="Points per series"),
) -> Response:
    """Monitoring windows over time: traffic, drift per input, estimated and realized performance."""
    state = ui(request)

    def build(ctx: Any) -> dict[str, Any]:
        from driftline import registry

        registry.get(ctx, name)  # an unknown model is not found, not empty
        return state.cached(
            ("history", name, since, until, points),
            _history.fingerprint(ctx, name),
            lambda: _history.history(
                ctx, name, since=_when(since), until=_when(until), points=points
            ),
        )

    return _answer(request, build)


@router.get("/models/{name}/traffic")
def traffic(
    request: Request,
    name: str,
    days: int = Query(
        7,
        ge=1,
        le=_traffic.MAX_DAYS,
        description=f"Days back; up to {_traffic.HOURLY_DAYS} hour by hour, beyond day by day",
    ),
) -> Response:
    """Requests, failures and latency over the last days, from the inference log."""

    def build(ctx: Any) -> dict[str, Any]:
        from driftline import registry

        registry.get(ctx, name)
        return _traffic.traffic(ctx, name, days=days)

    return _answer(request, build)


def _health_dict(h: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(h), "word": h.word, "colour": h.colour}
