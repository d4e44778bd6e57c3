"""The benchmark's tables: 20 mixed columns, seeded, written to Parquet in chunks.

Rows are generated in blocks of ``BLOCK_ROWS`` from a generator seeded by
(seed, side, block index), so a file of N rows never exists in memory and its
first block is the same whatever N is. ``current`` differs from ``reference``
in the columns listed in ``SHIFTED`` (and, by less than any tool's floor, in
``num_small_shift``); every other column has the same distribution.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["CENSUS_COLUMNS", "CENSUS_SHIFTED", "COLUMNS", "SHIFTED", "ensure_parquet"]

DATA_VERSION = 2
BLOCK_ROWS = 1_000_000

Side = str  # "reference" or "current"
Make = Callable[[np.random.Generator, int, bool], pa.Array]


def _normal(
    loc: float, scale: float, cur_loc: float | None = None, cur_scale: float | None = None
) -> Make:
    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        lo = cur_loc if cur and cur_loc is not None else loc
        sc = cur_scale if cur and cur_scale is not None else scale
        return pa.array(rng.normal(lo, sc, n))

    return make


def _lognormal(sigma: float, cur_sigma: float | None = None) -> Make:
    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        s = cur_sigma if cur and cur_sigma is not None else sigma
        return pa.array(rng.lognormal(0.0, s, n))

    return make


def _uniform(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.uniform(0.0, 100.0, n))


def _exponential(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.exponential(3.0, n))


def _with_missing(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    values = rng.normal(50.0, 10.0, n)
    return pa.array(values, mask=rng.random(n) < 0.05)


def _poisson(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.poisson(4.0 if cur else 3.0, n).astype(np.int64))


def _age(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.integers(18, 91, n, dtype=np.int64))


def _id_like(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.integers(0, 1_000_000, n, dtype=np.int64))


def _categorical(
    k: int, prefix: str, *, zipf: bool = False, missing: float = 0.0, shift: str = ""
) -> Make:
    labels = np.array([f"{prefix}_{i:04d}" for i in range(2 * k)], dtype=object)
    weights = 1.0 / np.arange(1, k + 1) if zipf else np.ones(k)
    base = weights / weights.sum()

    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        if cur and shift == "reweight":
            # Mass moves from the last categories to the first ones.
            p = base * np.linspace(1.75, 0.25, k)
            codes = rng.choice(k, n, p=p / p.sum())
        elif cur and shift == "new":
            # A fifth of the rows take categories the reference never saw.
            codes = rng.choice(k, n, p=base)
            new = rng.random(n) < 0.2
            codes[new] = k + rng.integers(0, k, int(new.sum()))
        else:
            codes = rng.choice(k, n, p=base)
        mask = rng.random(n) < missing if missing else None
        dictionary = pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32), mask=mask), pa.array(labels, pa.string())
        )
        # Plain strings, as most Parquet files written from DataFrames hold them.
        return dictionary.cast(pa.string())

    return make


def _flag(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(rng.random(n) < (0.45 if cur else 0.3))


COLUMNS: dict[str, Make] = {
    "num_normal_shift": _normal(0.0, 1.0, cur_loc=0.3),
    "num_normal": _normal(10.0, 2.0),
    "num_scale_shift": _normal(-3.0, 5.0, cur_scale=7.5),
    "num_lognormal": _lognormal(1.0),
    "num_lognormal_shift": _lognormal(0.5, cur_sigma=0.8),
    "num_uniform": _uniform,
    "num_exponential": _exponential,
    "num_missing": _with_missing,
    "num_small_shift": _normal(100.0, 15.0, cur_loc=100.3),
    "int_poisson_shift": _poisson,
    "int_age": _age,
    "int_id_like": _id_like,
    "cat_2": _categorical(2, "yn"),
    "cat_5_shift": _categorical(5, "tier", shift="reweight"),
    "cat_10": _categorical(10, "region"),
    "cat_20": _categorical(20, "channel", zipf=True),
    "cat_50_missing": _categorical(50, "state", missing=0.02),
    "cat_200": _categorical(200, "city", zipf=True),
    "cat_5000_shift": _categorical(5000, "sku", zipf=True, shift="new"),
    "bool_flag_shift": _flag,
}

# The columns whose distribution really moves; num_small_shift moves by 0.02 standard
# deviations, which every tool should let pass as immaterial.
SHIFTED = sorted(name for name in COLUMNS if name.endswith("_shift") and name != "num_small_shift")


# -- the census-shaped table (issue 19) -------------------------------------------------------
# 16 columns as a public census extract holds them: categories stored as integer codes,
# counts, and a few floats. Four columns move in the current table.


def _codes(k: int, *, zipf: float = 0.0, shift: float = 0.0) -> Make:
    weights = 1.0 / np.arange(1, k + 1) ** zipf
    base = weights / weights.sum()
    moved = base * np.linspace(1.0 + shift, 1.0 - shift, k)
    moved /= moved.sum()

    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        return pa.array(rng.choice(k, n, p=moved if cur else base).astype(np.int64) + 1)

    return make


def _count(lam: float, cur_lam: float | None = None, offset: int = 0) -> Make:
    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        rate = cur_lam if cur and cur_lam is not None else lam
        return pa.array(rng.poisson(rate, n).astype(np.int64) + offset)

    return make


def _ages(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    return pa.array(np.clip(rng.normal(44.0 if cur else 41.0, 18.0, n), 17, 94).astype(np.int64))


def _income(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
    values = rng.lognormal(10.6 if cur else 10.5, 0.9, n)
    return pa.array(values, mask=rng.random(n) < 0.03)


def _gamma(shape: float, scale: float) -> Make:
    def make(rng: np.random.Generator, n: int, cur: bool) -> pa.Array:
        return pa.array(rng.gamma(shape, scale, n))

    return make


CENSUS_COLUMNS: dict[str, Make] = {
    "age_shift": _ages,
    "class_of_worker": _codes(8, zipf=1.0),
    "schooling_shift": _codes(24, zipf=0.3, shift=0.4),
    "marital": _codes(5, zipf=0.8),
    "occupation": _codes(530, zipf=1.1),
    "birthplace": _codes(250, zipf=1.5),
    "relationship": _codes(18, zipf=1.2),
    "sex": _codes(2),
    "race": _codes(9, zipf=1.8),
    "hours_per_week": _count(38.0, offset=1),
    "children": _count(0.8),
    "household_size_shift": _count(1.5, cur_lam=1.9, offset=1),
    "income_shift": _income,
    "commute_minutes": _gamma(2.0, 12.0),
    "person_weight": _gamma(4.0, 25.0),
    "poverty_ratio": _gamma(3.0, 1.2),
}
CENSUS_SHIFTED = sorted(name for name in CENSUS_COLUMNS if name.endswith("_shift"))
SHAPES = {"mixed": COLUMNS, "census": CENSUS_COLUMNS}


def blocks(rows: int, seed: int, side: Side, shape: str = "mixed") -> Iterator[pa.Table]:
    """The table of ``rows`` rows, as blocks of at most ``BLOCK_ROWS``."""
    side_id = {"reference": 0, "current": 1}[side]
    columns = SHAPES[shape]
    for index, start in enumerate(range(0, rows, BLOCK_ROWS)):
        n = min(BLOCK_ROWS, rows - start)
        rng = np.random.default_rng([seed, side_id, index])
        cur = side == "current"
        yield pa.table({name: make(rng, n, cur) for name, make in columns.items()})


def ensure_parquet(folder: Path, rows: int, seed: int, side: Side, shape: str = "mixed") -> Path:
    """The cached Parquet file of this table, written block by block if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "" if shape == "mixed" else f"{shape}_"
    path = folder / f"{prefix}{side}_{rows}_seed{seed}_v{DATA_VERSION}.parquet"
    if path.exists():
        return path
    partial = path.with_suffix(f".partial{os.getpid()}")
    writer: pq.ParquetWriter | None = None
    try:
        for block in blocks(rows, seed, side, shape):
            if writer is None:
                writer = pq.ParquetWriter(partial, block.schema)
            writer.write_table(block)
    finally:
        if writer is not None:
            writer.close()
    partial.replace(path)
    return path
