"""``driftline serve`` and the CLI run as processes, as a user would.

Their ``DRIFTLINE_*`` variables are removed: a home's ``driftline.toml`` says
everything, so a server, the CLI and the test read the same settings.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest


def _driftline() -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)  # polling interval; the condition decides


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    output: Path

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def metric(self, name: str) -> float:
        """A Prometheus sample's value from /metrics (0 when absent)."""
        for line in httpx.get(f"{self.url}/metrics", timeout=5).text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def predict(self, records: list[dict[str, float]]) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/v1/models/credit/predict", json={"records": records})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def label(self, labels: dict[str, int]) -> None:
        body = {"labels": [{"request_id": k, "label": v} for k, v in labels.items()]}
        r = httpx.post(f"{self.url}/v1/models/credit/labels", json=body)
        assert r.status_code == 200 and r.json()["accepted"] == len(labels), r.text

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Path], Server]]:
    """Start ``driftline --home HOME serve`` on a free loopback port; stopped afterwards."""
    started: list[Server] = []

    def start(home: Path) -> Server:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        output = tmp_path / f"serve-{len(started)}.log"
        with open(output, "wb") as out:
            process = subprocess.Popen(
                [*_driftline(), "--home", str(home), "serve", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_env(),
            )
        server = Server(process, f"http://127.0.0.1:{port}", output)
        started.append(server)
        wait_until(
            lambda: server.ready() or process.poll() is not None,
            timeout=90,
            what="driftline serve to be ready",
        )
        if process.poll() is not None:
            pytest.fail(f"driftline serve exited:\n{output.read_text(errors='replace')}")
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.process.wait(timeout=10)


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``driftline --home HOME ARGS`` as a process, as a user would."""

    def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_driftline(), "--home", str(home), *args],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )

    return run


@pytest.fixture
def until() -> Callable[..., Any]:
    """:func:`wait_until`: poll a condition with a deadline instead of sleeping."""
    return wait_until
