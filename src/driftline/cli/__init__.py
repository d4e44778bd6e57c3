"""The ``driftline`` command line."""

from typing import Any

from driftline.cli._app import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    """``app``, the whole command line, built only when asked for (a run builds one command)."""
    if name == "app":
        from driftline.cli import _app

        return _app.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
