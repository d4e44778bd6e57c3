"""Health, version and metrics: for load balancers, MLflow clients and Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from driftline._version import __version__

router = APIRouter()
_STATUS = {"type": "object", "properties": {"status": {"enum": ["ok", "starting"]}}}
_HEALTH: dict[int | str, dict[str, Any]] = {
    200: {"description": "Ready.", "content": {"application/json": {"schema": _STATUS}}},
    503: {"description": "Still starting.", "content": {"application/json": {"schema": _STATUS}}},
}


@router.get("/ping", tags=["mlflow"], responses=_HEALTH)
@router.get("/health", tags=["mlflow"], responses=_HEALTH)
async def health(request: Request) -> Response:
    ready = request.app.state.driftline.ready
    return JSONResponse(
        {"status": "ok" if ready else "starting"}, status_code=200 if ready else 503
    )


@router.get("/version", tags=["mlflow"], response_class=PlainTextResponse)
async def version() -> PlainTextResponse:
    return PlainTextResponse(__version__)


@router.get(
    "/metrics",
    tags=["operations"],
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.driftline.metrics.render(), media_type=CONTENT_TYPE_LATEST)
