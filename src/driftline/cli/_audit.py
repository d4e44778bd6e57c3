"""``driftline audit ...``: read and verify the tamper-evident chain."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples

audit_app = typer.Typer(
    help="Read and verify the audit chain.",
    no_args_is_help=True,
    epilog=examples("driftline audit list --subject churn", "driftline audit verify"),
)


@audit_app.command(
    "list",
    epilog=examples(
        "driftline audit list --limit 20", "driftline audit list --action gate.decision --json"
    ),
)
def list_events(
    ctx: typer.Context,
    subject: str | None = typer.Option(None, "--subject", help="Only subjects starting with this."),
    action: str | None = typer.Option(None, "--action", help="Only this action."),
    limit: int = typer.Option(50, "--limit", min=1, help="Newest N events."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List the newest audit events."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        events = ws.audit_events(subject=subject, action=action, limit=limit)
    if as_json:
        echo_json([e.to_dict() for e in events])
        return
    table = Table("#", "time (UTC)", "actor", "action", "subject", "details")
    for e in events:
        table.add_row(
            str(e.seq),
            e.time[:19].replace("T", " "),
            e.actor,
            e.action,
            e.subject,
            json.dumps(e.payload, separators=(", ", "=")).strip("{}").replace('"', "")[:70],
        )
    console().print(table)


@audit_app.command("verify", epilog=examples("driftline audit verify"))
def verify(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Recompute the chain; exit 1 and name the first bad event if it was tampered with."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        result = ws.verify_audit()
    if as_json:
        echo_json(result.to_dict())
    elif result.ok:
        console().print(result.sentence)
    else:
        print(f"driftline: {result.sentence}", file=sys.stderr)
    if not result.ok:
        raise typer.Exit(1)
