"""A uniform row sample that merges: bottom-k sampling.

Every row gets an independent uniform random key and the reservoir keeps the
``size`` rows with the smallest keys. The rows with the smallest keys of a
union are the smallest of each part's smallest, so merging two reservoirs is
"concatenate, keep the ``size`` smallest keys": exactly associative and
commutative, and the merged reservoir is a uniform sample without replacement
of the union, which is what a weighted merge of classic reservoirs approximates.

Keys come from a generator seeded by the profile's seed, the chunk's offset in
its stream and a digest of the chunk's values. The digest is what keeps keys of
different partitions independent when every worker builds with the default
seed; partitions with identical content get identical keys, which for a
sample of the union only matters when a data set is merged with itself. (The
digest reads category codes, so partitions whose categories differ only
inside ``other`` tie too; ties are ordered by the rows' values.)
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Reservoir", "chunk_keys", "digest_rows"]

DIGEST_ROWS = 4096


@dataclass(frozen=True, eq=False)
class Reservoir:
    """Up to ``size`` sampled rows: their keys (ascending) and values per column.

    Numbers, booleans and datetimes are float64 arrays with NaN for missing;
    categories are object arrays of ``str`` with ``None`` for missing.
    """

    size: int
    keys: np.ndarray = field(default_factory=lambda: np.empty(0))
    values: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.keys.size)

    def add(self, keys: np.ndarray, values: Mapping[str, np.ndarray]) -> Reservoir:
        """The reservoir after offering rows with these keys (values already filtered)."""
        return self.merge(Reservoir(self.size, keys, values), size=self.size)

    def merge(self, other: Reservoir, *, size: int | None = None) -> Reservoir:
        """The reservoir of the union; its size is the smaller of the two sizes."""
        size = min(self.size, other.size) if size is None else size
        if len(other) == 0 and len(self) <= size:
            return Reservoir(size, self.keys, self.values)
        keys = np.concatenate([self.keys, other.keys])
        columns = list(self.values) or list(other.values)
        joined = {name: _concat(self.values.get(name), other.values.get(name)) for name in columns}
        order = np.argsort(keys, kind="stable")
        ranked = keys[order]
        if (ranked[1:] == ranked[:-1]).any():
            # Equal keys come from chunks at the same offset with the same digest: a table
            # merged with itself, or partitions whose categories differ only inside other
            # (the digest reads category codes). Ordering them by their values keeps the
            # merge commutative and associative.
            order = np.array(sorted(order, key=lambda i: (keys[i], _row_key(joined, i))))
        order = order[:size]
        return Reservoir(size, keys[order], {name: v[order] for name, v in joined.items()})

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "keys": self.keys.tolist(),
            "values": {name: _plain(v) for name, v in self.values.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], numeric: Mapping[str, bool]) -> Reservoir:
        values: dict[str, np.ndarray] = {}
        for name, items in d["values"].items():
            if numeric[name]:
                values[name] = np.array([np.nan if v is None else v for v in items], dtype=float)
            else:
                values[name] = np.array(list(items), dtype=object)
        return cls(int(d["size"]), np.asarray(d["keys"], dtype=float), values)


def digest_rows(n: int) -> slice:
    """The rows of an ``n``-row chunk its digest reads: about ``DIGEST_ROWS``, evenly spaced."""
    return slice(None, None, max(1, n // DIGEST_ROWS))


def chunk_keys(seed: int, offset: int, n: int, digest_of: Sequence[np.ndarray]) -> np.ndarray:
    """Independent uniform keys for the ``n`` rows of a chunk starting at ``offset``.

    ``digest_of`` holds each column's values at :func:`digest_rows` ``(n)``
    only, so a column need not be converted whole for its digest.
    """
    # CRC-32 rather than a cryptographic hash: it only has to tell partitions apart, and
    # at several GB/s it costs a fraction of what blake2b did on every chunk of every column.
    # Of about DIGEST_ROWS rows, evenly spaced: hashing every row was a tenth of a warm
    # drift(), and partitions alike on those rows still get a sample (equal keys are
    # ordered by their rows, see merge).
    digest = 0
    for array in digest_of:
        digest = zlib.crc32(np.ascontiguousarray(array).data, digest)
    rng = np.random.default_rng([seed, offset, digest])
    return rng.random(n)


def _concat(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray:
    if a is None:
        return b if b is not None else np.empty(0)
    if b is None:
        return a
    if a.dtype == object or b.dtype == object:
        return np.concatenate([a.astype(object), b.astype(object)])
    return np.concatenate([a, b])


def _row_key(columns: Mapping[str, np.ndarray], i: int) -> tuple[tuple[int, Any], ...]:
    """A sortable key of row ``i``'s values, missing ones (None, NaN) last."""
    key = []
    for values in columns.values():
        v = values[i]
        missing = v is None or (isinstance(v, float) and np.isnan(v))
        key.append((1, "") if missing else (0, str(v) if values.dtype == object else float(v)))
    return tuple(key)


def _plain(values: np.ndarray) -> list[Any]:
    if values.dtype == object:
        return [None if v is None else str(v) for v in values]
    # What json_number gives value by value, in one pass: a partition's profile is
    # written on every commit, so this ran a Python call per sampled number.
    numbers = np.asarray(values, dtype=np.float64)
    plain: list[Any] = numbers.tolist()
    for i in np.flatnonzero(~np.isfinite(numbers)).tolist():
        plain[i] = None
    return plain
