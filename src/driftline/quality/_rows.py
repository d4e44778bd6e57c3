"""Checks on whole rows: duplicates, and whether the training rows represent the batch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from driftline.quality import _words as words
from driftline.quality._finding import Finding, Severity

__all__ = ["DUPLICATE_FLOOR", "check_duplicates", "check_representative"]

# Rise in the share of duplicate rows, above what the training data shows, that is a warning.
DUPLICATE_FLOOR = 0.05
DUPLICATE_CRITICAL = 0.5
# Held-out AUC of the domain classifier that makes a warning / is critical.
AUC_WARNING = 0.6
AUC_CRITICAL = 0.8
MIN_ROWS = 20
MAX_SAMPLES = 2000


def _duplicated(frame: pd.DataFrame) -> int:
    if frame.empty or not len(frame.columns):
        return 0
    hashes = pd.util.hash_pandas_object(frame, index=False)
    return int(hashes.duplicated().sum())


def check_duplicates(
    current: pd.DataFrame, reference: pd.DataFrame | None, alpha: float, seed: int
) -> list[Finding]:
    """Repeated rows beyond what data like the training data repeats by itself.

    Rows of few categorical columns repeat naturally, and more often in bigger
    batches, so the baseline is the duplicate share of a reference sample of
    the same size, and the two are compared with Fisher's exact test.
    """
    n = len(current)
    dups = _duplicated(current)
    if n < 2 or not dups:
        return []
    share = dups / n
    base_dups, base_n = 0, 0
    if reference is not None and len(reference) >= 2:
        rng = np.random.default_rng(seed)
        m = min(n, len(reference))
        sample = reference.iloc[np.sort(rng.choice(len(reference), m, replace=False))]
        base_dups, base_n = _duplicated(sample), m
        if m < n:
            # Compare like with like: the same number of rows on both sides.
            cur = current.iloc[np.sort(rng.choice(n, m, replace=False))]
            dups_m = _duplicated(cur)
        else:
            dups_m = dups
        p = float(
            stats.fisher_exact(
                [[dups_m, m - dups_m], [base_dups, m - base_dups]], alternative="greater"
            )[1]
        )
        base_share = base_dups / m
        excess = dups_m / m - base_share
    else:
        p, base_share, excess = (0.0, 0.0, share)
    if p > alpha or excess < DUPLICATE_FLOOR:
        return []
    severity: Severity = "critical" if share >= DUPLICATE_CRITICAL else "warning"
    return [
        Finding(
            "duplicate_rows",
            None,
            severity,
            words.duplicates(dups, share, base_share if base_n else None),
            {"n_duplicates": dups, "share": share, "reference_share": base_share, "p_value": p},
        )
    ]


def check_representative(
    reference: Mapping[str, np.ndarray],
    current: Mapping[str, np.ndarray],
    alpha: float,
    seed: int,
) -> tuple[list[Finding], str | None]:
    """Can a classifier tell the batch from the training rows? Returns findings or a skip reason."""
    from threadpoolctl import threadpool_limits

    from driftline.represent import TabularPreprocessor, classifier_test

    columns = [c for c in reference if c in current]
    ref, cur = (
        pd.DataFrame({c: reference[c] for c in columns}),
        pd.DataFrame({c: current[c] for c in columns}),
    )
    if not columns:
        return [], "no column to compare"
    if len(ref) < MIN_ROWS or len(cur) < MIN_ROWS:
        return [], f"needs at least {MIN_ROWS} rows on each side"
    # The test uses at most MAX_SAMPLES rows a side; encoding only those keeps big batches cheap.
    rng = np.random.default_rng(seed)
    if len(ref) > MAX_SAMPLES:
        ref = ref.iloc[np.sort(rng.choice(len(ref), MAX_SAMPLES, replace=False))]
    if len(cur) > MAX_SAMPLES:
        cur = cur.iloc[np.sort(rng.choice(len(cur), MAX_SAMPLES, replace=False))]
    encoder = TabularPreprocessor().fit(ref)
    # On a few shared cores OpenMP threads of gradient boosting spin against each other:
    # measured 17 s instead of 0.06 s for 1,500 rows under load. One thread is plenty here.
    with threadpool_limits(limits=1, user_api="openmp"):
        result = classifier_test(
            encoder.transform(ref),
            encoder.transform(cur),
            alpha=alpha,
            max_samples=MAX_SAMPLES,
            random_state=seed,
        )
    auc, p = float(result.statistic), float(result.p_value)
    severity: Severity = "info"
    if p <= alpha and auc >= AUC_CRITICAL:
        severity = "critical"
    elif p <= alpha and auc >= AUC_WARNING:
        severity = "warning"
    message = words.representative(auc, apart=severity != "info")
    details = {"auc": auc, "p_value": p, **result.details}
    return [Finding("representativeness", None, severity, message, details)], None
