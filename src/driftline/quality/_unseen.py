"""Values the model never saw: numbers outside the training range, categories not in it.

Each check asks two questions before it warns, as :mod:`driftline.drift`
does: is the share beyond chance (a test against what a fresh sample of the
training data would show, Bonferroni-corrected across the columns checked),
and is it large enough to matter (an absolute floor)? Shares that are real
but small become ``info`` findings.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special, stats

from driftline.quality import _words as words
from driftline.quality._finding import Finding, Severity
from driftline.quality._input import Expect, Reference, column_values
from driftline.quality._types import fmt_value

__all__ = [
    "CRITICAL_SHARE",
    "WARNING_SHARE",
    "check_categories",
    "check_ranges",
    "outside_range_p",
    "unseen_p",
]

# Share of rows out of range or with unseen categories that makes a warning / is critical.
WARNING_SHARE = 0.01
CRITICAL_SHARE = 0.10
MAX_PERMUTATIONS = 20_000
MAX_DISTINCT = 20_000


def _severity(share: float, p_adjusted: float, alpha: float) -> Severity | None:
    if p_adjusted > alpha:
        return None
    if share >= CRITICAL_SHARE:
        return "critical"
    return "warning" if share >= WARNING_SHARE else "info"


def _binomial_p(k: int, n: int, chance: float) -> float:
    """P(at least k of n rows by chance alone), each with probability ``chance``."""
    if k == 0:
        return 1.0
    if chance <= 0.0:
        return 0.0
    return float(stats.binomtest(k, n, min(chance, 1.0), alternative="greater").pvalue)


def outside_range_p(k: int, m: int, n: int) -> float:
    """P(at least k of m fresh values fall outside the range of n training values).

    Exact when all n + m values are exchangeable and distinct (ties only make
    values outside the range rarer, so the test stays valid): of the
    C(n+m, n) equally likely orders, (j+1) * C(n-2+m-j, m-j) leave exactly j
    fresh values outside the span of the training values.
    """
    if k <= 0:
        return 1.0
    if n < 2:
        return 0.0 if n == 0 else 1.0
    j = np.arange(k, m + 1, dtype=float)
    log_terms = (
        np.log(j + 1)
        + special.gammaln(n - 1 + m - j)
        - special.gammaln(m - j + 1)
        - special.gammaln(n - 1)
        - (special.gammaln(n + m + 1) - special.gammaln(n + 1) - special.gammaln(m + 1))
    )
    return float(min(1.0, np.exp(special.logsumexp(log_terms))))


def check_ranges(
    expect: Mapping[str, Expect], values: Mapping[str, np.ndarray], n_reference: int, alpha: float
) -> list[Finding]:
    """Values above the largest or below the smallest seen in training."""
    tested = [
        n
        for n, e in expect.items()
        if n in values and e.kind in ("numeric", "datetime") and e.min is not None
    ]
    findings = []
    for name in tested:
        e, v = expect[name], values[name]
        present = v[~np.isnan(v)]
        if not present.size or e.max is None or e.min is None:
            continue
        above, below = (
            int(np.count_nonzero(present > e.max)),
            int(np.count_nonzero(present < e.min)),
        )
        share = (above + below) / present.size
        p = min(1.0, outside_range_p(above + below, present.size, n_reference) * len(tested))
        severity = _severity(share, p, alpha)
        if severity is None:
            continue
        side = "both" if above and below else ("above" if above else "below")
        now = float(present.max()) if side == "above" else float(present.min())
        message = words.out_of_range(
            name,
            share,
            side,
            low=fmt_value(e.min, e.kind),
            high=fmt_value(e.max, e.kind),
            now=fmt_value(now, e.kind),
            above=above / present.size,
            below=below / present.size,
            matters=severity != "info",
        )
        findings.append(
            Finding(
                "out_of_range",
                name,
                severity,
                message,
                {
                    "share": share,
                    "n_above": above,
                    "n_below": below,
                    "n_present": int(present.size),
                    "training_min": e.min,
                    "training_max": e.max,
                    "current_min": float(present.min()),
                    "current_max": float(present.max()),
                    "p_value": p,
                },
            )
        )
    return findings


def check_categories(
    expect: Mapping[str, Expect],
    values: Mapping[str, np.ndarray],
    reference: Reference,
    alpha: float,
    seed: int = 0,
) -> list[Finding]:
    """Categories the model never saw in training: which, and in how many rows."""
    tested = [
        n for n, e in expect.items() if n in values and e.kind == "categorical" and e.categories
    ]
    # Enough permutations that the smallest p-value survives the correction across columns.
    permutations = int(min(MAX_PERMUTATIONS, max(2000, 10 * len(tested) / alpha)))
    findings = []
    for name in tested:
        e, v = expect[name], values[name]
        present = pd.Series(v[[x is not None for x in v]], dtype=object)
        if present.empty:
            continue
        unseen = present[~present.isin(set(e.categories or ()))]
        if unseen.empty:
            continue
        share = len(unseen) / len(present)
        counts = _reference_counts(reference, name)
        if counts is None:
            n = reference.n_rows
            p_raw = _binomial_p(len(unseen), len(present), 1.0 / (n + 1) if n else 0.0)
        else:
            p_raw = unseen_p(counts, present, permutations=permutations, seed=seed)
        p = min(1.0, p_raw * len(tested))
        severity = _severity(share, p, alpha)
        if severity is None:
            continue
        found = unseen.value_counts()
        top = sorted(found.items(), key=lambda kv: (-kv[1], str(kv[0])))
        findings.append(
            Finding(
                "unseen_categories",
                name,
                severity,
                words.unseen_categories(name, [(k, int(c)) for k, c in top], share),
                {
                    "share": share,
                    "n_unseen": len(unseen),
                    "n_present": len(present),
                    "unseen": {str(k): int(c) for k, c in top[:50]},
                    "p_value": p,
                },
            )
        )
    return findings


def unseen_p(
    reference: pd.Series, current: pd.Series, *, permutations: int = 2000, seed: int = 0
) -> float:
    """P(as many current rows hold values absent from the reference, were all rows alike).

    A permutation test: the pooled rows are split at random into a reference
    and a current part of the original sizes (multivariate hypergeometric
    draws of the counts), and each split counts the current rows whose value
    has no copy in its reference part. Unseen values come in clumps (one new
    value shows up many times), which a binomial model of single rows misses.
    ``reference`` holds counts per value; ``current`` the values.
    """
    cur_counts = current.value_counts()
    observed = int(cur_counts[~cur_counts.index.isin(reference.index)].sum())
    if observed == 0:
        return 1.0
    pooled = reference.add(cur_counts, fill_value=0).to_numpy(dtype=np.int64)
    if pooled.size > MAX_DISTINCT:
        # Too many values to permute cheaply: Good-Turing's unseen mass, row by row.
        singletons = int((reference == 1).sum())
        total = int(reference.sum())
        chance = max(singletons / total, 1.0 / (total + 1)) if total else 0.0
        return _binomial_p(observed, int(cur_counts.sum()), chance)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_hypergeometric(
        pooled, int(cur_counts.sum()), size=permutations, method="marginals"
    )
    counts = (draws * (draws == pooled)).sum(axis=1)
    return float((1 + np.count_nonzero(counts >= observed)) / (1 + permutations))


def _reference_counts(reference: Reference, name: str) -> pd.Series | None:
    """Rows per value in the training data, when they are known exactly."""
    rows = reference.rows
    if rows is not None and not reference.sampled and name in rows.column_names:
        values = column_values(rows, name, "categorical")
        return pd.Series(values, dtype=object).dropna().value_counts()
    profile = reference.profile
    col = profile.columns.get(name) if profile is not None else None
    if col is not None and col.kind == "categorical" and col.other == 0:
        return pd.Series(col.category_counts[:-1], index=list(col.categories), dtype=np.int64)
    return None
