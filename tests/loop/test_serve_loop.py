"""``driftline serve --loop``: the loop ticks inside the server's process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from driftline import loop

from .conftest import build, fit, make_rows
from .test_loop_states import POLICY


def _driftline() -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "driftline.cli"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow  # about 10 s: a server process starts
def test_serve_with_the_loop_moves_a_rollout_on(tmp_path: Path) -> None:
    world = build(tmp_path / "ws", f"sqlite:///{tmp_path / 'ws' / 'driftline.db'}")
    world.policy(POLICY.replace("[rollout]\n", '[rollout]\ninterval = "1s"\n'))
    rows = make_rows(world.rng, 500)
    world.ws.register("shop", fit(rows), train=rows, target="y", actor="alice")
    run = loop.start(world.ctx, "shop", 2, skip_gate=True, actor="alice")
    assert (run.state, run.step) == ("canary", -1)
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    output = tmp_path / "serve.log"
    with open(output, "wb") as out:
        server = subprocess.Popen(
            [*_driftline(), "--home", str(world.home), "serve", "--port", str(port), "--loop"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        routed = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).json()
                routed = models[0]["routes"].get("canary")
            except httpx.TransportError:
                pass
            if routed is not None:
                break
            time.sleep(0.2)  # polling interval: the condition above decides
        assert routed == {"version": 2, "engine": "onnx"}, output.read_text()
        (run,) = loop.list_runs(world.ctx, "shop")
        assert (run.state, run.step, run.percent) == ("canary", 0, 20.0)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code in (0, -signal.SIGTERM), output.read_text()  # uvicorn re-raises what it caught
    world.ws.close()
