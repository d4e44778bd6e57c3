"""``driftline evaluate`` and ``driftline evaluations list``: judge a version on labelled rows."""

from __future__ import annotations

from pathlib import Path

import typer

from driftline.cli._context import Context, console, echo_json, examples
from driftline.cli._data import HTML_OPTION, JSON_OPTION, _write_html
from driftline.errors import InputError

__all__ = ["evaluate_command", "evaluations_app"]

LIST = "driftline evaluations list churn"
evaluations_app = typer.Typer(
    help="Evaluations stored with model versions.",
    no_args_is_help=True,
    epilog=examples(LIST),
)
EVALUATE_EXAMPLES = examples(
    "driftline evaluate churn@champion --data labelled.csv",
    'driftline evaluate churn:3 --data labelled.csv --slice "region=North" --html evaluation.html',
    "driftline evaluate loans@champion --data labelled.csv --sensitive sex --sensitive age_band",
)


def evaluate_command(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="NAME@ALIAS", help="The version to judge: NAME, NAME:VERSION or NAME@ALIAS."
    ),
    data: Path = typer.Option(..., "--data", help="Labelled rows, CSV or Parquet."),
    target: str | None = typer.Option(
        None, "--target", help="Label column (default: the one the version was registered with)."
    ),
    slices: list[str] | None = typer.Option(
        None,
        "--slice",
        help='A group of rows to judge on its own, e.g. "region=North" or "age>=60 and '
        'region=North"; repeat for more.',
    ),
    sensitive: list[str] | None = typer.Option(
        None,
        "--sensitive",
        help="A column naming groups of people, e.g. sex: each group's selection rate, "
        "error rates and accuracy, and the disparities between groups; repeat for more.",
    ),
    no_discover: bool = typer.Option(
        False, "--no-discover", help="Do not search for the groups of rows served worst."
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Level of the intervals."),
    resamples: int = typer.Option(
        1000, "--resamples", help="Bootstrap resamples behind each interval."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the resampling, for repeatable intervals."),
    no_store: bool = typer.Option(
        False, "--no-store", help="Do not keep the evaluation with the version."
    ),
    as_json: bool = JSON_OPTION,
    html: Path | None = HTML_OPTION,
) -> None:
    """How good is a registered model on labelled rows? Every metric with its interval.

    Also measures the calibration of its probabilities, finds the groups of
    rows it serves worst, and checks the data against the training data. The
    evaluation is stored with the version and recorded in the audit chain.
    Exit code: 0 evaluated, 2 bad input (a missing or unreadable file, an
    unknown column or model).
    """
    from driftline.evaluation import evaluate

    if not data.exists():
        raise InputError(f"no file at {str(data)!r}; give the path of a CSV or Parquet file")
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = evaluate(
            ref,
            data,
            target=target,
            context=ws.context,
            slices=slices or None,
            discover=not no_discover,
            confidence=confidence,
            n_resamples=resamples,
            seed=seed,
            store=not no_store,
            sensitive=sensitive or None,
        )
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report)
    if html is not None:
        _write_html(report, html, as_json)


@evaluations_app.command("list", epilog=examples(LIST, "driftline evaluations list churn:3 --json"))
def list_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME (every version), NAME:VERSION or NAME@ALIAS."),
    limit: int = typer.Option(20, "--limit", help="Show at most this many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Evaluations stored with a model's versions, newest first."""
    from rich.table import Table

    from driftline.evaluation import interval_parts, list_evaluations, metric_name

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        reports = list_evaluations(ws.context, ref, limit=limit)
    if as_json:
        echo_json(
            [
                {k: v for k, v in r.to_dict().items() if k not in ("charts", "quality")}
                for r in reports
            ]
        )
        return
    if not reports:
        console().print(f"no evaluations of {ref} yet; run: driftline evaluate {ref} --data FILE")
        return
    table = Table(show_edge=False, header_style="bold")
    for name in ("id", "version", "when (UTC)", "by", "rows", "dataset", "headline figure"):
        table.add_column(name, justify="right" if name in ("id", "rows") else "left")
    for r in reports:
        lead = "rmse" if r.task == "regression" else "accuracy"
        figure = "-"
        if lead in r.metrics:
            # "accuracy 0.87 (0.85 to 0.89)": the level is the same in every row.
            value, band = interval_parts(r.metrics[lead])
            figure = f"{metric_name(lead)} {value}" + (f" ({band})" if band else "")
        table.add_row(
            str(r.id),
            str(r.version),
            (r.created_at or "")[:16].replace("T", " "),
            r.created_by or "",
            f"{r.n_rows:,}",
            r.dataset[:8],
            figure,
        )
    console().print(table)
