"""``driftline log compact|status|prune`` and ``driftline forget``: the inference log's upkeep."""

from __future__ import annotations

import sys

import typer

from driftline.cli._context import Context, console, echo_json, examples

COMPACT = "driftline log compact"
STATUS = "driftline log status --json"
PRUNE = "driftline log prune --older-than 90d"
FORGET_EXAMPLES = examples(
    "driftline forget --key customer-1042",
    "driftline forget --key jane@example.com --column email --model churn",
)
log_app = typer.Typer(
    help="The inference log: every prediction served.",
    no_args_is_help=True,
    epilog=examples(COMPACT, STATUS, PRUNE),
)


@log_app.command("compact", epilog=examples(COMPACT, "driftline log compact --json"))
def compact(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Move closed log segments into Parquet, by model and day, where monitoring reads them.

    A running server does this on its own every log_compact_seconds; this does it now.
    Safe to run beside a server, and again after being interrupted.
    """
    from driftline.store import InferenceLog

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        log = InferenceLog.open(ws.settings)
        done = log.compact()
        where = log.store.url
    if as_json:
        echo_json({**done.to_dict(), "store": where})
        return
    out = console()
    if not done.segments:
        out.print("nothing to compact: no closed segment (a live server's open one waits)")
        return
    out.print(
        f"compacted {done.segments} segment(s): {done.predictions:,} predictions and "
        f"{done.labels:,} labels into {done.files} file(s) at {where}"
    )
    if done.corrupt:
        out.print(
            f"[bold yellow]{done.corrupt} line(s) failed their checksum and were left out[/] "
            "(a crash, or a damaged disk); monitoring reports them with its results"
        )


@log_app.command("status", epilog=examples("driftline log status", STATUS))
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """What waits to be compacted here, where compacted files go, and damaged lines found."""
    from driftline.store import InferenceLog

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        log = InferenceLog.open(ws.settings)
        info = log.status()
    if as_json:
        echo_json(info)
        return
    console().print(
        f"{info['segments']} segment(s) not compacted yet ({info['open']} open, "
        f"{info['bytes']:,} bytes) in {info['folder']}\n"
        f"compacted into {info['store']}\n"
        f"lines that failed their checksum: {info['corrupt_lines']}"
    )


@log_app.command(
    "prune", epilog=examples(PRUNE, "driftline log prune --older-than 12w --model churn")
)
def prune(
    ctx: typer.Context,
    older_than: str = typer.Option(..., "--older-than", help="Retention age: 90d, 12w or 36h."),
    model: str | None = typer.Option(None, "--model", help="Only this model's days."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Delete whole days of the inference log older than the age; the audit record lists them.

    A day goes once all of it is older than the age; files are deleted, never rewritten.
    Closed segments are compacted first, so old records waiting in them go too.
    """
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = ws.prune_log(older_than=older_than, model=model)
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report.sentence, soft_wrap=True)


def forget_command(
    ctx: typer.Context,
    key: str = typer.Option(
        ..., "--key", help="The person's value: the key their requests carried, or --column's."
    ),
    column: str | None = typer.Option(
        None, "--column", help="Match this input column instead of the request key."
    ),
    model: str | None = typer.Option(None, "--model", help="Only this model's traffic."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Remove every logged record of one person; the audit record names them by a keyed hash.

    Their predictions (found by request key, or by an input column's value), the labels
    posted for them and shadow copies are removed from log segments and Parquet files,
    each file rewritten atomically. Exit code 1 when some records wait in the segment a
    running server still writes: run it again once the server has sealed it.
    """
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = ws.forget(key, column=column, model=model)
    if as_json:
        echo_json(report.to_dict())
    elif report.complete:
        console().print(report.sentence, soft_wrap=True)
    else:
        print(f"driftline: {report.sentence}", file=sys.stderr)
    if not report.complete:
        raise typer.Exit(1)
