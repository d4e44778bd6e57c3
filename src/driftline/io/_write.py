"""Writing a table, batch by batch, to a Parquet or CSV file that appears whole or not at all.

The rows go to a hidden file beside the target, renamed over it once the
last batch is written: a crash or a failed batch leaves the target as it was
(or absent), never half a table under its name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from driftline.errors import InputError

__all__ = ["write_batches"]

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv",)


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
