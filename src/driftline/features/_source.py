"""A view's rows as Arrow record batches, from its files or its database table, checked first.

Files are read through :mod:`driftline.io` (one batch at a time, only the
columns needed); a table of the workspace database is read with a
server-side cursor, a few thousand rows at a time. Before anything is read,
the source's columns are checked against the declaration: each error names
the view, the column, what it holds and what was declared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline.errors import InputError
from driftline.features._view import FeatureView, SqlSource

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["ViewData", "arrow_type", "open_view"]

_SQL_BATCH = 10_000
_ARROW = {"int": pa.int64(), "float": pa.float64(), "string": pa.string(), "bool": pa.bool_()}


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of a declared feature type."""
    return _ARROW[kind]


@dataclasses.dataclass(frozen=True)
class ViewData:
    """A view's source, opened: its columns' types and a way to read the rows again."""

    view: FeatureView
    schema: pa.Schema
    _read: Callable[[list[str]], Iterator[pa.RecordBatch]]

    @property
    def where(self) -> str:
        return self.view.origin.describe()

    def columns(self, features: Sequence[str] | None = None) -> list[str]:
        """The key, time and feature columns a join or a copy needs (every feature by default)."""
        view = self.view
        wanted = list(view.feature_names if features is None else features)
        times = [view.timestamp] + ([view.created] if view.created else [])
        return [*view.entities, *times, *wanted]

    def reader(self, columns: Sequence[str]) -> pa.RecordBatchReader:
        """The rows, only ``columns``, as a stream read once."""
        schema = pa.schema([self.schema.field(c) for c in columns])
        return pa.RecordBatchReader.from_batches(schema, self._read(list(columns)))


def open_view(ctx: Context | None, view: FeatureView) -> ViewData:
    """Open ``view``'s source and check its columns against the declaration."""
    source = view.origin
    if isinstance(source, SqlSource):
        if ctx is None:
            raise InputError(
                f"feature view {view.name!r} reads {source.describe()} of the workspace "
                "database; open a workspace to read it"
            )
        schema, read = _sql_source(ctx, view, source)
    else:
        from driftline.io import open_table

        text = [f.name for f in view.declared if f.type == "string"]
        opened = open_table(
            source.path, text=text, what=f"the source of feature view {view.name!r}"
        )
        schema, read = opened.schema, opened.batches
    check_schema(view, schema)
    return ViewData(view, schema, read)


def check_schema(view: FeatureView, schema: pa.Schema) -> None:
    """Every declared column is there, with a type the declaration allows."""
    where = f"feature view {view.name!r}"
    source = view.origin.describe()
    names = set(schema.names)
    needed = [("entity key", e) for e in view.entities] + [("event time", view.timestamp)]
    needed += [("created time", view.created)] if view.created else []
    needed += [("feature", f) for f in view.feature_names]
    for role, column in needed:
        if column not in names:
            raise InputError(
                f"{where}: its {role} column {column!r} is not in {source}, whose columns are "
                f"{', '.join(schema.names)}; fix the declaration or the data"
            )
    times: list[tuple[str, str | None]] = [("event time", view.timestamp)]
    for kind, time_column in [*times, ("created time", view.created)]:
        if time_column is not None and not _is_time(schema.field(time_column).type):
            raise InputError(
                f"{where}: its {kind} column {time_column!r} in {source} holds "
                f"{schema.field(time_column).type}, not date-times; store times as timestamps "
                "(or ISO text in a CSV file)"
            )
    for entity in view.entities:
        kind = schema.field(entity).type
        if not (
            pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ):
            raise InputError(
                f"{where}: its entity key column {entity!r} in {source} holds {kind}; a key "
                "must be whole numbers or text"
            )
    for f in view.declared:
        got = schema.field(f.name).type
        if not _compatible(got, f.type):
            raise InputError(
                f"{where}: feature {f.name!r} is declared {f.type} but {source} holds "
                f"{got}; fix the type in the declaration or the data"
            )


def _is_time(kind: pa.DataType) -> bool:
    return pa.types.is_timestamp(kind) or pa.types.is_date(kind)


def _compatible(got: pa.DataType, declared: str) -> bool:
    if pa.types.is_null(got):
        return True  # a column with no value yet
    if pa.types.is_dictionary(got):
        got = got.value_type
    if declared == "int":
        return pa.types.is_integer(got)
    if declared == "float":
        return pa.types.is_integer(got) or pa.types.is_floating(got) or pa.types.is_decimal(got)
    if declared == "bool":
        return pa.types.is_boolean(got)
    return pa.types.is_string(got) or pa.types.is_large_string(got)


# -- a table of the workspace database ----------------------------------------------------


def _sql_source(
    ctx: Context, view: FeatureView, source: SqlSource
) -> tuple[pa.Schema, Callable[[list[str]], Iterator[pa.RecordBatch]]]:
    import sqlalchemy as sa

    with ctx.db.connect() as conn:
        try:
            table = sa.Table(source.table, sa.MetaData(), autoload_with=conn, schema=source.schema)
        except sa.exc.NoSuchTableError:
            raise InputError(
                f"feature view {view.name!r} reads {source.describe()}, which the workspace "
                "database does not have; create it or fix the declaration"
            ) from None
    declared = {f.name: arrow_type(f.type) for f in view.declared}
    fields = [pa.field(c.name, declared.get(c.name) or _sql_arrow(c.type)) for c in table.columns]
    schema = pa.schema(fields)

    def read(columns: list[str]) -> Iterator[pa.RecordBatch]:
        target = pa.schema([schema.field(c) for c in columns])
        query = sa.select(*(table.c[c] for c in columns))
        with ctx.db.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=_SQL_BATCH).execute(
                query
            )
            for rows in result.partitions():
                values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
                arrays = [_array(list(v), f.type) for v, f in zip(values, target, strict=True)]
                yield pa.RecordBatch.from_arrays(arrays, schema=target)

    return schema, read


def _sql_arrow(kind: Any) -> pa.DataType:
    import sqlalchemy as sa

    if isinstance(kind, sa.DateTime | sa.Date):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float | sa.Numeric):
        return pa.float64()
    return pa.string()


def _array(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(kind):
        values = [_utc(v) for v in values]
    return pa.array(values, type=kind)


def _utc(value: Any) -> Any:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value
