"""The FastAPI application: protocols mounted, errors mapped at the edge, lifecycle managed."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from driftline._version import __version__
from driftline.errors import DriftlineError
from driftline.serving import (
    _openapi,
    _outcomes,
    _routes_mlflow,
    _routes_ops,
    _routes_v1,
    _routes_v2,
)
from driftline.serving._edge import InternalErrors, error_response, status_for
from driftline.serving._fast import FastPath
from driftline.serving._guarded import CallerScope
from driftline.serving._state import ServerConfig, ServerState
from driftline.settings import ENV_PREFIX, Settings
from driftline.store import Context

__all__ = ["create_app", "create_app_from_env"]

CONFIG_ENV = f"{ENV_PREFIX}SERVE_CONFIG"
SUPERVISOR_ENV = f"{ENV_PREFIX}SUPERVISOR_PID"  # set by `serve --workers N` for its workers
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


class _App(FastAPI):
    """FastAPI, with plain predictions answered ahead of its middleware (see ``_fast``)."""

    def build_middleware_stack(self) -> ASGIApp:
        return CallerScope(FastPath(super().build_middleware_stack(), self.state.driftline))


def create_app(ctx: Context, config: ServerConfig | None = None) -> FastAPI:
    """The HTTP service for every model deployed in ``ctx``."""
    state = ServerState(ctx, config or ServerConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    options: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        # driftline exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks
        # probe the tracer providers on every request (about 10% of a request's CPU).
        options["telemetry"] = {"tracing": False, "metrics": False, "logs": False}
    app = _App(
        title="driftline",
        version=__version__,
        summary="Models served with Open Inference Protocol V2, MLflow scoring and a native /v1 API.",
        lifespan=lifespan,
        **options,
    )
    app.state.driftline = state

    @app.exception_handler(DriftlineError)
    async def _driftline_error(request: Request, exc: DriftlineError) -> Response:
        _count_error(request, exc)
        return error_response(exc, method=request.method, path=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = (
            f"{where}: {first.get('msg', 'invalid request')}"
            if where
            else str(first.get("msg", exc))
        )
        return JSONResponse({"error": message}, status_code=400)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    # What no handler above answers; not an Exception handler, which Starlette gives to
    # its outermost middleware, and that one answers and then raises again, so uvicorn
    # would log each failure a second time, without its id.
    app.add_middleware(InternalErrors, on_error=_count_error)

    for router in (_routes_ops.router, _routes_v2.router, _routes_mlflow.router, _routes_v1.router):
        app.include_router(router)
    app.include_router(_outcomes.router)
    _openapi.install(app, state)
    return app


def _count_error(request: Request, exc: BaseException) -> None:
    """Count a failed request in the metrics, as the fast path and the routes do."""
    model = request.path_params.get("model") or request.path_params.get("name") or "-"
    metrics = request.app.state.driftline.metrics
    metrics.errors.labels(model, type(exc).__name__).inc()
    path = request.url.path
    protocol = "v2" if path.startswith("/v2") else "v1" if path.startswith("/v1") else "mlflow"
    metrics.requests.labels(model, "-", protocol, str(status_for(exc))).inc()


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the workspace from DRIFTLINE_*, the server config as JSON."""
    _end_with_supervisor()
    raw = os.environ.get(CONFIG_ENV, "{}")
    config = ServerConfig(**json.loads(raw))
    return create_app(Context.open(Settings.load(), create=False), config)


def _end_with_supervisor() -> None:
    """Have this worker told to stop (SIGTERM) when its supervisor dies, even by kill -9.

    Without it a worker outlives its supervisor and keeps answering on the shared
    port, with nothing left to restart it, stop it or roll it to a new version.
    Linux only (``PR_SET_PDEATHSIG``); elsewhere workers keep the old behaviour.
    """
    raw = os.environ.get(SUPERVISOR_ENV)
    if not raw or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(raw):  # the supervisor died before we asked to hear of it
        os.kill(os.getpid(), signal.SIGTERM)
