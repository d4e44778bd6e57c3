"""``driftline data audit``: screen training data before a model learns from it."""

from __future__ import annotations

from pathlib import Path

import typer

from driftline.cli._context import Context, console, echo_json, examples
from driftline.cli._data import JSON_OPTION, data_app
from driftline.errors import InputError, NotFoundError

__all__ = ["EXAMPLES", "audit_command", "data_app"]

EXAMPLES = examples(
    "driftline data audit train.csv --target churned",
    "driftline data audit train.csv --target churned --eval test.csv --key customer_id",
    "driftline data audit train.csv --target churned --key request_id --served-by churn",
)


def audit_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The training rows, CSV or Parquet."),
    target: str = typer.Option(..., "--target", help="The label column."),
    model: str = typer.Option(
        "logistic",
        "--model",
        help="The model that judges the labels out of fold: logistic, forest or boosting.",
    ),
    eval_file: Path | None = typer.Option(
        None, "--eval", help="Evaluation rows: any also in the training rows is leakage."
    ),
    key: str | None = typer.Option(
        None, "--key", help="A column identifying rows (not a feature); findings name rows by it."
    ),
    served_by: str | None = typer.Option(
        None,
        "--served-by",
        help="A registered model: match rows with its inference log by --key (request id or "
        "key) and report labels that echo its predictions.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds, for repeatable results."),
    no_record: bool = typer.Option(
        False, "--no-record", help="Do not record the result in the workspace's audit chain."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Is this training data fit to learn from? Wrong labels, duplicates, leakage, outliers.

    Finds labels a model that never saw the row is confident are wrong
    (confident learning), exact and near duplicates, rows shared with the
    evaluation data, rows unlike the rest, and features that predict the
    label suspiciously well. In a workspace, the result is recorded under the
    data's fingerprint, where register and the gate find it when a policy
    says [audit] require = "clean". Exit code: 0 clean (warnings allowed),
    1 a serious problem found, 2 bad input.
    """
    from driftline.dataaudit import audit_training

    for path in (file, eval_file):
        if path is not None and not path.exists():
            raise InputError(f"no file at {str(path)!r}; give the path of a CSV or Parquet file")
    obj: Context = ctx.obj
    options = {
        "target": target,
        "model": model,
        "eval_data": eval_file,
        "key": key,
        "served_by": served_by,
        "seed": seed,
        "record": not no_record,
    }
    try:
        ws = obj.workspace() if (served_by or not no_record) else None
    except NotFoundError:
        if served_by is not None:
            raise
        ws = None  # no workspace: audit all the same, without recording
    if ws is None:
        report = audit_training(None, file, **options)  # type: ignore[arg-type]
    else:
        with ws:
            report = audit_training(ws.context, file, **options)  # type: ignore[arg-type]
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report)
    if not report.passed:
        raise typer.Exit(1)


# `driftline data audit` sits in the data group beside `data check`: the group as the
# command line adds it, with this command in it.
data_app.command("audit", epilog=EXAMPLES)(audit_command)
