"""Bin edges and category lists, learned once from the data a profile is built on.

Edges are quantiles of the non-missing values; categories are the most frequent
values (ties broken by the value, so the choice does not depend on row order),
and, when every distinct value could be counted, the rest are kept as known
values (hashes, see :mod:`driftline.stats._known`). Where a source can be read
only once, the caller passes the first chunk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from driftline.stats._encoded import EncodedColumn
from driftline.stats._kinds import Kind, arrow_numpy, finite_floats, numeric_values
from driftline.stats._known import KnownValues

__all__ = ["BinLearner", "Bins"]

# Values per column kept to choose edges in the first pass over a file: the edges are
# exact quantiles below this many rows and quantiles of a uniform sample above it.
EDGE_SAMPLE_SIZE = 200_000
# An integer column whose values span at most this many is counted value by value
# (bincount): exact quantiles on any number of rows, without sampling or sorting. Codes of
# categories, counts, ages, years are; ids and amounts in cents fall back to the sample.
COUNTED_SPAN = 1 << 16


def count_values(values: np.ndarray, start: int, span: int) -> np.ndarray:
    """How many of ``values`` (integers) equal ``start + i``, for each ``i`` below ``span``.

    Values from 0 (codes, counts, ages) are counted as they are: shifting them
    by ``start`` first made an int64 copy of every chunk of every column.
    """
    if start >= 0 and start + span <= 2 * COUNTED_SPAN:
        return np.bincount(values, minlength=start + span)[start:].astype(np.int64)
    # int64 before subtracting: int8 codes would wrap around.
    return np.bincount(values.astype(np.int64) - start, minlength=span).astype(np.int64)


@dataclass
class Bins:
    """Edges (numbers, datetimes), categories and known values (strings) per column."""

    edges: dict[str, tuple[float, ...]] = field(default_factory=dict)
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    known: dict[str, KnownValues] = field(default_factory=dict)


def quantile_edges(values: np.ndarray, bins: int) -> tuple[float, ...]:
    """Distinct inner quantile edges giving up to ``bins`` bins with open ends."""
    present = values[~np.isnan(values)]
    if present.size == 0 or bins <= 1:
        return ()
    # np.quantile's linear interpolation, on a sorted copy: numpy's vectorized sort is about
    # three times faster than the partitions np.quantile makes for a handful of quantiles.
    ordered = np.sort(present)
    position = np.linspace(0.0, 1.0, bins + 1)[1:-1] * (ordered.size - 1)
    below = np.floor(position).astype(np.intp)
    lo, hi = ordered[below], ordered[np.minimum(below + 1, ordered.size - 1)]
    step = position - below
    qs = np.where(step >= 0.5, hi - (hi - lo) * (1.0 - step), lo + (hi - lo) * step)
    return _distinct(qs)


def counted_quantile_edges(low: int, counts: np.ndarray, bins: int) -> tuple[float, ...]:
    """:func:`quantile_edges` of the values ``low + i`` counted ``counts[i]`` times."""
    total = int(counts.sum())
    if total == 0 or bins <= 1:
        return ()
    cumulative = np.cumsum(counts)
    position = np.linspace(0.0, 1.0, bins + 1)[1:-1] * (total - 1)
    below = np.floor(position).astype(np.int64)
    # The k-th smallest value (from 0) is the first whose running count passes k.
    lo = low + np.searchsorted(cumulative, below, side="right").astype(np.float64)
    hi = low + np.searchsorted(cumulative, np.minimum(below + 1, total - 1), side="right")
    step = position - below
    qs = np.where(step >= 0.5, hi - (hi - lo) * (1.0 - step), lo + (hi - lo) * step)
    return _distinct(qs)


def _distinct(qs: np.ndarray) -> tuple[float, ...]:
    # What np.unique gives, without it: np.unique imports numpy.ma on first use (20 ms
    # of a command that profiles a file in 60).
    return tuple(sorted(set(qs.tolist())))


def top_categories(counts: dict[str, int], max_categories: int) -> tuple[str, ...]:
    """The ``max_categories`` most frequent values, most frequent first."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(value for value, _ in ranked[:max_categories])


class BinLearner:
    """Learns bins over one or more chunks in a single pass with bounded memory.

    Numeric columns keep a uniform sample of up to ``EDGE_SAMPLE_SIZE`` values
    (bottom-k on random keys, so every value is kept when there are fewer);
    categorical columns keep counts, pruned to the most frequent values when
    the number of distinct values grows past ``max(10_000, 100 * max_categories)``
    (so the top list is exact for all but extremely long-tailed columns). A
    column never pruned has exact counts of every value: its values outside
    the top categories become its known values, when ``known`` is true (all
    the data was seen).
    """

    def __init__(
        self,
        kinds: dict[str, Kind],
        *,
        bins: int,
        max_categories: int,
        seed: int,
        sample_size: int | None = EDGE_SAMPLE_SIZE,
        known: bool = True,
    ) -> None:
        self.kinds = kinds
        self.known = known
        self.sample_size = sample_size
        self.bins = bins
        self.max_categories = max_categories
        self._rng = np.random.default_rng(seed)
        self._samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # Integer columns counted value by value: (lowest value, counts from it).
        self._counted: dict[str, tuple[int, np.ndarray]] = {}
        self._uncountable: set[str] = set()
        self._counts: dict[str, dict[str, int]] = {
            name: {} for name, kind in kinds.items() if kind == "categorical"
        }
        self._limits: dict[str, float] = {}
        self._pending: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._cap = max(10_000, 100 * max_categories)
        self._pruned: set[str] = set()

    def observe(self, chunk: pa.Table) -> None:
        for name, kind in self.kinds.items():
            column = chunk.column(name)
            if kind == "numeric" and name not in self._uncountable and _is_integer(column):
                self._observe_integers(name, column)
            elif kind in ("numeric", "datetime"):
                view = finite_floats(column) if kind == "numeric" else None
                self._observe_numeric(
                    name, numeric_values(name, column, kind) if view is None else view
                )
            elif kind == "categorical":
                self._observe_strings(name, EncodedColumn.of(column))

    def _observe_numeric(self, name: str, values: np.ndarray) -> None:
        missing = np.isnan(values)
        if missing.any():
            values = values[~missing]
        if self.sample_size is None:
            # Every value is kept (an in-memory table), so no keys at all: on a million rows
            # a column of zero keys was 8 MB more per numeric column until the edges were cut.
            _, old = self._samples.get(name, (np.empty(0), np.empty(0)))
            self._samples[name] = (
                np.empty(0),
                np.concatenate([old, values]) if old.size else values,
            )
            return
        keys = self._rng.random(values.size)
        if name in self._limits:
            # A key above the largest one kept at the last pruning has sample_size smaller
            # keys before it and can never enter the sample: drop it before any copy.
            below = keys < self._limits[name]
            keys, values = keys[below], values[below]
        # The chunks' keys and values wait in a list and are joined once, when the sample
        # is pruned or read: joining at every chunk copied the sample over and over.
        pending = self._pending.setdefault(name, [])
        pending.append((keys, values))
        # Pruning partitions the keys, the costly step: let the sample grow by half first.
        held = self._samples[name][0].size if name in self._samples else 0
        if held + sum(k.size for k, _ in pending) > self.sample_size * 3 // 2:
            keys, values = self._joined(name)
            keys, values = _smallest(keys, values, self.sample_size)
            self._limits[name] = float(keys.max())
            self._samples[name] = (keys, values)

    def _joined(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The sample's keys and values with the chunks waiting since it was last pruned."""
        parts = self._pending.pop(name, [])
        if name in self._samples:
            parts.insert(0, self._samples.pop(name))
        if not parts:
            return np.empty(0), np.empty(0)
        if len(parts) > 1:
            parts = [(np.concatenate([k for k, _ in parts]), np.concatenate([v for _, v in parts]))]
        self._samples[name] = parts[0]
        return parts[0]

    def _observe_integers(self, name: str, column: pa.ChunkedArray | pa.Array) -> None:
        present = column.drop_null() if column.null_count else column
        values = arrow_numpy(present)  # as stored: count_values needs no int64 copy
        if values.size == 0:
            return
        low, high = int(values.min()), int(values.max())
        old_low, old = self._counted.get(name, (low, np.zeros(0, dtype=np.int64)))
        start = min(low, old_low)
        span = max(high, old_low + old.size - 1) - start + 1
        if span > COUNTED_SPAN:
            # Too wide to count: hand what was counted so far to the sample, and go on there.
            self._uncountable.add(name)
            self._counted.pop(name, None)
            if old.size:
                held = old_low + np.repeat(np.arange(old.size), old)
                self._observe_numeric(name, held.astype(np.float64))
            self._observe_numeric(name, values.astype(np.float64))
            return
        counts = count_values(values, start, span)
        counts[old_low - start : old_low - start + old.size] += old
        self._counted[name] = (start, counts)

    def _observe_strings(self, name: str, values: EncodedColumn) -> None:
        counts = self._counts[name]
        for value, n in values.value_counts():
            counts[value] = counts.get(value, 0) + n
        if len(counts) > self._cap:
            kept = top_categories(counts, self._cap // 2)
            self._counts[name] = {value: counts[value] for value in kept}
            self._pruned.add(name)

    def result(self) -> Bins:
        bins = Bins()
        for name, kind in self.kinds.items():
            if name in self._counted:
                low, by_value = self._counted[name]
                bins.edges[name] = counted_quantile_edges(low, by_value, self.bins)
            elif kind in ("numeric", "datetime"):
                keys, values = self._joined(name)
                if self.sample_size is not None and keys.size > self.sample_size:
                    keys, values = _smallest(keys, values, self.sample_size)
                bins.edges[name] = quantile_edges(values, self.bins)
            elif kind == "categorical":
                counts = self._counts[name]
                bins.categories[name] = top_categories(counts, self.max_categories)
                if self.known and name not in self._pruned:
                    bins.known[name] = KnownValues.learn(counts, bins.categories[name])
        return bins


def _is_integer(column: pa.ChunkedArray | pa.Array) -> bool:
    # uint64 past 2**63 would wrap in int64: such a column takes the sample.
    return pa.types.is_integer(column.type) and not pa.types.is_uint64(column.type)


def _smallest(keys: np.ndarray, values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` entries with the smallest keys (bottom-k sampling)."""
    keep = np.argpartition(keys, k)[:k]
    return keys[keep], values[keep]


def learn_bins(
    chunks: Iterable[pa.Table],
    kinds: dict[str, Kind],
    *,
    bins: int,
    max_categories: int,
    seed: int,
    exact: bool = False,
    known: bool = True,
) -> Bins:
    """Bins learned from every chunk; ``exact`` keeps every value (in-memory tables).

    ``known``: the chunks are all the data, so the values counted are every
    value there is (false when bins are learned from a first chunk only).
    """
    learner = BinLearner(
        kinds,
        bins=bins,
        max_categories=max_categories,
        seed=seed,
        sample_size=None if exact else EDGE_SAMPLE_SIZE,
        known=known,
    )
    for chunk in chunks:
        learner.observe(chunk)
    return learner.result()
