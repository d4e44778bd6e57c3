"""Columns as small integer codes, each code a condition: the alphabet slices are written in.

Numbers fall into quantile bins whose edges are rounded to the fewest
significant digits that keep them apart (so a slice reads "age 60 or more",
not "age 59.73 or more"); a number column with few distinct values keeps
each value. Text and booleans keep their frequent values; rare ones are
grouped into one code. A missing value is a code of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import InputError
from driftline.slices._condition import Condition
from driftline.slices._frame import Frame

__all__ = ["Feature", "encode_columns"]

# A group of rare values larger than this is not offered as a slice (it would
# read as a list nobody can use).
_MAX_GROUPED = 25


@dataclass(frozen=True)
class Feature:
    """One column as codes 0..k-1; ``conditions[c]`` says which rows have code c."""

    column: str
    codes: np.ndarray
    conditions: tuple[Condition, ...]
    usable: np.ndarray  # code may appear in a slice

    @property
    def n_codes(self) -> int:
        return len(self.conditions)


def encode_columns(
    frame: Frame,
    columns: list[str],
    *,
    bins: int,
    min_support: int,
    max_categories: int,
) -> tuple[list[Feature], dict[str, str]]:
    """Every column that can be searched as a Feature, and why the others cannot."""
    features: list[Feature] = []
    skipped: dict[str, str] = {}
    for name in columns:
        try:
            kind = frame.kind(name)
        except InputError:
            skipped[name] = f"type {frame.table.schema.field(name).type} cannot be sliced"
            continue
        if kind == "datetime":
            skipped[name] = "dates are not searched; add a derived column (month, weekday)"
            continue
        if kind == "numeric":
            feature = _numeric(name, frame.numbers(name), bins)
        else:
            feature = _categorical(name, frame.text(name), min_support, max_categories)
        counts = np.bincount(feature.codes, minlength=feature.n_codes)
        if counts.max(initial=0) == frame.n_rows:
            everyone = int(np.argmax(counts))
            rare = (
                kind != "numeric"
                and feature.conditions[everyone].op == "in"
                and len(feature.conditions[everyone].values) > 1
            )
            skipped[name] = (
                f"every value is in fewer than {min_support} rows"
                if rare
                else "one value in every row"
            )
            continue
        features.append(feature)
    return features, skipped


def _round(values: np.ndarray, digits: int) -> np.ndarray:
    out = np.empty_like(values)
    for i, v in enumerate(values):
        if v == 0 or not math.isfinite(v):
            out[i] = v
            continue
        scale = digits - 1 - math.floor(math.log10(abs(v)))
        out[i] = round(v, scale)
    return out


def _edges(finite: np.ndarray, bins: int) -> np.ndarray:
    """Interior bin edges at the quantiles, rounded as far as they stay distinct."""
    raw = np.unique(np.quantile(finite, np.arange(1, bins) / bins))
    lo, hi = finite.min(), finite.max()
    raw = raw[(raw > lo) & (raw <= hi)]
    if raw.size == 0:
        return raw
    for digits in range(2, 8):
        nice = np.unique(_round(raw, digits))
        nice = nice[(nice > lo) & (nice <= hi)]
        if nice.size == raw.size:
            return nice
    return raw


def _numeric(name: str, values: np.ndarray, bins: int) -> Feature:
    missing = np.isnan(values)
    finite = values[~missing]
    distinct = np.unique(finite)
    conditions: list[Condition] = []
    if distinct.size <= bins:
        codes = np.searchsorted(
            distinct, np.where(missing, distinct[0] if distinct.size else 0, values)
        )
        conditions = [Condition.equals(name, _plain(v)) for v in distinct]
    else:
        edges = _edges(finite, bins)
        codes = np.searchsorted(edges, np.where(missing, 0.0, values), side="right")
        bounds = [None, *(_plain(e) for e in edges), None]
        conditions = [
            Condition.between(name, low=bounds[i], high=bounds[i + 1])
            for i in range(edges.size + 1)
        ]
    if missing.any():
        codes = np.where(missing, len(conditions), codes)
        conditions.append(Condition.missing(name))
    return Feature(name, codes.astype(np.int64), tuple(conditions), np.ones(len(conditions), bool))


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _categorical(name: str, text: pa.Array, min_support: int, max_categories: int) -> Feature:
    encoded = pc.dictionary_encode(text)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = encoded.dictionary.to_pylist()
    indices = encoded.indices
    null = np.asarray(pc.is_null(indices).to_numpy(zero_copy_only=False), dtype=bool)
    idx = np.asarray(pc.fill_null(indices, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    counts = np.bincount(idx[~null], minlength=len(values))
    order = np.argsort(-counts, kind="stable")
    kept = [int(i) for i in order[:max_categories] if counts[i] >= min_support]
    rare = [int(i) for i in order if int(i) not in set(kept) and counts[i] > 0]
    lookup = np.full(len(values), len(kept), dtype=np.int64)
    lookup[kept] = np.arange(len(kept))
    conditions = [Condition.equals(name, values[i]) for i in kept]
    usable = [True] * len(kept)
    if rare:
        group = sorted(values[i] for i in rare)
        conditions.append(Condition.isin(name, group))
        usable.append(len(group) <= _MAX_GROUPED)
    codes = lookup[idx] if len(values) else np.zeros(len(idx), dtype=np.int64)
    if null.any():
        codes = np.where(null, len(conditions), codes)
        conditions.append(Condition.missing(name))
        usable.append(True)
    return Feature(name, codes, tuple(conditions), np.asarray(usable, dtype=bool))
