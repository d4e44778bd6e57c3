"""Every dashboard answer says how long the server spent on it (the Server-Timing header).

Browsers show it in their developer tools, and the benchmark reads it: it is
the time from the route being called to its answer being ready, without the
network or the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["TimedRoute"]


class TimedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def timed(request: Request) -> Response:
            started = time.perf_counter()
            response = await handler(request)
            spent = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={spent:.1f}"
            return response

        return timed
