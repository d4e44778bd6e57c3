"""Materialize: copy each entity's latest values into the online store, incrementally.

A run reads the rows that became visible (see ``_duck``) after the end of
the previous run for the same view version and store, up to now, keeps each
entity's latest of them, and writes those with the store's newer-wins rule.
The run is recorded only after every value is written: a run killed midway
leaves the previous end in place, and the next run reads those rows again,
which the newer-wins rule makes harmless. A new version of a view (its
features changed) starts from the beginning.

Rows that arrive late without a created time (an event time before the last
run's end) are not seen by later runs: declare a created time for such
sources, or run with ``since`` to read the past again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import select

from driftline.features._catalog import get_view, list_views
from driftline.features._duck import connect, load, quote, sql_type, utc
from driftline.features._keys import key_texts
from driftline.features._online import OnlineStore, encode
from driftline.features._report import Materialized
from driftline.features._source import open_view
from driftline.features._stores import open_store
from driftline.features._view import FeatureView
from driftline.store import FeatureMaterializationRow

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["last_run", "materialize"]

_BATCH = 50_000


def materialize(
    ctx: Context,
    views: Sequence[str] | None = None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    store: OnlineStore | None = None,
    actor: str | None = None,
    memory_limit: str | None = None,
) -> list[Materialized]:
    """Copy the latest values of ``views`` (default: every registered view) into the store.

    ``since`` reads again from that time instead of from the last run's end;
    ``until`` (default now) is the newest time a row may become visible.
    ``store`` defaults to the one ``DRIFTLINE_ONLINE_STORE_URL`` names.
    """
    chosen = [get_view(ctx, n) for n in views] if views else list_views(ctx)
    end = _aware(until) or dt.datetime.now(dt.UTC)
    online = store or open_store(ctx.settings.online_store_url)
    try:
        return [_one(ctx, view, online, _aware(since), end, actor, memory_limit) for view in chosen]
    finally:
        if store is None:
            online.close()


def last_run(ctx: Context, view: FeatureView, store: str) -> FeatureMaterializationRow | None:
    """The latest run of this version of ``view`` into ``store``, if any."""
    with ctx.db.read() as s:
        return s.scalars(
            select(FeatureMaterializationRow)
            .where(
                FeatureMaterializationRow.view == view.name,
                FeatureMaterializationRow.view_version == (view.version or 0),
                FeatureMaterializationRow.store == store,
            )
            .order_by(FeatureMaterializationRow.until.desc())
            .limit(1)
        ).first()


def _one(
    ctx: Context,
    view: FeatureView,
    online: OnlineStore,
    since: dt.datetime | None,
    until: dt.datetime,
    actor: str | None,
    memory_limit: str | None,
) -> Materialized:
    where = online.describe()
    if since is None:
        previous = last_run(ctx, view, where)
        since = _aware(previous.until) if previous is not None else None
    data = open_view(ctx, view)
    rows = entities = 0
    with connect(memory_limit) as con:
        load(con, "source", data.reader(data.columns()))
        reader = con.sql(_latest_query(view, data.schema, since, until)).to_arrow_reader(_BATCH)
        for batch in reader:
            rows += int(pa.compute.sum(batch.column("__n")).as_py() or 0)
            entities += _write(online, view, batch)
    ran = dt.datetime.now(dt.UTC)
    with ctx.db.write() as s:
        s.add(
            FeatureMaterializationRow(
                view=view.name,
                view_version=view.version or 0,
                store=where,
                since=since,
                until=until,
                rows=rows,
                entities=entities,
                ran_at=ran,
                ran_by=actor or ctx.settings.actor,
            )
        )
    return Materialized(view.name, view.version, where, since, until, rows, entities)


def _latest_query(
    view: FeatureView, schema: pa.Schema, since: dt.datetime | None, until: dt.datetime
) -> str:
    keys = ", ".join(quote(k) for k in view.entities)
    event = utc(view.timestamp, schema.field(view.timestamp).type)
    made = utc(view.created, schema.field(view.created).type) if view.created else event
    values = ", ".join(
        f"CAST({quote(f.name)} AS {sql_type(f.type)}) AS {quote(f.name)}" for f in view.declared
    )
    lower = f"AND __vis > '{since.isoformat()}'::TIMESTAMPTZ" if since is not None else ""
    not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in view.entities)
    return f"""
        SELECT {keys}, epoch_us(__e) AS __e, epoch_us(__c) AS __c, {", ".join(quote(f) for f in view.feature_names)},
            count(*) OVER (PARTITION BY {keys}) AS __n
        FROM (
            SELECT {keys}, {event} AS __e, coalesce({made}, {event}) AS __c,
                greatest({event}, coalesce({made}, {event})) AS __vis, {values}
            FROM source WHERE {not_null} AND {event} IS NOT NULL
        )
        WHERE __vis <= '{until.isoformat()}'::TIMESTAMPTZ {lower}
        QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __e DESC, __c DESC) = 1
    """


def _write(online: OnlineStore, view: FeatureView, batch: pa.RecordBatch) -> int:
    keys = key_texts([batch.column(k).to_pylist() for k in view.entities])
    names = view.feature_names
    columns = [batch.column(n).to_pylist() for n in names]
    payloads = [
        encode(dict(zip(names, values, strict=True))) for values in zip(*columns, strict=True)
    ]
    events = batch.column("__e").to_pylist()
    createds = batch.column("__c").to_pylist()
    kept = [i for i, k in enumerate(keys) if k is not None]
    online.write(
        view.name,
        [keys[i] for i in kept],  # type: ignore[misc]
        [events[i] for i in kept],
        [createds[i] for i in kept],
        [payloads[i] for i in kept],
    )
    return len(kept)


def _aware(when: Any) -> dt.datetime | None:
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
