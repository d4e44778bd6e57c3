"""``driftline audit ...``: read, export, sign and verify the tamper-evident chain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples

VERIFY_FILE = "driftline audit verify --file audit.jsonl --expect-head 3f9a…"
audit_app = typer.Typer(
    help="Read, export, sign and verify the audit chain.",
    no_args_is_help=True,
    epilog=examples(
        "driftline audit list --subject churn",
        "driftline audit verify",
        "driftline audit export audit.jsonl",
        VERIFY_FILE,
    ),
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")


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
    as_json: bool = JSON_OPTION,
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


@audit_app.command(
    "verify",
    epilog=examples(
        "driftline audit verify",
        "driftline audit verify --public-key /secure/driftline-audit.pub",
        VERIFY_FILE,
    ),
)
def verify(
    ctx: typer.Context,
    file: Path | None = typer.Option(
        None, "--file", help="Check this export instead of the database (no workspace needed)."
    ),
    expect_head: str | None = typer.Option(
        None, "--expect-head", help="A head hash kept elsewhere: the chain must contain it."
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="PEM public key: heads it signed must hold, and one must exist."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recompute the chain; exit 1 and name the first bad event if it was tampered with."""
    from driftline import audit

    if file is not None:
        result = audit.verify_file(file, expect_head=expect_head, public_key=public_key)
    else:
        obj: Context = ctx.obj
        with obj.workspace() as ws:
            result = ws.verify_audit(expect_head=expect_head, public_key=public_key)
    if as_json:
        echo_json(result.to_dict())
    elif result.ok:
        console().print(result.sentence)
    else:
        print(f"driftline: {result.sentence}", file=sys.stderr)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command(
    "export",
    epilog=examples("driftline audit export audit.jsonl", "driftline audit export - | gzip > a.gz"),
)
def export(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="Where to write the JSON lines ('-' for stdout)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write every event as one JSON line, with its hash and the previous one, for offline checks."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        done = ws.export_audit(file)
    if file == "-":  # stdout holds the events: the summary goes to stderr
        print(done.sentence, file=sys.stderr)
    elif as_json:
        echo_json(done.to_dict())
    else:
        console().print(done.sentence, soft_wrap=True)


@audit_app.command(
    "sign", epilog=examples("driftline audit sign --key /secure/driftline-audit.key")
)
def sign(
    ctx: typer.Context,
    key: Path = typer.Option(
        ..., "--key", help="Ed25519 private key (PEM), outside the workspace."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify the chain, then sign its head, so a rewrite of the database fails verification."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        signed = ws.sign_audit(key)
    if as_json:
        echo_json(signed.to_dict())
    else:
        console().print(signed.sentence, soft_wrap=True)


@audit_app.command("keygen", epilog=examples("driftline audit keygen --out /secure/keys"))
def keygen(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="Folder for the key pair, outside the workspace."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make an Ed25519 key pair to sign the audit chain's head (the private key file is 0600)."""
    from driftline.audit import generate_keys
    from driftline.settings import Settings

    obj: Context = ctx.obj
    private, public, key_id = generate_keys(out, workspace=Settings.load(obj.home).home)
    info = {"private_key": str(private), "public_key": str(public), "key_id": key_id}
    if as_json:
        echo_json(info)
        return
    console().print(
        f"wrote the private key to {private} (only you can read it) and the public key to "
        f"{public}; sign with: driftline audit sign --key {private}",
        soft_wrap=True,
    )
