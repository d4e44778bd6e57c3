"""Every value a categorical column took in the reference, as a set of 64-bit hashes.

A profile counts its ``max_categories`` most frequent categories by name and
lumps the rest into ``other``. On a column of thousands of values, a batch
that moves a fifth of its rows onto values the reference never took looks,
in those counts, like one that moves them onto the reference's rarer values:
both only grow ``other``. So a reference profile also keeps the distinct
values outside its top categories, as a sorted array of 64-bit hashes
(:class:`KnownValues`), and a profile binned against it counts, within
``other``, the values that set lacks (``ColumnProfile.unseen``).

A hash is the first 8 bytes of BLAKE2b over the value's UTF-8 bytes, read
little-endian: the same in every process, platform and version (Python's
``hash()`` is salted per process). With 10,000 known values a new value is
taken for a known one with probability about 5e-16.

The set also records how many values occur once (``singletons``) and twice
(``doubletons``) in the reference. Leave out a row whose value occurs once
and its value is new to the rest, so ``singletons / rows`` is the
leave-one-out rate of new values (Good and Turing's estimate of the missing
mass): how often a fresh row from the reference's own distribution brings a
value the reference lacks. Drift tests compare a batch's share of unseen
values with that rate, not with zero, since on a long-tailed column a fresh
sample always brings some new values; the doubletons give the estimate's
variance.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.errors import InputError
from driftline.stats._kinds import arrow_mask, arrow_numpy, filled

__all__ = ["HASH", "KnownValues", "UnseenCounter", "hash_values"]

HASH = "blake2b-64"

# Values whose verdict (known or not) one build remembers per column, so that a value
# recurring in every chunk is hashed once; beyond this many each chunk hashes its own.
_MEMO_LIMIT = 100_000


def hash_values(values: Iterable[str]) -> np.ndarray:
    """The 64-bit hash of each value (BLAKE2b of its UTF-8 bytes), as uint64."""
    digests = b"".join(
        hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest() for value in values
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


@dataclass(frozen=True, eq=False)
class KnownValues:
    """The distinct values of a column outside its top categories, as sorted hashes.

    ``rows`` is the number of non-missing values of the data the set was
    learned from; ``singletons`` and ``doubletons`` are the numbers of values
    (top categories included) that occur there once and twice (see the module
    docstring).
    """

    hashes: np.ndarray
    rows: int
    singletons: int
    doubletons: int

    @classmethod
    def learn(cls, counts: Mapping[str, int], categories: Sequence[str]) -> KnownValues:
        """The set of every counted value outside ``categories``; ``counts`` must be complete."""
        top = set(categories)
        n = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        return cls(
            hashes=_sorted_distinct(hash_values(value for value in counts if value not in top)),
            rows=int(n.sum()),
            singletons=int(np.count_nonzero(n == 1)),
            doubletons=int(np.count_nonzero(n == 2)),
        )

    def __len__(self) -> int:
        return int(self.hashes.size)

    def lacks(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether the set lacks it."""
        if not self.hashes.size:
            return np.ones(hashes.size, dtype=bool)
        at = np.minimum(np.searchsorted(self.hashes, hashes), self.hashes.size - 1)
        return np.asarray(self.hashes[at] != hashes)

    def same_as(self, other: KnownValues | None) -> bool:
        """Whether both describe the same data (profiles binned against it may merge)."""
        if other is None:
            return False
        return self is other or (
            (self.rows, self.singletons, self.doubletons)
            == (other.rows, other.singletons, other.doubletons)
            and np.array_equal(self.hashes, other.hashes)
        )

    def to_dict(self) -> dict[str, Any]:
        raw = self.hashes.astype("<u8").tobytes()
        return {
            "hash": HASH,
            "rows": self.rows,
            "singletons": self.singletons,
            "doubletons": self.doubletons,
            "values": base64.b64encode(raw).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KnownValues:
        if d.get("hash") != HASH:
            raise InputError(
                f"the saved profile's known values are hashed with {d.get('hash')!r}; this "
                f"driftline reads {HASH!r}: rebuild the profile from the data"
            )
        raw = base64.b64decode(d["values"])
        hashes = np.frombuffer(raw, dtype="<u8").astype(np.uint64)
        return cls(
            hashes=hashes,
            rows=int(d["rows"]),
            singletons=int(d["singletons"]),
            doubletons=int(d["doubletons"]),
        )


class UnseenCounter:
    """Counts, chunk by chunk, the values outside the categories that ``known`` lacks.

    Remembers the verdict on each distinct value it has hashed (up to a limit),
    so a value that recurs in every chunk costs one hash per build.
    """

    def __init__(self, known: KnownValues) -> None:
        self.known = known
        self._values = pa.nulls(0, pa.string())
        self._new = np.zeros(0, dtype=bool)

    def count(self, distinct: pa.Array, rows: np.ndarray) -> int:
        """Rows whose value is new: ``distinct`` values outside the categories, ``rows`` each."""
        import pyarrow.compute as pc

        if not len(distinct):
            return 0
        found = pc.index_in(distinct, value_set=self._values)
        fresh = arrow_numpy(found.is_null())
        new = np.zeros(len(distinct), dtype=bool)
        if not fresh.all():
            at = filled(found, 0)
            new[~fresh] = self._new[at[~fresh]]
        if fresh.any():
            unresolved = distinct.filter(arrow_mask(fresh))
            verdict = self.known.lacks(hash_values(unresolved.to_pylist()))
            new[fresh] = verdict
            if len(self._values) + len(unresolved) <= _MEMO_LIMIT:
                self._values = pa.concat_arrays([self._values, unresolved])
                self._new = np.concatenate([self._new, verdict])
        return int(rows[new].sum())


def _sorted_distinct(hashes: np.ndarray) -> np.ndarray:
    # np.unique, without importing numpy.ma (20 ms) on its first call.
    ordered = np.sort(hashes)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
