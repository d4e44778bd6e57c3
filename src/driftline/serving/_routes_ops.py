"""Health, version and metrics: for load balancers, MLflow clients and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from driftline._version import __version__

router = APIRouter()


@router.get("/ping", tags=["mlflow"])
@router.get("/health", tags=["mlflow"])
async def health(request: Request) -> Response:
    ready = request.app.state.driftline.ready
    return JSONResponse(
        {"status": "ok" if ready else "starting"}, status_code=200 if ready else 503
    )


@router.get("/version", tags=["mlflow"])
async def version() -> PlainTextResponse:
    return PlainTextResponse(__version__)


@router.get("/metrics", tags=["operations"])
async def metrics(request: Request) -> Response:
    return Response(request.app.state.driftline.metrics.render(), media_type=CONTENT_TYPE_LATEST)
