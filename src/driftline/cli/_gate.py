"""``driftline gate``: may a candidate version replace the baseline? Exit 0 yes, 1 no."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from driftline.cli._context import Context, console, echo_json, examples, write_output
from driftline.errors import InputError

__all__ = ["EXAMPLES", "gate_command"]

EXAMPLES = examples(
    "driftline gate churn --data labelled.csv --target churned",
    "driftline gate churn --candidate 3 --baseline champion --data labelled.csv --target churned "
    "--policy gate.toml --html gate.html",
)


def gate_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
    candidate: str = typer.Option(
        "challenger", "--candidate", help="Version to judge: an alias, a number or NAME@ALIAS."
    ),
    baseline: str = typer.Option(
        "champion", "--baseline", help="Version it would replace: an alias, a number or NAME@ALIAS."
    ),
    data: Path = typer.Option(..., "--data", help="Labelled rows to judge on, CSV or Parquet."),
    target: str = typer.Option(..., "--target", help="The label column of --data."),
    no_baseline: bool = typer.Option(
        False, "--no-baseline", help="Judge the candidate alone (a first release)."
    ),
    policy: Path | None = typer.Option(
        None, "--policy", help="Gate policy TOML (default: accuracy or R² may not drop by 0.01)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap resamples."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report here."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write the decision as JSON here."),
) -> None:
    """May CANDIDATE replace BASELINE? Judge both on the same labelled rows.

    Checks every criterion of the policy (thresholds, non-regression judged
    with paired confidence intervals, slices, calibration, data quality,
    evaluation size) and prints each with its figure and verdict. The
    decision is recorded in the audit chain. Exit code: 0 the gate passed,
    1 it failed (a criterion that cannot be evaluated fails), 2 bad input
    (a missing file, column, model or policy key).
    """
    from driftline.gate import GatePolicy, run_gate

    if not data.is_file():
        raise InputError(f"data file {str(data)!r} does not exist; give a CSV or Parquet file")
    used = GatePolicy.from_toml(policy) if policy is not None else None
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        decision = run_gate(
            ws.context,
            name,
            candidate=candidate,
            baseline=None if no_baseline else baseline,
            data=data,
            target=target,
            policy=used,
            seed=seed,
        )
    if as_json:
        echo_json(decision.to_dict())
    else:
        console().print(decision)
    if out is not None:
        write_output(out, json.dumps(decision.to_dict(), indent=2) + "\n", "decision", as_json)
    if html is not None:
        from driftline.cli._data import report_redactor
        from driftline.report import render_html

        write_output(
            html, render_html(decision, redactor=report_redactor()), "HTML report", as_json
        )
    if not decision.passed:
        raise typer.Exit(1)
