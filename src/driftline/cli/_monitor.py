"""``driftline monitor run`` and ``driftline alerts list``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from driftline.cli._context import Context, console, echo_json, examples
from driftline.words import span

RUN = "driftline monitor run churn@champion --window 1h --since 7d"
RUN_LABELLED = (
    "driftline monitor run churn@champion --data predictions.parquet --reference holdout.csv "
    "--target churned"
)
monitor_app = typer.Typer(
    help="Watch a model's traffic window by window.",
    no_args_is_help=True,
    epilog=examples(RUN),
)
alerts_app = typer.Typer(
    help="Alerts raised by monitoring.",
    no_args_is_help=True,
    epilog=examples("driftline alerts list --status open"),
)


@monitor_app.command("run", epilog=examples(RUN, RUN_LABELLED))
def run(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS"),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Logged predictions: Parquet file or folder, or CSV, with a time column "
        "(default: the workspace's inference log).",
    ),
    window: str = typer.Option("1d", "--window", help="Window length: 15m, 1h, 1d, 1w."),
    since: str | None = typer.Option(
        None, "--since", help="Start: a date-time or a period back (7d)."
    ),
    until: str | None = typer.Option(None, "--until", help="End: a date-time."),
    time_column: str = typer.Option("timestamp", "--time-column", help="Column holding the time."),
    policy: Path | None = typer.Option(None, "--policy", help="Policy TOML with [[alert]] rules."),
    reference: Path | None = typer.Option(
        None,
        "--reference",
        help="Labelled data the model did not train on (Parquet or CSV): estimate each "
        "window's performance from it before labels arrive.",
    ),
    target: str | None = typer.Option(
        None, "--target", help="The label column of --reference (and of --data, if labelled)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Compare each window of traffic with the training data; raise and clear alerts."""
    from driftline import monitor

    obj: Context = ctx.obj
    now = dt.datetime.now(dt.UTC)
    start = monitor.parse_since(since, now=now) if since else None
    end = monitor.parse_since(until, now=now) if until else None
    rules = monitor.load_rules(policy) if policy else monitor.DEFAULT_RULES
    with obj.workspace() as ws:
        result = monitor.run(
            ws.context,
            ref,
            data,
            window=window,
            time_column=time_column,
            since=start,
            until=end,
            rules=rules,
            reference=reference,
            target=target,
        )
    if as_json:
        echo_json(result.to_dict())
        return
    out = console()
    shown = _shown_metric(result.performance)
    table = Table(
        "window",
        "rows",
        "moved",
        "missing",
        "columns that moved",
        *([f"{shown} est. (band)", f"{shown} realized"] if shown else []),
        title=f"{result.model}:{result.version}, {len(result.windows)} windows of {result.window}",
        title_justify="left",
    )
    for w in result.windows:
        if not w.evaluated:
            table.add_row(
                span(w.start, w.end),
                str(w.rows),
                "-",
                "-",
                "too few rows to judge",
                *(["-", "-"] if shown else []),
            )
            continue
        table.add_row(
            span(w.start, w.end),
            str(w.rows),
            f"{w.metrics.get('drift_share', 0):.0%}",
            f"{w.metrics.get('missing_rate', 0):.1%}",
            ", ".join(w.drifted_columns) or "-",
            *(_performance_cells(w.metrics, shown) if shown else []),
        )
    out.print(table)
    if result.performance_sentence:
        out.print(result.performance_sentence)
    out.print(Text(result.headline, style="bold"))
    for alert in result.opened:
        out.print(
            Text.assemble(("alert opened", "bold red"), f" ({alert.severity}): {alert.message}")
        )
    for alert in result.resolved:
        out.print(Text.assemble(("alert resolved", "green"), f": {alert.resolution}"))
    damaged = (result.log or {}).get("corrupt_lines", 0)
    if damaged:
        out.print(
            Text.assemble(
                (f"{damaged} line(s) of the inference log failed their checksum", "bold yellow"),
                " and were left out: a crash or a damaged disk, not a lack of traffic",
            )
        )


def _shown_metric(performance: dict[str, Any] | None) -> str | None:
    if not performance:
        return None
    names = list(performance["metrics"])
    return "accuracy" if "accuracy" in names else "mae" if "mae" in names else names[0]


def _performance_cells(metrics: dict[str, Any], name: str) -> list[str]:
    est = (metrics.get("estimated") or {}).get(name)
    if not est or est.get("value") is None:
        return ["-", "-"]
    low, high = est.get("low"), est.get("high")
    band = f" ({low:.3f}-{high:.3f})" if low is not None and high is not None else ""
    realized = (metrics.get("realized") or {}).get(name)
    count = metrics.get("labelled", 0)
    return [
        f"{est['value']:.3f}{band}",
        f"{realized:.3f} ({count:,} labelled)" if realized is not None else "-",
    ]


@alerts_app.command(
    "list",
    epilog=examples(
        "driftline alerts list --status open", "driftline alerts list --model churn --json"
    ),
)
def list_alerts(
    ctx: typer.Context,
    model: str | None = typer.Option(None, "--model", help="Only this model."),
    status: str | None = typer.Option(None, "--status", help="open or resolved."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List alerts, newest first."""
    from driftline import monitor
    from driftline.errors import InputError

    if status not in (None, "open", "resolved"):
        raise InputError(f"--status must be open or resolved, got {status!r}")
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        found = monitor.alerts(ws.context, model=model, status=status)
    if as_json:
        echo_json([a.to_dict() for a in found])
        return
    if not found:
        console().print("no alerts")
        return
    table = Table("#", "model", "rule", "severity", "status", "opened", "message")
    for a in found:
        table.add_row(
            str(a.id),
            a.model,
            a.rule,
            a.severity,
            a.status,
            f"{a.opened_at:%Y-%m-%d %H:%M}",
            a.message,
        )
    console().print(table)
