"""The guard in the request path: who is calling, and each deployment's ``Guard``.

``CallerScope`` sits outermost and notes, for the request being answered, the
client's address and (when it sent a bearer token) the digest of its secret;
the prediction path reads them back through a context variable, whichever way
the request came (the fast path or a FastAPI route). The token's name is found
from the digest among the tokens the edge has just verified: the secret itself
is never kept.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
from typing import Any

import numpy as np
import pandas as pd
from starlette.types import ASGIApp, Receive, Scope, Send

from driftline.errors import RateLimitedError
from driftline.guard import Buckets, Guard, Scores, open_buckets, open_sweep_alert
from driftline.registry import Prediction
from driftline.serving._router import Deployment, Route

__all__ = ["CallerScope", "Guards"]

logger = logging.getLogger("driftline.serving")

# (digest of the bearer secret or None, client address or None) of the current request.
_CALLER: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "driftline_caller", default=(None, None)
)


class CallerScope:
    """ASGI middleware: remember the caller of each HTTP request for the guard."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            digest = None
            for name, value in scope["headers"]:
                if name == b"authorization" and value[:7].lower() == b"bearer ":
                    secret = value[7:].decode("latin-1").strip()
                    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
                    break
            _CALLER.set((digest, client[0] if client else None))
        await self.app(scope, receive, send)


class Guards:
    """The ``Guard`` of each deployed model with a guard policy, rebuilt when the policy changes."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self._guards: dict[str, Guard] = {}
        # Opened with the first rate limit: shared by this server's workers (see guard).
        self._buckets: Buckets | None = None

    def of(self, deployment: Deployment) -> Guard | None:
        policy = deployment.spec.guard
        if policy is None:
            return None
        model = deployment.spec.model
        guard = self._guards.get(model)
        if guard is None or guard.policy != policy:
            if policy.limits and self._buckets is None:
                self._buckets = open_buckets(self.state.ctx.settings)
            guard = self._guards[model] = Guard(
                self.state.ctx, model, policy, buckets=self._buckets
            )
        return guard

    def close(self) -> None:
        if self._buckets is not None:
            self._buckets.close()
            self._buckets = None

    def caller(self) -> tuple[str | None, str | None]:
        """The current request's token name (when it sent a known token) and address."""
        digest, address = _CALLER.get()
        name = None
        if digest is not None:
            hit = self.state.token_cache.get(digest)
            if hit is not None:
                name = str(hit[0].name)
        return name, address

    def admit(self, guard: Guard, rows: int) -> None:
        try:
            guard.admit(*self.caller(), rows)
        except RateLimitedError:
            self.state.metrics.guard.labels(guard.model, "rate_limited").inc()
            raise

    def check(
        self, guard: Guard, route: Route, frame: pd.DataFrame | np.ndarray, names: list[str]
    ) -> Scores | None:
        scores = guard.check(route.runtime.version, frame, names)
        if scores is not None and scores.unlike.any():
            self.state.metrics.guard.labels(guard.model, "unlike_training").inc(
                int(scores.unlike.sum())
            )
        return scores

    def after(
        self,
        guard: Guard,
        route: Route,
        frame: pd.DataFrame | np.ndarray,
        names: list[str],
        prediction: Prediction,
        scores: Scores | None,
    ) -> Prediction:
        """The answer the caller may see; a sweep by this caller opens its alert."""
        token, address = self.caller()
        who = f"token {token!r}" if token is not None else f"address {address}"
        if token is not None or address is not None:
            try:
                finding = guard.watch(who, route.runtime.version, frame, names, scores)
            except Exception:  # the watch never fails an answer
                logger.exception("query-sweep watch failed for %s", guard.model)
                finding = None
            if finding is not None:
                self.state.metrics.guard.labels(guard.model, "sweep").inc()
                self.state._spawn(
                    asyncio.to_thread(open_sweep_alert, self.state.ctx, guard.model, who, finding)
                )
        return guard.harden(prediction)
