"""A categorical column as a dictionary of its distinct values and one index per row.

Counting categories value by value (decode the strings, look each row up in
the category list) cost about half of a warm ``drift()`` on a census table of
15 dictionary columns. Here a column is hashed at most once: a dictionary
column (Parquet's usual encoding of text, a pandas ``category``) already is
one, other text is dictionary-encoded once. Everything per value (its
category, whether the reference ever took it, its string for the row sample)
is then worked out once per *distinct* value, and rows are counted by one
``bincount`` of the indices. Two tables whose dictionaries differ (other
values, another order, values on one side only) meet through the category
list, which maps each side's dictionary on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from driftline.stats._kinds import (
    arrow_indices,
    arrow_mask,
    arrow_numpy,
    arrow_strings,
    filled,
    string_values,
)
from driftline.stats._known import UnseenCounter

__all__ = ["CategoryCounts", "CategoryIndex", "EncodedColumn"]


@dataclass(frozen=True)
class CategoryCounts:
    """One chunk of a categorical column counted against a category list.

    ``found`` has one entry per category and a last one for ``other``;
    ``unseen`` counts the rows of ``other`` whose value the reference never
    took (0 without known values). ``entry`` is each distinct value's index in
    ``found`` (-1 when missing), ``indices`` each row's distinct value.
    """

    found: np.ndarray
    missing: int
    unseen: int
    entry: np.ndarray
    indices: np.ndarray

    def codes_at(self, rows: slice) -> np.ndarray:
        """These rows' indices in ``found`` (-1 when missing), as the reservoir's keys read them."""
        return self.entry[self.indices[rows]]


class CategoryIndex:
    """A column's category list, and where each value of a dictionary falls in it.

    The chunks of one column mostly share their dictionary (slices of one
    table, row groups of one file): the last dictionary's answer is kept.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._value_set = arrow_strings(names)
        self._last: tuple[pa.Array, np.ndarray] | None = None

    def entries(self, values: pa.Array) -> np.ndarray:
        """Each value's index in the categories (``len(names)``: other; -1: missing), then -1.

        The last entry is the slot of missing rows (see :class:`EncodedColumn`).
        """
        import pyarrow.compute as pc

        if self._last is not None and self._last[0].equals(values):
            return self._last[1]
        k = len(self.names)
        entry = filled(pc.index_in(values, value_set=self._value_set), k)
        if values.null_count:
            entry[arrow_numpy(values.is_null())] = -1
        entry = np.append(entry, -1)
        self._last = (values, entry)
        return entry


class EncodedColumn:
    """A column's distinct values (as text) and each row's index among them.

    ``indices`` holds ``len(values)`` for a missing row, so ``rows`` (a
    ``bincount`` of the indices) ends with the count of missing rows.
    """

    def __init__(self, values: pa.Array, indices: np.ndarray) -> None:
        self.values = values
        self.indices = indices
        self.rows = np.bincount(indices, minlength=len(values) + 1)

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array) -> EncodedColumn:
        """Encode any column a profile counts as categories (text, dictionary, numbers)."""
        import pyarrow.compute as pc

        if isinstance(column, pa.ChunkedArray):
            # Chunks of a dictionary column may each have their own dictionary: combining
            # them unifies the dictionaries (and remaps the indices) in Arrow.
            column = _combined(column)
        if pa.types.is_null(column.type):
            return cls(pa.nulls(0, pa.string()), np.zeros(len(column), dtype=np.int64))
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        values = string_values(column.dictionary)
        indices = column.indices
        if indices.null_count or pa.types.is_uint64(indices.type):
            return cls(values, filled(indices, len(values)))
        # No missing row: the indices as Arrow holds them (int8 for most), no int64 copy.
        return cls(values, arrow_numpy(indices))

    def __len__(self) -> int:
        return int(self.indices.size)

    def value_counts(self) -> list[tuple[str, int]]:
        """``(value, rows)`` of each value present (a value may appear twice: add them)."""
        rows = self.rows[:-1]
        present = rows > 0
        if self.values.null_count:
            present &= ~arrow_numpy(self.values.is_null())
        kept = self.values.filter(arrow_mask(present)).to_pylist()
        return list(zip(kept, rows[present].tolist(), strict=True))

    def count(self, categories: CategoryIndex, unseen: UnseenCounter | None) -> CategoryCounts:
        """The rows counted against ``categories``; with ``unseen``, the rows never seen."""
        k = len(categories.names)
        entry = categories.entries(self.values)
        valid = entry >= 0
        found = np.bincount(entry[valid], weights=self.rows[valid], minlength=k + 1)
        found = np.rint(found).astype(np.int64)
        missing = int(self.rows[~valid].sum())
        outside = (entry[:-1] == k) & (self.rows[:-1] > 0)
        new = 0
        if unseen is not None and outside.any():
            if not len(unseen.known):
                # Known values but none outside the categories: every other value is new.
                new = int(found[k])
            else:
                distinct = self.values.filter(arrow_mask(outside))
                new = unseen.count(distinct, self.rows[:-1][outside])
        return CategoryCounts(found, missing, new, entry, self.indices)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The values of these rows as Python strings (None when missing), for a row sample."""
        at = self.indices[rows].astype(np.intp)
        missing = at == len(self.values)
        taken = np.full(at.size, None, dtype=object)
        if not missing.all():
            # Only the sampled rows become Python strings, never the whole dictionary.
            found = self.values.take(arrow_indices(at[~missing])).to_pylist()
            taken[~missing] = np.array(found, dtype=object)
        return taken


def _combined(column: pa.ChunkedArray) -> pa.Array:
    import pyarrow.compute as pc

    if not column.num_chunks:
        return pa.nulls(0, column.type)
    try:
        return column.combine_chunks()
    except pa.ArrowInvalid:
        # Arrow cannot unify dictionaries holding a null value: decode, encode again below.
        return pc.cast(column, column.type.value_type).combine_chunks()
