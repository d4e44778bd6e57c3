"""The server's edge: the one place errors become HTTP status codes, and where tokens are checked."""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftline import auth
from driftline.errors import (
    ConfigError,
    ConflictError,
    DriftlineError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
    UnlikeTrainingError,
)

__all__ = ["InternalErrors", "error_response", "requires", "status_for"]

_STATUS: tuple[tuple[type[DriftlineError], int], ...] = (
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnlikeTrainingError, 422),
    (RateLimitedError, 429),
    (InputError, 400),
    (ConfigError, 400),
    (UnavailableError, 503),
)
_TOKEN_CACHE_SECONDS = 5.0

logger = logging.getLogger("driftline.serving")


def status_for(exc: BaseException) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(exc: BaseException, *, method: str, path: str) -> JSONResponse:
    """The answer to a request that raised ``exc``; an internal error is logged, with an id.

    The id is in the answer too, so whoever got the 500 can point at its traceback.
    """
    status = status_for(exc)
    if status == 500:
        incident = uuid.uuid4().hex[:16]
        logger.error("internal error in request %s (%s %s)", incident, method, path, exc_info=exc)
        message = (
            f"internal error ({type(exc).__name__}) in request {incident}; "
            "the server log has its details under that id"
        )
    else:
        message = str(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimitedError):  # whole seconds, as HTTP says; at least 1
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class InternalErrors:
    """ASGI middleware: any exception a route raises and no handler answers becomes a 500.

    It is logged once, with its traceback and an id that the answer repeats.
    """

    def __init__(self, app: ASGIApp, on_error: Callable[[Request, Exception], None]) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            request = Request(scope)
            response = error_response(exc, method=request.method, path=request.url.path)
            self.on_error(request, exc)
            if not started:  # else the client sees its answer cut short; the log says why
                await response(scope, receive, send)


def requires(role: str) -> Callable[[Request], Awaitable[str]]:
    """A dependency giving the caller's name, after checking its token allows ``role``."""

    async def check(request: Request) -> str:
        state = request.app.state.driftline
        if not state.config.auth:
            return str(state.ctx.settings.actor)
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header[:7].lower() == "bearer " else ""
        token = _verify_cached(state, secret)
        if not auth.allows(token.role, role):
            raise ForbiddenError(
                f"this needs the {role!r} role; token {token.id} has {token.role!r}"
            )
        return f"token:{token.name}"

    return check


def _verify_cached(state: Any, secret: str) -> auth.Token:
    # Tokens are checked on every request; a short cache keeps the database out
    # of the hot path while a revocation still takes effect within seconds.
    cache: dict[str, tuple[auth.Token, float]] = state.token_cache
    key = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    token = auth.verify(state.ctx, secret)
    cache[key] = (token, now + _TOKEN_CACHE_SECONDS)
    return token
