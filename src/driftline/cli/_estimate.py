"""``driftline estimate``: a registered model's performance on rows whose labels are still out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from driftline.cli._context import Context, console, echo_json, examples

__all__ = ["EXAMPLES", "estimate_command"]

EXAMPLES = examples(
    "driftline estimate churn@champion --reference holdout.csv --current today.csv "
    "--target churned",
    "driftline estimate churn@champion --reference holdout.csv --current week.parquet "
    "--target churned --window 1d --time-column timestamp",
)


def estimate_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The version: NAME, NAME:VERSION or NAME@ALIAS."),
    reference: Path = typer.Option(
        ..., "--reference", help="Labelled rows the model did not train on, CSV or Parquet."
    ),
    current: Path = typer.Option(
        ..., "--current", help="Rows to estimate on (labels optional), CSV or Parquet."
    ),
    target: str = typer.Option(..., "--target", help="The label column of --reference."),
    window: str | None = typer.Option(
        None,
        "--window",
        help="Rows per window (1000), or a period (6h, 1d) with --time-column; "
        "default: one window.",
    ),
    time_column: str | None = typer.Option(
        None, "--time-column", help="Column holding each row's time, for period windows."
    ),
    metrics: str | None = typer.Option(
        None,
        "--metrics",
        help="Comma-separated: accuracy, precision, recall, f1, roc_auc; or mae, rmse.",
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Level of the bands."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulations behind the bands."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Estimate how well a model does on CURRENT before its labels arrive, window by window.

    Classifiers: confidence-based estimation from the model's probabilities,
    recalibrated on the reference when that helps; regressors: direct loss
    estimation. Each estimate has a band where the realized value should
    fall; realized values are shown where CURRENT has labels. Exit code: 0
    estimated, 2 bad input.
    """
    from driftline.estimate import estimate_performance

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        mv = ws.get(ref)
        model = ws.load_model(mv)
    features = mv.signature.names if mv.signature is not None else None
    result = estimate_performance(
        _read(reference, mv, "reference"),
        _read(current, mv, "current"),
        target=target,
        model=model,
        features=features,
        metrics=[m.strip() for m in metrics.split(",") if m.strip()] if metrics else None,
        window=_window(window),
        time_column=time_column,
        confidence=confidence,
        seed=seed,
        signature=mv.signature,
    )
    if as_json:
        echo_json({"model": mv.ref, **result.to_dict()})
    else:
        console().print(f"[bold]{mv.ref}[/]")
        console().print(result)


def _window(text: str | None) -> int | str | None:
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


def _read(path: Path, mv: Any, what: str) -> Any:
    from driftline.io import read_frame

    # A CSV keeps a zip code as text when the model was trained on text.
    text = mv.signature.text_columns() if mv.signature is not None else []
    return read_frame(path, text=text, what=what)
