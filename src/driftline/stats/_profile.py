"""Profile: a mergeable summary of a table."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.errors import InputError, SchemaError
from driftline.io import TableSource, open_table, rebatch
from driftline.stats._bins import Bins, learn_bins
from driftline.stats._column import ColumnProfile
from driftline.stats._encoded import CategoryIndex, EncodedColumn
from driftline.stats._kinds import (
    Kind,
    arrow_numpy,
    finite_floats,
    is_numeric_kind,
    kind_of,
    numeric_values,
)
from driftline.stats._known import UnseenCounter
from driftline.stats._reservoir import Reservoir, chunk_keys, digest_rows

__all__ = ["FORMAT", "Profile"]

# A file whose columns take at most this many bytes as Arrow arrays, as its footers tell
# before any is read, is read once: the chunks its first pass learns the bins from are
# held for the second, which counts. A census-shaped 300,000 rows x 16 columns takes 37
# MiB (a second read was a third of its decoding); a million rows of them, 124 MiB, are
# read twice, so memory stays where it was at any size.
HOLD_BYTES = 64 * 1024 * 1024
# Where the size is not known before reading (CSV files), chunks are held while they fit
# in this many bytes. Small, so that a large file (read twice all the same) does not peak
# higher while its first chunks are held: at 64 MiB a file of a million rows peaked 47
# MiB higher.
HELD_BYTES = 4 * 1024 * 1024
# Format 2 adds each categorical column's known values and unseen count; format 1
# profiles still load, with other not split.
FORMAT = 2
_READABLE = (1, 2)


class Profile:
    """A mergeable summary of a table: per-column statistics and a uniform row sample.

    Build one with :meth:`Profile.build`; combine profiles of partitions with
    :meth:`merge` (associative and commutative, so partitions can be profiled
    anywhere, in any order); store it with :meth:`to_dict`.

    Example::

        >>> import pandas as pd
        >>> ref = Profile.build(pd.DataFrame({"age": [31, 45, 27, 60]}), bins=2)
        >>> ref.columns["age"].mean
        40.75
        >>> part = Profile.build(pd.DataFrame({"age": [50]}), reference=ref)
        >>> ref.merge(part).n_rows
        5
    """

    def __init__(self, columns: Mapping[str, ColumnProfile], n_rows: int, reservoir: Reservoir):
        self.columns: dict[str, ColumnProfile] = dict(columns)
        self.n_rows = int(n_rows)
        self.reservoir = reservoir

    def __repr__(self) -> str:
        kinds = ", ".join(f"{name}: {col.kind}" for name, col in self.columns.items())
        return f"Profile(n_rows={self.n_rows}, columns={{{kinds}}})"

    def sample(self, column: str) -> np.ndarray:
        """The reservoir's values of one column (missing ones dropped)."""
        if column not in self.columns:
            raise SchemaError(
                f"no column {column!r} in this profile; it has {sorted(self.columns)}",
                field=column,
            )
        values = self.reservoir.values.get(column, np.empty(0))
        if values.dtype == object:
            return values[np.array([v is not None for v in values], dtype=bool)]
        return values[~np.isnan(values)]

    # -- building --------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        data: Any,
        *,
        reference: Profile | None = None,
        columns: Sequence[str] | None = None,
        bins: int = 10,
        max_categories: int = 50,
        reservoir_size: int = 1000,
        chunk_size: int = 100_000,
        seed: int = 0,
    ) -> Profile:
        """Profile ``data``, reading it in chunks of ``chunk_size`` rows.

        ``data`` is a pandas or polars DataFrame, a pyarrow Table or
        RecordBatchReader, a 2-D numpy array (columns ``x0``, ``x1``, ...) or the
        path of a Parquet file (or folder of them) or a CSV file.

        With ``reference``, the columns, kinds, bin edges and categories are the
        reference's, so the two profiles can be compared and merged. Without it
        they are learned from ``data``: exactly for an in-memory table; for a
        file in a first pass (exact quantiles up to 200,000 rows, quantiles of
        a uniform sample of that many rows beyond); for a RecordBatchReader,
        which can be read only once, from its first chunk.

        ``bins`` is the number of quantile bins of numbers and datetimes (fewer
        when values repeat), ``max_categories`` the number of most frequent
        categories counted by name (the rest count as ``other``),
        ``reservoir_size`` the number of sampled rows, and ``seed`` makes the
        sample reproducible.

        Without ``reference``, a categorical column of at most
        ``max(10_000, 100 * max_categories)`` distinct values also keeps the
        hashes of all its values outside the top categories (``known``; not
        for a RecordBatchReader of several chunks, whose values are not all
        seen before counting starts). A profile built against it counts, in
        ``unseen``, the values of ``other`` the reference never took.
        """
        _check_positive(bins=bins, max_categories=max_categories, chunk_size=chunk_size)
        _check_positive(reservoir_size=reservoir_size, allow_zero=True)
        source = open_table(data, text=_text_columns(reference, columns))
        names = _choose_columns(source.schema, reference, columns)
        if reference is not None:
            empty = {name: reference.columns[name] for name in names}
            start = {
                n: ColumnProfile.empty(n, c.kind, c.edges, c.categories, c.known)
                for n, c in empty.items()
            }
            chunks = _chunks(source, names, chunk_size)
        else:
            kinds = {name: kind_of(name, source.schema.field(name).type) for name in names}
            learned, chunks = _learn(source, names, kinds, chunk_size, bins, max_categories, seed)
            start = {
                name: ColumnProfile.empty(
                    name,
                    kind,
                    learned.edges.get(name, ()),
                    learned.categories.get(name, ()),
                    learned.known.get(name),
                )
                for name, kind in kinds.items()
            }
        # The known values of a profile's own data hold all of it: nothing is unseen there.
        return _accumulate(start, chunks, reservoir_size, seed, count_unseen=reference is not None)

    # -- combining -----------------------------------------------------------------------

    def merge(self, other: Profile) -> Profile:
        """The profile of the union of both tables; InputError when they do not match."""
        if not isinstance(other, Profile):
            raise InputError(f"can merge a Profile only with a Profile, got {type(other).__name__}")
        if list(self.columns) != list(other.columns):
            raise InputError(
                f"cannot merge profiles of different columns: {list(self.columns)} and "
                f"{list(other.columns)}; build both with the same reference"
            )
        columns = {name: col.merge(other.columns[name]) for name, col in self.columns.items()}
        return Profile(columns, self.n_rows + other.n_rows, self.reservoir.merge(other.reservoir))

    # -- plain data ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, versioned by its ``format`` key."""
        return {
            "format": FORMAT,
            "n_rows": self.n_rows,
            "columns": [col.to_dict() for col in self.columns.values()],
            "reservoir": self.reservoir.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Profile:
        """The profile :meth:`to_dict` described."""
        version = d.get("format") if isinstance(d, Mapping) else None
        if version not in _READABLE:
            newer = isinstance(version, int) and version > FORMAT
            raise InputError(
                f"a saved profile must have format {' or '.join(map(str, _READABLE))}, got "
                f"{version!r}; it was written by "
                + (
                    "a newer driftline: upgrade driftline"
                    if newer
                    else "another version of driftline: rebuild it from the data"
                )
            )
        columns = [ColumnProfile.from_dict(c) for c in d["columns"]]
        numeric = {c.name: c.is_numeric for c in columns}
        reservoir = Reservoir.from_dict(d["reservoir"], numeric)
        return cls({c.name: c for c in columns}, int(d["n_rows"]), reservoir)


def _check_positive(*, allow_zero: bool = False, **values: int) -> None:
    for name, value in values.items():
        low = 0 if allow_zero else 1
        if not isinstance(value, int | np.integer) or value < low:
            raise InputError(f"{name} must be an integer >= {low}, got {value!r}")


def _text_columns(reference: Profile | None, columns: Sequence[str] | None) -> list[str]:
    # Without this a CSV column of zip codes would be read as integers in one file and
    # as strings in the next; the reference fixes which columns are text.
    if reference is None:
        return []
    return [
        name
        for name, col in reference.columns.items()
        if col.kind == "categorical" and (columns is None or name in columns)
    ]


def _choose_columns(
    schema: pa.Schema, reference: Profile | None, columns: Sequence[str] | None
) -> list[str]:
    if isinstance(columns, str):
        raise InputError(f"columns must be a list of names, got the string {columns!r}")
    if columns is not None:
        names = list(columns)
    elif reference is not None:
        names = list(reference.columns)
    else:
        names = list(schema.names)
    if reference is not None:
        unknown = [name for name in names if name not in reference.columns]
        if unknown:
            raise SchemaError(
                f"columns {unknown} are not in the reference profile, which has "
                f"{list(reference.columns)}; build the reference with them or drop them",
                field=unknown[0],
            )
    missing = [name for name in names if name not in schema.names]
    if missing:
        raise SchemaError(
            f"the data has no columns {missing}; it has {schema.names}",
            field=missing[0],
        )
    if len(set(names)) != len(names):
        raise InputError(f"column names must be unique, got {names}")
    return names


def _chunks(source: TableSource, names: list[str], chunk_size: int) -> Iterator[pa.Table]:
    try:
        yield from rebatch(source.batches(names), chunk_size)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        # Files are typed before they are read (driftline.io); a stream's batches are not.
        raise InputError(
            f"could not read the data in chunks ({exc}); give batches that share one schema"
        ) from exc


def _learn(
    source: TableSource,
    names: list[str],
    kinds: dict[str, Kind],
    chunk_size: int,
    bins: int,
    max_categories: int,
    seed: int,
) -> tuple[Bins, Iterator[pa.Table]]:
    """Learn bins as the source allows; return them with the chunks to profile."""

    def learn(chunks: Iterable[pa.Table], exact: bool, known: bool = True) -> Bins:
        return learn_bins(
            chunks,
            kinds,
            bins=bins,
            max_categories=max_categories,
            seed=seed,
            exact=exact,
            known=known,
        )

    if source.access == "memory" and source.table is not None:
        return learn([source.table.select(names)], True), _chunks(source, names, chunk_size)
    if source.access == "file":
        size = source.arrow_bytes(names)
        if size is not None and size <= HOLD_BYTES:
            whole = list(_chunks(source, names, chunk_size))
            return learn(whole, False), _drain(whole)
        # The chunks read to learn are kept for counting while they fit in HELD_BYTES:
        # a CSV file of a few ten thousand rows is read (and parsed) once, not twice.
        held = _Held()
        learned = learn(held.keep(_chunks(source, names, chunk_size)), False)
        if held.chunks is not None:
            return learned, iter(held.chunks)
        return learned, _chunks(source, names, chunk_size)
    chunks = _chunks(source, names, chunk_size)
    first = next(chunks, None)
    if first is None:
        return Bins(), iter(())
    # A stream read once: bins from its first chunk; values known only if that is all.
    second = next(chunks, None)
    learned = learn([first], True, second is None)
    read = [first] if second is None else [first, second]
    return learned, itertools.chain(read, chunks)


def _drain(chunks: list[pa.Table]) -> Iterator[pa.Table]:
    """The chunks in order, each let go once counted."""
    chunks.reverse()
    while chunks:
        yield chunks.pop()


class _Held:
    """The chunks passed through :meth:`keep`, or None once they outgrew ``HELD_BYTES``."""

    def __init__(self) -> None:
        self.chunks: list[pa.Table] | None = []
        self._bytes = 0

    def keep(self, chunks: Iterable[pa.Table]) -> Iterator[pa.Table]:
        for chunk in chunks:
            if self.chunks is not None:
                self._bytes += chunk.nbytes
                if self._bytes <= HELD_BYTES:
                    self.chunks.append(chunk)
                else:
                    self.chunks = None  # read the file again instead: memory stays bounded
            yield chunk


def _accumulate(
    columns: dict[str, ColumnProfile],
    chunks: Iterator[pa.Table],
    reservoir_size: int,
    seed: int,
    *,
    count_unseen: bool,
) -> Profile:
    counters = {
        name: UnseenCounter(col.known)
        for name, col in columns.items()
        if count_unseen and col.known is not None
    }
    indexes = {
        name: CategoryIndex(col.categories)
        for name, col in columns.items()
        if not is_numeric_kind(col.kind)
    }
    empty = {
        name: np.empty(0, dtype=float if col.is_numeric else object)
        for name, col in columns.items()
    }
    reservoir = Reservoir(reservoir_size, np.empty(0), empty)
    n_rows = 0
    for chunk in chunks:
        values: dict[str, Any] = {}
        digest: list[np.ndarray] = []
        sampled = digest_rows(chunk.num_rows)
        for name, col in columns.items():
            column = chunk.column(name)
            if col.kind == "numeric" and _countable(column):
                # Integers (codes of categories, counts): one bincount for moments and
                # histogram; the floats only for the row sample.
                present = column.drop_null() if column.null_count else column
                integers = arrow_numpy(present)  # as stored, no copy
                columns[name] = col.observe_integers(integers, column.null_count)
                # Without missing values the integers stand for the floats: only the rows
                # that enter the sample are converted (in _offer).
                if column.null_count:
                    values[name] = numeric_values(name, column, col.kind)
                    digest.append(values[name][sampled])
                else:
                    values[name] = integers
                    digest.append(integers[sampled].astype(np.int64))
            elif is_numeric_kind(col.kind):
                view = finite_floats(column) if col.kind == "numeric" else None
                values[name] = numeric_values(name, column, col.kind) if view is None else view
                columns[name] = col.observe(values[name])
                digest.append(values[name][sampled])
            else:
                values[name] = encoded = EncodedColumn.of(column)
                counted = encoded.count(indexes[name], counters.get(name))
                columns[name] = col.observe_counts(counted.found, counted.missing, counted.unseen)
                digest.append(counted.codes_at(sampled))
        if reservoir_size:
            keys = chunk_keys(seed, n_rows, chunk.num_rows, digest)
            reservoir = _offer(reservoir, keys, values)
        n_rows += chunk.num_rows
    return Profile(columns, n_rows, reservoir)


def _countable(column: pa.ChunkedArray) -> bool:
    # uint64 past 2**63 would wrap in int64: such a column is observed as floats.
    return pa.types.is_integer(column.type) and not pa.types.is_uint64(column.type)


def _offer(reservoir: Reservoir, keys: np.ndarray, values: dict[str, Any]) -> Reservoir:
    # Only rows that could enter are materialized: strings cost a Python object each.
    candidates = _smallest(keys, reservoir.size)
    if len(reservoir) == reservoir.size and reservoir.size:
        candidates = candidates[keys[candidates] < reservoir.keys[-1]]
    taken: dict[str, np.ndarray] = {}
    for name, column in values.items():
        if isinstance(column, np.ndarray):
            taken[name] = column[candidates].astype(np.float64, copy=False)
        else:
            taken[name] = column.take(candidates)
    return reservoir.add(keys[candidates], taken)


def _smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """Positions (ascending) of the ``k`` smallest keys, uniform in [0, 1).

    The keys below a bound a little above ``k / n`` hold the ``k`` smallest
    (when there are at least ``k`` of them): partitioning those few rather than
    all ``n`` keys of the chunk gives the same rows for a tenth of the work.
    """
    n = keys.size
    if n <= k:
        return np.arange(n)
    bound = (k + 4.0 * np.sqrt(k) + 8.0) / n
    below = np.flatnonzero(keys < bound) if bound < 1.0 else np.arange(n)
    if below.size < k:
        below = np.arange(n)  # an unlucky chunk: partition every key
    if below.size > k:
        below = below[np.argpartition(keys[below], k)[:k]]
    return np.sort(below)
