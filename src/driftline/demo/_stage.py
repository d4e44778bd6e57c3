"""The stage: a real server on a loopback port, a real HTTP client, and the clock it keeps.

The server is ``driftline.serving.create_app`` under uvicorn in a thread of
this process, so the story can look at what it routes; everything the story
sends goes over HTTP, as any client's requests would.

Monitoring cuts the inference log into windows aligned to the clock, so each
simulated month gets one window of ``period`` seconds: its labels and the
loop's look happen in the window's first half, its traffic in the second.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from driftline.errors import DriftlineError

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["Clock", "Stage", "wait_for"]


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it holds; a clear error after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DriftlineError(f"the demo waited {timeout:g} s for {what}, in vain")
        time.sleep(0.05)  # the polling interval; the condition decides


class Stage:
    """The served workspace (models and dashboard) under uvicorn, and an HTTP client to it."""

    def __init__(self, ctx: Context, model: str, *, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        from driftline import ui
        from driftline.serving import ServerConfig, create_app

        self.model = model
        # The models and the dashboard at /ui, as `driftline serve` has them.
        self.app = ui.mount(
            create_app(ctx, ServerConfig(freeze_gc=False, reload_interval_s=0.2)), ctx
        )
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        wait_for(lambda: self.app.state.driftline.ready, timeout=120, what="the server to start")
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def routing(self) -> tuple[float, dict[str, int]]:
        """The canary's share and the versions the server answers with, as it routes now."""
        deployed = self.app.state.driftline.deployments[self.model]
        return float(deployed.spec.canary_percent), dict(deployed.versions)

    def predict(self, records: list[dict[str, Any]], *, key: str | None = None) -> dict[str, Any]:
        """Score ``records``; the same ``key`` always lands on the same side of a canary."""
        body: dict[str, Any] = {"records": records}
        if key is not None:
            body["key"] = key
        response = self.http.post(f"/v1/models/{self.model}/predict", json=body)
        if response.status_code != 200:
            raise DriftlineError(f"the server refused a request: {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    def labels(self, pairs: list[tuple[str, int]]) -> None:
        for start in range(0, len(pairs), 500):
            part = [{"request_id": rid, "label": y} for rid, y in pairs[start : start + 500]]
            response = self.http.post(f"/v1/models/{self.model}/labels", json={"labels": part})
            if response.status_code != 200:
                raise DriftlineError(f"the server refused labels: {response.text}")

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


class Clock:
    """Whole-second monitoring windows, one per simulated month."""

    def __init__(self, period: int) -> None:
        self.period = period

    @property
    def window(self) -> str:
        return f"{self.period}s"

    def next_start(self) -> float:
        """Wait for the start of the next window; its start, in Unix seconds."""
        now = time.time()
        start = math.floor(now / self.period + 1) * self.period
        self.until(start)
        return float(start)

    def until(self, when: float) -> None:
        """Wait until the wall clock reads ``when`` (pacing the months, not synchronizing)."""
        while (left := when - time.time()) > 0:
            time.sleep(min(left, 0.2))
