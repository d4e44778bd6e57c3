"""``driftline ui``: the dashboard alone, for people who read and act but serve nothing here."""

from __future__ import annotations

import typer

from driftline.cli._context import Context, console, examples

EXAMPLES = examples("driftline ui", "driftline ui --host 0.0.0.0 --port 8090")


def ui_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8090, "--port", min=0, max=65535, help="Port."),
) -> None:
    """Show the dashboard at /ui (sign in with a token; 'driftline serve' shows it too)."""
    import uvicorn

    from driftline import ui

    obj: Context = ctx.obj
    ws = obj.workspace()
    console().print(
        f"dashboard of {ws.home} on http://{host}:{port}/ui/ (sign in with a token from "
        "'driftline token create')"
    )
    try:
        uvicorn.run(
            ui.create_app(ws.context),
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
    finally:
        ws.close()
