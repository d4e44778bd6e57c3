"""``driftline calibrate``: recalibrate a model's probabilities and register the result."""

from __future__ import annotations

from pathlib import Path

import typer

from driftline.cli._context import Context, console, echo_json, examples

__all__ = ["EXAMPLES", "calibrate_command"]

EXAMPLES = examples(
    "driftline calibrate churn@champion --data labelled.csv --target churned",
    "driftline calibrate churn:3 --data labelled.csv --target churned --method isotonic",
)


def calibrate_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The model: NAME@ALIAS, NAME:VERSION or NAME."),
    data: Path = typer.Option(
        ..., "--data", help="Labelled data, CSV or Parquet: the model's inputs and the label."
    ),
    target: str = typer.Option(..., "--target", help="The label column."),
    method: str = typer.Option(
        "auto",
        "--method",
        help="auto (chosen by cross-validated log loss), platt, isotonic or temperature.",
    ),
    holdout: float = typer.Option(
        0.5, "--holdout", help="Share of rows kept aside to measure before and after."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the cross-validation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report here."
    ),
) -> None:
    """Recalibrate NAME@ALIAS's probabilities on labelled data; register the calibrated model.

    Fits the calibrator on part of the rows, measures calibration (ECE with
    equal-width and equal-mass bins, MCE, Brier, log loss) before and after
    on the rest, and registers the calibrated model as a new version whose
    lineage names the parent. Exit code: 0 done (also when no recalibration
    was needed), 2 bad input (a missing or unreadable file, an unknown
    column or model, too few rows).
    """
    from driftline.cli._data import _reading, _write_html
    from driftline.errors import InputError
    from driftline.evaluation import calibrate

    if not data.is_file():
        raise InputError(f"data file {str(data)!r} does not exist")
    obj: Context = ctx.obj
    with obj.workspace() as ws, _reading(data):
        result = calibrate(
            ws.context, ref, data, target=target, method=method, holdout=holdout, seed=seed
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        console().print(result)
    if html is not None:
        _write_html(result, html, as_json)
