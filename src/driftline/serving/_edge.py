"""The server's edge: the one place errors become HTTP status codes, and where tokens are checked."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from driftline import auth
from driftline.errors import (
    ConfigError,
    ConflictError,
    DriftlineError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)

__all__ = ["error_response", "requires", "status_for"]

_STATUS: tuple[tuple[type[DriftlineError], int], ...] = (
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputError, 400),
    (ConfigError, 400),
    (UnavailableError, 503),
)
_TOKEN_CACHE_SECONDS = 5.0


def status_for(exc: BaseException) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(exc: BaseException) -> JSONResponse:
    status = status_for(exc)
    message = (
        str(exc) if status != 500 else f"internal error ({type(exc).__name__}); see the server log"
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


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
