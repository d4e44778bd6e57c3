"""Real servers for the serving tests: uvicorn in a thread, or ``driftline serve`` as a process.

One workspace is built per session (three registered versions, two deployed
models) and copied for each test, so tests that move aliases or change
deployments never see each other's changes and none pays for registration.

- ``forest``: a random forest on numeric columns a, b, c (ONNX runtime);
  version 1 is ``champion``, version 2 (trained differently) ``challenger``.
- ``shop``: a pipeline over a categorical ``colour`` and an integer ``size``
  whose spline step has no ONNX converter (scikit-learn runtime).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from driftline import Workspace

START_TIMEOUT_S = 60.0


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(delay)  # polling interval, not synchronization: the condition decides
        delay = min(delay * 2, 0.1)


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/v2/health/ready", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


# -- models and workspaces -----------------------------------------------------


@dataclass(frozen=True)
class Trained:
    forest_v1: Any
    forest_v2: Any
    shop: Any
    numeric: pd.DataFrame  # rows for the forest, without the target
    shop_rows: pd.DataFrame  # rows for the shop pipeline, without the target


@pytest.fixture(scope="session")
def trained() -> Trained:
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer

    rng = np.random.default_rng(7)
    n = 400
    numeric = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)}
    )
    y = ((numeric["a"] + numeric["b"] + 0.3 * rng.normal(size=n)) > 0).astype(int)
    forest_v1 = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0)
    forest_v1.fit(numeric, y)
    # Version 2 learns the opposite labels, so its answers are told apart at a glance.
    forest_v2 = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=1)
    forest_v2.fit(numeric, 1 - y)
    shop_rows = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "size": rng.integers(1, 10, size=n),
        }
    )
    labels = np.where((shop_rows["colour"] == "red") | (shop_rows["size"] > 6), "yes", "no")
    shop = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour"]),
            (SplineTransformer(n_knots=4), ["size"]),
        ),
        LogisticRegression(),
    ).fit(shop_rows, labels)
    return Trained(forest_v1, forest_v2, shop, numeric, shop_rows)


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> Path:
    from driftline.serving import deploy

    home = tmp_path_factory.mktemp("serving-template") / "ws"
    with Workspace.init(home, actor="tester", **_local(home)) as ws:
        y = trained.forest_v1.predict(trained.numeric)
        ws.register("forest", trained.forest_v1, train=trained.numeric.assign(y=y), target="y")
        ws.register("forest", trained.forest_v2, train=trained.numeric.assign(y=1 - y), target="y")
        ws.register(
            "shop",
            trained.shop,
            train=trained.shop_rows.assign(label=trained.shop.predict(trained.shop_rows)),
            target="label",
        )
        ws.set_alias("forest", 1, "champion")
        ws.set_alias("forest", 2, "challenger")
        ws.set_alias("shop", 1, "champion")
        if "onnx" not in ws.get("forest:1").runtimes or "onnx" in ws.get("shop:1").runtimes:
            raise RuntimeError("the fixtures need forest on ONNX and shop on scikit-learn")
        deploy(ws.context, "forest")
        deploy(ws.context, "shop")
    return home


def _local(home: Path) -> dict[str, str]:
    # Everything inside the folder, whatever DRIFTLINE_* says, so the folder can be copied;
    # `driftline serve` subprocesses get the same defaults (their DRIFTLINE_* are removed).
    return {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "artifacts"),
    }


@pytest.fixture
def ws(template_home: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the served workspace (SQLite)."""
    home = tmp_path / "ws"
    shutil.copytree(template_home, home)
    workspace = Workspace.open(home, create=False, actor="tester", **_local(home))
    yield workspace
    workspace.close()


# -- uvicorn in a thread -------------------------------------------------------


@dataclass
class RunningServer:
    url: str
    app: Any

    @property
    def state(self) -> Any:
        return self.app.state.driftline


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningServer]]:
    """Start ``create_app(ws.context, ServerConfig(**options))`` for a workspace, on a loopback port."""
    import uvicorn

    from driftline.serving import ServerConfig, create_app

    stops: list[Callable[[], None]] = []

    def start(workspace: Workspace, **options: Any) -> RunningServer:
        # The server shares the test process: freezing its heap would cost a full
        # collection per test and keep every test's garbage. `serve_process` tests the freeze.
        options.setdefault("freeze_gc", False)
        app = create_app(workspace.context, ServerConfig(**options))
        # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so, and
        # without it Nagle's algorithm meets delayed ACKs and every request takes 40 ms.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # bound here, so no other process can take the port first
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_keep_alive=30)
        server = uvicorn.Server(config)  # off the main thread it installs no signal handlers
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        thread.start()

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=30)
            sock.close()
            if thread.is_alive():
                raise RuntimeError("the server thread did not stop within 30 s")

        stops.append(stop)
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: _ready(url) or not thread.is_alive(),
            timeout=START_TIMEOUT_S,
            what="the server to be ready",
        )
        if not thread.is_alive():
            pytest.fail("the server thread died while starting")
        return RunningServer(url, app)

    yield start
    for stop in reversed(stops):
        stop()


# -- driftline serve as a process ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    url: str
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_ready(self) -> None:
        wait_until(
            lambda: self.process.poll() is not None or _ready(self.url),
            timeout=START_TIMEOUT_S,
            what=f"driftline serve at {self.url}",
        )
        if self.process.poll() is not None:
            pytest.fail(f"driftline serve exited with {self.process.returncode}:\n{self.text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            pytest.fail(f"driftline serve did not stop within {timeout}s after signal {sig}")


def driftline_command() -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Start ``driftline --home HOME serve ARGS`` on a free loopback port; stopped afterwards."""
    started: list[ServeProcess] = []

    def start(home: Path, *args: str, wait: bool = True) -> ServeProcess:
        port = _free_port()
        output = tmp_path / f"serve-{len(started)}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
        with open(output, "wb") as out:
            process = subprocess.Popen(
                [*driftline_command(), "--home", str(home), "serve", "--port", str(port), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        running = ServeProcess(process, f"http://127.0.0.1:{port}", output)
        started.append(running)
        if wait:
            running.wait_ready()
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.process.wait(timeout=10)


@pytest.fixture
def until() -> Callable[..., Any]:
    """:func:`wait_until`: poll a condition with a deadline instead of sleeping."""
    return wait_until
