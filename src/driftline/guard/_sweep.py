"""The query-budget watch: does one caller's stream of inputs look like a systematic sweep?

People asking a model about their own cases send inputs that differ from one
another in every column. A program copying or probing the model sends
something else: the same point nudged again and again (near-duplicates), or a
grid, where each input changes a single column of the one before and the
columns hold few distinct values. Each caller's last ``window`` inputs are
kept and judged every quarter window, in one vectorized pass.

An exact repeat is not a near-duplicate: it teaches the caller nothing it was
not told already, and ordinary clients send them (a service scoring its own
customers again each hour). Measured in ``benchmarks/sweep_bench.py``, where
counting them made every such client look like a sweep.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np

__all__ = ["GRID_DISTINCT", "NEAR", "SWEEP_SHARE", "SweepFinding", "SweepWatch", "typical_distance"]

# A sweep when at least this share of a window's inputs show one of its signs.
SWEEP_SHARE = 0.5
# A grid's columns hold few values: a median of at most this share of the window.
GRID_DISTINCT = 0.25
# Near-duplicates: closer than this share of the training rows' own typical
# distance to their nearest neighbour.
NEAR = 0.25
# Squared distances below this are the same input sent again (rounding aside).
_REPEAT = 1e-9


@dataclasses.dataclass(frozen=True)
class SweepFinding:
    caller: str
    rows: int
    single_change: int
    near_duplicates: int
    distinct: float  # median distinct values per column

    @property
    def value(self) -> float:
        """The larger sign, as a share of the window: what the alert compares with its line."""
        return max(self.single_change / max(self.rows - 1, 1), self.near_duplicates / self.rows)


class SweepWatch:
    """Recent inputs per caller; ``observe`` returns a finding the first time one sweeps."""

    def __init__(self, window: int, near_distance: float | None) -> None:
        self.window = window
        self.near_distance = near_distance  # None: no representation to measure nearness in
        self._raw: dict[str, collections.deque[np.ndarray]] = {}
        self._embedded: dict[str, collections.deque[np.ndarray]] = {}
        self._since: dict[str, int] = {}
        self.found: set[str] = set()

    def observe(
        self, caller: str, raw: np.ndarray, embedded: np.ndarray | None
    ) -> SweepFinding | None:
        if caller in self.found:
            return None
        rows = self._raw.setdefault(caller, collections.deque(maxlen=self.window))
        rows.extend(raw)
        if embedded is not None:
            near = self._embedded.setdefault(caller, collections.deque(maxlen=self.window))
            near.extend(embedded)
        self._since[caller] = self._since.get(caller, 0) + len(raw)
        if len(rows) < self.window or self._since[caller] < self.window // 4:
            return None
        self._since[caller] = 0
        finding = self._judge(caller)
        if finding is not None:
            self.found.add(caller)
            self._raw.pop(caller, None)
            self._embedded.pop(caller, None)
        return finding

    def _judge(self, caller: str) -> SweepFinding | None:
        raw = np.vstack(list(self._raw[caller]))
        n, width = raw.shape
        same = (raw[1:] == raw[:-1]) | (np.isnan(raw[1:]) & np.isnan(raw[:-1]))
        single = int(((~same).sum(axis=1) == 1).sum()) if width > 1 else 0
        distinct = float(np.median([len(np.unique(raw[:, j])) for j in range(width)]))
        if distinct > GRID_DISTINCT * n:
            single = 0  # changes one column at a time, but not over a grid of few values
        near = 0
        embedded = self._embedded.get(caller)
        if self.near_distance is not None and embedded is not None and len(embedded) == n:
            z = np.vstack(list(embedded))
            norms = np.einsum("ij,ij->i", z, z)
            squared = norms[:, None] + norms[None, :] - 2.0 * (z @ z.T)
            np.fill_diagonal(squared, np.inf)
            squared[squared <= _REPEAT] = np.inf  # exact repeats
            near = int((squared.min(axis=1) < self.near_distance**2).sum())
        finding = SweepFinding(caller, n, single, near, distinct)
        return finding if finding.value >= SWEEP_SHARE else None


def typical_distance(reference: np.ndarray) -> float:
    """The median distance of a reference row to its nearest other, different reference row."""
    z = reference[:1000]
    norms = np.einsum("ij,ij->i", z, z)
    squared = norms[:, None] + norms[None, :] - 2.0 * (z @ z.T)
    np.fill_diagonal(squared, np.inf)
    squared[squared <= _REPEAT] = np.inf  # as the watch does: a repeat is no neighbour
    return float(np.sqrt(max(np.median(squared.min(axis=1)), 0.0)))
