"""A fast path for predictions: answered ahead of FastAPI's middleware, routing and dependencies.

Under load, FastAPI's per-request middleware, routing, dependency solving and
body models cost about as much CPU as everything driftline does for a numeric
request. This ASGI middleware sits outermost and answers two requests itself:

* ``POST /v2/models/{m}/infer``, through the same function the FastAPI route
  uses (``_routes_v2.infer_body``);
* ``POST /v1/models/{m}/predict`` when the body is plainly numeric records
  (``_routes_v1.predict_fast``); anything else, including every malformed
  body, is handed on to the FastAPI route with its body, so the error
  messages are the route's.

Answers, errors and metrics are the same either way. With authentication on,
every request takes the full stack, where tokens are checked.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftline.serving import _oip
from driftline.serving._edge import error_response, status_for
from driftline.serving._routes_v1 import predict_fast
from driftline.serving._routes_v2 import infer_body

__all__ = ["FastPath"]

_INFER = re.compile(r"^/v2/models/([^/]+)/infer$")
_PREDICT = re.compile(r"^/v1/models/([^/]+)/predict$")
_HEADER_LENGTH = _oip.HEADER_LENGTH.lower().encode("latin-1")
_JSON_HEADERS = {"content-type": "application/json"}
_JSON_RAW = (b"content-type", b"application/json")


class FastPath:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or self.state.config.auth:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        v2 = _INFER.match(path)
        v1 = _PREDICT.match(path) if v2 is None else None
        if v2 is None and v1 is None:
            await self.app(scope, receive, send)
            return
        raw = await _read_body(receive)
        if raw is None:
            return  # the client went away
        model = (v2 or v1).group(1)  # type: ignore[union-attr]
        protocol = "v2" if v2 is not None else "v1"
        status = 200
        answer: tuple[bytes, dict[str, str]] | None
        try:
            if v2 is not None:
                header = next((v for k, v in scope["headers"] if k == _HEADER_LENGTH), None)
                header_length = _oip.parse_header_length(
                    header.decode("latin-1") if header is not None else None
                )
                answer = await infer_body(self.state, model, None, raw, header_length)
            else:
                records = await predict_fast(self.state, model, raw)
                answer = (records, _oip.JSON_HEADERS) if records is not None else None
        except Exception as exc:  # every error becomes its status here, as at the edge
            status = status_for(exc)
            response = error_response(exc, method="POST", path=path)
            retry = response.headers.get("retry-after")  # a rate limit says when to come back
            answer = (
                bytes(response.body),
                ({**_JSON_HEADERS, "retry-after": retry} if retry else _JSON_HEADERS),
            )
            metrics = self.state.metrics
            metrics.errors.labels(model, type(exc).__name__).inc()
            metrics.requests.labels(model, "-", protocol, str(status)).inc()
        if answer is None:  # not plain numeric records: the route decides, and words errors
            await self.app(scope, _replay(raw, receive), send)
            return
        body, headers = answer
        length = (b"content-length", b"%d" % len(body))
        if headers is _oip.JSON_HEADERS:  # nearly every answer: its headers encoded once
            raw_headers = [_JSON_RAW, length]
        else:
            raw_headers = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ]
            raw_headers.append(length)
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then what the client sends next."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
