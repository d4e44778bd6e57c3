"""The ``driftline`` command line."""

from driftline.cli._app import app, main

__all__ = ["app", "main"]
