"""Every kind of table a profile accepts, read as Arrow chunks of a fixed size.

A source says whether it is in memory (bins can be computed exactly on the
whole table), can be read again (a file: a first pass learns the bins) or can
be read only once (a RecordBatchReader: bins come from the first chunk).
Chunks are cut to exactly ``chunk_size`` rows whatever the input, so the same
rows give the same chunks, and so the same profile, from every kind of input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from driftline.errors import InputError

__all__ = ["Source", "open_source", "rebatch"]

Access = Literal["memory", "file", "stream"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv")


@dataclass
class Source:
    """A schema and a way to read record batches (once, or again and again)."""

    schema: pa.Schema
    access: Access
    _read: Callable[[list[str]], Iterator[pa.RecordBatch]]
    table: pa.Table | None = None

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        return self._read(columns)


def open_source(
    data: Any, *, csv_types: dict[str, pa.DataType] | None = None, what: str = "data"
) -> Source:
    """A Source for a DataFrame, Arrow table or reader, 2-D array or file path."""
    if isinstance(data, str | Path):
        return _open_path(Path(data), csv_types or {})
    if isinstance(data, pa.RecordBatchReader):
        return _stream(data)
    table = _to_table(data, what)
    return Source(table.schema, "memory", lambda cols: iter(table.select(cols).to_batches()), table)


def _to_table(data: Any, what: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            frame = data.rename(columns=str) if not all(isinstance(c, str) for c in data) else data
            try:
                return pa.Table.from_pandas(frame, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise InputError(
                    f"{what} has a column Arrow cannot read ({exc}); give every column one "
                    f"type, e.g. df[col] = df[col].astype(str) for mixed text and numbers"
                ) from exc
    if module == "polars" and hasattr(data, "to_arrow"):
        return data.to_arrow()
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise InputError(
                f"{what} as a numpy array must be 2-D (rows x columns), got {data.ndim}-D; "
                f"reshape it, e.g. values.reshape(-1, 1) for one column"
            )
        return pa.table({f"x{j}": data[:, j] for j in range(data.shape[1])})
    raise InputError(
        f"{what} must be a pandas or polars DataFrame, a pyarrow Table or RecordBatchReader, "
        f"a 2-D numpy array or a path to a Parquet or CSV file, got {type(data).__name__}"
    )


def _stream(reader: pa.RecordBatchReader) -> Source:
    used = False

    def read(columns: list[str]) -> Iterator[pa.RecordBatch]:
        nonlocal used
        if used:
            raise InputError(
                "a RecordBatchReader can be read only once; pass a table or a file path "
                "to read the data again"
            )
        used = True
        for batch in reader:
            yield batch.select(columns)

    return Source(reader.schema, "stream", read)


def _open_path(path: Path, csv_types: dict[str, pa.DataType]) -> Source:
    if not path.exists():
        raise InputError(f"no file at {str(path)!r}; give the path of a Parquet or CSV file")
    name = path.name.lower()
    if path.is_dir() or name.endswith(_PARQUET_SUFFIXES):
        import pyarrow.dataset as ds

        # Without pre-buffering and with little read-ahead, memory stays at about a row group
        # whatever the size of the file: pre-buffered row groups stay in memory until the
        # whole file is read (apache/arrow#39808), which made memory grow with the rows.
        scan = ds.ParquetFragmentScanOptions(pre_buffer=False)
        dataset = ds.dataset(path, format=ds.ParquetFileFormat(default_fragment_scan_options=scan))

        def read_parquet(columns: list[str]) -> Iterator[pa.RecordBatch]:
            yield from dataset.to_batches(columns=columns, batch_readahead=2, fragment_readahead=1)

        return Source(dataset.schema, "file", read_parquet)
    if name.endswith(_CSV_SUFFIXES):
        import pyarrow.csv as csv

        delimiter = "\t" if name.endswith(".tsv") else ","

        def open_csv(columns: list[str] | None) -> Any:
            return csv.open_csv(
                pa.input_stream(str(path), compression="detect"),
                parse_options=csv.ParseOptions(delimiter=delimiter),
                # As in pandas.read_csv: CSV cannot tell an empty string from a missing one,
                # and a missing one is what an empty field almost always means.
                convert_options=csv.ConvertOptions(
                    column_types=csv_types, include_columns=columns, strings_can_be_null=True
                ),
            )

        def read_csv(columns: list[str]) -> Iterator[pa.RecordBatch]:
            yield from open_csv(columns)

        return Source(open_csv(None).schema, "file", read_csv)
    raise InputError(
        f"cannot tell the format of {str(path)!r}; name it *.parquet or *.csv, "
        f"or read it yourself and pass a table"
    )


def rebatch(batches: Iterator[pa.RecordBatch], chunk_size: int) -> Iterator[pa.Table]:
    """The same rows as tables of exactly ``chunk_size`` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        rows += batch.num_rows
        if rows < chunk_size:
            continue
        table = pa.Table.from_batches(pending)
        start = 0
        while rows - start >= chunk_size:
            yield table.slice(start, chunk_size)
            start += chunk_size
        pending = table.slice(start).to_batches()
        rows -= start
    if rows:
        yield pa.Table.from_batches(pending)
