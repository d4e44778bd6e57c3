"""Every kind of table driftline accepts, as one :class:`TableSource` of Arrow record batches.

A source says whether it is in memory (a frame or a table: exact
computations may use all of it), can be read again (a file or a folder: a
first pass may learn something before the second counts) or can be read
only once (a RecordBatchReader). Files are read in batches, so memory stays
bounded whatever their size; :func:`read_table` and :func:`read_frame` give
the whole table to the callers that need every row at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from driftline.errors import InputError
from driftline.io._files import open_files, read_files
from driftline.io._place import Place

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.dataset as ds

__all__ = ["Access", "TableSource", "open_table", "read_frame", "read_table"]

Access = Literal["memory", "file", "stream"]

_ACCEPTED = (
    "a pandas or polars DataFrame, a pyarrow Table, RecordBatch or RecordBatchReader, "
    "a 2-D numpy array, or the path of a Parquet or CSV file or of a folder of them"
)


@dataclass
class TableSource:
    """A schema and a way to read record batches (once, or again and again).

    ``table`` is the whole table when it is in memory.
    """

    schema: pa.Schema
    access: Access
    _read: Callable[[list[str] | None], Iterator[pa.RecordBatch]]
    table: pa.Table | None = None
    _dataset: Callable[[], ds.Dataset] | None = None
    _arrow_bytes: Callable[[list[str] | None], int | None] | None = None

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows in record batches, with only ``columns`` when given."""
        return self._read(None if columns is None else list(columns))

    def read_all(self, columns: Sequence[str] | None = None) -> pa.Table:
        """Every row as one table (a stream is consumed)."""
        if self.table is not None:
            return self.table if columns is None else self.table.select(list(columns))
        schema = (
            self.schema if columns is None else pa.schema([self.schema.field(c) for c in columns])
        )
        return pa.Table.from_batches(list(self.batches(columns)), schema=schema)

    def arrow_bytes(self, columns: Sequence[str] | None = None) -> int | None:
        """About how many bytes ``columns`` take once read, when known before reading.

        A table in memory answers exactly; Parquet files from their footers;
        CSV files and streams do not know (None).
        """
        if self.table is not None:
            return int((self.table if columns is None else self.table.select(list(columns))).nbytes)
        if self._arrow_bytes is None:
            return None
        return self._arrow_bytes(None if columns is None else list(columns))

    def to_dataset(self) -> ds.Dataset:
        """An Arrow dataset to filter lazily: a file's own, else the table in memory."""
        import pyarrow.dataset as ds

        return self._dataset() if self._dataset is not None else ds.dataset(self.read_all())


def open_table(data: Any, *, text: Collection[str] = (), what: str = "data") -> TableSource:
    """A :class:`TableSource` of ``data``: a frame, an Arrow table or stream, an array or a path.

    ``text`` names columns a CSV keeps as text whatever they look like (a zip
    code '02139' keeps its zero); the other CSV columns are typed as Arrow
    types a whole file. Typed data (frames, Arrow, Parquet) keeps its types.
    ``what`` names the data in error messages ("the reference").
    """
    if isinstance(data, str | Path):
        return _open_path(Place(Path(data), what), text)
    if isinstance(data, TableSource):  # opened already (by a caller that reads it again)
        return data
    if isinstance(data, pa.RecordBatchReader):
        return _stream(data)
    table = _to_table(data, what)
    return TableSource(table.schema, "memory", lambda cols: _slices(table, cols), table)


def read_table(data: Any, *, text: Collection[str] = (), what: str = "data") -> pa.Table:
    """Every row of ``data`` as one Arrow table, typed as :func:`open_table` types it."""
    if isinstance(data, str | Path):
        return read_files(Place(Path(data), what), text=text)
    return open_table(data, text=text, what=what).read_all()


def read_frame(data: Any, *, text: Collection[str] = (), what: str = "data") -> pd.DataFrame:
    """``data`` as a pandas DataFrame; a pandas frame is returned as it is.

    A frame's dtypes are what the caller chose (what a model was fitted on),
    so they are kept; anything else is read by :func:`read_table`.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    # Dates become datetime64, not Python date objects: a column of dates is a datetime
    # column to a signature, as it is to a profile.
    return read_table(data, text=text, what=what).to_pandas(date_as_object=False)


def _slices(table: pa.Table, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    return iter((table if columns is None else table.select(columns)).to_batches())


def _open_path(where: Place, text: Collection[str]) -> TableSource:
    files = open_files(where, text=text)
    return TableSource(
        files.schema, "file", files.batches, _dataset=files.dataset, _arrow_bytes=files.arrow_bytes
    )


def _stream(reader: pa.RecordBatchReader) -> TableSource:
    used = False

    def read(columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        nonlocal used
        if used:
            raise InputError(
                "a RecordBatchReader can be read only once; pass a table or a file path "
                "to read the data again"
            )
        used = True
        for batch in reader:
            yield batch if columns is None else batch.select(columns)

    return TableSource(reader.schema, "stream", read)


def _to_table(data: Any, what: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return _from_pandas(data, what)
    if module == "polars" and hasattr(data, "to_arrow"):
        table = data.to_arrow()
        if isinstance(table, pa.Table):
            return table
    if isinstance(data, np.ndarray):
        return _from_numpy(data, what)
    raise InputError(f"{what} must be {_ACCEPTED}; got {type(data).__name__}")


def _from_pandas(frame: pd.DataFrame, what: str) -> pa.Table:
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    plain = _plain_columns(frame)
    if plain is not None:
        return plain
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(
            f"{what} has a column Arrow cannot read ({exc}); give every column one "
            f"type, e.g. df[col] = df[col].astype(str) for mixed text and numbers"
        ) from exc


def _plain_columns(frame: pd.DataFrame) -> pa.Table | None:
    """Numbers, booleans and categories column by column; None when any other column is there.

    What ``pa.Table.from_pandas`` makes of them (NaN as missing, a category as
    an Arrow dictionary of its codes), without the pandas metadata, the thread
    pool and the per-column checks that cost it a third of a warm ``drift()``
    on a frame of 16 category columns.
    """
    import pandas as pd

    if frame.columns.has_duplicates:
        return None
    arrays = []
    for name in frame.columns:
        series = frame[name]
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = dtype.categories
            if categories.dtype.kind not in "iufO" and str(categories.dtype) != "str":
                return None
            codes = np.ascontiguousarray(series.array.codes)
            indices = _with_validity(codes, codes >= 0)
            dictionary = pa.array(categories.to_numpy(), from_pandas=True)
            # pandas keeps its codes within the categories (-1, missing, is masked): no check.
            arrays.append(
                pa.DictionaryArray.from_arrays(
                    indices, dictionary, ordered=dtype.ordered, safe=False
                )
            )
        elif isinstance(dtype, np.dtype) and dtype.kind == "f":
            values = np.ascontiguousarray(series.to_numpy())
            arrays.append(_with_validity(values, ~np.isnan(values)))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iub":
            arrays.append(pa.array(series.to_numpy()))
        else:
            return None
    return pa.Table.from_arrays(arrays, names=list(frame.columns))


def _with_validity(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A numeric numpy array as Arrow over the same memory, null where ``valid`` is false.

    From buffers: ``pa.array(values, mask=...)`` and ``from_pandas=True`` spent
    more time checking every value than the profile spends counting them.
    """
    validity = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    type_ = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(values)])


def _from_numpy(array: np.ndarray, what: str) -> pa.Table:
    if array.dtype.names:  # a structured array: its fields are the columns
        return pa.table({name: array[name] for name in array.dtype.names})
    if array.ndim != 2:
        raise InputError(
            f"{what} as a numpy array must be 2-D (rows x columns), got {array.ndim}-D; "
            f"reshape it, e.g. values.reshape(-1, 1) for one column"
        )
    return pa.table({f"x{j}": array[:, j] for j in range(array.shape[1])})
