"""The level-wise search for the slices served worst, after SliceLine.

Sagadeeva and Boehm (SIGMOD 2021) score a slice S of a data set of n rows,
mean loss e, by how much worse it is served and how big it is::

    score(S) = w * (mean loss of S / e - 1) - (1 - w) * (n / |S| - 1)

and search conjunctions level by level: a slice of L conditions is a
candidate only when all its parents (drop one condition) had enough rows and
an upper bound on the score of their children beats zero. A child has at
most the rows, the loss sum and the largest loss of each parent, which
bounds its score (the bound is evaluated at the three sizes where its
maximum can lie).

Here the slices of one combination of columns are counted together: the
columns' codes make one combined code per row, and one ``bincount`` gives
the rows and loss sums of every slice of that combination at once.
Candidates are then picked out of that grid by broadcasting the parents'
grids, so the work is a few passes over the rows per combination of
columns, whatever the number of slices in it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from driftline.slices._encode import Feature

__all__ = ["Found", "search"]


@dataclass
class _Grid:
    """Statistics of every slice of one combination of columns, on the grid of their codes."""

    n: np.ndarray
    total: np.ndarray
    top: np.ndarray  # upper bound on the largest loss of a row in the slice
    expandable: np.ndarray


@dataclass(frozen=True)
class Found:
    """Every slice whose significance is to be tested.

    Row ``i`` is the slice whose conditions are ``features[columns[i, j]]``
    at code ``codes[i, j]`` for each ``j`` with ``columns[i, j] >= 0``.
    """

    columns: np.ndarray  # (m, depth), -1 past the slice's own depth
    codes: np.ndarray
    n: np.ndarray
    total: np.ndarray
    squares: np.ndarray
    score: np.ndarray
    evaluated: int  # candidates counted, including those with too few rows

    def __len__(self) -> int:
        return len(self.n)


class _Scorer:
    def __init__(self, n_rows: int, mean_loss: float, weight: float, min_support: int) -> None:
        self.n_rows = n_rows
        self.mean_loss = mean_loss
        self.weight = weight
        self.min_support = min_support

    def score(self, n: np.ndarray, total: np.ndarray) -> np.ndarray:
        size = np.maximum(n, 1.0)
        w = self.weight
        return w * (total / size / self.mean_loss - 1.0) - (1.0 - w) * (self.n_rows / size - 1.0)

    def bound(self, n: np.ndarray, total: np.ndarray, top: np.ndarray) -> np.ndarray:
        """The highest score a slice inside one with these statistics can have."""
        low = float(self.min_support)
        with np.errstate(divide="ignore", invalid="ignore"):
            kink = np.where(top > 0, total / np.where(top > 0, top, 1.0), low)
        best = np.full(n.shape, -np.inf)
        for size in (np.full(n.shape, low), np.clip(kink, low, np.maximum(n, low)), n):
            s = np.maximum(size, low)
            best = np.maximum(best, self.score(s, np.minimum(total, s * top)))
        return np.where(n >= low, best, -np.inf)


def search(
    features: list[Feature],
    losses: np.ndarray,
    *,
    max_depth: int,
    min_support: int,
    weight: float,
) -> Found:
    """Every slice of up to ``max_depth`` conditions that the pruned search reaches."""
    n_rows = len(losses)
    squares_all = losses**2
    mean = float(losses.mean()) if n_rows else 0.0
    scorer = _Scorer(n_rows, mean, weight, min_support)
    shapes = [f.n_codes for f in features]
    out: list[tuple[np.ndarray, ...]] = []
    evaluated = 0
    if mean <= 0 or not features:
        return _found(out, max_depth, evaluated)

    grids: dict[tuple[int, ...], _Grid] = {}
    for j, f in enumerate(features):
        k = f.n_codes
        n = np.bincount(f.codes, minlength=k).astype(float)
        total = np.bincount(f.codes, weights=losses, minlength=k)
        squares = np.bincount(f.codes, weights=squares_all, minlength=k)
        top = np.zeros(k)
        np.maximum.at(top, f.codes, losses)
        candidate = f.usable.copy()
        evaluated += int(candidate.sum())
        grid = _judge((j,), candidate, n, total, squares, top, scorer, out, n_rows)
        grid.expandable &= max_depth > 1
        grids[(j,)] = grid

    for level in range(2, max_depth + 1):
        parents = {c: g for c, g in grids.items() if g.expandable.any()}
        grids = {}
        for combo in _combinations(parents, len(features), level):
            shape = tuple(shapes[j] for j in combo)
            candidate = np.ones(shape, dtype=bool)
            n_ub = np.full(shape, np.inf)
            total_ub = np.full(shape, np.inf)
            top_ub = np.full(shape, np.inf)
            for drop in range(level):
                g = parents[combo[:drop] + combo[drop + 1 :]]
                sub = tuple(s for i, s in enumerate(shape) if i != drop)

                def lift(a: np.ndarray, sub: tuple[int, ...] = sub, drop: int = drop) -> np.ndarray:
                    return np.expand_dims(a.reshape(sub), drop)

                candidate &= lift(g.expandable)
                n_ub = np.minimum(n_ub, lift(g.n))
                total_ub = np.minimum(total_ub, lift(g.total))
                top_ub = np.minimum(top_ub, lift(g.top))
            candidate &= scorer.bound(n_ub, total_ub, top_ub) > 0
            if not candidate.any():
                continue
            evaluated += int(candidate.sum())
            code = features[combo[0]].codes
            for j in combo[1:]:
                code = code * shapes[j] + features[j].codes
            cells = int(np.prod(shape))
            n = np.bincount(code, minlength=cells).astype(float)
            total = np.bincount(code, weights=losses, minlength=cells)
            squares = np.bincount(code, weights=squares_all, minlength=cells)
            grid = _judge(
                combo, candidate.ravel(), n, total, squares, top_ub.ravel(), scorer, out, n_rows
            )
            if level < max_depth:
                grids[combo] = grid
    return _found(out, max_depth, evaluated, shapes)


def _combinations(
    parents: dict[tuple[int, ...], _Grid], n_features: int, level: int
) -> list[tuple[int, ...]]:
    """Column combinations of ``level`` whose every sub-combination can still grow."""
    combos = set()
    for combo in parents:
        for j in range(combo[-1] + 1, n_features):
            new = (*combo, j)
            if all(sub in parents for sub in itertools.combinations(new, level - 1)):
                combos.add(new)
    return sorted(combos)


def _judge(
    combo: tuple[int, ...],
    candidate: np.ndarray,
    n: np.ndarray,
    total: np.ndarray,
    squares: np.ndarray,
    top: np.ndarray,
    scorer: _Scorer,
    out: list[tuple[np.ndarray, ...]],
    n_rows: int,
) -> _Grid:
    """Record the candidates with enough rows; say which of them may have worse children."""
    tested = candidate & (n >= scorer.min_support) & (n < n_rows)
    cells = np.flatnonzero(tested)
    if cells.size:
        columns = np.tile(np.asarray(combo, dtype=np.int64), (cells.size, 1))
        out.append(
            (
                columns,
                cells,
                n[cells],
                total[cells],
                squares[cells],
                scorer.score(n[cells], total[cells]),
            )
        )
    # Children of a slice that covers every row are the slices of the other columns.
    expandable = tested & (scorer.bound(n, total, top) > 0)
    return _Grid(n, total, np.minimum(top, np.where(n > 0, np.inf, 0.0)), expandable)


def _found(
    parts: list[tuple[np.ndarray, ...]],
    depth: int,
    evaluated: int,
    shapes: list[int] | None = None,
) -> Found:
    if not parts:
        empty = np.zeros(0)
        return Found(
            np.zeros((0, depth), np.int64),
            np.zeros((0, depth), np.int64),
            empty,
            empty,
            empty,
            empty,
            evaluated,
        )
    columns = np.full((sum(len(p[1]) for p in parts), depth), -1, dtype=np.int64)
    codes = np.full_like(columns, -1)
    start = 0
    for cols, cells, *_ in parts:
        k, level = cols.shape
        dims = tuple(shapes[j] for j in cols[0]) if shapes else (len(cells),)
        columns[start : start + k, :level] = cols
        codes[start : start + k, :level] = np.stack(np.unravel_index(cells, dims), axis=1)
        start += k
    return Found(
        columns,
        codes,
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        np.concatenate([p[4] for p in parts]),
        np.concatenate([p[5] for p in parts]),
        evaluated,
    )
