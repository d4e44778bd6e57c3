"""DuckDB, set up the same way for every query of the feature store.

Each query gets a database of its own in memory, with a memory limit and a
temporary spill folder, so a join larger than memory spills to disk instead
of failing or taking the machine (1M x 5M rows under a 300MB limit: done, the
process peaking near 630 MiB); times are compared in UTC. Arrow
streams are first loaded into tables of that database (:func:`load`): DuckDB
plans an ASOF join over a stream it cannot measure as a nested scan, which
took minutes for what takes a second from a table.

A view's rows enter a query as the ``known`` rows of :func:`known_rows`:
each row becomes visible at the later of its event time and its created
time (a row written late was not known before it was written), and of the
rows visible at any moment the one with the latest event time, then the
latest created time, holds. DuckDB's ASOF join picks the last visible row at
or before a time; keeping only the rows that beat every row visible before
them (a running maximum) makes that last row the one that holds.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftline.errors import InputError

__all__ = ["DEFAULT_MEMORY", "connect", "known_rows", "load", "quote", "utc"]

DEFAULT_MEMORY = "2GB"
_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN"}


_streams = itertools.count()


@contextlib.contextmanager
def connect(memory_limit: str | None = None) -> Iterator[Any]:
    """A DuckDB connection to a fresh database; what it spills goes to a folder removed after."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="driftline-duckdb-") as folder:
        # In memory: a database file costs its writes and checkpoint (a third more time),
        # and the spill folder bounds memory as well.
        con = duckdb.connect(":memory:")
        try:
            try:
                con.execute(f"SET memory_limit = {_literal(memory_limit or DEFAULT_MEMORY)}")
            except duckdb.Error as exc:
                raise InputError(
                    f"memory limit {memory_limit!r} is not a size DuckDB reads; write it like "
                    "2GB or 512MB"
                ) from exc
            con.execute(f"SET temp_directory = {_literal(str(Path(folder) / 'spill'))}")
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


def load(con: Any, name: str, reader: Any, select: str = "*") -> None:
    """Copy an Arrow stream into table ``name`` (``select`` may compute its columns)."""
    stream = f"stream_{next(_streams)}"
    con.register(stream, reader)
    try:
        con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM {stream}")
    finally:
        con.unregister(stream)


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_type(kind: str) -> str:
    return _SQL_TYPES[kind]


def utc(column: str, kind: pa.DataType) -> str:
    """An expression giving ``column`` as a UTC TIMESTAMPTZ (naive times are taken as UTC)."""
    col = quote(column)
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return f"CAST({col} AS TIMESTAMPTZ)"
    if pa.types.is_timestamp(kind):
        return f"timezone('UTC', CAST({col} AS TIMESTAMP))"
    return f"timezone('UTC', CAST({col} AS TIMESTAMP))"  # a date: its midnight, UTC


def known_rows(
    table: str,
    schema: pa.Schema,
    keys: Sequence[str],
    timestamp: str,
    created: str | None,
    features: Sequence[tuple[str, str]],
) -> str:
    """SQL for the rows of ``table`` that hold from their visible time ``__vis`` on.

    Columns: the keys, ``__e`` (event time), ``__vis`` and each feature cast
    to its declared type (``features`` are ``(name, type)`` pairs).
    """
    key_cols = ", ".join(quote(k) for k in keys)
    values = ", ".join(f"CAST({quote(n)} AS {sql_type(t)}) AS {quote(n)}" for n, t in features)
    event = utc(timestamp, schema.field(timestamp).type)
    not_null = " AND ".join([f"{quote(k)} IS NOT NULL" for k in keys] + [f"{event} IS NOT NULL"])
    if created is None:
        # Without a created time a row is visible from its event time: every row holds
        # from then on (rows of one entity at one event time: one of them).
        return (
            f"SELECT {key_cols}, {event} AS __e, {event} AS __vis, {values} "
            f"FROM {table} WHERE {not_null}"
        )
    made = utc(created, schema.field(created).type)
    rows = (
        f"SELECT {key_cols}, {event} AS __e, coalesce({made}, {event}) AS __c, {values} "
        f"FROM {table} WHERE {not_null}"
    )
    order = f"PARTITION BY {key_cols} ORDER BY __vis, __e, __c"
    return f"""
        SELECT {key_cols}, __e, __vis, {", ".join(quote(n) for n, _ in features)} FROM (
            SELECT *,
                max((__e, __c)) OVER (
                    {order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS __best,
                lead(__vis) OVER ({order}) AS __next_vis,
                lead((__e, __c)) OVER ({order}) AS __next
            FROM (SELECT *, greatest(__e, __c) AS __vis FROM ({rows}))
        )
        WHERE (__best IS NULL OR (__e, __c) > __best)
          AND NOT (__next_vis IS NOT DISTINCT FROM __vis AND __next > (__e, __c))
    """
