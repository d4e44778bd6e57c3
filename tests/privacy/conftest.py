"""A server on a loopback port for the workspace scan: uvicorn in a thread, real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from driftline import Workspace


@dataclass
class RunningServer:
    url: str
    app: Any

    @property
    def state(self) -> Any:
        return self.app.state.driftline


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def serve() -> Iterator[Callable[[Workspace], RunningServer]]:
    import uvicorn

    from driftline.serving import ServerConfig, create_app

    stops: list[Callable[[], None]] = []

    def start(workspace: Workspace) -> RunningServer:
        app = create_app(workspace.context, ServerConfig(freeze_gc=False))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()

        stops.append(stop)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        deadline = time.monotonic() + 60
        while not _ready(url):
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the server did not become ready within 60 s")
            time.sleep(0.05)  # polling interval; readiness is the condition
        return RunningServer(url, app)

    yield start
    for stop in reversed(stops):
        stop()
