"""Training data, point in time: each entity row gets the feature values as they were at its time.

For every row of the entity table (key columns, a time, anything else such
as labels) and every view asked for, the value is the one of the view's row
with the latest event time at or before the row's time, among the rows
already written by then (see ``_duck``: a correction written later is not
seen before it was written), and only if that event time is within the
view's time-to-live of the row's time. Nothing later than the row's time
leaks in.

DuckDB computes it with ASOF joins, reading the entity rows and each view's
rows as Arrow streams through :mod:`driftline.io`, under a memory limit past
which it spills to disk; the result streams out in batches, to a file or
into memory. Rows come out in the order they came in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from driftline.errors import InputError
from driftline.features._catalog import Selection, select_features
from driftline.features._duck import connect, known_rows, load, quote, utc
from driftline.features._report import Coverage, HistoricalResult
from driftline.features._source import open_view
from driftline.features._view import FeatureView

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["historical"]

_BATCH = 131_072
_ROW = "__driftline_row"
_TIME = "__driftline_time"


def historical(
    ctx: Context | Sequence[FeatureView],
    entities: Any,
    features: Sequence[str] | str,
    *,
    timestamp: str | None = None,
    out: str | Path | None = None,
    defaults: bool = False,
    full_names: bool = False,
    memory_limit: str | None = None,
) -> HistoricalResult:
    """Join ``features`` (``"view:feature"`` or ``"view:*"``) onto ``entities`` point in time.

    ``ctx`` is the workspace's context (registered views) or the views
    themselves. ``entities`` is anything :func:`driftline.io.open_table`
    reads: a frame, an Arrow table, a Parquet or CSV path. Its time column is
    ``timestamp``, by default its one date-time column that is not a key.
    With ``out`` (a .parquet or .csv path) the rows are written there as they
    come; otherwise the result holds them as an Arrow table. ``defaults``
    fills a missing or expired value with the feature's declared default, as
    a deployment with ``on_missing = "default"`` does; ``full_names`` names
    columns ``view__feature``. ``memory_limit`` bounds DuckDB (default 2GB).
    """
    from driftline.io import open_table, write_batches

    started = time.perf_counter()
    selections = select_features(ctx, features)
    source = open_table(entities, what="the entity rows")
    schema = source.schema
    stamp = _time_column(schema, selections, timestamp)
    names = _output_names(schema, selections, full_names)
    datas = [open_view(None if isinstance(ctx, Sequence) else ctx, s.view) for s in selections]
    for sel, data in zip(selections, datas, strict=True):
        _check_keys(schema, sel.view, data.schema)

    with connect(memory_limit) as con:
        load(con, "entities", _numbered(source.batches(), schema))
        for i, (sel, data) in enumerate(zip(selections, datas, strict=True)):
            load(con, f"view_{i}", data.reader(data.columns(sel.features)))
        query = _query(schema, stamp, selections, datas, names, defaults)
        reader = con.sql(query).to_arrow_reader(_BATCH)
        counts = [np.zeros(3, dtype=np.int64) for _ in selections]
        kept = [n for n in reader.schema.names if not n.startswith("__driftline_")]
        out_schema = pa.schema([reader.schema.field(n) for n in kept])

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                for i, count in enumerate(counts):
                    status = batch.column(f"__driftline_status_{i}").to_numpy()
                    count += np.bincount(status, minlength=3)
                yield batch.select(kept)

        if out is not None:
            rows = write_batches(out, out_schema, batches(), what="the training rows")
            table = None
        else:
            table = pa.Table.from_batches(list(batches()), schema=out_schema)
            rows = table.num_rows
    coverage = tuple(
        Coverage(
            view=sel.view.name,
            version=sel.view.version,
            features=sel.features,
            found=int(c[1]),
            expired=int(c[2]),
            missing=int(c[0]),
        )
        for sel, c in zip(selections, counts, strict=True)
    )
    return HistoricalResult(
        rows=rows,
        coverage=coverage,
        table=table,
        path=str(out) if out is not None else None,
        seconds=time.perf_counter() - started,
    )


def _numbered(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatchReader:
    """The entity rows with their position, so the result keeps their order."""
    numbered = schema.append(pa.field(_ROW, pa.int64()))

    def gen() -> Iterator[pa.RecordBatch]:
        start = 0
        for batch in batches:
            n = batch.num_rows
            rows = pa.array(np.arange(start, start + n, dtype=np.int64))
            start += n
            yield pa.RecordBatch.from_arrays([*batch.columns, rows], schema=numbered)

    return pa.RecordBatchReader.from_batches(numbered, gen())


def _query(
    schema: pa.Schema,
    stamp: str,
    selections: list[Selection],
    datas: list[Any],
    names: list[list[str]],
    defaults: bool,
) -> str:
    ctes = [f"e AS (SELECT *, {utc(stamp, schema.field(stamp).type)} AS {_TIME} FROM entities)"]
    joins, columns = [], ["e.* EXCLUDE (" + quote(_ROW) + ", " + quote(_TIME) + ")"]
    for i, (sel, data, out) in enumerate(zip(selections, datas, names, strict=True)):
        view = sel.view
        typed = [(f, view.feature(f).type) for f in sel.features]
        ctes.append(
            f"v{i} AS ("
            + known_rows(
                f"view_{i}", data.schema, view.entities, view.timestamp, view.created, typed
            )
            + ")"
        )
        on = " AND ".join(f"e.{quote(k)} = v{i}.{quote(k)}" for k in view.entities)
        joins.append(f"ASOF LEFT JOIN v{i} ON {on} AND e.{_TIME} >= v{i}.__vis")
        ttl = view.ttl_period
        fresh = (
            f"v{i}.__e >= e.{_TIME} - to_microseconds({int(ttl.total_seconds() * 1_000_000)})"
            if ttl is not None
            else "TRUE"
        )
        for feature, column in zip(sel.features, out, strict=True):
            value = f"CASE WHEN {fresh} THEN v{i}.{quote(feature)} END"
            default = view.feature(feature).default
            if defaults and default is not None:
                value = f"coalesce({value}, {_sql_value(default)})"
            columns.append(f"{value} AS {quote(column)}")
        columns.append(
            f"CAST(CASE WHEN v{i}.__e IS NULL THEN 0 WHEN {fresh} THEN 1 ELSE 2 END AS TINYINT) "
            f"AS __driftline_status_{i}"
        )
    return (
        "WITH "
        + ",\n".join(ctes)
        + "\nSELECT "
        + ",\n  ".join(columns)
        + "\nFROM e\n"
        + "\n".join(joins)
        + f"\nORDER BY e.{quote(_ROW)}"
    )


def _sql_value(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _time_column(schema: pa.Schema, selections: list[Selection], timestamp: str | None) -> str:
    keys = {k for s in selections for k in s.view.entities}
    if timestamp is not None:
        if timestamp not in schema.names:
            raise InputError(
                f"the entity rows have no column {timestamp!r} to take times from; their "
                f"columns are {', '.join(schema.names)}"
            )
        kind = schema.field(timestamp).type
        if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            raise InputError(
                f"the entity rows' time column {timestamp!r} holds {kind}, not date-times; "
                "convert it (pandas: pd.to_datetime) or name another with timestamp="
            )
        return timestamp
    times = [
        f.name
        for f in schema
        if (pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)) and f.name not in keys
    ]
    if len(times) != 1:
        found = f"{len(times)}: {', '.join(times)}" if times else "none"
        raise InputError(
            f"the entity rows need one date-time column saying when each row happened, "
            f"found {found}; name it with timestamp= (CLI: --timestamp)"
        )
    return times[0]


def _output_names(
    schema: pa.Schema, selections: list[Selection], full_names: bool
) -> list[list[str]]:
    taken = {n: "a column of the entity rows" for n in schema.names}
    out = []
    for sel in selections:
        names = []
        for feature in sel.features:
            name = f"{sel.view.name}__{feature}" if full_names else feature
            if name in taken:
                raise InputError(
                    f"feature {sel.view.name}:{feature} would be column {name!r}, which is "
                    f"already {taken[name]}; ask with full names (full_names=True, CLI: "
                    "--full-names) to get view__feature columns"
                )
            taken[name] = f"feature {sel.view.name}:{feature}"
            names.append(name)
        out.append(names)
    return out


def _check_keys(schema: pa.Schema, view: FeatureView, source: pa.Schema) -> None:
    for key in view.entities:
        if key not in schema.names:
            raise InputError(
                f"the entity rows have no column {key!r}, the key of feature view "
                f"{view.name!r}; their columns are {', '.join(schema.names)}"
            )
        mine, theirs = _key_kind(schema.field(key).type), _key_kind(source.field(key).type)
        if mine != theirs:
            raise InputError(
                f"column {key!r} holds {mine} in the entity rows but {theirs} in feature view "
                f"{view.name!r}; give keys of one kind (both whole numbers or both text)"
            )


def _key_kind(kind: pa.DataType) -> str:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_integer(kind):
        return "whole numbers"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    return str(kind)
