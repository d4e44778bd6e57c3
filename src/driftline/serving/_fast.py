"""A fast path for V2 inference: answered below FastAPI's routing and dependency machinery.

Under load, FastAPI's per-request routing, dependency solving and exception
stack cost about as much CPU as everything driftline does for a numeric
request. This ASGI middleware answers ``POST /v2/models/{m}/infer`` itself,
through the same function the FastAPI route uses, so the answers, errors and
metrics are identical. With authentication on, requests take the full stack,
where tokens are checked.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from driftline.serving import _oip
from driftline.serving._edge import error_response, status_for
from driftline.serving._routes_v2 import infer_body

__all__ = ["InferFastPath"]

_INFER = re.compile(r"^/v2/models/([^/]+)/infer$")
_HEADER_LENGTH = _oip.HEADER_LENGTH.lower().encode("latin-1")


class InferFastPath:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            _INFER.match(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST" and not self.state.config.auth
            else None
        )
        if match is None:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        model = match.group(1)
        status = 200
        try:
            raw_length = next((v for k, v in scope["headers"] if k == _HEADER_LENGTH), None)
            header_length = _oip.parse_header_length(
                raw_length.decode("latin-1") if raw_length is not None else None
            )
            body, headers = await infer_body(
                self.state, model, None, b"".join(chunks), header_length
            )
        except Exception as exc:  # every error becomes its status here, as at the edge
            status = status_for(exc)
            response = error_response(exc)
            body, headers = bytes(response.body), {"content-type": "application/json"}
            metrics = self.state.metrics
            metrics.errors.labels(model, type(exc).__name__).inc()
            metrics.requests.labels(model, "-", "v2", str(status)).inc()
        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]
        raw_headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
