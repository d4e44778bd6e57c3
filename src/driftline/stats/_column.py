"""The summary of one column: counts, moments, histogram and category counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.errors import InputError
from driftline.stats._bins import COUNTED_SPAN, count_values
from driftline.stats._kinds import (
    KINDS,
    Kind,
    arrow_mask,
    arrow_numpy,
    arrow_strings,
    filled,
    is_numeric_kind,
)
from driftline.stats._known import KnownValues, UnseenCounter
from driftline.stats._moments import Moments

__all__ = ["BOOLEAN_CATEGORIES", "ColumnProfile", "category_codes"]

BOOLEAN_CATEGORIES = ("false", "true")


def _empty_counts() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def category_codes(
    values: pa.Array, categories: Sequence[str], unseen: UnseenCounter | None = None
) -> tuple[np.ndarray, int]:
    """Each value's index in ``categories`` and how many values ``unseen`` finds new.

    The index is ``len(categories)`` for a value outside them (``other``) and
    -1 for a missing one; without ``unseen`` the count is 0.
    """
    import pyarrow.compute as pc

    k = len(categories)
    value_set = arrow_strings(categories)
    if unseen is None or not len(unseen.known):
        codes = pc.index_in(values, value_set=value_set)
        # index_in gives null both for missing values and for values outside the categories.
        codes = filled(codes, k)
        if values.null_count:
            codes[arrow_numpy(values.is_null())] = -1
        # Known values but none outside the categories: every other value is new.
        return codes, 0 if unseen is None else int(np.count_nonzero(codes == k))
    # Codes of the distinct values, then of the rows: one hashing pass over the rows, and
    # the distinct values outside the categories are at hand for the unseen count.
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    entry_codes = np.append(filled(pc.index_in(dictionary, value_set=value_set), k), -1)
    indices = filled(encoded.indices, len(dictionary))
    codes = entry_codes[indices]  # the last entry, -1, is the slot of missing values
    outside = entry_codes[:-1] == k
    if not outside.any():
        return codes, 0
    rows = np.bincount(indices, minlength=len(dictionary))[: len(dictionary)]
    return codes, unseen.count(dictionary.filter(arrow_mask(outside)), rows[outside])


def _histogram(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Counts of ``values`` (no NaN) in ``(-inf, e0], (e0, e1], ..., (e_last, +inf)``."""
    if len(edges) <= 32:
        # One vectorized count per edge: for the ten-odd edges of a profile this is several
        # times faster than searchsorted plus bincount, whose binary search on unsorted
        # values mispredicts a branch at almost every step.
        at_or_below = [np.count_nonzero(values <= edge) for edge in edges]
        return np.diff(np.array([0, *at_or_below, values.size], dtype=np.int64))
    index = np.searchsorted(np.asarray(edges, dtype=float), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.int64)


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """Mergeable summary of one column.

    ``histogram`` counts the non-missing values in the bins
    ``(-inf, edges[0]], (edges[0], edges[1]], ..., (edges[-1], +inf)``, so it has
    ``len(edges) + 1`` entries. ``category_counts`` has one entry per category
    and a last one, ``other``, for every value outside ``categories``. Numbers
    and datetimes have a histogram; categories and booleans have category
    counts; numbers, booleans and datetimes have moments.

    A categorical column may also know every distinct value its reference
    took outside ``categories`` (``known``, see
    :class:`~driftline.stats.KnownValues`; None when unknown: more
    distinct values than the bin learner counts, a saved profile of format 1,
    a stream read once in several chunks). Then ``unseen`` counts the values
    in ``other`` that ``known`` lacks: never seen in the reference. It is 0 in
    the reference's own profile, and in every profile without ``known``.
    """

    name: str
    kind: Kind
    missing: int = 0
    moments: Moments = field(default_factory=Moments)
    edges: tuple[float, ...] = ()
    histogram: np.ndarray = field(default_factory=_empty_counts)
    categories: tuple[str, ...] = ()
    category_counts: np.ndarray = field(default_factory=_empty_counts)
    unseen: int = 0
    known: KnownValues | None = None

    @classmethod
    def empty(
        cls,
        name: str,
        kind: Kind,
        edges: Sequence[float] = (),
        categories: Sequence[str] = (),
        known: KnownValues | None = None,
    ) -> ColumnProfile:
        """A profile of no rows with these bins; the start of every build."""
        if kind == "boolean":
            categories = BOOLEAN_CATEGORIES
        has_hist = kind in ("numeric", "datetime")
        has_cats = kind in ("categorical", "boolean")
        return cls(
            name=name,
            kind=kind,
            edges=tuple(float(e) for e in edges) if has_hist else (),
            histogram=np.zeros(len(edges) + 1 if has_hist else 0, dtype=np.int64),
            categories=tuple(categories) if has_cats else (),
            category_counts=np.zeros(len(categories) + 1 if has_cats else 0, dtype=np.int64),
            known=known if kind == "categorical" else None,
        )

    # -- what people read ------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Number of non-missing values."""
        if self.kind == "categorical":
            return int(self.category_counts.sum())
        return self.moments.count

    @property
    def n(self) -> int:
        """Number of rows, missing included."""
        return self.count + self.missing

    @property
    def mean(self) -> float:
        return self.moments.mean if self.moments.count else math.nan

    @property
    def variance(self) -> float:
        return self.moments.variance

    @property
    def std(self) -> float:
        return self.moments.std

    @property
    def min(self) -> float | None:
        return self.moments.min

    @property
    def max(self) -> float | None:
        return self.moments.max

    @property
    def other(self) -> int:
        """Values counted outside the reference's categories."""
        return int(self.category_counts[-1]) if self.category_counts.size else 0

    @property
    def is_numeric(self) -> bool:
        return is_numeric_kind(self.kind)

    def counts(self) -> np.ndarray:
        """The binned counts drift tests compare: histogram or category counts."""
        return self.histogram if self.kind in ("numeric", "datetime") else self.category_counts

    # -- building and merging ------------------------------------------------------------------

    def observe(self, values: np.ndarray, unseen: int = 0) -> ColumnProfile:
        """This profile plus a chunk: float64 with NaN, or category codes for categories.

        Category codes and ``unseen``, the chunk's count of values never seen
        in the reference, come from :func:`category_codes`.
        """
        if self.kind == "categorical":
            missing = int(np.count_nonzero(values < 0))
            found = np.bincount(values[values >= 0], minlength=len(self.categories) + 1)
            return self._plus(missing, Moments(), None, found.astype(np.int64), unseen)
        values = np.asarray(values, dtype=np.float64)
        nan = np.isnan(values)
        present = values[~nan] if nan.any() else values  # most chunks: no copy
        missing = int(values.size - present.size)
        histogram: np.ndarray | None = None
        counts: np.ndarray | None = None
        if self.kind == "boolean":
            ones = int(np.count_nonzero(present))
            counts = np.array([present.size - ones, ones, 0], dtype=np.int64)
        else:
            histogram = _histogram(present, self.edges)
        return self._plus(missing, Moments.of(present), histogram, counts)

    def observe_counts(self, found: np.ndarray, missing: int, unseen: int = 0) -> ColumnProfile:
        """This categorical profile plus a chunk already counted by category (and ``other``)."""
        return self._plus(missing, Moments(), None, found.astype(np.int64), unseen)

    def observe_integers(self, values: np.ndarray, missing: int) -> ColumnProfile:
        """This profile plus a chunk of integers (missing ones removed, ``missing`` of them).

        Counted value by value when they span few values (codes of categories,
        counts): moments and histogram from one ``bincount`` instead of a pass
        each. Wider spans take :meth:`observe`.
        """
        if self.kind != "numeric" or values.size == 0:
            floats = np.concatenate([values.astype(np.float64), np.full(missing, np.nan)])
            return self.observe(floats)
        low, high = int(values.min()), int(values.max())
        if high - low >= COUNTED_SPAN:
            return self._plus(
                missing,
                Moments.of(values.astype(np.float64)),
                _histogram(values.astype(np.float64), self.edges),
                None,
            )
        counts = count_values(values, low, high - low + 1)
        levels = np.arange(low, high + 1, dtype=np.float64)
        n = int(values.size)
        mean = float(counts @ levels) / n
        d = levels - mean
        d2 = d * d
        moments = Moments(
            count=n,
            mean=mean,
            m2=float(counts @ d2),
            m3=float(counts @ (d2 * d)),
            m4=float(counts @ (d2 * d2)),
            min=float(low),
            max=float(high),
        )
        # Values at or below each edge, read off the running counts.
        cumulative = np.concatenate([[0], np.cumsum(counts)])
        at = np.clip(np.floor(np.asarray(self.edges, dtype=np.float64)) - low + 1, 0, counts.size)
        at_or_below = cumulative[at.astype(np.int64)]
        histogram = np.diff(np.concatenate([[0], at_or_below, [n]])).astype(np.int64)
        return self._plus(missing, moments, histogram, None)

    def _plus(
        self,
        missing: int,
        moments: Moments,
        histogram: np.ndarray | None,
        counts: np.ndarray | None,
        unseen: int = 0,
    ) -> ColumnProfile:
        return ColumnProfile(
            name=self.name,
            kind=self.kind,
            missing=self.missing + missing,
            moments=self.moments.merge(moments),
            edges=self.edges,
            histogram=self.histogram if histogram is None else self.histogram + histogram,
            categories=self.categories,
            category_counts=self.category_counts
            if counts is None
            else self.category_counts + counts,
            unseen=self.unseen + unseen,
            known=self.known,
        )

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """The profile of the union; raises InputError when the bins differ.

        Known values are kept when both sides have the same; otherwise (one
        side of format 1, say) the union has none and ``unseen`` is 0.
        """
        if (self.name, self.kind) != (other.name, other.kind):
            raise InputError(
                f"cannot merge column {self.name!r} ({self.kind}) with column {other.name!r} "
                f"({other.kind}); build both profiles from data with the same columns"
            )
        if self.edges != other.edges or self.categories != other.categories:
            raise InputError(
                f"column {self.name!r} has different bin edges or categories in the two "
                f"profiles; build both with the same reference "
                f"(Profile.build(data, reference=ref)) so they can merge"
            )
        if self.known is not None and self.known.same_as(other.known):
            return self._plus(
                other.missing, other.moments, other.histogram, other.category_counts, other.unseen
            )
        # Binned against different known values (or one unknown, as in a profile of format
        # 1): the split of other is lost, the counts stay. This keeps merge associative.
        merged = self._plus(other.missing, other.moments, other.histogram, other.category_counts)
        return replace(merged, unseen=0, known=None)

    # -- plain data ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "kind": self.kind, "missing": self.missing}
        if self.is_numeric:
            d["moments"] = self.moments.to_dict()
        if self.kind in ("numeric", "datetime"):
            d["edges"] = list(self.edges)
            d["histogram"] = self.histogram.tolist()
        if self.kind in ("categorical", "boolean"):
            d["categories"] = list(self.categories)
            d["category_counts"] = self.category_counts.tolist()
        if self.kind == "categorical":
            d["unseen"] = self.unseen
            d["known"] = None if self.known is None else self.known.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnProfile:
        kind = d.get("kind")
        if kind not in KINDS:
            raise InputError(f"column kind must be one of {KINDS}, got {kind!r} in a saved profile")
        # Profiles of format 1 have neither "known" nor "unseen": other is not split.
        known = KnownValues.from_dict(d["known"]) if d.get("known") else None
        base = cls.empty(str(d["name"]), kind, d.get("edges", ()), d.get("categories", ()), known)
        return cls(
            name=base.name,
            kind=base.kind,
            missing=int(d["missing"]),
            moments=Moments.from_dict(d["moments"]) if "moments" in d else Moments(),
            edges=base.edges,
            histogram=np.asarray(d.get("histogram", base.histogram), dtype=np.int64),
            categories=base.categories,
            category_counts=np.asarray(d.get("category_counts", base.category_counts), np.int64),
            unseen=int(d.get("unseen", 0)) if base.known is not None else 0,
            known=base.known,
        )
