"""Record batches cut to a fixed number of rows, whatever their source."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

__all__ = ["rebatch"]


def rebatch(batches: Iterator[pa.RecordBatch], chunk_size: int) -> Iterator[pa.Table]:
    """The same rows as tables of exactly ``chunk_size`` rows (the last may be shorter).

    The same rows give the same chunks from every kind of input (a frame, a
    Parquet file, a CSV read in blocks), so what is computed chunk by chunk
    does not depend on how the rows were stored.
    """
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
