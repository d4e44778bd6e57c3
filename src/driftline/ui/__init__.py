"""The dashboard: what a model's owner can read and act on, at ``/ui``.

:func:`mount` adds the pages (and the read-only ``/v1`` endpoints behind
their charts) to an application, as ``driftline serve`` does; :func:`create_app`
is the dashboard alone (``driftline ui``). Pages are rendered on the server;
charts are drawn in the browser by uPlot, which ships inside the package
with every other script and style: the pages load nothing from elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from driftline._version import __version__

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["create_app", "mount", "serving_app_from_env"]


def mount(app: FastAPI, ctx: Context) -> FastAPI:
    """Add the dashboard to ``app``: ``/ui`` pages, ``/ui/static`` assets, ``/v1`` chart data."""
    from driftline.ui import _actions, _api, _pages
    from driftline.ui._state import UiState

    app.state.driftline_ui = UiState(ctx)
    app.include_router(_actions.router)
    app.include_router(_pages.router)
    app.include_router(_api.router)
    app.mount("/ui/static", StaticFiles(packages=[("driftline.ui", "static")]), name="ui-static")
    return app


def create_app(ctx: Context) -> FastAPI:
    """The dashboard alone, on the workspace's store handles."""
    app = FastAPI(title="driftline dashboard", version=__version__, docs_url=None, redoc_url=None)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    return mount(app, ctx)


def serving_app_from_env() -> FastAPI:
    """``driftline serve --workers N``: each worker's serving app, with the dashboard mounted."""
    from driftline.serving import create_app_from_env

    app = create_app_from_env()
    return mount(app, app.state.driftline.ctx)
