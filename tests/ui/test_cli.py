"""``driftline ui`` alone and ``driftline serve`` with the dashboard, as real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from driftline import Workspace


def _command() -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process ended: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within 60 s")


@pytest.mark.parametrize("command", [["ui"], ["serve"]])
def test_the_dashboard_comes_up(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "ws"
    Workspace.init(home).close()
    port = _port()
    log = tmp_path / "out.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*_command(), "--home", str(home), *command, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _ready(f"{url}/ui/signin", process, log)
        assert httpx.get(f"{url}/ui/static/uplot/uPlot.iife.min.js").status_code == 200
        assert httpx.get(f"{url}/ui/").status_code == 303  # sign in first
        assert f"{url}/ui/" in log.read_text()  # it says where the dashboard is
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
