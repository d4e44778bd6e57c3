"""Tables out: the bytes of a Parquet or CSV file, and the files a path's table is made of.

Writing lives beside reading so one module knows each format. A caller that
commits files atomically (write, fsync, rename) gets the bytes and their
digest in one go, from a table built in memory.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import pyarrow as pa

from driftline.io._files import table_files
from driftline.io._place import Place

__all__ = ["table_bytes", "table_paths", "table_rows"]


def table_bytes(table: pa.Table, fmt: Literal["parquet", "csv"]) -> bytes:
    """``table`` as the bytes of one file; the same table gives the same bytes.

    Parquet is written without pandas metadata or statistics that vary with
    the writer's state, so a table written twice hashes the same.
    """
    buffer = io.BytesIO()
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, buffer)
    else:
        import pyarrow.parquet as papq

        # Dictionaries for text only: on 100,000 distinct floats Arrow builds one, finds it
        # too big and falls back, which took 3x the time of writing the whole file.
        text = [f.name for f in table.schema if pa.types.is_string(f.type)]
        papq.write_table(table.replace_schema_metadata(None), buffer, use_dictionary=text)
    return buffer.getvalue()


def table_paths(path: str | Path, *, what: str = "data") -> list[Path]:
    """The files :func:`~driftline.io.open_table` reads for ``path``, in its order.

    A file gives itself; a folder its data files at any depth (names starting
    with "." or "_" left out), sorted.
    """
    return table_files(Place(Path(path), what))[1]


def table_rows(path: str | Path) -> int | None:
    """How many rows the table at ``path`` has, when its files say so without being read.

    Parquet files carry their row count in their footer; CSV files do not
    (None: counting them would be reading them).
    """
    fmt, files = table_files(Place(Path(path), "data"))
    if fmt != "parquet":
        return None
    import pyarrow.parquet as papq

    return sum(papq.read_metadata(f).num_rows for f in files)
