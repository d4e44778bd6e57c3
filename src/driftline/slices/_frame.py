"""The rows slices are cut from: any table, read once into Arrow, columns converted on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import InputError
from driftline.io import open_table
from driftline.stats import Kind, kind_of, numeric_values, string_values

__all__ = ["Frame", "as_frame"]


class Frame:
    """A table in memory with its columns as numbers or text, each converted once."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n_rows = table.num_rows
        self.columns = [str(c) for c in table.column_names]
        self._kinds: dict[str, Kind] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._text: dict[str, pa.Array] = {}

    def _check(self, name: str) -> None:
        if name not in self.columns:
            raise InputError(
                f"no column {name!r} in the data; columns available: {', '.join(self.columns)}"
            )

    def kind(self, name: str) -> Kind:
        if name not in self._kinds:
            self._check(name)
            self._kinds[name] = kind_of(name, self.table.schema.field(name).type)
        return self._kinds[name]

    def numbers(self, name: str) -> np.ndarray:
        """The column as float64 (dates as seconds), NaN where missing."""
        if name not in self._numbers:
            self._numbers[name] = numeric_values(name, self.table.column(name), self.kind(name))
        return self._numbers[name]

    def text(self, name: str) -> pa.Array:
        """The column as an Arrow string array (booleans as "true"/"false"), nulls kept."""
        if name not in self._text:
            self._check(name)
            self._text[name] = string_values(self.table.column(name))
        return self._text[name]

    def text_isin(self, name: str, values: list[str]) -> np.ndarray:
        found = pc.is_in(self.text(name), value_set=pa.array(values, pa.string()))
        return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)

    def missing(self, name: str) -> np.ndarray:
        if self.kind(name) in ("numeric", "datetime"):
            return np.isnan(self.numbers(name))
        nulls = pc.is_null(self.table.column(name))
        return np.asarray(nulls.to_numpy(zero_copy_only=False), dtype=bool)


def as_frame(data: Any, *, what: str = "frame") -> Frame:
    """A :class:`Frame` of a pandas or polars DataFrame or an Arrow table."""
    if isinstance(data, Frame):
        return data
    if isinstance(data, str | Path):
        raise InputError(
            f"{what} must be a table in memory (pandas, polars or Arrow), got the path "
            f"{str(data)!r}; read the file first, e.g. driftline.io.read_table(path)"
        )
    source = open_table(data, what=what)
    if source.table is None:
        raise InputError(
            f"{what} must be a table in memory (pandas, polars or Arrow), got a stream; "
            f"read it into a table first, e.g. reader.read_all()"
        )
    return Frame(source.table)
