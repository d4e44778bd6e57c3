"""Per-column checks against the reference: rises in missing values, constant columns.

As elsewhere in driftline, a warning needs a difference beyond chance
(Fisher's exact test, Bonferroni-corrected across columns) and large enough
to matter (an absolute floor on the rise in the missing rate).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from driftline.errors import InputError
from driftline.quality import _words as words
from driftline.quality._finding import Finding, Severity
from driftline.quality._input import Expect, Reference, column_values
from driftline.quality._types import fmt_value
from driftline.stats import kind_of

__all__ = ["MISSING_CRITICAL", "MISSING_FLOOR", "check_constant", "check_missing"]

# Rise in the missing rate (absolute) that makes a warning / is critical.
MISSING_FLOOR = 0.05
MISSING_CRITICAL = 0.25


def check_missing(
    expect: Mapping[str, Expect],
    values: Mapping[str, np.ndarray],
    reference: Reference,
    alpha: float,
) -> list[Finding]:
    """Columns missing much more often than in training."""
    tested = [n for n in expect if n in values]
    findings = []
    for name in tested:
        e, v = expect[name], values[name]
        k1 = int(
            np.count_nonzero([x is None for x in v]) if v.dtype == object else np.isnan(v).sum()
        )
        n1 = int(v.size)
        if not n1 or not k1:
            continue
        k0, n0 = _reference_missing(reference, e)
        r0, r1 = (k0 / n0 if n0 else 0.0), k1 / n1
        if r1 - r0 < MISSING_FLOOR:
            if not e.nullable and r0 == 0:
                findings.append(
                    Finding(
                        "missing_values",
                        name,
                        "info",
                        words.missing_unexpected(name, k1, r1),
                        {"share": r1, "reference_share": r0, "n_missing": k1, "n": n1},
                    )
                )
            continue
        if n0:
            table = [[k1, n1 - k1], [k0, n0 - k0]]
            p_raw = float(stats.fisher_exact(table, alternative="greater")[1])
        else:
            p_raw = 0.0
        p = min(1.0, p_raw * len(tested))
        if p > alpha:
            continue
        severity: Severity = "critical" if r1 == 1.0 or r1 - r0 >= MISSING_CRITICAL else "warning"
        findings.append(
            Finding(
                "missing_values",
                name,
                severity,
                words.missing_rise(name, r1, r0),
                {
                    "share": r1,
                    "reference_share": r0,
                    "increase": r1 - r0,
                    "n_missing": k1,
                    "n": n1,
                    "p_value": p,
                },
            )
        )
    return findings


def _reference_missing(reference: Reference, e: Expect) -> tuple[int, int]:
    profile = reference.profile
    if profile is not None and e.name in profile.columns:
        col = profile.columns[e.name]
        return col.missing, col.n
    rows = reference.rows
    if rows is not None and e.name in rows.column_names:
        return rows.column(e.name).null_count, rows.num_rows
    # Only a signature: a column never missing in training counts as 0 of many.
    return 0, 0


def check_constant(
    expect: Mapping[str, Expect],
    values: Mapping[str, np.ndarray],
    reference: Reference,
    alpha: float,
) -> list[Finding]:
    """Columns with one value only: now (when training had several) or already in training."""
    findings = []
    tested = [n for n in expect if n in values]
    for name in tested:
        e = expect[name]
        ref_values = _reference_values(reference, name)
        if _constant_in_profile(reference, name):
            only = ref_values[0] if ref_values.size else None
            findings.append(
                Finding(
                    "constant_column",
                    name,
                    "info",
                    words.constant_in_training(name, _show(only, e.kind)),
                    {"where": "reference", "value": only},
                )
            )
            continue
        present = _present(values[name])
        if present.size < 2 or pd.Series(present).nunique() > 1:
            continue
        value = present[0]
        # Chance that a batch of this size from the training distribution has one value only.
        shares = pd.Series(ref_values).value_counts(normalize=True).to_numpy(dtype=float)
        chance = float(np.sum(shares**present.size)) if shares.size else 0.0
        if min(1.0, chance * len(tested)) > alpha:
            continue
        distinct = int(pd.Series(ref_values).nunique())
        findings.append(
            Finding(
                "constant_column",
                name,
                "warning",
                words.constant_now(name, _show(value, e.kind), distinct, reference.sampled),
                {
                    "where": "current",
                    "value": value,
                    "reference_distinct": distinct,
                    "chance": chance,
                },
            )
        )
    return findings


def _present(v: np.ndarray) -> np.ndarray:
    if v.dtype == object:
        return v[[x is not None for x in v]]
    return v[~np.isnan(v)]


def _reference_values(reference: Reference, name: str) -> np.ndarray:
    rows = reference.rows
    if rows is None or name not in rows.column_names:
        return np.empty(0)
    try:
        kind = kind_of(name, rows.column(name).type)
    except InputError:
        return np.empty(0)
    return _present(column_values(rows, name, kind))


def _constant_in_profile(reference: Reference, name: str) -> bool:
    profile = reference.profile
    if profile is None or name not in profile.columns:
        return False
    col = profile.columns[name]
    if col.count < 2:
        return False
    if col.kind in ("categorical", "boolean"):
        return col.other == 0 and int(np.count_nonzero(col.category_counts)) == 1
    return col.min is not None and col.min == col.max


def _show(value: object, kind: str) -> str:
    if kind == "boolean" and value is not None:
        return "true" if value else "false"
    if isinstance(value, float | int | np.number) and not isinstance(value, bool):
        return fmt_value(float(value), kind)
    return repr(value)
