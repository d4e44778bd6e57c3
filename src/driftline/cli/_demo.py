"""``driftline demo``: the story of one model's year, told on this machine."""

from __future__ import annotations

from pathlib import Path

import typer

from driftline.cli._context import Context, console, examples

__all__ = ["EXAMPLES", "demo_command"]

EXAMPLES = examples("driftline demo", "driftline demo --home demo-workspace --fast --no-wait")


def demo_command(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", help="Where to tell it (default: a new temporary folder)."
    ),
    fast: bool = typer.Option(False, "--fast", help="Fewer applications per month, for CI."),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Exit when the story is told instead of serving until Ctrl-C."
    ),
) -> None:
    """A simulated year of loan applications: served, watched, retrained, protected.

    Trains and judges a first model, serves it with features looked up by
    customer id, replays a year of traffic through the HTTP API and a batch
    job, and shows the monitor, the estimate and the loop at work; ends with
    a summary and keeps the server up until Ctrl-C (unless --no-wait).
    """
    from driftline.demo import Show, run

    obj: Context = ctx.obj
    run(home or obj.home, fast=fast, wait=not no_wait, show=Show(console()))
