"""The dashboard under test: the shop world, served as ``driftline serve`` serves it, on a real port."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _serve import Dashboard, start_server
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


@pytest.fixture
def dashboard(world: World) -> Iterator[Dashboard]:
    """The serving app with the dashboard mounted, as ``driftline serve`` runs it."""
    from driftline import ui
    from driftline.serving import ServerConfig, create_app

    app = ui.mount(create_app(world.ws.context, ServerConfig(freeze_gc=False)), world.ws.context)
    url, stop = start_server(app)
    yield Dashboard(url, world)
    stop()
