"""The dashboard under test: the shop world, served as ``driftline serve`` serves it, on a real port."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _world import World, build

from driftline import Workspace


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The shop world built once (monitoring takes seconds); tests copy its folder."""
    home = tmp_path_factory.mktemp("ui-shop") / "ws"
    world = build(home)
    world.ws.close()
    return home, world.operator, world.viewer


@pytest.fixture
def world(shop_template: tuple[Path, str, str], tmp_path: Path) -> Iterator[World]:
    template, operator, viewer = shop_template
    home = tmp_path / "ws"
    shutil.copytree(template, home)
    ws = Workspace.open(home, create=False, actor="tester")
    yield World(ws, home, operator, viewer, now=None)  # type: ignore[arg-type]
    ws.close()


@dataclass
class Dashboard:
    url: str
    world: World

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextlib.contextmanager
    def signed_in(self, secret: str) -> Iterator[httpx.Client]:
        with self.client() as client:
            answer = client.post("/ui/signin", data={"token": secret, "next": "/ui/"})
            if answer.status_code != 303:
                raise AssertionError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
            yield client


def start_server(app: Any) -> tuple[str, Callable[[], None]]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/ui/signin", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    import time

    deadline = time.monotonic() + 30
    while not ready():
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start within 30 s")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()

    return url, stop


@pytest.fixture
def dashboard(world: World) -> Iterator[Dashboard]:
    """The serving app with the dashboard mounted, as ``driftline serve`` runs it."""
    from driftline import ui
    from driftline.serving import ServerConfig, create_app

    app = ui.mount(create_app(world.ws.context, ServerConfig(freeze_gc=False)), world.ws.context)
    url, stop = start_server(app)
    yield Dashboard(url, world)
    stop()
