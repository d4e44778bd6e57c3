"""``driftline verify``: is every stored blob still what was written?"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples

__all__ = ["EXAMPLES", "verify_command"]

EXAMPLES = examples("driftline verify", "driftline verify --json")


def verify_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Is every stored model, runtime, profile and report still what was written?

    Checks each blob against its sha256, lists the ones that fail and exits 1
    if any does. The audit chain is checked by: driftline audit verify.
    """
    from driftline.store import verify_blobs

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = verify_blobs(ws.context)
    if as_json:
        echo_json(report.to_dict())
    elif report.ok:
        console().print(report.summary())
    else:
        table = Table("version", "blob", "problem", title="Blobs that fail their check")
        for check in report.bad:
            table.add_row(check.owner, check.kind, check.problem)
        console().print(table)
        print(f"driftline: {report.summary()}", file=sys.stderr)
    if not report.ok:
        raise typer.Exit(1)
