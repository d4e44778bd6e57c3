"""Tables out: the bytes of a Parquet or CSV file, a file written batch by batch, and the
files a path's table is made of.

Writing lives beside reading so one module knows each format. A caller that
commits files atomically (write, fsync, rename) gets the bytes and their
digest in one go, from a table built in memory. :func:`write_batches` writes
rows to a hidden file beside the target, renamed over it once the last batch
is written: a crash or a failed batch leaves the target as it was (or absent),
never half a table under its name.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pyarrow as pa

from driftline.errors import InputError
from driftline.io._files import table_files
from driftline.io._place import Place

__all__ = ["table_bytes", "table_paths", "table_rows", "write_batches"]

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv",)


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


def write_batches(
    path: str | os.PathLike[str],
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    *,
    what: str = "the table",
) -> int:
    """Write ``batches`` to ``path`` (Parquet or CSV, told by its suffix); returns the rows."""
    target = Path(path)
    name = target.name.lower()
    if not name.endswith(_PARQUET + _CSV):
        raise InputError(f"cannot write {what} to {str(target)!r}: name a .parquet or .csv file")
    if not target.parent.is_dir():
        raise InputError(
            f"cannot write {what} to {str(target)!r}: the folder {str(target.parent)!r} "
            "does not exist"
        )
    partial = target.with_name(f".{target.name}.partial")
    rows = 0
    try:
        if name.endswith(_CSV):
            import pyarrow.csv as pcsv

            with pcsv.CSVWriter(partial, schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        else:
            import pyarrow.parquet as pq

            with pq.ParquetWriter(partial, schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        os.replace(partial, target)
    except OSError as exc:
        raise InputError(f"cannot write {what} to {str(target)!r}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return rows
