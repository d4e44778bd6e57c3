"""``driftline doctor``: check an existing workspace's stores and what they need."""

from __future__ import annotations

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples
from driftline.errors import ConfigError

__all__ = ["EXAMPLES", "doctor_command"]

EXAMPLES = examples("driftline doctor", "driftline --home team-workspace doctor --json")

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def doctor_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Check the workspace: database, schema revision, artifact store, inference log, disk, extras.

    Each check says ok, warn or fail in one sentence. Nothing is changed: the
    schema is compared, not upgraded, and the probes written to the artifact
    store and the log folder are removed. Exit code: 0 nothing failed
    (warnings allowed), 1 a check failed.
    """
    from driftline.settings import Settings
    from driftline.store import Check, HealthReport, diagnose

    obj: Context = ctx.obj
    try:
        report = diagnose(Settings.load(obj.home))
    except ConfigError as exc:  # the settings themselves: nothing else can be checked
        report = HealthReport((Check("settings", "fail", str(exc), exc),))
    if as_json:
        echo_json(report.to_dict())
    else:
        table = Table("check", "status", "what was found", title_justify="left")
        for check in report.checks:
            status = _STYLE[check.status]
            table.add_row(check.name, f"[{status}]{check.status}[/]", check.message)
        console().print(table)
    if not report.ok:
        raise typer.Exit(1)
