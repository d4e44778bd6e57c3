"""Reading tables, whatever form they come in, with one behaviour; numbers JSON can hold.

:func:`open_table` reads a pandas or polars frame, an Arrow table, batch or
stream, a 2-D numpy array, or a Parquet or CSV file (also .csv.gz) or a
folder of them, as Arrow record batches in bounded memory; :func:`read_table`
and :func:`read_frame` give the whole table. Every reader in driftline goes
through them, so a file is typed the same way wherever it is read:

- CSV columns are typed as Arrow types a whole file (whole numbers stay
  integers, so integer-coded categories stay integers), the same for a
  compressed file and for every file of a folder;
- columns the caller names in ``text`` (those a model or a reference knows
  as text) stay text, so '02139' keeps its zero;
- a missing path, an unreadable file and a folder whose files disagree raise
  :class:`~driftline.errors.DataNotFoundError`,
  :class:`~driftline.errors.UnreadableDataError` and
  :class:`~driftline.errors.MixedSchemaError`, each naming the path.

:func:`table_bytes` writes a table as the bytes of a Parquet or CSV file, and
:func:`table_paths` and :func:`table_rows` list the files a path's table is
read from and count its rows when the files say so. :func:`write_batches`
writes batches to a Parquet or CSV file that appears whole or not at all.
:func:`fingerprint` hashes a table's content for lineage; :func:`json_number`
and :func:`json_safe` turn NaN and infinities into null for JSON.
"""

from __future__ import annotations

from driftline.io._chunks import rebatch
from driftline.io._fingerprint import fingerprint
from driftline.io._json import json_number, json_safe
from driftline.io._source import Access, TableSource, open_table, read_frame, read_table
from driftline.io._write import table_bytes, table_paths, table_rows, write_batches

__all__ = [
    "Access",
    "TableSource",
    "fingerprint",
    "json_number",
    "json_safe",
    "open_table",
    "read_frame",
    "read_table",
    "rebatch",
    "table_bytes",
    "table_paths",
    "table_rows",
    "write_batches",
]
