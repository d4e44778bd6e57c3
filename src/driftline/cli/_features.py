"""``driftline features ...``: declare views, build training rows, fill the online store, watch drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples

APPLY = "driftline features apply views.toml"
HISTORICAL = (
    "driftline features historical labels.parquet --features customer:*,device:battery "
    "--out train.parquet"
)
MATERIALIZE = "driftline features materialize"
DRIFT = "driftline features drift customer --since 7d"
features_app = typer.Typer(
    help="Feature views: training rows point in time, and the values served online.",
    no_args_is_help=True,
    epilog=examples(APPLY, HISTORICAL, MATERIALIZE, DRIFT),
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")


def _when(text: str | None) -> dt.datetime | None:
    from driftline.monitor import parse_since

    return parse_since(text, now=dt.datetime.now(dt.UTC)) if text else None


@features_app.command("apply", epilog=examples(APPLY))
def apply_command(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="TOML file declaring [view.NAME] tables."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register (or update) every feature view a TOML file declares.

    Each view's source is opened and its columns checked against the
    declaration first; a changed declaration becomes the view's next version.
    """
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        views = features.apply(ws.context, path)
    if as_json:
        echo_json([v.to_dict() for v in views])
        return
    for v in views:
        console().print(
            f"feature view [bold]{v.name}[/] version {v.version}: "
            f"{len(v.declared)} feature(s) from {v.origin.describe()}"
        )


@features_app.command("list", epilog=examples("driftline features list"))
def list_command(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """The registered feature views."""
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        views = features.list_views(ws.context)
    if as_json:
        echo_json([v.to_dict() for v in views])
        return
    table = Table("view", "version", "entities", "features", "ttl", "source")
    for v in views:
        ttl = v.to_dict()["ttl"] or "none"
        table.add_row(
            v.name,
            str(v.version),
            ", ".join(v.entities),
            ", ".join(v.feature_names),
            ttl,
            v.origin.describe(),
        )
    console().print(table)


@features_app.command("remove", epilog=examples("driftline features remove customer"))
def remove_command(ctx: typer.Context, name: str = typer.Argument(..., help="View name.")) -> None:
    """Remove a feature view (refused while a deployment completes its inputs from it)."""
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        features.remove_view(ws.context, name)
    console().print(f"removed feature view {name}")


@features_app.command("historical", epilog=examples(HISTORICAL))
def historical_command(
    ctx: typer.Context,
    entities: Path = typer.Argument(
        ..., help="Entity rows: key column(s), a time column, labels; Parquet or CSV."
    ),
    wanted: str = typer.Option(..., "--features", help="Comma-separated view:feature (or view:*)."),
    out: Path = typer.Option(..., "--out", help="Where to write the rows: .parquet or .csv."),
    timestamp: str | None = typer.Option(
        None, "--timestamp", help="Time column of the entity rows (default: the only one)."
    ),
    defaults: bool = typer.Option(
        False, "--defaults", help="Fill missing or expired values with declared defaults."
    ),
    full_names: bool = typer.Option(False, "--full-names", help="Name columns view__feature."),
    memory: str = typer.Option(
        "2GB", "--memory", help="Memory limit of the join (spills past it)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Training rows: each entity row gets the feature values as they were at its own time.

    A value comes from the latest row at or before the entity row's time,
    already written by then, and within the view's time-to-live; nothing from
    later leaks in. Rows keep their order.
    """
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        result = features.historical(
            ws.context,
            entities,
            wanted,
            timestamp=timestamp,
            out=out,
            defaults=defaults,
            full_names=full_names,
            memory_limit=memory,
        )
    if as_json:
        echo_json(result.to_dict())
        return
    out_console = console()
    out_console.print(f"wrote {result.rows:,} rows to {out} in {result.seconds:.1f} s")
    for sentence in result.sentences():
        out_console.print(f"- {sentence}")


@features_app.command(
    "materialize", epilog=examples(MATERIALIZE, f"{MATERIALIZE} customer --since 30d")
)
def materialize_command(
    ctx: typer.Context,
    views: list[str] = typer.Argument(None, help="Views to copy (default: all)."),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Read again from this time (2026-11-20, or 7d back); default: where the last run ended.",
    ),
    until: str | None = typer.Option(None, "--until", help="Newest time to copy (default: now)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Copy each entity's latest values into the online store that serving reads.

    Incremental: each run reads what arrived since the last one ended.
    Idempotent: a value replaces a stored one only if it is newer, so a run
    may be repeated, or resumed after a crash.
    """
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        done = features.materialize(
            ws.context, views or None, since=_when(since), until=_when(until)
        )
    if as_json:
        echo_json([m.to_dict() for m in done])
        return
    if not done:
        console().print("no feature views registered; declare some: " + APPLY)
    for m in done:
        console().print(m.sentence())


@features_app.command("get", epilog=examples("driftline features get customer 1042"))
def get_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="View name."),
    keys: list[str] = typer.Argument(
        ..., help="Entity key(s); parts of a compound key joined by ','."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """What the online store serves for some entities of a view."""
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        view = features.get_view(ws.context, name)
        with features.open_store(ws.settings.online_store_url) as store:
            texts = [features.key_text(k.split(",")) or "" for k in keys]
            found = store.read(view.name, texts)
    rows = []
    for key, stored in zip(keys, found, strict=True):
        if stored is None:
            rows.append({"key": key, "found": False})
            continue
        event = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=stored.event_us)
        rows.append({"key": key, "found": True, "event_time": event.isoformat(), **stored.values})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        console().print(row)


@features_app.command("drift", epilog=examples(DRIFT, f"{DRIFT} --json"))
def drift_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="View name."),
    since: str = typer.Option(..., "--since", help="Start of the recent window (7d, or a date)."),
    until: str | None = typer.Option(
        None, "--until", help="End of the recent window (default: now)."
    ),
    reference_since: str | None = typer.Option(
        None, "--reference-since", help="Start of the reference window (default: the beginning)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Did a view's values drift? The recent window against everything before it.

    Exit code: 0 no drift, 1 drift detected, 2 bad input.
    """
    from driftline import features

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = features.view_drift(
            ws.context,
            name,
            since=_when(since),  # type: ignore[arg-type]
            until=_when(until),
            reference_since=_when(reference_since),
        )
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report)
    if report.drift_detected:
        raise typer.Exit(1)
