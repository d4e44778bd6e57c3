"""Time buckets in SQL, written once for SQLite and once for PostgreSQL.

Charts cut a year of windows into a few hundred buckets inside the
database, so that only the buckets cross into Python. That needs a stored
time as seconds since 1970 and a whole bucket number, which the two
databases spell differently.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

__all__ = ["epoch", "whole"]


class epoch(FunctionElement[float]):
    """A stored date-time as seconds since 1970-01-01 UTC, to the millisecond."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC date-times as text; 2440587.5 is the Julian day of 1970-01-01.
    # Rounded to the millisecond so that hour boundaries stay whole seconds.
    arg = compiler.process(element.clauses, **kw)
    return f"round((julianday({arg}) - 2440587.5) * 86400.0, 3)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


class whole(FunctionElement[int]):
    """A non-negative number rounded down to a whole one."""

    type = Integer()
    inherit_cache = True


@compiles(whole, "sqlite")
def _whole_sqlite(element: whole, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"  # truncates


@compiles(whole, "postgresql")
def _whole_postgresql(element: whole, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"  # CAST rounds
