"""``driftline log compact`` and ``driftline log status``: the inference log's upkeep."""

from __future__ import annotations

import typer

from driftline.cli._context import Context, console, echo_json, examples

COMPACT = "driftline log compact"
STATUS = "driftline log status --json"
log_app = typer.Typer(
    help="The inference log: every prediction served.",
    no_args_is_help=True,
    epilog=examples(COMPACT, STATUS),
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
