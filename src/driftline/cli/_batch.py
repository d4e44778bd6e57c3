"""``driftline batch score``: a registered version over a file or folder, resumable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftline.cli._context import Context, console, echo_json, examples

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["BarProgress", "batch_app"]

SCORE = "driftline batch score churn@champion --input customers.parquet --output scores"
SCORE_EXAMPLES = examples(
    SCORE,
    "driftline batch score churn@champion --input exports/ --output scores.csv --key customer_id",
    "driftline batch score churn:3 --input big/ --output scores --engine ray --log",
)
batch_app = typer.Typer(
    help="Score files with a registered model, in partitions, resumably.",
    no_args_is_help=True,
    epilog=SCORE_EXAMPLES,
)


class BarProgress:
    """A Rich progress bar (rows, rows/s, time left) on a terminal; nothing elsewhere."""

    def __init__(self, out: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("scoring"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=out,
            transient=True,
        )
        self.task = self.bar.add_task("rows", total=None, rate="")

    def start(self, total: int | None, done: int) -> None:
        self.bar.update(self.task, total=total, completed=done)
        self.bar.start()

    def advance(self, rows: int) -> None:
        self.bar.advance(self.task, rows)
        speed = self.bar.tasks[0].speed
        self.bar.update(self.task, rate=f"{speed:,.0f} rows/s" if speed else "")

    def stop(self) -> None:
        self.bar.stop()


@batch_app.command("score", epilog=SCORE_EXAMPLES)
def score_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The version: NAME@ALIAS, NAME:VERSION or NAME."),
    input: Path = typer.Option(..., "--input", help="A Parquet or CSV file, or a folder of them."),
    output: Path = typer.Option(
        ...,
        "--output",
        help="A folder for the partitions: Parquet, or CSV when its name ends in .csv.",
    ),
    log: bool = typer.Option(
        False, "--log", help="Record every prediction in the inference log (route batch)."
    ),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray."),
    rejects: Path | None = typer.Option(
        None,
        "--rejects",
        help="Folder for rows that break the signature (default OUTPUT/_rejects).",
    ),
    key: str | None = typer.Option(
        None, "--key", help="Input column written beside each prediction (default: row number)."
    ),
    chunk_rows: int = typer.Option(
        100_000, "--chunk-rows", min=1, help="Rows per partition (memory grows with it)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Ray actors (default: one per CPU of the cluster)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Score every row of INPUT into OUTPUT; run it again after a crash to finish the job.

    Rows that break the model's signature are set aside with their reason and
    the run goes on. Each partition is committed atomically under a manifest:
    a run stopped at any moment and started again keeps what was written and
    produces the output one uninterrupted run would have. Exit code: 0 done
    (or nothing left to do), 2 bad input or an output folder of another job.
    """
    from driftline.batch import score

    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"must be local or ray, got {engine!r}", param_hint="--engine")
    obj: Context = ctx.obj
    err = _stderr_console()
    bar = BarProgress(err) if err.is_terminal and not as_json else None
    with obj.workspace() as ws:
        try:
            run = score(
                ws.context,
                ref,
                input=input,
                output=output,
                log=log,
                engine=engine,  # type: ignore[arg-type]
                rejects=rejects,
                key=key,
                chunk_rows=chunk_rows,
                workers=workers,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.stop()
    if as_json:
        echo_json(run.to_dict())
        return
    out = console()
    out.print(run.sentence)
    if run.rejected and not run.nothing_to_do:
        out.print(f"rejected rows, each with its reason: {run.rejects}")
    if run.profile:
        out.print(f"profile of the scored rows: {run.profile}")


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)
