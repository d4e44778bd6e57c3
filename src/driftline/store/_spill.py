"""One Parquet file from many Arrow chunks in bounded memory: row groups streamed from disk.

Compaction turns a segment's records into Arrow a chunk at a time. The chunks
of one file can disagree on a column's type (an input sent as 1 in one request,
1.5 or "1" in another) or on which columns there are, while a Parquet file has
one schema, fixed before its first row group. So each chunk is spilled to an
Arrow IPC file as it is made; once the segment is read, the file's schema is
settled from the chunks' schemas alone, and the chunks are read back one at a
time (memory-mapped), made to fit it and written as row groups. What is held in
memory is one chunk, never the segment.

The types are settled as Arrow promotes them (int with float gives float); a
column whose kinds cannot meet (numbers and text) is kept as text, as reading
the records in memory would keep it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SpilledTable", "as_texts"]


def as_texts(values: Iterable[Any]) -> list[str | None]:
    """Values as text, JSON for what is not already text."""
    return [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]


class _Mismatch(Exception):
    """A chunk's column would not convert to the settled type."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class SpilledTable:
    """Chunks of one future Parquet file, spilled to ``folder`` until it is written."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.parts: list[Path] = []
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        path = self.folder / f"{self.name}-{len(self.parts):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        self.parts.append(path)
        self.rows += table.num_rows

    def write_parquet(self, path: Path) -> None:
        """Write every chunk into one Parquet file at ``path``, a row group each, then drop them."""
        schemas = [_schema(p) for p in self.parts]
        as_text: set[str] = set()
        while True:
            target = _settle(schemas, as_text)
            try:
                with pq.ParquetWriter(str(path), target) as writer:
                    for part in self.parts:
                        source = pa.memory_map(str(part))
                        try:
                            table = pa.ipc.open_file(source).read_all()
                            writer.write_table(_fit(table, target, as_text))
                            del table
                        finally:
                            source.close()
                break
            except _Mismatch as exc:  # a value the type cannot hold: that column becomes text
                as_text.add(exc.name)
        for part in self.parts:
            part.unlink(missing_ok=True)
        self.parts = []


def _schema(path: Path) -> pa.Schema:
    source = pa.memory_map(str(path))
    try:
        return pa.ipc.open_file(source).schema
    finally:
        source.close()


def _settle(schemas: list[pa.Schema], as_text: set[str]) -> pa.Schema:
    """The one schema the chunks fit, turning ``as_text`` (grown as needed) into text."""

    def texted(schema: pa.Schema) -> pa.Schema:
        for name in as_text & set(schema.names):
            schema = schema.set(schema.get_field_index(name), pa.field(name, pa.string()))
        return schema

    try:
        return pa.unify_schemas([texted(s) for s in schemas], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, NotImplementedError):
        pass
    # Some column's kinds cannot meet: find which, column by column; only those become text.
    fields: dict[str, list[pa.Field]] = {}
    for schema in schemas:
        for f in schema:
            fields.setdefault(f.name, []).append(f)
    for name, found in fields.items():
        try:
            pa.unify_schemas([pa.schema([f]) for f in found], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, NotImplementedError):
            as_text.add(name)
    return pa.unify_schemas([texted(s) for s in schemas], promote_options="permissive")


def _fit(table: pa.Table, target: pa.Schema, as_text: set[str]) -> pa.Table:
    columns = []
    for f in target:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        column = table.column(f.name)
        if f.name in as_text and not pa.types.is_string(column.type):
            column = pa.chunked_array([pa.array(as_texts(column.to_pylist()), pa.string())])
        if column.type != f.type:
            try:
                column = column.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, NotImplementedError) as exc:
                if f.name in as_text:
                    raise
                raise _Mismatch(f.name) from exc
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=target)
