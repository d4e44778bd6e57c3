"""``driftline export``, ``ingest``, ``distill`` and ``bench``: the edge, and what each form costs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples

__all__ = [
    "BENCH_EXAMPLES",
    "DISTILL_EXAMPLES",
    "EXPORT_EXAMPLES",
    "INGEST_EXAMPLES",
    "bench_command",
    "distill_command",
    "export_command",
    "ingest_command",
]

EXPORT_EXAMPLES = examples(
    "driftline export churn@champion --format onnx --out churn-edge",
    "driftline export churn@champion --quantize int8 --data holdout.csv --out churn-int8",
)
INGEST_EXAMPLES = examples(
    "driftline ingest churn@champion churn-edge/log",
    "driftline ingest churn@champion predictions.log predictions.log.1 --json",
)
DISTILL_EXAMPLES = examples(
    "driftline distill churn@champion --student tree --data unlabelled.csv",
    "driftline distill churn@champion --student gbm --data unlabelled.csv --alias challenger",
)
BENCH_EXAMPLES = examples(
    "driftline bench churn@champion",
    "driftline bench churn@champion --data holdout.csv --batch 1,1024 --json",
)
REF = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS")
JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def _share(value: float) -> str:
    from driftline.edge import share

    return share(value)


def export_command(
    ctx: typer.Context,
    ref: str = REF,
    out: Path = typer.Option(
        ..., "--out", help="The folder to write the bundle to (new or empty)."
    ),
    format: str = typer.Option("onnx", "--format", help="The bundle's model format: onnx."),
    quantize: str | None = typer.Option(
        None, "--quantize", help="Make it smaller: int8 (weights in 8 bits) or float16."
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Held-out rows to check agreement on, CSV or Parquet (default: the training sample).",
    ),
    min_agreement: float = typer.Option(
        0.995, "--min-agreement", help="Refuse below this share of rows answered alike (0.995)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace what is in --out."),
    as_json: bool = JSON,
) -> None:
    """Write a version as a folder that runs without driftline (onnxruntime and numpy only).

    The folder holds model.onnx, signature.json, run.py and a README. With
    --quantize the smaller form is checked against the original on held-out
    rows and refused when it answers alike on fewer than --min-agreement of
    them. Exit code: 0 exported, 2 refused or bad input.
    """
    from driftline import edge

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = edge.export(
            ws.context,
            ref,
            out,
            format=format,
            quantize=quantize,
            data=data,
            min_agreement=min_agreement,
            overwrite=overwrite,
        )
    if as_json:
        echo_json(report.to_dict())
        return
    table = Table(
        "form",
        "size",
        "agrees",
        "ms per row (p50)",
        "rows/s (batches of 1024)",
        title=f"{report.ref}, checked on {report.checked_on}",
        title_justify="left",
    )
    for f in report.forms:
        table.add_row(
            f.name,
            f"{f.size:,}",
            _share(f.agreement.share),
            f"{f.p50_ms_one_row:.3f}",
            f"{f.rows_per_second:,.0f}",
        )
    output = console()
    output.print(table)
    for f in report.forms:
        if f.note:
            output.print(f"{f.name}: {f.note}")
    output.print(f"[bold]{report.sentence}[/] to {report.folder}")
    output.print(f"run it anywhere with: python {report.folder / 'run.py'} rows.csv")


def ingest_command(
    ctx: typer.Context,
    ref: str = REF,
    files: list[Path] = typer.Argument(
        ..., help="The bundle's log folder, or predictions.log files."
    ),
    as_json: bool = JSON,
) -> None:
    """Bring an edge bundle's prediction logs into the inference log (route edge).

    Each prediction is added once, by its id: ingesting the same file again adds
    nothing. Compacted with the rest of the log, monitoring then watches these
    predictions as it watches served traffic.
    """
    from driftline import edge

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = edge.ingest(ws.context, ref, files)
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report.sentence)


def distill_command(
    ctx: typer.Context,
    ref: str = REF,
    data: Path = typer.Option(
        ..., "--data", help="Rows to learn from, CSV or Parquet; labels are not needed."
    ),
    student: str = typer.Option("tree", "--student", help="tree, gbm or logistic."),
    holdout: float = typer.Option(0.2, "--holdout", help="Share of rows kept to check on."),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias at the student."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the student."),
    as_json: bool = JSON,
) -> None:
    """Train a smaller student on a version's answers and register it as its child.

    Reports how often the student answers as its teacher on held-out rows, and
    its size and speed beside the teacher's; the gate then judges it on labels.
    """
    from driftline import edge

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = edge.distill(
            ws.context, ref, data, student=student, holdout=holdout, seed=seed, alias=alias
        )
    if as_json:
        echo_json(report.to_dict())
        return
    table = Table("", "agrees", "size (ONNX)", "ms per row (p50)", "rows/s (batches of 1024)")
    for who, size, onnx, ms, rps, agree in (
        (
            f"teacher {report.teacher}",
            report.teacher_size,
            report.teacher_onnx_size,
            report.teacher_ms,
            report.teacher_rows_per_second,
            "-",
        ),
        (
            f"student {report.student}",
            report.student_size,
            report.student_onnx_size,
            report.student_ms,
            report.student_rows_per_second,
            _share(report.agreement.share),
        ),
    ):
        shown = f"{size:,} ({onnx:,})" if onnx else f"{size:,}"
        table.add_row(who, agree, shown, f"{ms:.3f}", f"{rps:,.0f}")
    output = console()
    output.print(table)
    output.print(f"[bold]{report.sentence}[/]")
    output.print(
        f"judge it on labels with: driftline gate {report.student.split(':')[0]} "
        f"--candidate {report.student.split(':')[1]} --data labelled.csv --target LABEL"
    )


def bench_command(
    ctx: typer.Context,
    ref: str = REF,
    data: Path | None = typer.Option(
        None, "--data", help="Rows to measure on, CSV or Parquet (default: the training sample)."
    ),
    batch: str = typer.Option("1,32,1024", "--batch", help="Batch sizes, comma-separated."),
    seconds: float = typer.Option(0.5, "--seconds", help="Time spent per runtime and batch size."),
    as_json: bool = JSON,
) -> None:
    """Latency, throughput and agreement per runtime and batch size: cost against accuracy.

    Runtimes: scikit-learn, ONNX, ONNX int8, ONNX float16 weights, and the
    trees compiled with Treelite when it is installed (driftline[edge]); one
    thread each, in this process.
    """
    from driftline import edge
    from driftline.errors import InputError

    try:
        sizes = [int(b) for b in batch.split(",") if b.strip()]
    except ValueError:
        raise InputError(
            f"--batch takes whole numbers separated by commas, got {batch!r}"
        ) from None
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = edge.bench(ws.context, ref, data=data, batch_sizes=sizes, seconds=seconds)
    if as_json:
        echo_json(report.to_dict())
        return
    table = Table(
        "runtime",
        "batch",
        "p50 ms",
        "p99 ms",
        "rows/s",
        "agrees",
        "size",
        title=f"{report.ref}, on {report.checked_on} (load {report.load:.2f})",
        title_justify="left",
    )
    for r in report.runtimes:
        for t in r.timings:
            table.add_row(
                r.runtime,
                str(t.batch),
                f"{t.p50_ms:.3f}",
                f"{t.p99_ms:.3f}",
                f"{t.rows_per_second:,.0f}",
                _share(r.agreement.share),
                f"{r.size:,}",
            )
    output = console()
    output.print(table)
    for line in [*(f"{r.runtime}: {r.note}" for r in report.runtimes if r.note), *report.skipped]:
        output.print(line)
